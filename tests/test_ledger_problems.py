"""The problem list per department: each flagged item once, views merged, rule with figure and n,
priority order, Chinese or English labels; and as Excel."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from zuofeng.instrument import load_instrument
from zuofeng.ledger import department_problems, write_problem_list
from zuofeng.score import score_round
from zuofeng.store import open_engine

VIEW_ZH = {"self": "自评", "peer_inside": "互评（本部门）", "peer_outside": "互评（外部门）"}


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    from zuofeng.demo import demo_roster
    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate
    from zuofeng.store import Sheet, store_sheets

    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('p') / 's.db'}")
    create_round(engine, "B", title="测评", roster=demo_roster())  # items flagged by several views
    set_status(engine, "B", "open")
    simulate(engine, "B", seed=3)
    answers = {**{i: 2 for i in range(1, 23)}, 11: 5}  # and red-line alerts on their own: KPB's item 11
    store_sheets(engine, "B", [Sheet(k, r, "KPB", answers, "党员", None if k == "self" else "较好")
                               for k, r in [("self", "KPB")] * 3 + [("peer", "KPB")] * 3
                               + [("peer", x) for x in ("BGS", "XSB", "KJG")]], source="simulate")
    set_status(engine, "B", "closed")
    s = score_round(engine, "B")
    engine.dispose()
    return s


def test_each_flagged_item_once_per_department_with_its_views(scores):
    p = department_problems(scores)
    raw = scores.problems[(scores.problems["department"] != "ALL") & (scores.problems["rule"] != "red_line")]
    assert not p.duplicated(["department", "item"]).any()
    assert set(zip(p["department"], p["key"])) == set(zip(raw["department"], raw["key"]))
    multi = 0
    for r in p.itertuples():
        g = raw[(raw["department"] == r.department) & (raw["key"] == r.key)]
        views = [VIEW_ZH[v] for v in ("self", "peer_inside", "peer_outside") if v in set(g["kind"])]
        assert r.views == "、".join(views)
        assert r.n_views == len(views)
        multi += len(g) > 1
        for row in g.itertuples():  # every view × rule is named with its figure and its n
            stat = {"problem_rate": "problem_rate", "below_organisation": "index"}[row.rule]
            n = scores.rows(department=r.department, kind=row.kind, key=r.key, statistic=stat)["n"].iloc[0]
            fig = f"{row.value:.1f}" if row.rule == "below_organisation" else f"{row.value:.1%}"
            assert f"{VIEW_ZH[row.kind]} " in r.detail and f"{fig}，n={n}" in r.detail
    assert multi > 0  # some item was flagged by several views or rules and still appears once


def test_priority_order(scores):
    p = department_problems(scores)
    for _, g in p.groupby("department"):
        assert g["priority"].tolist() == list(range(1, len(g) + 1))
        assert not g["rules"].str.contains("红线").any() and not g["detail"].str.contains("红线").any()
        rest = g
        assert rest["n_views"].tolist() == sorted(rest["n_views"], reverse=True)
        for _, same in rest.groupby("n_views"):
            rates = same["worst_problem_rate"].fillna(-1).tolist()
            assert rates == sorted(rates, reverse=True)


def test_a_red_line_alert_alone_puts_no_item_on_the_list(scores):
    """The round has red-line alerts that no ordinary rule repeats (KPB 11): the list,
    which departments see, treats that item like any other and leaves it off; the scorer still has it."""
    raw = scores.problems
    alone = {(d, k) for d, k in zip(raw["department"], raw["key"]) if d != "ALL"} - {
        (d, k) for d, k, r in zip(raw["department"], raw["key"], raw["rule"]) if r != "red_line"}
    assert alone, "the fixture round should hold a red-line alert on its own"
    p = department_problems(scores)
    assert not alone & set(zip(p["department"], p["key"]))
    assert not p["rules"].str.contains("红线|red line").any()


def test_labels_in_chinese_and_english(scores):
    inst = load_instrument()
    zh, en = department_problems(scores), department_problems(scores, "en")
    assert zh["label"].tolist() == [inst.items[i - 1].label.zh for i in zh["item"]]
    assert en["label"].tolist() == [inst.items[i - 1].label.en for i in en["item"]]
    assert en["views"].str.contains("Self-rating|Colleagues|Other departments").all() and not en["detail"].str.contains("互评|自评").any()
    one = department_problems(scores, department="KJG")
    assert set(one["department"]) == {"KJG"} and len(one) == (zh["department"] == "KJG").sum()


def test_problem_list_as_excel(scores, tmp_path):
    path = write_problem_list(scores, tmp_path / "problems.xlsx")
    ws = load_workbook(path)["问题清单"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("部门代码", "部门", "优先级", "条目") and ws.freeze_panes == "A2"
    p = department_problems(scores)
    assert [(r[0], r[3], r[8]) for r in rows[1:]] == list(zip(p["department"], p["item"], p["detail"]))
