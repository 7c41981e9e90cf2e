"""Verification and the paper-rectification flags: the boilerplate rule, copied measures, overdue,
closed without evidence, and the demo's seeded scenario (real improvements effective; paper
rectification, self-only improvement and the overdue entry flagged; nobody else)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from tests.ledger_support import simulated_round
from zuofeng.demo import PAPER_MEASURE, SCENARIO, build_demo_store
from zuofeng.ledger import add_entry, boilerplate_reason, entries_frame, init_ledger, update_entry, verify_entries
from zuofeng.store import ledger_entries, open_engine


@pytest.mark.parametrize("measure, generic", [
    ("加强学习，提高认识，切实转变作风。", True),
    ("高度重视，深刻反思，举一反三，认真整改。", True),
    ("进一步加强管理。", True),
    ("", True),
    (None, True),
    ("加强学习：每月第一周集中学习一次。", False),               # a time
    ("加强学习，提高认识，2022年6月底前完成。", False),          # a date
    ("加强学习，提高认识，组织三次专题学习。", False),            # a count
    ("加强学习，由办公室主任负责督促。", False),                 # a responsible person
    ("清理合并各类会议，取消不必要的材料报送。", False),           # no generic phrase at all
])
def test_boilerplate_rule(measure, generic):
    assert (boilerplate_reason(measure) is not None) == generic


def test_boilerplate_rule_accepts_the_entrys_own_people():
    assert boilerplate_reason("加强学习，提高认识，王芳抓好落实。") is not None
    assert boilerplate_reason("加强学习，提高认识，王芳抓好落实。", names=("王芳",)) is None


@pytest.fixture
def one_round(sqlite_url):
    engine = open_engine(sqlite_url)
    simulated_round(engine, "B")
    init_ledger(engine, "B")
    yield engine
    engine.dispose()


def test_flags_without_a_next_round(one_round):
    engine = one_round
    e = entries_frame(engine, "B")
    kjg = e[e["department"] == "KJG"]["id"].astype(int).tolist()
    xsb = int(e[e["department"] == "XSB"]["id"].iloc[0])
    copied = "每月第一周召开一次作风建设推进会，逐项对账销号。"
    update_entry(engine, kjg[0], by="x", measure=copied, status="整改中", deadline=dt.date(2022, 5, 1))
    update_entry(engine, xsb, by="x", measure=copied, status="已完成", deadline=dt.date(2022, 5, 1))
    update_entry(engine, kjg[1], by="x", measure="每周一集中学习一次", status="已销号", evidence="学习记录")
    with engine.begin() as conn:  # evidence removed behind the ledger's back
        conn.execute(update(ledger_entries).where(ledger_entries.c.id == kjg[1]).values(evidence=None))
    v = verify_entries(engine, "B", as_of=dt.date(2022, 6, 1)).set_index("id")
    assert v["next_round"].isna().all() and v["verification"].isna().all()
    assert v.loc[kjg[0], "flags"] == ["copied", "overdue"]
    assert v.loc[xsb, "flags"] == ["copied"]  # done before its deadline
    assert v.loc[kjg[1], "flags"] == ["closed_without_evidence"]
    untouched = v.drop(index=[kjg[0], kjg[1], xsb])
    assert (untouched["flags"].map(len) == 0).all()  # no measure yet, not done: nothing to flag
    v2 = verify_entries(engine, "B", as_of=dt.date(2022, 4, 1)).set_index("id")
    assert "overdue" not in v2.loc[kjg[0], "flags"]


def test_flags_never_change_a_status(one_round):
    engine = one_round
    eid = int(entries_frame(engine, "B")["id"].iloc[0])
    update_entry(engine, eid, by="x", measure=PAPER_MEASURE, status="已完成")
    before = entries_frame(engine, "B")
    v = verify_entries(engine, "B").set_index("id")
    assert "boilerplate" in v.loc[eid, "flags"]
    assert entries_frame(engine, "B").equals(before)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    lines = []
    entries = build_demo_store(engine, echo=lines.append)
    yield engine, entries, lines
    engine.dispose()


def test_demo_real_improvements_are_effective(demo):
    _, entries, _ = demo
    real = entries[entries["department"].map(SCENARIO).eq("real") & entries["status"].isin(["已完成", "已销号"])]
    assert len(real) == 4
    assert real["verification"].eq("effective").all()
    assert (real["flags"].map(len) == 0).all()


def test_demo_flags_exactly_the_seeded_departments(demo):
    _, entries, _ = demo
    flagged = entries[entries["flags"].map(bool)]
    assert set(flagged["department"]) == {d for d, role in SCENARIO.items() if role != "real"}
    done = entries[entries["status"].isin(["已完成", "已销号"])].groupby("department").size().to_dict()
    assert done == {d: 2 for d, role in SCENARIO.items() if role != "overdue"}  # two done entries per role
    by = flagged.groupby("department")["flags"].sum().map(set)
    for d in ("ZZB", "KPB"):
        assert {"boilerplate", "copied"} <= by[d]
    assert "self_only" in by["XXZX"]
    assert by["BGS"] == {"overdue"}
    xxzx = entries[(entries["department"] == "XXZX") & entries["status"].eq("已完成")].iloc[0]
    # its colleagues' view shows no clear change, but with about 10 answers per round it could not have
    # seen one of 25 points (a scale step): 无法核验, with the minimum detectable change said
    assert xxzx["verification"] == "not_effective" and xxzx["self_change"] == "improved"  # as the scenario seeds
    kpb = entries[(entries["department"] == "KPB") & entries["status"].isin(["已完成", "已销号"])]
    assert kpb["verification"].eq("not_effective").all()  # other departments' view could have seen it


def test_demo_rounds_use_organisation_wide_outside_views_and_publish_every_one(demo):
    """Both demo rounds are 民主测评 of the whole organisation, with rater groups; every department's
    outside index is published (the scenario's departments are verified through it)."""
    from zuofeng.demo import BASELINE, FINAL
    from zuofeng.score import score_round
    from zuofeng.store import get_round

    engine, _, _ = demo
    for code in (BASELINE[0], FINAL[0]):
        with engine.connect() as conn:
            rnd = get_round(conn, code)
        assert rnd["outside"] == "all"
        assert [g["name"] for g in rnd["rater_groups"]] == ["领导班子", "中层干部", "一般干部", "服务对象"]
        t = score_round(engine, code, seed=1).table
        outside = t[(t["kind"] == "peer_outside") & (t["level"] == "overall") & (t["statistic"] == "index")
                    & ~t["department"].astype(str).str.startswith("div:")]
        assert set(outside["department"]) >= set(SCENARIO)
        hidden = outside[outside["suppressed"].astype(bool) | outside["value"].isna()]
        assert hidden.empty, hidden[["department", "note"]]
        tables = t[(t["kind"] == "peer_outside") & (t["statistic"] == "respondents_table")
                   & t["department"].isin(list(SCENARIO))]
        assert (tables["value"] > 0).all()   # rated on the 民主测评 table, not only on the 22 items


def test_demo_prints_its_verification_table(demo):
    _, entries, lines = demo
    table = lines[-1]
    assert table.splitlines()[0].split() == ["部门", "题号", "状态", "核验", "标记"]
    assert len(table.splitlines()) == len(entries) + 2
    assert "见效" in table and "仅自评改善" in table and "effective" not in table
    from zuofeng.demo import verification_table
    english = verification_table(entries, "en")
    assert english.splitlines()[0].split() == ["department", "item", "status", "verification", "flags"]
    assert "effective" in english and "improved in self-ratings only" in english and "见效" not in english


@pytest.mark.parametrize("item, peers, expected", [
    (5, ["improved", "unchanged"], "effective"),
    (5, ["resolved", None], "effective"),
    (5, ["improved", "worse"], "worse"),         # worse in one peer view outweighs the other
    (5, ["unchanged", "new"], "not_effective"),
    (5, ["not_measurable", None], "unverifiable"),
    (5, [None, None], "unverifiable"),
    (None, ["improved", "improved"], "unverifiable"),  # a topic of its own has no item to measure
])
def test_verification_rule(item, peers, expected):
    from zuofeng.ledger.verify import verification_of
    assert verification_of(item, peers) == expected


@pytest.mark.parametrize("mdc, expected", [
    ([30.0, 26.0], "unverifiable"),            # neither peer view could have seen 25 points
    ([30.0, 25.0], "not_effective"),           # one could, and saw nothing
    ([float("nan"), 12.0], "not_effective"),
])
def test_no_clear_change_is_not_effective_only_where_the_views_could_see_one(mdc, expected):
    from zuofeng.ledger.verify import verification_of
    assert verification_of(5, ["unchanged", "unchanged"], mdc) == expected


def test_copied_ignores_spaces_and_punctuation(one_round):
    engine = one_round

    def entry(d: str, item: int) -> int:  # entries of the departments' own, whatever the problem list holds
        return add_entry(engine, "B", d, f"自查问题{item}", item=item, by="x")

    a, b, c = entry("KJG", 20), entry("XSB", 20), entry("ZZB", 20)
    update_entry(engine, a, by="x", measure="每月召开推进会，逐项销号。")
    update_entry(engine, b, by="x", measure="每月召开推进会 逐项销号")
    update_entry(engine, c, by="x", measure="每周召开推进会，逐项销号。")
    v = verify_entries(engine, "B").set_index("id")
    assert "copied" in v.loc[a, "flags"] and "copied" in v.loc[b, "flags"] and "copied" not in v.loc[c, "flags"]
    short, other = entry("KJG", 21), entry("XSB", 21)
    update_entry(engine, short, by="x", measure="每月自查")
    update_entry(engine, other, by="x", measure="每月自查")
    v = verify_entries(engine, "B").set_index("id")
    assert "copied" not in v.loc[short, "flags"]  # fewer than 6 characters: too short to call a copy


def test_a_done_entry_without_a_measure_is_boilerplate(one_round):
    engine = one_round
    e = entries_frame(engine, "B")
    done, open_ = int(e["id"].iloc[0]), int(e["id"].iloc[1])
    update_entry(engine, done, by="x", status="已完成")
    v = verify_entries(engine, "B").set_index("id")
    assert v.loc[done, "flags"] == ["boilerplate"] and v.loc[open_, "flags"] == []
