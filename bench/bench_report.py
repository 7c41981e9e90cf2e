"""Report batch speed: ``zuofeng report`` (warm workers) against the loop a user would write.

On one synthetic round of 24 departments (plus the overview: 25 reports) this measures, in one run:

- naive: per report, ``papermill`` CLI then ``jupyter nbconvert --to html --no-input`` CLI, sequentially
  (the snapshot is computed beforehand, so the loop does not even pay for scoring); its reports are
  spread over the repeats, interleaved with the batches, so that load changes hit every method alike;
- ``render_round`` with ``--jobs 1`` and ``--jobs 2`` (scoring the round included);
- the floor: an empty one-cell notebook through the papermill CLI, and through a warm kernel.

It prints medians (and min–max), the ratio of per-report wall times, and the goal: at most
``GOAL`` seconds per report with ``--jobs 2`` (issue #25), "met" or "not met" with the median, beside the
warm-kernel floor and the naive loop of the same run. Usage::

    python bench/bench_report.py [--departments 24] [--repeats 3] [--naive-reports 25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
#: seconds per report with --jobs 2 on 24 departments + overview, scoring the round included
GOAL = 0.35
UNIT_TYPES = ("机关部室", "事业单位", "中心", "工作队")


def roster(path: Path, n: int) -> Path:
    lines = ["code,name,unit_type,headcount,party_members,division,peer_targets"]
    for i in range(n):
        head = 6 + (i * 7) % 30
        target = f"D{(i + 1) % n:02d}" if i % 3 == 0 else ""
        lines.append(f"D{i:02d},部门{i:02d},{UNIT_TYPES[i % 4]},{head},{head // 2},机关,{target}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def setup(tmp: Path, n: int) -> tuple[str, Path]:
    from zuofeng.rounds import create_round, set_status
    from zuofeng.score import save_snapshot, score_round
    from zuofeng.simulate import simulate
    from zuofeng.store import open_engine

    db = f"sqlite:///{tmp / 'bench.db'}"
    engine = open_engine(db)
    for code, prev in (("B0", None), ("B1", "B0")):
        create_round(engine, code, title=f"基准测评{code}", roster=roster(tmp / "roster.csv", n), previous=prev)
        set_status(engine, code, "open")
        simulate(engine, code, seed=7)
        set_status(engine, code, "closed")
    snap = tmp / "scores.zip"
    save_snapshot(score_round(engine, "B1", seed=1), snap)
    engine.dispose()
    return db, snap


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def naive(nb_dir: Path, out: Path, snap: Path, jobs: list[tuple[str, str, list[str]]]) -> list[float]:
    """The loop a user would write: papermill CLI then nbconvert CLI, one report after the other."""
    out.mkdir()
    times = []
    for nb, name, extra in jobs:
        target = out / f"{name}.ipynb"
        t = run([str(BIN / "papermill"), str(nb_dir / nb), str(target), "-p", "round_code", "B1",
                 "-p", "snapshot", str(snap), *extra, "--no-progress-bar"])
        t += run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(target)])
        times.append(t)
    return times


def batch(db: str, tmp: Path, jobs: int, repeats: int) -> list[float]:
    from zuofeng.report import render_round

    totals = []
    for r in range(repeats):
        t = time.perf_counter()
        render_round("B1", db=db, out=tmp / f"batch-{jobs}-{r}", jobs=jobs, progress=False)  # scores the round too
        totals.append(time.perf_counter() - t)
    return totals


def floor(tmp: Path, repeats: int) -> tuple[list[float], list[float]]:
    import nbformat
    import papermill as pm

    from zuofeng.report.warm import ENGINE_NAME, shutdown_all

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    src = tmp / "empty.ipynb"
    nbformat.write(nb, src)
    cli = [run([str(BIN / "papermill"), str(src), str(tmp / "empty.out.ipynb"), "--no-progress-bar"])
           for _ in range(repeats)]
    warm = []
    pm.execute_notebook(str(src), str(tmp / "warm0.ipynb"), engine_name=ENGINE_NAME, progress_bar=False)
    for i in range(repeats):
        t = time.perf_counter()
        pm.execute_notebook(str(src), str(tmp / f"warm{i}.ipynb"), engine_name=ENGINE_NAME, progress_bar=False)
        warm.append(time.perf_counter() - t)
    shutdown_all()
    return cli, warm


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):6.2f} s [{min(xs):.2f}–{max(xs):.2f}] n={len(xs)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--departments", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive-reports", type=int, default=None,
                    help="time the naive loop on only this many reports, spread over the repeats (default: all)")
    args = ap.parse_args()
    from zuofeng.report.batch import notebooks_dir

    nb_dir = notebooks_dir()
    n_reports = args.departments + 1
    print(f"report batch benchmark: {args.departments} departments + overview = {n_reports} reports, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="zuofeng-bench-") as d:
        tmp = Path(d)
        db, snap = setup(tmp, args.departments)
        codes = [f"D{i:02d}" for i in range(args.departments)]
        cli_floor, warm_floor = floor(tmp, 5)
        print(f"floor, empty notebook, papermill CLI:      {med(cli_floor)}")
        print(f"floor, empty notebook, warm kernel:        {med(warm_floor)}")
        # interleaved, so that a change of the machine's load hits every method alike
        k = args.naive_reports or n_reports
        jobs_list = [("overview_report.ipynb", "overview", [])] + [
            ("department_report.ipynb", c, ["-p", "department", c]) for c in codes]
        chunks = [jobs_list[i::args.repeats] for i in range(args.repeats)]
        naive_times: list[float] = []
        totals: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeats):
            naive_times += naive(nb_dir, tmp / f"naive-{r}", snap, chunks[r][: max(1, k // args.repeats)])
            for jobs in (1, 2):
                totals[jobs] += batch(db, tmp / f"batch-{r}", jobs, 1)
        naive_per = statistics.median(naive_times)
        print(f"naive loop (papermill + nbconvert CLI), per report: {med(naive_times)}"
              f"  → {naive_per * n_reports:.1f} s for {n_reports}")
        per = {}
        for jobs in (1, 2):
            per[jobs] = statistics.median(totals[jobs]) / n_reports
            print(f"zuofeng report --jobs {jobs}: total {med(totals[jobs])}  → per report {per[jobs]:.2f} s")
        print(f"speed-up per report vs naive: --jobs 1 {naive_per / per[1]:.1f}×, --jobs 2 {naive_per / per[2]:.1f}×; "
              f"--jobs 2 vs --jobs 1: {per[1] / per[2]:.2f}×")
        floor_per = statistics.median(warm_floor)
        print(f"goal: --jobs 2 at most {GOAL:.2f} s per report: {'met' if per[2] <= GOAL else 'not met'} "
              f"(median {per[2]:.2f} s per report; warm-kernel floor {floor_per:.2f} s, {per[2] / floor_per:.1f}× it; "
              f"naive loop {naive_per:.2f} s)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
