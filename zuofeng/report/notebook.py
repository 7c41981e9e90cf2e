"""What the report notebooks import: two constructors and nothing else.

A notebook cell calls ``department_report(...)`` or ``overview_report(...)`` with its parameters and
then displays one section per cell. Scores come from a snapshot file when one is given (a batch
scores once and every notebook reads the same snapshot), else from the store.
"""

from __future__ import annotations

from ..errors import ZuofengError
from .department import DepartmentReport
from .fonts import setup_matplotlib
from .overview import OverviewReport
from .scores_source import CACHE as _CACHE
from .scores_source import load_scores
from .view import ScoreView


def _view(round_code: str, lang: str, db: str, snapshot: str) -> ScoreView:
    if lang not in ("zh", "en"):
        raise ZuofengError(f"lang 应为 zh 或 en，而不是 {lang!r}",
                           f"lang must be zh or en, not {lang!r}")
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

    view = _view(round_code, lang, db, snapshot)
    return OverviewReport(view, ledger=ledger_progress(round_code, db, snapshot, scores=view.scores))


__all__ = ["department_report", "load_scores", "overview_report"]
