"""Red-line matters and clue comments: what goes to the discipline-inspection team (纪检监察组).

A *matter* is one department × red-line item whose alert fired (``red_line_alert`` = 1, published)
in at least one view; the inspection report lists each matter once with the evidence of every view,
and the overview says how many matters there are. Department reports show red-line items as ordinary
items, without alert wording. Everything here reads published rows of ``Scores`` only, so the round's
k applies as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..axes import VIEWS
from . import names as S
from .view import ScoreView

DEFAULT_CLUE_WORDS = ("举报", "受贿", "行贿", "索贿", "吃拿卡要", "利益输送", "回扣", "好处费", "红包", "贪污",
                      "挪用", "违规", "违纪", "违法", "打招呼", "插手", "谋私", "公款", "报销", "威胁", "报复")


@dataclass
class Matter:
    """One department × red-line item with an alert in at least one view."""

    department: str
    key: str
    views: list[str] = field(default_factory=list)


def red_line_matters(v: ScoreView) -> list[Matter]:
    """Matters in department order, then item order (the organisation row ``ALL`` is not a matter)."""
    red = v.rows(statistic=S.RED_LINE_ALERT, level=S.LEVEL_ITEM)
    red = red[~red["suppressed"].astype(bool) & (pd.to_numeric(red["value"]) == 1) & red["kind"].isin(VIEWS)
              & red["department"].isin(v.codes)]   # not the organisation (ALL) nor a division pool
    out: dict[tuple[str, str], Matter] = {}
    order = {c: i for i, c in enumerate(v.codes)}
    for r in red.to_dict("records"):
        m = out.setdefault((r["department"], r["key"]), Matter(r["department"], r["key"]))
        m.views.append(r["kind"])
    for m in out.values():
        m.views.sort(key=VIEWS.index)
    return sorted(out.values(), key=lambda m: (order.get(m.department, 1 << 30), v.item_keys.index(m.key)))


INSPECTION_META = "inspection_report"


def inspection_rendered(meta: dict) -> bool:
    """Whether the round's inspection report existed when these reports were rendered (the batch records
    it in ``meta["inspection_report"]``); only then may a page say the matters were sent to the team."""
    return bool(meta.get(INSPECTION_META))


def clue_words(v: ScoreView) -> tuple[str, ...]:
    """The clue words: the instrument's optional ``red_line.clue_words``, else ``DEFAULT_CLUE_WORDS``."""
    words = v.instrument.clue_words or DEFAULT_CLUE_WORDS
    return tuple(str(w) for w in words if str(w).strip())


def clue_comments(v: ScoreView) -> pd.DataFrame:
    """Published suggestions (already limited to groups of at least ``k_comment`` sheets by the scorer)
    that contain a clue word; columns ``department, kind, comment, words``."""
    cm = v.scores.comments
    words = clue_words(v)
    rows = []
    for r in cm.itertuples(index=False):
        text = str(r.comment)
        hit = [w for w in words if w in text]
        if hit:
            rows.append({"department": r.department, "kind": r.kind, "comment": text, "words": hit})
    return pd.DataFrame(rows, columns=["department", "kind", "comment", "words"])
