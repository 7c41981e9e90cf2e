"""Owner-only files under an ordinary umask (022, which makes files 0644 and folders 0755 by default).

Every kind of file zuofeng writes that holds answers, keys or figures is created 0600, every folder it
creates for them 0700: the store and its -wal/-shm files, backups, the token key and its folder, the
slips, the Excel export, the score table, the snapshot, and the report folder with everything in it.
Opening an existing store that other users can read logs one warning line.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from zuofeng.collect import tokens as tk
from zuofeng.collect.slips import issue_slips
from zuofeng.io.backup import backup
from zuofeng.io.excel_export import export_round
from zuofeng.rounds import create_round, set_status
from zuofeng.score import save_snapshot, score_round
from zuofeng.score.table_files import write_table
from zuofeng.simulate import simulate
from zuofeng.store import Sheet, open_engine, store_sheets


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def assert_owner_only(*paths: Path) -> None:
    wrong = {str(p): oct(mode(p)) for p in paths if mode(p) != (0o700 if p.is_dir() else 0o600)}
    assert not wrong, wrong


def test_every_file_kind_is_owner_only_under_umask_022(umask_022, tmp_path, roster_file, monkeypatch):
    assert oct(os.umask(0o022)) == "0o22"
    (tmp_path / "plain.txt").write_text("x")  # what the umask alone gives: readable by everyone
    assert mode(tmp_path / "plain.txt") == 0o644
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZUOFENG_HOME")  # the project is the working folder
    key = tmp_path / "config" / "zuofeng" / "token.key"
    monkeypatch.setenv("ZUOFENG_KEY_FILE", str(key))

    engine = open_engine(None)  # the default store: data/zuofeng.db, its folder created
    store = tmp_path / "data" / "zuofeng.db"
    create_round(engine, "R1", title="基线测评", roster=roster_file, k_min=3, k_comment=3)
    set_status(engine, "R1", "open")
    slips = issue_slips(engine, "R1", kind="self", out=tmp_path / "slips.html", csv_path=tmp_path / "slips.csv")
    assert slips is not None
    simulate(engine, "R1", seed=1, response_rate=0.9)
    extra = tk.issue_tokens(engine, "R1", kind="self", extra=1)[0]
    reader = engine.connect()
    reader.exec_driver_sql("SELECT count(*) FROM responses").fetchall()  # keeps the -wal and -shm files there
    store_sheets(engine, "R1", [Sheet("self", extra.scope.rater, extra.scope.rater, {i: 3 for i in range(1, 23)},
                                      token_hash=tk.token_hash(extra.token))])
    wal, shm = Path(f"{store}-wal"), Path(f"{store}-shm")
    assert wal.exists() and shm.exists()
    assert_owner_only(store.parent, store, wal, shm, key.parent, key, tmp_path / "slips.html", tmp_path / "slips.csv")
    reader.close()

    backup(f"sqlite:///{store}", tmp_path / "backup.db")
    set_status(engine, "R1", "closed")
    scores = score_round(engine, "R1", seed=1)
    export_round(engine, "R1", tmp_path / "export.xlsx", scores=scores)
    for suffix in ("csv", "xlsx", "parquet"):
        write_table(scores, tmp_path / f"scores.{suffix}")
    save_snapshot(scores, tmp_path / "scores.zip")
    assert_owner_only(tmp_path / "backup.db", tmp_path / "export.xlsx", tmp_path / "scores.csv",
                      tmp_path / "scores.xlsx", tmp_path / "scores.parquet", tmp_path / "scores.zip")
    engine.dispose()


@pytest.mark.slow
def test_a_report_folder_is_owner_only_under_umask_022(umask_022, tmp_path, roster_file):
    from zuofeng.report import render_round

    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_round(engine, "R1", title="基线测评", roster=roster_file, k_min=3, k_comment=3)
    set_status(engine, "R1", "open")
    simulate(engine, "R1", seed=2, response_rate=0.9)
    set_status(engine, "R1", "closed")
    scores = score_round(engine, "R1", seed=1)
    engine.dispose()
    out = tmp_path / "reports" / "R1"
    render_round("R1", department="BGS", out=out, scores=scores, progress=False)
    made = [tmp_path / "reports", *out.parent.rglob("*")]
    assert (out / "departments" / "BGS.html").is_file() and len(made) > 5
    assert_owner_only(*made)


def test_opening_a_store_others_can_read_warns_in_one_line(tmp_path, caplog):
    db = tmp_path / "store.db"
    open_engine(f"sqlite:///{db}").dispose()
    with caplog.at_level(logging.WARNING, logger="zuofeng"):
        open_engine(f"sqlite:///{db}").dispose()
    assert caplog.records == []  # created owner-only: nothing to say
    os.chmod(db, 0o644)
    with caplog.at_level(logging.WARNING, logger="zuofeng"):
        open_engine(f"sqlite:///{db}").dispose()
    [record] = caplog.records
    line = record.getMessage()
    assert record.levelno == logging.WARNING and "\n" not in line
    assert str(db) in line and "other users" in line and "644" in line and f"chmod 600 '{db}'" in line
