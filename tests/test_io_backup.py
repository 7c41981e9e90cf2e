"""Backups: consistent copies of a store that is being written to, refusals, and the README's restore."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.io_support import snapshot
from zuofeng.cli import main
from zuofeng.errors import InputFileError, StoreError
from zuofeng.io.backup import backup
from zuofeng.store import Sheet, open_engine, store_sheets


def _sheet(i: int) -> Sheet:
    return Sheet("self", "KJG", "KJG", {q: 1 + (q + i) % 5 for q in range(1, 23)})


@pytest.fixture
def live_store(sqlite_url, roster_file):
    from zuofeng.rounds import create_round, set_status
    engine = open_engine(sqlite_url)
    create_round(engine, "R1", title="基线", roster=roster_file)
    set_status(engine, "R1", "open")
    yield engine, sqlite_url
    engine.dispose()


def test_backup_while_surveys_write_is_a_consistent_snapshot(live_store, tmp_path):
    _engine, url = live_store
    stop = threading.Event()
    written = []

    def writer():
        eng = open_engine(url)
        i = 0
        while not stop.is_set():
            store_sheets(eng, "R1", [_sheet(i), _sheet(i + 1), _sheet(i + 2)])  # three sheets per transaction
            written.append(3)
            i += 3
        eng.dispose()

    t = threading.Thread(target=writer)
    t.start()
    try:
        copies = []
        while len(copies) < 4:
            if sum(written) >= 3 * (len(copies) + 1):
                copies.append(backup(url, tmp_path / f"copy{len(copies)}.db"))
    finally:
        stop.set()
        t.join(timeout=60)
    for c in copies:
        con = sqlite3.connect(c.path)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            n_resp = con.execute("SELECT count(*) FROM responses").fetchone()[0]
            n_ans = con.execute("SELECT count(*) FROM answers").fetchone()[0]
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        finally:
            con.close()
        # Whole transactions only: never a response without its answers, never part of a batch.
        assert n_ans == 22 * n_resp and n_resp % 3 == 0 and n_resp == c.responses
        assert not Path(str(c.path) + "-wal").exists()
    assert [c.responses for c in copies] == sorted(c.responses for c in copies)
    assert list(tmp_path.glob(".*partial")) == []


def test_readme_restore_gives_back_the_same_store(live_store, tmp_path, monkeypatch):
    engine, url = live_store
    store_sheets(engine, "R1", [_sheet(i) for i in range(7)])
    want = snapshot(engine)
    from tests.manual import page
    section = page("guide/import.md")
    assert "zuofeng backup --out" in section and "pg_dump" in section
    # The guide restores with `zuofeng backup --db sqlite:///<backup> --out <store>`: do exactly that.
    restore = re.search(r"zuofeng backup --db sqlite:///(\S+) --out (\S+)", section)
    assert restore, "the guide shows how to restore"
    monkeypatch.chdir(tmp_path)
    Path(restore.group(1)).parent.mkdir(parents=True, exist_ok=True)
    assert main(["backup", "--db", url, "--out", restore.group(1)]) == 0
    Path(restore.group(2)).parent.mkdir(parents=True, exist_ok=True)
    assert main(["backup", "--db", f"sqlite:///{restore.group(1)}", "--out", restore.group(2)]) == 0
    restored = open_engine(f"sqlite:///{restore.group(2)}")
    try:
        assert snapshot(restored) == want
    finally:
        restored.dispose()


def test_postgresql_is_pointed_to_pg_dump_without_its_password(capsys, tmp_path):
    with pytest.raises(StoreError, match="pg_dump --format=custom") as e:
        backup("postgresql+psycopg://zf:s3cret@db.example/zuofeng", tmp_path / "x.dump")
    assert "s3cret" not in e.value.message and "s3cret" not in e.value.en
    assert main(["backup", "--db", "postgresql://zf:s3cret@db.example/zuofeng", "--out", "x.dump"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zuofeng: error: zuofeng backup 只复制 SQLite 数据库") and "s3cret" not in err
    assert main(["backup", "--db", "postgresql://zf:s3cret@db.example/zuofeng", "--out", "x.dump", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zuofeng: error: zuofeng backup copies SQLite stores") and "s3cret" not in err


def test_refusals_leave_files_alone(live_store, tmp_path):
    _engine, url = live_store
    existing = tmp_path / "old.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(InputFileError, match="已存在：请给一个新文件名（备份从不覆盖文件）"):
        backup(url, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(InputFileError, match="不存在") as e:
        backup(url, tmp_path / "no" / "b.db")
    assert e.value.en == f"folder {tmp_path / 'no'} does not exist"
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="不是 zuofeng 的数据库"):
        backup(f"sqlite:///{other}", tmp_path / "b.db")
    with pytest.raises(StoreError, match="处没有数据库"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists() and list(tmp_path.glob(".*partial")) == []
