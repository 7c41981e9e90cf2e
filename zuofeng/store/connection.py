"""Transactions on the store: ``writing`` for every transaction that writes, and SQLite's pragmas.

Write with ``with writing(engine) as conn:``. On SQLite it begins ``BEGIN IMMEDIATE`` (the write lock
at once, so two writers queue instead of deadlocking); every other transaction, such as
``engine.connect()``, begins a plain deferred ``BEGIN`` and takes no write lock, so a reader held open
never stalls a submission.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..faults import write_fault

_WRITE = "zuofeng_write"  # the execution option that marks a writing transaction
BUSY_TIMEOUT_MS = 30000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A writer takes the write lock at BEGIN, so two writers never deadlock upgrading a read lock;
    # a reader takes none (in WAL mode it reads its snapshot while others write).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator:
    """A connection in a writing transaction, committed at the end of the block (rolled back on error).

    Use it for every transaction that writes. On SQLite it begins with ``BEGIN IMMEDIATE``: the write
    lock is taken at once (waiting up to 30 s for another writer), so a transaction that reads and then
    writes never fails because another writer got in between. Elsewhere it is ``engine.begin()``.
    A full disk or a read-only store raises ``StoreWriteError`` (one sentence; the transaction is rolled
    back, so nothing was written).
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
    except DBAPIError as e:
        fault = write_fault(e, folder=_store_folder(engine))
        if fault is None:
            raise
        raise fault from None


def _store_folder(engine: Engine) -> str | None:
    """The folder of an SQLite store file (where a full disk shows), else None."""
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    return os.path.dirname(os.path.abspath(db)) if db and db != ":memory:" else None
