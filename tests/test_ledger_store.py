"""Ledger entries in the store (SQLite and PostgreSQL): seeding from the problem list, idempotence,
the append-only history, forward-only status, evidence for 已销号, refused text."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from tests.ledger_support import dump, simulated_round
from zuofeng.ledger import LedgerError, add_entry, entries_frame, history_frame, init_ledger, update_entry
from zuofeng.score import score_round
from zuofeng.store import schema_migrations


@pytest.fixture
def seeded(engine):
    simulated_round(engine, "B")
    scores = score_round(engine, "B")
    init_ledger(engine, "B", scores, today=dt.date(2022, 3, 1))
    return engine, scores


def test_migration_adds_the_ledger_tables(engine):
    names = set(inspect(engine).get_table_names())
    assert {"ledger_entries", "ledger_history"} <= names
    with engine.connect() as conn:
        assert "0004_ledger" in set(conn.scalars(select(schema_migrations.c.name)))


def test_init_seeds_each_flagged_item_once_and_is_idempotent(seeded):
    engine, scores = seeded
    p = scores.problems
    p = p[p["rule"] != "red_line"]  # red-line alerts go to the inspection team, never into a department's ledger
    flagged = {(d, int(k[1:])) for d, k in zip(p["department"], p["key"]) if d != "ALL"}
    df = entries_frame(engine, "B")
    assert len(flagged) >= 2  # a simulated round flags a few items once small groups are protected
    assert sorted(zip(df["department"], df["item"].astype(int))) == sorted(flagged)
    assert set(df["status"]) == {"未启动"}
    before = dump(engine)
    assert init_ledger(engine, "B", scores) == 0
    assert dump(engine) == before
    h = history_frame(engine, "B")
    assert (h["field"] == "created").sum() == len(df)


def test_every_change_is_appended_to_the_history(seeded):
    engine, _ = seeded
    eid = int(entries_frame(engine, "B")["id"].iloc[0])
    assert update_entry(engine, eid, by="王明", today=dt.date(2022, 4, 1), measure="每月召开一次推进会",
                        status="整改中", deadline=dt.date(2022, 6, 30)) == 3
    first = history_frame(engine, "B")
    first = first[first["entry_id"] == eid]
    rows = {r.field: (r.old_value, r.new_value, r.recorded_by, r.changed_on) for r in first.itertuples()}
    assert rows["status"] == ("未启动", "整改中", "王明", dt.date(2022, 4, 1))
    assert rows["measure"] == (None, "每月召开一次推进会", "王明", dt.date(2022, 4, 1))
    assert rows["deadline"] == (None, "2022-06-30", "王明", dt.date(2022, 4, 1))
    update_entry(engine, eid, by="李华", today=dt.date(2022, 5, 1), measure="每两周召开一次推进会")
    again = history_frame(engine, "B")
    again = again[again["entry_id"] == eid]
    assert again.iloc[: len(first)].equals(first)  # earlier rows untouched
    last = again.iloc[-1]
    assert (last["field"], last["old_value"], last["new_value"], last["recorded_by"]) == (
        "measure", "每月召开一次推进会", "每两周召开一次推进会", "李华")
    n_all = len(history_frame(engine, "B"))
    assert update_entry(engine, eid, by="李华", measure="每两周召开一次推进会") == 0  # no change, no row
    assert len(history_frame(engine, "B")) == n_all


def test_status_moves_forward_only_unless_reopened(seeded):
    engine, _ = seeded
    eid = int(entries_frame(engine, "B")["id"].iloc[0])
    update_entry(engine, eid, by="王明", status="已完成")  # skipping 整改中 is allowed
    before = dump(engine)
    with pytest.raises(LedgerError, match="状态不能从 已完成 退回到 整改中（请用 --reopen）"):
        update_entry(engine, eid, by="王明", status="整改中")
    with pytest.raises(LedgerError, match="状态不能为 '完成'；可用：未启动 / 整改中 / 已完成 / 已销号"):
        update_entry(engine, eid, by="王明", status="完成")
    assert dump(engine) == before
    update_entry(engine, eid, by="王明", status="整改中", reopen=True)
    assert entries_frame(engine, "B").set_index("id").loc[eid, "status"] == "整改中"


def test_closing_needs_evidence_and_formulas_are_refused(seeded):
    engine, _ = seeded
    eid = int(entries_frame(engine, "B")["id"].iloc[0])
    before = dump(engine)
    with pytest.raises(LedgerError, match="已销号需要佐证材料"):
        update_entry(engine, eid, by="王明", status="已销号")
    with pytest.raises(LedgerError, match="measure 像是电子表格公式"):
        update_entry(engine, eid, by="王明", measure="=HYPERLINK(\"http://x\")")
    with pytest.raises(LedgerError, match="person 超过 100 字"):
        update_entry(engine, eid, by="王明", person="张" * 101)
    with pytest.raises(LedgerError, match="不能修改 problem"):
        update_entry(engine, eid, by="王明", problem="改写的问题")
    with pytest.raises(LedgerError, match="请写明由谁记录这次修改"):
        update_entry(engine, eid, by=" ", measure="x")
    assert dump(engine) == before
    update_entry(engine, eid, by="王明", status="已销号", evidence="会议纪要3份")
    assert entries_frame(engine, "B").set_index("id").loc[eid, "status"] == "已销号"


def test_a_topic_of_the_departments_own(seeded):
    engine, _ = seeded
    eid = add_entry(engine, "B", "ZCGZD", "驻村工作日志填写不规范", by="王明", measure="每周五检查一次日志")
    e = entries_frame(engine, "B").set_index("id").loc[eid]
    assert e["department"] == "ZCGZD" and e["item"] is pd_na() and e["measure"] == "每周五检查一次日志"
    before = dump(engine)
    with pytest.raises(LedgerError, match="轮次 B 中没有部门 'NOPE'") as e:
        add_entry(engine, "B", "NOPE", "x", by="王明")
    assert e.value.en == "unknown department 'NOPE' in round B"
    with pytest.raises(LedgerError, match="item 应为 1–22 或留空"):
        add_entry(engine, "B", "BGS", "x", item=23, by="王明")
    assert dump(engine) == before


def pd_na():
    import pandas as pd
    return pd.NA


def test_the_history_cannot_be_rewritten_or_deleted(seeded):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    from zuofeng.store import MIGRATIONS, ledger_history
    engine, _ = seeded
    before = dump(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(ledger_history).values(new_value="改写"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(ledger_history))
    assert dump(engine) == before
    with engine.begin() as conn:  # the migration is safe to run twice
        dict(MIGRATIONS)["0004_ledger"](conn)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(ledger_history))
