"""What the report notebooks import: two constructors and nothing else.

A notebook cell calls ``department_report(...)`` or ``overview_report(...)`` with its parameters and
then displays one section per cell. Scores come from a snapshot file when one is given (a batch
scores once and every notebook reads the same snapshot), else from the store.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ZuofengError
from .department import DepartmentReport
from .fonts import setup_matplotlib
from .overview import OverviewReport
from .view import ScoreView

_CACHE: dict[tuple, object] = {}


def load_scores(round_code: str, db: str = "", snapshot: str = ""):
    """Scores of ``round_code``: from ``snapshot`` if given, else scored from the store at ``db``.

    A snapshot is read once per process and kept while the file is unchanged (a warm report kernel
    renders many departments from the same snapshot).
    """
    if snapshot:
        from ..score import load_snapshot

        p = Path(snapshot)
        if not p.exists():
            raise ZuofengError(f"scores snapshot not found: {snapshot}")
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = load_snapshot(p)
        scores = _CACHE[key]
    else:
        from ..score import score_round
        from ..store import open_engine
        from .gaps import attach_gaps

        engine = open_engine(db or None)
        try:
            scores = score_round(engine, round_code)
            attach_gaps(scores, engine)
        finally:
            engine.dispose()
    if str(scores.meta.get("round")) != str(round_code):
        raise ZuofengError(f"the scores are of round {scores.meta.get('round')!r}, not {round_code!r}")
    return scores


def _view(round_code: str, lang: str, db: str, snapshot: str) -> ScoreView:
    if lang not in ("zh", "en"):
        raise ZuofengError(f"lang must be zh or en, not {lang!r}")
    setup_matplotlib()
    scores = load_scores(round_code, db, snapshot)
    if not snapshot:
        return ScoreView(scores, lang)
    key = ("view", id(scores), lang)  # the snapshot entry keeps ``scores`` (and so its id) alive
    if key not in _CACHE:
        _CACHE[key] = ScoreView(scores, lang)
    return _CACHE[key]


def department_report(round_code: str, department: str, lang: str = "zh", db: str = "",
                      snapshot: str = "") -> DepartmentReport:
    """The report of one department (see ``DepartmentReport`` for its sections)."""
    return DepartmentReport(_view(round_code, lang, db, snapshot), department)


def overview_report(round_code: str, lang: str = "zh", db: str = "", snapshot: str = "") -> OverviewReport:
    """The overview for the leading group (see ``OverviewReport`` for its sections)."""
    from .ledger_view import ledger_progress

    return OverviewReport(_view(round_code, lang, db, snapshot), ledger=ledger_progress(round_code, db, snapshot))


__all__ = ["department_report", "load_scores", "overview_report"]
