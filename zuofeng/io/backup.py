"""A consistent copy of an SQLite store, taken while surveys keep writing to it.

SQLite's online backup API copies every page under one read transaction, so the copy is the
store as it was at one instant — never half a submission — and writers are not blocked for
longer than the copy takes. The copy is checked (``PRAGMA integrity_check``) before it is moved
into place, so a failed backup leaves no file behind. PostgreSQL stores are backed up with
``pg_dump``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..config import database_url
from ..errors import InputFileError, StoreError
from ..faults import write_fault
from ..private import owner_only


@dataclass(frozen=True)
class BackupResult:
    """The copy, its size, and what it holds (rounds and answer sheets) as a quick check."""

    source: Path
    path: Path
    bytes: int
    rounds: int
    responses: int


def backup(db: str | None, out: str | Path) -> BackupResult:
    """Copy the SQLite store at ``db`` (a URL; default as everywhere) into the new file ``out``.

    Raises
    ------
    StoreError
        For a PostgreSQL (or other) URL — use ``pg_dump`` — or a file that is not a zuofeng store.
    InputFileError
        When ``out`` exists already or its folder does not.
    """
    url = database_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} 不是数据库地址",
                         f"not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        shown = parsed.set(drivername="postgresql").render_as_string(hide_password=True)
        raise StoreError(f"zuofeng backup 只复制 SQLite 数据库；PostgreSQL 请用 pg_dump 备份："
                         f"pg_dump --format=custom --file=zuofeng.dump '{shown}'（用 pg_restore 恢复）",
                         f"zuofeng backup copies SQLite stores; back up PostgreSQL with pg_dump: "
                         f"pg_dump --format=custom --file=zuofeng.dump '{shown}' (restore with pg_restore)")
    if backend != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise StoreError(f"zuofeng backup 只复制 SQLite 数据库文件，不能复制 {url!r}",
                         f"zuofeng backup copies an SQLite store file, not {url!r}")
    source = Path(parsed.database)
    if not source.is_file():
        raise StoreError(f"{source} 处没有数据库",
                         f"no database at {source}")
    out = Path(out)
    if out.exists():
        raise InputFileError(f"{out} 已存在：请给一个新文件名（备份从不覆盖文件）",
                             f"{out} exists already; give a new file name (a backup never overwrites)")
    if not out.parent.is_dir():
        raise InputFileError(f"文件夹 {out.parent} 不存在",
                             f"folder {out.parent} does not exist")
    if out.resolve() == source.resolve():
        raise InputFileError("备份文件不能是数据库本身",
                             "the backup cannot be the store itself")
    tmp = out.with_name(f".{out.name}.partial")
    src = sqlite3.connect(source, timeout=30)
    try:
        names = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in names:
            raise StoreError(f"{source} 不是 zuofeng 的数据库",
                             f"{source} is not a zuofeng store")
        with owner_only():  # the copy (and its journal) is owner-only from its first byte
            dst = sqlite3.connect(tmp)
            dst.execute("PRAGMA user_version").fetchone()  # creates the file now, under this umask
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            with owner_only():
                dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"副本未通过完整性检查（{check}）：没有写文件",
                                 f"the copy failed its integrity check ({check}); nothing written")
            rounds = dst.execute("SELECT count(*) FROM rounds").fetchone()[0]
            responses = dst.execute("SELECT count(*) FROM responses").fetchone()[0]
        finally:
            dst.close()
        tmp.replace(out)
    except (sqlite3.DatabaseError, OSError) as e:
        fault = write_fault(e, "backup")
        if fault is not None:  # a full disk or a read-only folder: the partial copy is removed below
            raise fault from None
        if isinstance(e, OSError):
            raise
        raise StoreError(f"无法备份 {source}：{e}",
                         f"cannot back up {source}: {e}") from None
    finally:
        src.close()
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a read-only folder, where no partial copy could be made either
            pass
    return BackupResult(source, out, out.stat().st_size, rounds, responses)
