"""The rating axes are declared once (zuofeng.axes) and every layer reads them from there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import zuofeng
from zuofeng import axes
from zuofeng.sheet import TokenScope

PACKAGE = Path(zuofeng.__file__).parent


def test_views_and_kinds_are_declared_in_order():
    assert axes.VIEWS == ("self", "peer_inside", "peer_outside")
    assert axes.KINDS == (*axes.VIEWS, "all")
    assert axes.COVERAGE_VIEWS == ("self", "peer_inside")
    assert axes.PEER_VIEWS == ("peer_inside", "peer_outside")
    assert [axes.view_rank(k) for k in ("peer_outside", "all", "self", "nonsense")] == [2, 3, 0, 4]


@pytest.mark.parametrize(("survey", "rater", "target", "view"), [
    ("self", "A", "A", "self"), ("peer", "A", "A", "peer_inside"), ("peer", "A", "B", "peer_outside")])
def test_a_token_scope_and_a_stored_sheet_get_the_same_view(survey, rater, target, view):
    assert axes.view_of(survey, rater, target) == view
    assert TokenScope("R", survey, rater, target).view == view
    assert axes.BY_CODE[view].survey == survey


def test_every_layer_shows_the_axes_labels():
    from zuofeng.console import VIEW_ZH as console_zh
    from zuofeng.io.excel_export import VIEW_ZH as export_zh
    from zuofeng.ledger.problems import VIEW_TEXT
    from zuofeng.report.strings import t

    zh = {"self": "自评", "peer_inside": "互评（本部门）", "peer_outside": "互评（外部门）"}
    assert {v: axes.kind_label(v) for v in axes.VIEWS} == zh
    assert export_zh == zh and VIEW_TEXT["zh"] == zh
    assert console_zh == {v: zh[v] for v in ("self", "peer_inside")}
    for lang in ("zh", "en"):
        assert VIEW_TEXT[lang] == {v: t(f"kind_{v}", lang) for v in axes.VIEWS}
    assert t("kind_all") == "综合" and t("kind_all", "en") == "All raters"


def test_scoring_suppression_reports_and_ledger_use_the_same_view_list():
    from zuofeng.ledger import change, verify
    from zuofeng.score import suppress, views

    assert suppress.VIEWS is axes.VIEWS and suppress.KINDS is axes.KINDS
    assert views.VIEWS is axes.VIEWS and change.VIEWS is axes.VIEWS
    assert verify.PEERS == axes.PEER_VIEWS
    assert suppress.CATEGORIES == (*axes.CATEGORIES, axes.BLANK_CATEGORY)


def test_no_module_spells_out_the_view_list_again():
    """A tuple or set naming two or more views is a second declaration; only zuofeng/axes.py may hold one."""
    names = "|".join(axes.VIEWS)
    listing = re.compile(rf"[(\[{{]\s*\"({names})\",\s*\"({names})\"")
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in PACKAGE.rglob("*.py") if p.name != "axes.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if listing.search(line)]
    assert found == []


ROSTER = {  # code → division, peer_targets (as the store gives them: a space-separated string or None)
    "BGS": {"division": "机关", "peer_targets": "KPB ZZZ"},
    "KPB": {"division": "机关", "peer_targets": None},
    "ZZB": {"division": "机关", "peer_targets": ""},
    "KJG": {"division": "事业单位", "peer_targets": "BGS"},
    "XXZX": {"division": "事业单位", "peer_targets": None},
    "GZD": {"division": None, "peer_targets": "KJG"},
}


@pytest.mark.parametrize(("mode", "rater", "expected"), [
    ("all", "BGS", ["GZD", "KJG", "KPB", "XXZX", "ZZB"]),
    ("all", "GZD", ["BGS", "KJG", "KPB", "XXZX", "ZZB"]),
    ("division", "BGS", ["KPB", "ZZB"]),
    ("division", "XXZX", ["KJG"]),
    ("division", "GZD", ["KJG"]),      # no division: its peer_targets
    ("targets", "BGS", ["KPB"]),       # ZZZ is not in the roster
    ("targets", "KPB", []),
    ("targets", "KJG", ["BGS"]),
])
def test_outside_targets_per_mode(mode, rater, expected):
    assert axes.outside_targets(mode, rater, ROSTER) == expected


def test_an_unknown_outside_mode_is_refused():
    with pytest.raises(ValueError, match="allowed: all, division, targets"):
        axes.outside_targets("everyone", "BGS", ROSTER)


def test_rater_attributes_say_where_they_come_from():
    assert {a.code: a.source for a in axes.RATER_ATTRIBUTES} == {
        "department": "token", "division": "roster", "category": "answer", "group": "token"}
    assert axes.ATTRIBUTES["category"].values == ("党员", "非党员")
