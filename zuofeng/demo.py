"""``zuofeng demo``: a whole campaign on synthetic data, from roster to rendered reports.

Twelve departments of four unit types (机关部室, 事业单位, 中心, 工作队; ``data/demo_roster.csv``),
a baseline round and a final round compared with it, both simulated (self and peer surveys, inside
and outside views; two small units fall under k), scored and rendered.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

BASELINE = ("2022-baseline", "2022年干部作风大提升专项行动·基线测评", "2022 work-style campaign: baseline survey")
FINAL = ("2022-final", "2022年干部作风大提升专项行动·年终测评", "2022 work-style campaign: year-end survey")
DEMO_DB = "demo.db"


def demo_roster() -> Path:
    """Path of the packaged demo roster (twelve departments)."""
    return Path(str(resources.files("zuofeng") / "data" / "demo_roster.csv"))


def run_demo(out: str | Path = "reports/demo", *, db: str | None = None, jobs: int | None = None,
             lang: str = "zh", seed: int = 1, progress: bool = True, echo=None) -> Path:
    """Create, simulate, score and render the demo rounds; return the path of the final round's ``index.html``.

    Parameters
    ----------
    out : path
        Folder for the demo store (unless ``db`` is given) and the reports (``<out>/2022-final``).
    db : str, optional
        A database URL to use instead of a fresh SQLite file ``<out>/demo.db``. Its rounds must not
        exist yet.
    jobs, lang, progress
        As for ``zuofeng.report.render_round``.
    seed : int
        Seed of the simulated answers (the final round uses ``seed + 1``).
    echo : callable, optional
        Receives one line per step (the CLI passes ``click.echo``).
    """
    from .report.batch import render_round
    from .rounds import create_round, set_status
    from .simulate import simulate
    from .store import open_engine

    say = echo or (lambda _msg: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if db is None:
        store = out.resolve() / DEMO_DB
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
        db = f"sqlite:///{store}"
    engine = open_engine(db)
    try:
        previous = None
        for n, (code, title_zh, title_en) in enumerate((BASELINE, FINAL)):
            create_round(engine, code, title=title_zh, title_en=title_en, roster=demo_roster(), previous=previous)
            set_status(engine, code, "open")
            sheets = simulate(engine, code, seed=seed + n)
            set_status(engine, code, "closed")
            say(f"round {code}: {sheets} simulated answer sheets")
            previous = code
    finally:
        engine.dispose()
    result = render_round(FINAL[0], out=out / FINAL[0], db=db, jobs=jobs, lang=lang, progress=progress, seed=seed)
    return result.index
