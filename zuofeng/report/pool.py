"""Worker processes of a report batch: each keeps one warm kernel and one HTML exporter.

A task executes one report notebook with papermill (engine ``zuofeng-warm``), checks it, and writes
the executed notebook and its HTML page. A failing notebook is kept (papermill saves it with the
error banner) and reported; it never stops the other tasks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

_STATE: dict = {}


@dataclass(frozen=True)
class Task:
    """One notebook to render."""

    name: str                 # "overview" or a department code
    notebook: str             # template notebook (absolute path)
    parameters: dict
    ipynb: str                # output notebook (absolute path)
    html: str                 # output page (absolute path)
    title: str
    lang: str = "zh"
    timeout: float = 600


@dataclass
class Result:
    """What happened to one task."""

    name: str
    ok: bool
    seconds: float
    error: str | None = None
    ipynb: str | None = None
    html: str | None = None
    pid: int = field(default_factory=os.getpid)

    def to_dict(self) -> dict:
        return asdict(self)


def _watch_parent(parent: int) -> None:
    """Exit when the batch process is gone (killed), taking the warm kernel down with us."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            from .warm import shutdown_all

            shutdown_all()
            os._exit(1)


def init_worker(font_file: str = "", prestart: bool = True, kernel_name: str = "python3") -> None:
    """Pool initializer: start the warm kernel before the first task arrives.

    ``font_file`` is where the batch leaves the ``@font-face`` rule of its pages (written after the
    round is scored, read at the first export). Ctrl-C is left to the batch process, which cancels the
    waiting tasks and lets the running ones finish.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _forget_parent_state()
    _STATE["font_file"] = font_file
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    from multiprocessing import util

    from .warm import shutdown_all, warm_kernel

    util.Finalize(None, shutdown_all, exitpriority=10)
    _STATE["kernel_name"] = kernel_name
    if prestart:
        try:
            warm_kernel(kernel_name).start()
        except Exception as e:  # noqa: BLE001 - retried (and reported) by the first task
            logging.getLogger("zuofeng.report").debug("kernel pre-start failed: %s", e)
    import nbconvert  # noqa: F401 - imported while the batch scores the round
    import papermill  # noqa: F401


def _forget_parent_state() -> None:
    """After ``fork``: drop (without touching) the parent's warm kernels and event loop.

    A forked worker inherits the parent's objects. Using them would drive the parent's kernel, and
    closing the inherited loop would unregister the parent's descriptors from the epoll instance
    both share, so the references are dropped and fresh ones are made on first use.
    """
    import asyncio

    from . import warm

    warm._KERNELS.clear()
    asyncio.set_event_loop(None)
    try:
        from jupyter_core import utils as jc_utils
    except ImportError:
        return
    loop_var = getattr(jc_utils, "_loop", None)
    if loop_var is not None and hasattr(loop_var, "set"):
        loop_var.set(None)
    runners = getattr(jc_utils, "_runner_map", None)
    if isinstance(runners, dict):
        runners.clear()


def _exporter():
    if "exporter" not in _STATE:
        from .notebook_html import ReportExporter

        path = Path(_STATE.get("font_file") or "")
        face = path.read_text(encoding="utf-8") if path.name and path.is_file() else ""
        _STATE["exporter"] = ReportExporter(face)
    return _STATE["exporter"]


def output_problems(nb) -> list[str]:
    """Error outputs and stderr text in an executed notebook (a report must have none)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i}: stderr: {''.join(out.get('text', '')).strip()[:200]}")
    return found


def run_task(task: Task) -> Result:
    """Execute, check and export one notebook; never raises for a notebook's own failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .warm import ENGINE_NAME

    t0 = time.perf_counter()
    Path(task.ipynb).parent.mkdir(parents=True, exist_ok=True)
    try:
        nb = pm.execute_notebook(
            task.notebook, task.ipynb, parameters=task.parameters, engine_name=ENGINE_NAME,
            kernel_name=_STATE.get("kernel_name", "python3"), progress_bar=False, log_output=False,
            execution_timeout=task.timeout, report_mode=False,
            # written once at the end (and with the error banner on a failure), not after every cell: each
            # save validated and wrote the growing notebook, about 30 times per report
            request_save_on_cell_execute=False)
        problems = output_problems(nb)
        if problems:
            raise RuntimeError("; ".join(problems))
        html = _exporter().to_html(nb, task.title, task.lang)
        tmp = Path(task.html + ".part")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, task.html)
        return Result(task.name, True, time.perf_counter() - t0, ipynb=task.ipynb, html=task.html)
    except PapermillExecutionError as e:
        msg = f"{e.ename}: {e.evalue}".strip()
        return Result(task.name, False, time.perf_counter() - t0, error=_one_line(msg), ipynb=task.ipynb)
    except Exception as e:  # noqa: BLE001 - any failure of one report is reported, not raised
        logging.getLogger("zuofeng.report").debug("report %s failed:\n%s", task.name, traceback.format_exc())
        ipynb = task.ipynb if Path(task.ipynb).exists() else None
        return Result(task.name, False, time.perf_counter() - t0, error=_one_line(f"{type(e).__name__}: {e}"),
                      ipynb=ipynb)


def _one_line(msg: str, limit: int = 300) -> str:
    line = " ".join(str(msg).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
