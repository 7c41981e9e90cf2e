"""The rating axes, declared once: the views a figure is scored in, the forms that feed them, the ways a
round may choose who rates a department from outside, and the rater attributes a figure may be split by.

Tokens, sheets, scoring, suppression, coverage, reports, exports and the ledger read these names, labels
and orders from here instead of spelling them out. Plain Python without third-party imports, so that a
respondent's survey kernel may import it.

A *view* is who rates whom:

- ``self`` (自评): a respondent rates their own conduct on the 22 items (the self survey);
- ``peer_inside`` (互评（本部门）): a respondent rates their own department on the 22 items (the peer
  survey with target = rater's department);
- ``peer_outside`` (互评（外部门）): a respondent rates another department (the peer survey with
  target ≠ rater's department): the departments named in the rater's roster ``peer_targets`` on the
  22 items, and, unless the round's outside mode is ``targets``, every other department of the table
  (:func:`table_targets`) on the 民主测评 table (form ``table``).

The *kind* of a score row is a view, or ``all``: the weighted combination of a unit's views
(:mod:`zuofeng.score.views`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The surveys a token opens and a sheet belongs to (the sheet's ``kind``).
SURVEYS = ("self", "peer")
#: The answer a respondent may give about themself; a sheet left blank counts as ``BLANK_CATEGORY``.
CATEGORIES = ("党员", "非党员")
BLANK_CATEGORY = "未填"

#: What a respondent fills in: ``items`` is the 22-item sheet (and, in a peer survey, the overall rating);
#: ``table`` is one row of the 民主测评 table about another department: the overall rating and one
#: rating (1–5, or 不了解) per dimension heading. A table row is stored as a peer sheet with the form
#: marker ``table``, its answers keyed by dimension position (1 = the first dimension).
FORMS = {"items": ("22项问题评价", "the 22 items"), "table": ("民主测评表", "the evaluation table")}
ITEMS_FORM, TABLE_FORM = "items", "table"


def table_column(dimension_id: str) -> str:
    """The column of a dimension's table rating in a responses frame: ``t:一`` for dimension 一."""
    return f"t:{dimension_id}"


@dataclass(frozen=True)
class View:
    """One rating view: its code, labels, the survey and forms that feed it, and who rates.

    ``raters`` is ``self`` (the respondent about themself), ``own`` (the rated department's own staff)
    or ``other`` (staff of other departments). A view rated by the department's own staff counts its
    sheets against the department's headcount (``coverage``).
    """

    code: str
    zh: str
    en: str
    survey: str
    raters: str
    forms: tuple[str, ...] = ("items",)

    @property
    def coverage(self) -> bool:
        return self.raters in ("self", "own")

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


VIEW_LIST = (
    View("self", "自评", "Self-rating", "self", "self"),
    View("peer_inside", "互评（本部门）", "Colleagues (own department)", "peer", "own"),
    View("peer_outside", "互评（外部门）", "Other departments", "peer", "other", ("items", "table")),
)
BY_CODE: Mapping[str, View] = {v.code: v for v in VIEW_LIST}
VIEWS = tuple(v.code for v in VIEW_LIST)
#: The combined kind: a weighted mean of a unit's view figures, never a pool of sheets.
COMBINED = "all"
COMBINED_LABEL = ("综合", "All raters")
KINDS = VIEWS + (COMBINED,)
#: Views whose sheets come from the rated department's own staff (coverage against headcount).
COVERAGE_VIEWS = tuple(v.code for v in VIEW_LIST if v.coverage)
#: Views given by peers (the ledger verifies a rectification by their change).
PEER_VIEWS = tuple(v.code for v in VIEW_LIST if v.survey == "peer")
OUTSIDE = "peer_outside"


def view_of(survey: str, rater: str, target: str) -> str:
    """The view of a sheet of ``survey`` by a member of ``rater`` about ``target``.

    >>> view_of("self", "BGS", "BGS"), view_of("peer", "BGS", "BGS"), view_of("peer", "BGS", "KPB")
    ('self', 'peer_inside', 'peer_outside')
    """
    if survey == "self":
        return "self"
    return "peer_inside" if rater == target else "peer_outside"


def kind_label(kind: str, lang: str = "zh") -> str:
    """The label of a view, of the combined kind or of the peer pool; an unknown code is returned as it is."""
    if kind == COMBINED:
        return COMBINED_LABEL[lang == "en"]
    if kind == PEER_POOL:
        return PEER_POOL_LABEL[lang == "en"]
    view = BY_CODE.get(kind)
    return view.label(lang) if view else kind


def view_rank(kind: str) -> int:
    """Position of a view (then the combined kind) in every listing; unknown codes last."""
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


# --- who rates a department from outside -----------------------------------------------------------

#: How a round chooses the departments a respondent rates from outside (``round create --outside``,
#: stored on the round). ``all`` (the default) and ``division`` give every respondent of the peer
#: survey the organisation-wide 民主测评 table (:func:`table_targets`) next to the 22-item sheets of
#: the departments in their ``peer_targets``; ``targets`` is the 22-item sheets of ``peer_targets`` only.
#: A round stored before the option existed is ``targets`` (:func:`outside_mode`).
DEFAULT_OUTSIDE = "all"
OUTSIDE_MODES = {
    "all": ("全组织互评：评价本单位其他所有部门", "organisation-wide: every other department"),
    "division": ("归口内互评：评价本归口其他部门", "the rater's division: its other departments"),
    "targets": ("指定互评：评价名册 peer_targets 所列部门", "the roster's peer_targets only"),
}


def outside_targets(mode: str, rater: str, roster: Mapping[str, Mapping]) -> list[str]:
    """The departments a member of ``rater`` rates from outside under ``mode``, in roster code order.

    ``roster`` maps code → a department row with ``division`` (or None) and ``peer_targets`` (a
    space-separated string, a list, or None). ``division`` with a rater outside any division is the
    rater's ``peer_targets`` (no division, no table). Codes not in the roster are dropped.

    >>> roster = {"A": {"division": "x", "peer_targets": "C"}, "B": {"division": "x"}, "C": {"division": "y"}}
    >>> outside_targets("all", "A", roster), outside_targets("division", "A", roster)
    (['B', 'C'], ['B'])
    >>> outside_targets("targets", "A", roster), outside_targets("targets", "B", roster)
    (['C'], [])
    """
    if mode not in OUTSIDE_MODES:
        raise ValueError(f"outside mode {mode!r}; allowed: {', '.join(OUTSIDE_MODES)}")
    me = roster[rater]
    if mode == "all":
        chosen: Iterable[str] = (c for c in roster if c != rater)
    elif mode == "division" and me.get("division"):
        chosen = (c for c, d in roster.items() if c != rater and d.get("division") == me["division"])
    else:
        named = me.get("peer_targets") or ()
        named = set(named.split() if isinstance(named, str) else named)
        chosen = (c for c in roster if c != rater and c in named)
    return sorted(chosen)


def named_targets(rater: str, roster: Mapping[str, Mapping]) -> set[str]:
    """The departments the rater's roster row names in ``peer_targets`` (rated on the 22 items)."""
    named = roster[rater].get("peer_targets") or ()
    return set(named.split() if isinstance(named, str) else named) - {rater}


def table_targets(mode: str, rater: str, roster: Mapping[str, Mapping]) -> list[str]:
    """The departments a member of ``rater`` rates on the 民主测评 table under ``mode``, in code order:
    :func:`outside_targets` without those rated on the 22 items (``peer_targets``); none for ``targets``.

    >>> roster = {"A": {"division": "x", "peer_targets": "C"}, "B": {"division": "x"}, "C": {"division": "y"}}
    >>> table_targets("all", "A", roster), table_targets("all", "B", roster), table_targets("targets", "A", roster)
    (['B'], ['A', 'C'], [])
    """
    if mode == "targets":
        outside_targets(mode, rater, roster)  # the same check of the mode
        return []
    named = named_targets(rater, roster)
    return [c for c in outside_targets(mode, rater, roster) if c not in named]


def outside_mode(round_row: Mapping) -> str:
    """A round's outside mode; a round stored before the option existed rates ``targets`` only."""
    return round_row.get("outside") or "targets"


# --- rater attributes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaterAttribute:
    """Something known about the rater of a sheet, by which figures may be split.

    ``source`` says where it comes from: ``token`` (bound to the 答题码 when it is issued, never typed by
    the respondent), ``roster`` (looked up from the rater's department) or ``answer`` (optional, given by
    the respondent on the sheet). ``values`` lists the allowed answers of an ``answer`` attribute.
    """

    code: str
    zh: str
    en: str
    source: str
    values: tuple[str, ...] = ()


RATER_ATTRIBUTES = (
    RaterAttribute("department", "所在部门", "department", "token"),
    RaterAttribute("division", "归口", "division", "roster"),
    RaterAttribute("category", "政治面貌", "category", "answer", CATEGORIES),
    # declared per round with weights (zuofeng.rater_groups); bound to the token like the department
    RaterAttribute("group", "测评人员类别", "rater group", "token"),
)
ATTRIBUTES: Mapping[str, RaterAttribute] = {a.code: a for a in RATER_ATTRIBUTES}

#: The rater attribute that splits figures into the round's rater groups (领导班子 / 中层干部 / …).
GROUP = "group"
#: The rater department of a sheet whose rater belongs to no department: a rater group issued
#: without a department (服务对象, the people a department serves) rates the departments listed for
#: its token batch, from outside. Such sheets feed the outside view (``peer_outside``), where the
#: group split shows them apart; they count against no department's headcount.
NO_DEPARTMENT = ""
#: The weighted composite over a unit's rater groups (a row of the group figures, next to the groups).
GROUP_COMPOSITE = ("加权综合", "Weighted composite")
#: The kind of the group figures that pool a unit's peer views: everyone of a group who rated the
#: department, from inside and from outside (the 民主测评 of the department by that group).
PEER_POOL = "peer"
PEER_POOL_LABEL = ("互评（本部门和外部门）", "Peers (own and other departments)")
#: The kinds the group figures are given for, in their order.
GROUP_KINDS = (*VIEWS, PEER_POOL)
