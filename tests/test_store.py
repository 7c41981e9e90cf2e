"""The store: migrations, the one storage function, all-or-nothing writes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text

from zuofeng.errors import RoundError, StoreError, ZuofengError
from zuofeng.store import MIGRATIONS, Sheet, answers, migrate, open_engine, responses, schema_migrations, store_sheets


def full(value=3, n=22):
    return {i: value for i in range(1, n + 1)}


def count(engine, table):
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(table))


def test_migrations_recorded_and_safe_to_run_twice(engine):
    with engine.connect() as c:
        names = set(c.scalars(select(schema_migrations.c.name)))
    assert names == {n for n, _ in MIGRATIONS}
    assert migrate(engine) == []  # nothing left to apply
    tables = set(inspect(engine).get_table_names())
    assert {"rounds", "departments", "tokens", "responses", "answers", "instruments"} <= tables


def test_reopening_keeps_data(db_url, roster_file):
    from zuofeng.rounds import create_round, set_status
    e1 = open_engine(db_url)
    create_round(e1, "R1", title="t", roster=roster_file)
    set_status(e1, "R1", "open")
    store_sheets(e1, "R1", [Sheet("self", "BGS", "BGS", full())])
    e1.dispose()
    e2 = open_engine(db_url)
    assert count(e2, responses) == 1 and count(e2, answers) == 22
    e2.dispose()


def test_store_sheets_is_all_or_nothing(open_round):
    engine, rnd = open_round
    good = Sheet("self", "BGS", "BGS", full())
    bad = Sheet("peer", "BGS", "NOPE", full())
    with pytest.raises(ZuofengError, match="被评部门 'NOPE' 不存在"):
        store_sheets(engine, rnd, [good, good, bad])
    assert count(engine, responses) == 0 and count(engine, answers) == 0
    assert store_sheets(engine, rnd, [good, good]) == 2
    assert count(engine, responses) == 2 and count(engine, answers) == 44


@pytest.mark.parametrize("sheet, message, en", [
    (Sheet("self", "BGS", "XHB", full()), "自评只能评价本部门", "rates the rater's own department"),
    (Sheet("boss", "BGS", "BGS", full()), "问卷类型应为 self、peer 之一，而不是 'boss'", "kind must be one of"),
    (Sheet("self", "BGS", "BGS", {1: 3}), r"回答应正好覆盖题 1..22（缺 \[2, 3,", "must cover items 1..22"),
    (Sheet("self", "BGS", "BGS", full(6)), "第 1 题：回答应为 1..5 或 不了解，而不是 6", "answer must be 1..5"),
    (Sheet("self", "BGS", "BGS", full(), overall="好"), "只有互评带总体评价", "only a peer survey"),
    (Sheet("peer", "BGS", "BGS", full(), overall="优秀"), "总体评价应为 好、较好、一般、差 之一或留空，而不是 '优秀'",
     "overall rating must be one of"),
    (Sheet("peer", "BGS", "BGS", full(), category="群众"), "类别应为 党员、非党员 之一或留空，而不是 '群众'",
     "category must be one of"),
    (Sheet("peer", "BGS", "BGS", full(), comment="长" * 501), "意见建议超过 500 字", "longer than 500"),
])
def test_bad_sheets_are_refused(open_round, sheet, message, en):
    engine, rnd = open_round
    with pytest.raises(ZuofengError, match=message) as e:
        store_sheets(engine, rnd, [sheet])
    assert en in e.value.en
    assert count(engine, responses) == 0


def test_dont_know_is_stored_as_null(open_round):
    engine, rnd = open_round
    a = full()
    a[5] = None
    store_sheets(engine, rnd, [Sheet("peer", "KPB", "BGS", a, overall="较好", category="党员")])
    with engine.connect() as c:
        vals = dict(c.execute(select(answers.c.item, answers.c.value)).all())
        row = c.execute(select(responses)).mappings().one()
    assert vals[5] is None and vals[4] == 3
    assert (row["kind"], row["rater"], row["target"], row["overall"], row["category"]) == ("peer", "KPB", "BGS", "较好", "党员")


def test_closed_or_draft_round_accepts_nothing(engine, roster_file):
    from zuofeng.rounds import create_round, set_status
    create_round(engine, "R1", title="t", roster=roster_file)
    with pytest.raises(RoundError, match="轮次 R1 状态为草稿，未开放：不接受答卷"):
        store_sheets(engine, "R1", [Sheet("self", "BGS", "BGS", full())])
    set_status(engine, "R1", "open")
    set_status(engine, "R1", "closed")
    with pytest.raises(RoundError, match="轮次 R1 状态为已关闭，未开放：不接受答卷"):
        store_sheets(engine, "R1", [Sheet("self", "BGS", "BGS", full())])
    assert count(engine, responses) == 0


def test_response_ids_are_random_not_sequential(open_round):
    engine, rnd = open_round
    store_sheets(engine, rnd, [Sheet("self", "BGS", "BGS", full())] * 30)
    with engine.connect() as c:
        ids = list(c.scalars(select(responses.c.id)))
    assert len(set(ids)) == 30
    assert all(len(i) == 32 and int(i, 16) for i in ids)
    # uuid4 carries version nibble 4 and 122 random bits; consecutive ids share no common prefix pattern
    assert all(i[12] == "4" for i in ids)
    assert len({i[:6] for i in ids}) > 25


def test_sqlite_response_tables_have_no_rowid(sqlite_url, roster_file):
    eng = open_engine(sqlite_url)
    with eng.connect() as c:
        for table in ("responses", "answers", "tokens"):
            with pytest.raises(Exception, match="rowid"):
                c.execute(text(f"SELECT rowid FROM {table}"))
    eng.dispose()


def test_sqlite_is_in_wal_mode(sqlite_url):
    eng = open_engine(sqlite_url)
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    eng.dispose()


def test_foreign_database_is_refused(tmp_path):
    import sqlite3
    p = tmp_path / "other.db"
    with sqlite3.connect(p) as c:
        c.execute("create table invoices (id integer)")
    with pytest.raises(StoreError, match="不是 zuofeng 的数据库（其中有别的表）"):
        open_engine(f"sqlite:///{p}")


@pytest.mark.parametrize("url, message, en", [
    ("sqlite:///no/such/folder/x.db", "：文件夹 no/such/folder 不存在", "folder no/such/folder does not exist"),
    ("postgresql+psycopg://nobody@127.0.0.1:1/none", "无法打开数据库", "cannot open database"),
    ("not a url", "'not a url' 不是数据库地址", "not a database URL"),
])
def test_unreachable_database_is_one_clear_error(url, message, en):
    with pytest.raises(StoreError, match=message) as e:
        open_engine(url)
    assert en in e.value.en
