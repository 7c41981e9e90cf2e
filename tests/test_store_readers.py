"""SQLite: a reader never stalls a submission, and the write-ahead log keeps no arrival order for long.

Readers take no write lock (only ``store.writing`` begins ``BEGIN IMMEDIATE``). Two readers hold a read
transaction open for 60 seconds, as a notebook holding a connection or a database browser would; survey
submissions keep landing, each within 2 seconds. The write-ahead log is emptied after every submission;
a reader's snapshot keeps it from being emptied (a checkpoint cannot pass a snapshot that still needs
the old pages), so the submissions made while a reader is open stay in the log until it ends, and the
next submission after that empties it. The tests read the ``-wal`` of a copy of the folder.
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.test_anonymity import wal_order
from zuofeng.collect import tokens as tk
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, open_engine, responses, store_sheets

HOLD_SECONDS = 60.0
MAX_SUBMIT_SECONDS = 2.0


@pytest.fixture
def sqlite_round(tmp_path, roster_file):
    db = tmp_path / "store.db"
    engine = open_engine(f"sqlite:///{db}")
    create_round(engine, "R1", title="基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    issued = tk.issue_tokens(engine, "R1", kind="self")
    random.Random(3).shuffle(issued)
    yield engine, db, issued
    engine.dispose()


def submit(engine, it, rng) -> str:
    h = tk.token_hash(it.token)
    store_sheets(engine, "R1", [Sheet("self", it.scope.rater, it.scope.target,
                                      {i: rng.randint(1, 5) for i in range(1, 23)}, token_hash=h)])
    return h


def ids(engine) -> set[str]:
    with engine.connect() as c:
        return set(c.scalars(select(responses.c.id)))


def wal_of_a_copy(db: Path, into: Path) -> bytes:
    """Copy the store's folder as a backup tool would, while it is in use; return the copy's log."""
    into.mkdir()
    for p in db.parent.glob(db.name + "*"):
        shutil.copy2(p, into / p.name)
    wal = into / (db.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


@pytest.mark.slow
def test_a_reader_held_open_for_a_minute_neither_stalls_nor_fails_submissions(sqlite_round):
    engine, db, issued = sqlite_round
    rng = random.Random(8)
    submit(engine, issued[0], rng)
    notebook = engine.connect()  # a notebook that ran a query and keeps its connection
    assert notebook.scalar(select(func.count()).select_from(responses)) == 1
    browser = sqlite3.connect(db, isolation_level=None)  # a database browser with a transaction open
    browser.execute("BEGIN")
    assert browser.execute("SELECT count(*) FROM tokens WHERE used").fetchone() == (1,)

    server = open_engine(f"sqlite:///{db}")  # the survey server: its own engine, as in zuofeng serve
    took, k = [], 1
    start = time.monotonic()
    try:
        while time.monotonic() - start < HOLD_SECONDS:
            t0 = time.monotonic()
            assert tk.lookup(server, "R1", issued[k].token) == issued[k].scope  # the page checks the token
            submit(server, issued[k], rng)  # and stores the sheet
            took.append(time.monotonic() - t0)
            k += 1
            time.sleep(2.0)
        # both readers were open all along, on their snapshot of before the submissions
        assert notebook.scalar(select(func.count()).select_from(responses)) == 1
        assert browser.execute("SELECT count(*) FROM tokens WHERE used").fetchone() == (1,)
    finally:
        notebook.close()
        browser.close()
    assert len(took) >= 20 and max(took) < MAX_SUBMIT_SECONDS, f"{len(took)} submissions, slowest {max(took):.2f} s"
    assert len(ids(server)) == k
    server.dispose()


def test_the_log_keeps_no_arrival_order_beyond_an_open_readers_time(sqlite_round, tmp_path):
    engine, db, issued = sqlite_round
    rng = random.Random(9)
    for it in issued[:5]:
        submit(engine, it, rng)
    assert wal_of_a_copy(db, tmp_path / "no reader") == b""  # emptied after every submission

    # a reader opens after those submissions: the log it holds is empty, so is the copy's
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM responses").fetchone() == (5,)
    first = ids(engine)
    assert wal_order(wal_of_a_copy(db, tmp_path / "reader, nothing new"), first) == []

    # submissions while it stays open: the log cannot be emptied, and keeps their order (the limit)
    before = ids(engine)
    arrived, took = [], []
    for it in issued[5:10]:
        t0 = time.monotonic()
        submit(engine, it, rng)  # the checkpoint gives up at once instead of waiting for the reader
        took.append(time.monotonic() - t0)
        arrived.extend(ids(engine) - before - set(arrived))
    assert max(took) < MAX_SUBMIT_SECONDS
    held = wal_of_a_copy(db, tmp_path / "reader, five new")
    assert wal_order(held, set(arrived)) == arrived

    # the reader ends: the next submission empties the log, and nothing of the order is left in it
    reader.close()
    submit(engine, issued[10], rng)
    assert wal_of_a_copy(db, tmp_path / "reader gone") == b""
    assert len(ids(engine)) == 11


@pytest.mark.pg
def test_postgresql_a_session_using_the_tables_delays_a_submission_by_the_lock_timeout_at_most(
        roster_file, caplog):
    """PostgreSQL: the rewrite needs the tables to itself. A session in the middle of a transaction that
    read them (a notebook) makes it wait ``LOCK_TIMEOUT_MS`` at most; the sheet is stored, and the
    rewrite is left to the next submission, which does it once the session is gone."""
    from tests.support.store import pg_database
    from tests.test_store_unlink import _dead_versions, _xmins
    from zuofeng.store import LOCK_TIMEOUT_MS

    gen = pg_database()
    engine = open_engine(next(gen))
    try:
        create_round(engine, "R1", title="基线测评", roster=roster_file)
        set_status(engine, "R1", "open")
        issued = tk.issue_tokens(engine, "R1", kind="self")
        rng = random.Random(4)
        submit(engine, issued[0], rng)
        notebook = engine.connect()
        assert notebook.scalar(select(func.count()).select_from(responses)) == 1  # and stays in its transaction
        t0 = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="zuofeng"):
            submit(engine, issued[1], rng)
        took = time.monotonic() - t0
        assert LOCK_TIMEOUT_MS / 1000 <= took < LOCK_TIMEOUT_MS / 1000 + MAX_SUBMIT_SECONDS
        assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
            "store: traces of arrival not wiped after a submission"]
        assert len(ids(engine)) == 2
        tok_x, resp_x, ans_x = _xmins(engine, "R1")
        assert len(tok_x) == 2 and tok_x == resp_x == ans_x  # not rewritten yet: the traces are there
        assert _dead_versions(engine) > 0
        notebook.close()
        submit(engine, issued[2], rng)
        tok_x, resp_x, ans_x = _xmins(engine, "R1")
        assert len(tok_x) == 1 and tok_x == resp_x == ans_x and _dead_versions(engine) == 0
    finally:
        engine.dispose()
        gen.close()


@pytest.mark.pg
def test_postgresql_an_older_repeatable_read_snapshot_finds_the_rewritten_tables_empty(roster_file):
    """What the README warns about (and why ``pg_dump`` should run while no survey server does): a table
    rewrite is not MVCC-safe. READ COMMITTED readers, zuofeng's, see every sheet."""
    from sqlalchemy import text

    from tests.support.store import pg_database

    gen = pg_database()
    engine = open_engine(next(gen))
    try:
        create_round(engine, "R1", title="基线测评", roster=roster_file)
        set_status(engine, "R1", "open")
        issued = tk.issue_tokens(engine, "R1", kind="self")
        rng = random.Random(6)
        submit(engine, issued[0], rng)
        with engine.connect() as old:
            old.execution_options(isolation_level="REPEATABLE READ")
            old.execute(text("SELECT 1"))  # the snapshot is taken: one sheet stored
            submit(engine, issued[1], rng)  # stored and rewritten after that snapshot
            assert old.scalar(select(func.count()).select_from(responses)) == 0
        with engine.connect() as now:
            assert now.scalar(select(func.count()).select_from(responses)) == 2
    finally:
        engine.dispose()
        gen.close()
