"""Write paths on a full disk and on a read-only store: one true sentence, never a traceback, nothing half.

The store lives on a small tmpfs that each test mounts (and unmounts) itself; the disk is filled with a
filler file up to a given number of free bytes, or the mount is made read-only (a read-only file mode
would not stop root, a read-only file system stops everyone). Outside CI a machine where the test may
not mount skips it; on CI it must run.
"""

from __future__ import annotations

import logging
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.io_support import SAMPLES, snapshot
from tests.ledger_support import dump, simulated_round
from tests.support.ci import require_or_skip
from zuofeng.cli import main
from zuofeng.collect.desk import Desk, _sheet_to_json
from zuofeng.collect.survey_text import TEXT, token_message
from zuofeng.collect.tokens import issue_tokens, token_hash
from zuofeng.errors import StoreError
from zuofeng.faults import TEXT as FAULT_TEXT
from zuofeng.faults import WHAT, StoreWriteError
from zuofeng.rounds import create_round, set_status
from zuofeng.sheet import Sheet
from zuofeng.store import open_engine, responses, tokens

FULL = FAULT_TEXT["full"]["zh"]
READONLY = FAULT_TEXT["readonly"]["zh"]


def sentence(fault: str, what: str = "data", lang: str = "zh") -> str:
    return FAULT_TEXT[fault][lang].format(what=WHAT[what][lang])


class SmallDisk:
    """A tmpfs of ``size`` bytes at ``path``, which the test can fill or make read-only."""

    def __init__(self, path: Path, size: int):
        self.path, self.size = path, size
        self.filler = path / "filler"

    def fill(self, leave: int) -> None:
        """Fill the disk up to ``leave`` free bytes."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError:
            pass
        try:
            while True:
                os.write(fd, b"\0" * 512)
        except OSError:
            pass
        finally:
            os.close(fd)
        os.truncate(self.filler, max(0, self.filler.stat().st_size - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def readonly(self, on: bool = True) -> None:
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.path)], check=True)

    @contextmanager
    def fault(self, kind: str, leave: int = 0) -> Iterator[None]:
        """While inside: the disk full up to ``leave`` free bytes (``kind`` "full") or read-only."""
        self.fill(leave=leave) if kind == "full" else self.readonly()
        try:
            yield
        finally:
            self.readonly(False)
            self.free()


def _mount(tmp_path: Path, size_mb: int = 3):
    path = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
                          check=False, capture_output=True, text=True)
    require_or_skip(done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return SmallDisk(path, size_mb << 20)


@pytest.fixture
def disk(tmp_path):
    d = _mount(tmp_path)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d.path)], check=False)


def _sheet(t) -> Sheet:
    s = t.scope
    return Sheet(kind=s.kind, rater=s.rater, target=s.target, answers={i: 1 + i % 5 for i in range(1, 23)},
                 overall="较好" if s.kind == "peer" else None, token_hash=token_hash(t.token))


def _counts(engine) -> tuple[int, int]:
    with engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(responses)),
                c.scalar(select(func.count()).select_from(tokens).where(tokens.c.used.is_(True))))


@pytest.fixture
def survey_on_disk(disk, roster_file):
    url = f"sqlite:///{disk.path / 'zuofeng.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    issued = issue_tokens(engine, "R1")
    yield disk, engine, issued
    engine.dispose()


def _submit(desk: Desk, t) -> dict:
    import json
    return desk.answer(json.dumps({"op": "store", "round": "R1", "sheet": _sheet_to_json(_sheet(t))}).encode())


def test_submissions_on_a_full_disk_are_answered_truly_and_stored_whole(survey_on_disk, caplog):
    disk, engine, issued = survey_on_disk
    desk = Desk(engine, "R1", disk.path / "unused.sock")
    try:
        disk.fill(leave=100 * 1024)  # room for a few sheets, not for VACUUM's copy of the file
        caplog.set_level(logging.WARNING, logger="zuofeng.store")
        answers = [_submit(desk, t) for t in issued[:40]]
        stored = [t for t, a in zip(issued, answers) if a["ok"]]
        refused = [(t, a) for t, a in zip(issued, answers) if not a["ok"]]
        # some sheets were committed while the clean-up after them failed: they are reported as stored
        assert stored and refused
        assert any("traces of arrival not wiped" in r.getMessage() and "full" in r.getMessage()
                   for r in caplog.records)
        for _, a in refused:
            assert a == {"ok": False, "error": "StoreError", "message": sentence("full"),
                         "en": sentence("full", lang="en")}
        # the store holds exactly the sheets reported as stored, and their tokens only are used
        assert _counts(engine) == (len(stored), len(stored))
        # what the page tells the respondent, and it is true: the token still works once there is room
        assert token_message(StoreError(refused[0][1]["message"])) == TEXT["zh"]["system_error"]
        assert "答题码仍然有效" in TEXT["zh"]["system_error"]
        disk.free()
        assert all(_submit(desk, t)["ok"] for t, _ in refused)
        used = _submit(desk, stored[0])
        assert (used["message"], used["en"]) == ("该答题码已经使用过", "this token has already been used")
        assert _counts(engine) == (40, 40)
    finally:
        desk.server.server_close()


def test_a_read_only_store_refuses_a_submission_in_one_sentence(survey_on_disk):
    disk, engine, issued = survey_on_disk
    desk = Desk(engine, "R1", disk.path / "unused.sock")
    try:
        assert _submit(desk, issued[0])["ok"]
        engine.dispose()
        disk.readonly()
        a = _submit(desk, issued[1])
        assert a == {"ok": False, "error": "StoreError", "message": sentence("readonly"),
                     "en": sentence("readonly", lang="en")}
        disk.readonly(False)
        assert _counts(engine) == (1, 1)
        assert _submit(desk, issued[1])["ok"]  # the refused token was left unused
    finally:
        disk.readonly(False)
        desk.server.server_close()


def _one_line(err: str, expected: str) -> None:
    lines = err.strip().splitlines()
    assert lines == [f"zuofeng: error: {expected}"], err
    assert "Traceback" not in err


@pytest.mark.parametrize(("fault", "leave"), [("full", 0), ("full", 24 * 1024), ("readonly", None)])
def test_import_on_a_full_or_read_only_store(disk, roster_file, fault, leave, capsys):
    url = f"sqlite:///{disk.path / 'zuofeng.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    before = snapshot(engine)
    engine.dispose()
    with disk.fault(fault, leave=leave):
        code = main(["import", "R1", str(SAMPLES / "wjx_code_peer.csv"), "--mapping",
                     str(SAMPLES / "wjx_code_peer.yaml"), "--db", url])
        assert code == 2
        _one_line(capsys.readouterr().err, sentence(fault))
    assert snapshot(engine) == before
    assert main(["import", "R1", str(SAMPLES / "wjx_code_peer.csv"), "--mapping",
                 str(SAMPLES / "wjx_code_peer.yaml"), "--db", url]) == 0  # the same file, once there is room


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_ledger_import_on_a_full_or_read_only_store(disk, tmp_path, fault, capsys):
    url = f"sqlite:///{disk.path / 'zuofeng.db'}"
    engine = open_engine(url)
    simulated_round(engine, "B")
    assert main(["ledger", "init", "B", "--db", url]) == 0
    wb_path = tmp_path / "KJG.xlsx"
    assert main(["ledger", "export", "B", "--department", "KJG", "--out", str(wb_path), "--db", url]) == 0
    wb = load_workbook(wb_path)
    wb["整改台账"].cell(row=2, column=9, value="整改中")
    wb.save(wb_path)
    capsys.readouterr()
    before = dump(engine)
    engine.dispose()
    with disk.fault(fault, leave=0):
        assert main(["ledger", "import", str(wb_path), "--by", "王明", "--db", url]) == 2
        _one_line(capsys.readouterr().err, sentence(fault))
    assert dump(engine) == before
    engine.dispose()


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_backup_onto_a_full_or_read_only_disk_leaves_no_file(disk, tmp_path, fault, capsys):
    url = f"sqlite:///{tmp_path / 'zuofeng.db'}"
    engine = open_engine(url)
    simulated_round(engine, "B")
    engine.dispose()
    with disk.fault(fault, leave=64 * 1024):
        assert main(["backup", "--out", str(disk.path / "copy.db"), "--db", url]) == 2
        _one_line(capsys.readouterr().err, sentence(fault, "backup"))
        assert sorted(p.name for p in disk.path.iterdir()) == ([] if fault == "readonly" else ["filler"])


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_a_report_batch_onto_a_full_or_read_only_disk_leaves_nothing(disk, tmp_path, fault, capsys):
    url = f"sqlite:///{tmp_path / 'zuofeng.db'}"
    engine = open_engine(url)
    simulated_round(engine, "B")
    engine.dispose()
    out = disk.path / "reports" / "B"
    out.parent.mkdir()
    with disk.fault(fault, leave=16 * 1024):
        assert main(["report", "B", "--department", "KJG", "--out", str(out), "--no-progress", "--db", url]) == 2
        _one_line(capsys.readouterr().err, sentence(fault, "reports"))
        # no report, no staging folder (only the batch's lock file, which every batch keeps)
        assert [p.name for p in out.parent.iterdir() if p.name != ".B.lock"] == []


def test_a_write_fault_survives_pickling_and_speaks_english_on_request():
    import pickle
    e = pickle.loads(pickle.dumps(StoreWriteError("readonly", "reports")))
    assert e.message == sentence("readonly", "reports") and isinstance(e, StoreError)
    assert e.in_lang("en").startswith("the store or folder is read-only: the reports could not be written")


def test_a_permission_denied_counts_as_read_only_only_where_it_came_from_a_write():
    from zuofeng.faults import fault_of
    denied = PermissionError(13, "Permission denied")
    assert fault_of(denied) == "readonly"
    assert fault_of(denied, denied=False) is None  # the CLI's catch-all: it may be an input file's
    assert fault_of(OSError(30, "Read-only file system"), denied=False) == "readonly"


@pytest.mark.pg
def test_a_read_only_postgresql_store_refuses_a_submission_in_one_sentence(roster_file):
    from sqlalchemy import create_engine, text

    from tests.support.store import pg_database
    from zuofeng.store import store_sheets

    for url in pg_database():
        engine = open_engine(url)
        create_round(engine, "R1", title="基线测评", roster=roster_file)
        set_status(engine, "R1", "open")
        issued = issue_tokens(engine, "R1")
        store_sheets(engine, "R1", [_sheet(issued[0])])
        name = engine.url.database
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:  # what a standby or a read-only role does to every write
            c.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        engine.dispose()  # new sessions take the setting
        with pytest.raises(StoreWriteError) as refused:
            store_sheets(engine, "R1", [_sheet(issued[1])])
        assert refused.value.message == sentence("readonly") and refused.value.fault == "readonly"
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
        engine.dispose()
        assert _counts(engine) == (1, 1)
        store_sheets(engine, "R1", [_sheet(issued[1])])  # the refused token was left unused
        assert _counts(engine) == (2, 2)
        engine.dispose()
        admin.dispose()
