"""``render_round``: score once, render the overview and every department in parallel, swap in.

The round is scored once and the snapshot is written into the new folder; every notebook reads that
snapshot. Notebooks run in a pool of worker processes, each with one warm kernel (see ``warm``). The
folder is built beside its target and swapped in at the end, so an interrupted batch leaves the
previous reports as they were. A failing report does not stop the others: it is named in the index
and in the returned result, and ``render_round`` raises ``ReportBatchError`` after finishing the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..errors import RoundError, StoreError, ZuofengError
from ..faults import write_fault
from ..private import owner_only
from ..store import open_engine
from .gaps import attach_gaps
from .pool import Result, Task, init_worker, run_task
from .swap import MARKER, batch_lock, check_target, remove_leftovers, staging_folder, swap_in

SNAPSHOT_NAME = "scores.zip"
FONT_FILE = ".font-face.css"
OVERVIEW = "overview"
NOTEBOOKS = {"overview": "overview_report.ipynb", "department": "department_report.ipynb"}
DEFAULT_TIMEOUT = 600


class ReportBatchError(ZuofengError):
    """Some reports of a batch failed; the others were written. The message names the failures."""


@dataclass
class BatchResult:
    """The outcome of ``render_round``: where the reports are and what happened to each."""

    round: str
    folder: Path
    index: Path
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if not r.ok]


def notebooks_dir() -> Path:
    """The report notebooks: ``zuofeng/notebooks`` when installed as package data, else the repository's
    ``notebooks/`` folder next to the package."""
    import zuofeng

    pkg = Path(zuofeng.__file__).resolve().parent
    for cand in (pkg / "notebooks", pkg.parent / "notebooks"):
        if (cand / NOTEBOOKS["department"]).is_file():
            return cand
    raise ZuofengError(f"找不到报告的 notebook（在 {pkg / 'notebooks'} 和 {pkg.parent / 'notebooks'} 中找 {NOTEBOOKS['department']}）",
                       f"report notebooks not found (looked for {NOTEBOOKS['department']} in "
                       f"{pkg / 'notebooks'} and {pkg.parent / 'notebooks'})")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def render_round(round_code: str, *, department: str | None = None, jobs: int | None = None, lang: str = "zh",
                 out: str | Path | None = None, db: str | None = None, seed: int = 1, progress: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, notebooks: str | Path | None = None,
                 scores=None, on_progress=None) -> BatchResult:
    """Render the reports of a round into ``out`` (default ``reports/<round>``).

    Parameters
    ----------
    round_code : str
        The round to report.
    department : str, optional
        Render only this department (the other reports already in ``out`` are kept).
    jobs : int, optional
        Worker processes (default: the number of CPUs).
    lang : {"zh", "en"}
        Language of the reports.
    out : path, optional
        The report folder; replaced as a whole when the batch ends.
    db : str, optional
        Database URL (default ``$ZUOFENG_DB``, then ``data/zuofeng.db``).
    seed : int
        Seed of the scoring engine's resampling.
    progress : bool
        Show a progress bar on stderr.
    timeout : float
        Seconds a single notebook cell may run.
    notebooks : path, optional
        Folder holding the report notebooks (default: see ``notebooks_dir``).
    scores : Scores, optional
        Already computed scores of this round (skips scoring).
    on_progress : callable, optional
        Called as ``on_progress(done, total, name)`` after each report (a notebook's progress bar).

    Returns
    -------
    BatchResult

    Raises
    ------
    ReportBatchError
        After writing everything else, when one or more reports failed.
    """
    from ..score import save_snapshot
    from .ledger_view import LEDGER_PAGES, write_ledger_pages

    if lang not in ("zh", "en"):
        raise ZuofengError(f"--lang 应为 zh 或 en，而不是 {lang!r}",
                           f"--lang must be zh or en, not {lang!r}")
    if jobs is not None and jobs < 1:
        raise ZuofengError(f"--jobs 至少为 1，而不是 {jobs}",
                           f"--jobs must be at least 1, not {jobs}")
    t0 = time.perf_counter()
    nb_dir = Path(notebooks) if notebooks else notebooks_dir()
    target = Path(out) if out else Path("reports") / round_code
    check_target(target)
    if scores is not None and str(scores.meta.get("round")) != str(round_code):
        raise ZuofengError(f"给出的分数属于轮次 {scores.meta.get('round')!r}，而不是 {round_code!r}",
                           f"the scores given are of round {scores.meta.get('round')!r}, not {round_code!r}")
    # the round and the rounds before it, read from the store once; the same engine writes the gaps and ledger pages
    engine, loaded = _load(db, round_code, seed, scores)
    codes = list(scores.departments["code"]) if scores is not None else [str(c) for c in loaded.departments["code"]]
    if department is not None and department not in codes:
        raise ZuofengError(f"轮次 {round_code} 中没有部门 {department!r}；已有部门：{'、'.join(codes)}",
                           f"unknown department {department!r} in round {round_code}; known: {', '.join(codes)}")
    if scores is None:  # a draft or a round without answers: one line, before the folder is locked
        from ..score.core import refuse_unscorable
        refuse_unscorable(loaded.info, loaded.responses)
    n_jobs = 1 if department is not None else max(1, min(jobs or default_jobs(), len(codes) + 1))

    from .index import write_index

    try:
        with owner_only(), batch_lock(target):  # every report, folder and worker's file: owner-only
            remove_leftovers(target)
            staged = staging_folder(target)
            font_file = staged / FONT_FILE
            try:
                with ProcessPoolExecutor(max_workers=n_jobs, mp_context=_context(), initializer=init_worker,
                                         initargs=(str(font_file),)) as pool:
                    pool.submit(_started)  # launches the workers: their kernels warm up while the round is scored
                    try:
                        earlier = _score_earlier(pool, loaded)  # the rounds before it, scored in a worker meanwhile
                        try:
                            if scores is None:
                                scores = loaded.scores
                                attach_gaps(scores, engine, loaded)
                            previous = _carry_over(target, staged) if department is not None else {}
                            note_inspection(scores, target)
                            snapshot = staged / SNAPSHOT_NAME
                            save_snapshot(scores, snapshot)
                            ledger_text = ""
                            if loaded is not None:
                                if not loaded.scored:
                                    loaded.scores = scores
                                try:
                                    for r, s in zip(loaded.chain[:-1], _results(earlier)):
                                        r.scores = s
                                    ledger_text = write_ledger_pages(engine, loaded, staged / LEDGER_PAGES,
                                                                     lang).read_text(encoding="utf-8")
                                except RoundError:  # an earlier round cannot be scored (a draft): no ledger pages
                                    pass
                        finally:
                            if engine is not None:
                                engine.dispose()
                        font_face = _write_font_face(scores, font_file, ledger_text)
                        tasks = _tasks(scores, nb_dir, staged, snapshot, department, lang, timeout)
                        results = _run(pool, tasks, progress, round_code, on_progress, lang=lang)
                    except BaseException:
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise
                font_file.unlink(missing_ok=True)
                results = _relocate(results, staged, target)
                merged = {**previous, **{r.name: r.to_dict() for r in results}}
                manifest = {"zuofeng": 1, "round": round_code, "lang": lang, "reports": merged,
                            "seconds": round(time.perf_counter() - t0, 3)}
                (staged / MARKER).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
                write_index(scores, merged, staged / "index.html", lang=lang, font_face=font_face)
                swap_in(staged, target)
            except BaseException:
                shutil.rmtree(staged, ignore_errors=True)
                raise
    except OSError as e:  # a full disk or a read-only folder: one sentence (the staging folder is gone)
        fault = write_fault(e, "reports")
        if fault is None:
            raise
        raise fault from None
    result = BatchResult(round_code, target, target / "index.html", results, time.perf_counter() - t0)
    if result.failed:
        names = ", ".join(f"{r.name} ({r.error})" for r in result.failed)
        raise ReportBatchError(f"{len(results)} 份报告中有 {len(result.failed)} 份失败：{names}；其余报告在 {result.index}",
                               f"{len(result.failed)} of {len(results)} reports failed: {names}; "
                               f"the others are in {result.index}")
    return result


def _started() -> int:
    return os.getpid()


def _load(db: str | None, round_code: str, seed: int, scores=None):
    """The batch's one engine and the round with the rounds before it, read from the store once before any
    worker starts (raises for an unknown round); ``(None, None)`` when ``scores`` are given for a round the
    store does not hold (no ledger).

    The engine comes back with its connections closed (``dispose`` keeps it usable: it connects again when
    the gaps and ledger pages read), so that no worker forked meanwhile inherits an open connection."""
    from ..score.loaded import load_round

    try:
        engine = open_engine(db, create=scores is None)
    except StoreError:  # scores given and no store at all (only the default one is optional)
        if db or scores is None:
            raise
        return None, None
    try:
        loaded = load_round(engine, round_code, seed=seed)
    except RoundError:  # scores given for a round the store does not hold: no ledger
        if scores is None:
            raise
        return None, None
    finally:
        engine.dispose()
    if scores is not None:
        loaded.scores = scores
    return engine, loaded


def _score_earlier(pool: ProcessPoolExecutor, loaded):
    """Score the rounds before ``loaded`` (oldest first) in a worker while this process scores the round
    itself: the ledger's trend and verification need them. None when there are none."""
    if loaded is None or loaded.previous is None:
        return None
    return pool.submit(score_chain, loaded.previous)


def score_chain(loaded) -> list:
    """Scores of every round of ``loaded.chain`` (a worker's job: each scored once, with the batch's seed)."""
    return [r.scores for r in loaded.chain]


def _results(future) -> list:
    return future.result() if future is not None else []


def note_inspection(scores, target: Path) -> None:
    """Record in ``scores.meta`` whether the round's inspection report exists beside the report folder
    ``target`` (``<round>-inspection``, where ``zuofeng report --audience inspection`` writes it), so
    that a page says the red-line matters were sent to the team only when they were."""
    from .inspection import inspection_exists
    from .redline import INSPECTION_META

    code = str(scores.meta["round"])
    scores.meta[INSPECTION_META] = inspection_exists(code, Path(target).parent / f"{code}-inspection")


def _write_font_face(scores, path: Path, extra: str = "") -> str:
    """Subset the CJK font to every character the round's pages can show (once per batch; ``extra``: the
    ledger sections, whose texts the departments wrote) and leave the ``@font-face`` rule where the
    workers read it."""
    from .fonts import font_face_css
    from .ledger_view import TEXT as LEDGER_TEXT
    from .strings import page_chars

    css = font_face_css(page_chars(scores) + extra + str(LEDGER_TEXT))
    path.write_text(css, encoding="utf-8")
    return css


def _tasks(scores, nb_dir: Path, staged: Path, snapshot: Path, department, lang, timeout) -> list[Task]:
    from .strings import t
    from .view import ScoreView

    meta = scores.meta
    deps = scores.departments
    v = ScoreView(scores, lang)
    tasks = []
    common = {"round_code": meta["round"], "lang": lang, "db": "", "snapshot": str(snapshot.resolve())}
    if department is None:
        tasks.append(Task(OVERVIEW, str(nb_dir / NOTEBOOKS["overview"]), dict(common),
                          str(staged / f"{OVERVIEW}.ipynb"), str(staged / f"{OVERVIEW}.html"),
                          f"{v.title()} · {t('overview_title', lang)}", lang, timeout))
    for code in deps["code"]:
        name = v.dept_name(code)
        if department is not None and code != department:
            continue
        tasks.append(Task(code, str(nb_dir / NOTEBOOKS["department"]), {**common, "department": code},
                          str(staged / "departments" / f"{code}.ipynb"), str(staged / "departments" / f"{code}.html"),
                          f"{name} · {v.title()}", lang, timeout))
    return tasks


def _context():
    """``fork`` where the platform has it: workers start at once, without importing anything again, and a
    calling script needs no ``if __name__ == "__main__"`` guard; ``spawn`` elsewhere."""
    import multiprocessing as mp

    return get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _run(pool: ProcessPoolExecutor, tasks: list[Task], progress: bool, round_code: str,
         on_progress=None, lang: str = "zh") -> list[Result]:
    from tqdm import tqdm

    results: list[Result] = []
    futures = {pool.submit(run_task, task): task for task in tasks}
    bar = tqdm(total=len(tasks), desc=f"zuofeng report {round_code}", unit="report" if lang == "en" else "份",
               disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    try:
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                res = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker died: report it, keep going
                res = Result(task.name, False, 0.0, error=f"worker failed: {type(e).__name__}: {e}")
            results.append(res)
            bar.set_postfix_str(("" if res.ok else "✗ ") + res.name, refresh=False)
            bar.update(1)
            if on_progress is not None:
                on_progress(len(results), len(tasks), res.name)
    finally:
        bar.close()
    order = {t.name: i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: order[r.name])


def _relocate(results: list[Result], staged: Path, target: Path) -> list[Result]:
    """Store paths relative to the report folder (the staging folder is renamed at the end)."""
    for r in results:
        for attr in ("ipynb", "html"):
            p = getattr(r, attr)
            if p:
                setattr(r, attr, Path(p).resolve().relative_to(staged.resolve()).as_posix())
    return results


def _carry_over(target: Path, staged: Path) -> dict:
    """Copy the previous reports into the staging folder; return their manifest entries."""
    if not (target / MARKER).is_file():
        return {}
    for p in target.iterdir():
        dest = staged / p.name
        if p.is_dir():
            shutil.copytree(p, dest)
        else:
            shutil.copy2(p, dest)
    try:
        return json.loads((target / MARKER).read_text(encoding="utf-8")).get("reports", {})
    except (OSError, ValueError):
        return {}
