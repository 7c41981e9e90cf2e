"""Unlinking: wiping what the database keeps besides the rows, after every submission that used a token.

What the database keeps besides the rows (page order, the SQLite write-ahead log, PostgreSQL's
transaction ids, commit times and dead row versions) could pair a used token with its sheet; see
``unlink_round``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..faults import StoreWriteError, fault_of
from .connection import BUSY_TIMEOUT_MS, writing
from .schema import answers, responses, tokens

log = logging.getLogger(__name__)

# --- unlinking: what the database keeps besides the rows ------------------------------------
# A submission consumes its token and stores its sheet in one transaction, so, besides the rows,
# the database keeps traces that pair them: on PostgreSQL both rows carry that transaction's id
# (xmin) and commit time, and the token's previous version stays behind as a dead row; on both
# stores the rows land where rows that arrive land (the end of a heap, a page that fills up, the
# next frames of SQLite's write-ahead log). After every submission that used a token, and when a
# round closes, ``unlink_round`` wipes those traces, in a transaction of its own after the sheet is
# stored. It changes no stored value: a crash before or during it loses no sheet and stores none
# twice, it only leaves the traces until the next submission or close.

_step_hook: Callable[[str], None] | None = None  # the tests' way to stop a process between two steps

LOCK_TIMEOUT_MS = 3000  # how long a rewrite on PostgreSQL waits for a session that is using the tables

# PostgreSQL: a type change to the same type through an expression (not a bare column) makes ALTER
# TABLE rewrite the table: every visible row is copied into a fresh file, stamped with the rewriting
# transaction's id, and no replaced version is copied. The values stay exactly as they were. (An
# expression PostgreSQL simplifies back to the bare column, such as ``used OR FALSE``, rewrites nothing;
# none of these columns is part of a key, so no index or foreign key is checked again.)
# The type is read from the catalogue at the time, so a later migration may change it.
_RESTAMP = {"tokens": ("kind", "kind || ''"), "responses": ("source", "source || ''"), "answers": ("value", "value + 0")}


def _step(name: str) -> None:
    if _step_hook is not None:
        _step_hook(name)


def _unlink_after_arrival(engine: Engine, round_code: str) -> None:
    """Wipe the traces of the sheets that just arrived. Best effort: the sheet is stored in any case;
    if the rewrite cannot run now (the store is busy), the next submission or closing the round does it."""
    try:
        unlink_round(engine, round_code)
    except _after_commit_errors(engine) as e:
        log.warning("store: traces of arrival not wiped after a submission (%s); the next one retries",
                    _kind(e))


def _after_commit_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """What the clean-up after a committed sheet may meet and must not turn into a failed submission:
    SQLAlchemy's errors, the driver's own (``VACUUM`` runs on the raw connection; a full disk makes
    it fail, as it needs room for a copy of the file) and the system's."""
    driver = getattr(engine.dialect, "loaded_dbapi", None) or getattr(engine.dialect, "dbapi", None)
    return (DBAPIError, StoreWriteError, OSError, *((driver.Error,) if driver is not None else ()))


def _kind(e: BaseException) -> str:
    orig = getattr(e, "orig", None)
    fault = fault_of(e)
    return f"{type(orig or e).__name__}{': ' + fault if fault else ''}"


def unlink_round(engine: Engine, round_code: str, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> None:
    """Leave nothing physical that pairs a used token of the round with its answer sheet.

    The token, response and answer tables are rewritten whole (every round's rows): see
    ``scrub_physical_order``. ``round_code`` names the round that asked for it.
    """
    scrub_physical_order(engine, lock_timeout_ms=lock_timeout_ms)
    _step("rewritten")


def _checkpoint(engine: Engine) -> None:
    """SQLite: move committed frames into the file and empty the write-ahead log, without waiting.

    The log holds the pages of each commit in arrival order; a copy of the folder taken while a round
    is open would otherwise show the order in which answers came. A reader that holds a snapshot keeps
    the log from being emptied (a checkpoint cannot pass it): then the log is left as it is, at once,
    for the next call, rather than making the submission wait for the reader.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        _truncate_wal(raw.driver_connection)
    finally:
        raw.close()


def _truncate_wal(dbapi) -> bool:
    """``wal_checkpoint(TRUNCATE)`` with the busy timeout off; True when the log is now empty."""
    dbapi.execute("PRAGMA busy_timeout = 0")
    try:
        busy, _, _ = dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return busy == 0


def scrub_physical_order(engine: Engine, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> None:
    """Rewrite the token, response and answer tables so that nothing but their values remains.

    Databases keep rows roughly in the order they were written: SQLite's pages fill in arrival order
    and PostgreSQL's heap appends, and a used token's new row version lands at the end too. So the
    physical layout could tell arrival order (the anonymity tests' control table shows it).

    SQLite: ``VACUUM`` rewrites the file in the order of the random keys, then the write-ahead log is
    emptied unless a reader's snapshot holds it (``_checkpoint``).

    PostgreSQL, in one transaction: lock the three tables (waiting at most ``lock_timeout_ms`` for
    sessions that are using them, then giving up with an error), then for each table ``CLUSTER … USING
    <table>_pkey`` (a fresh file in the order of the random key; it keeps each row's transaction id
    and the replaced versions some transaction might still see) followed by a rewriting ``ALTER
    TABLE`` (``_RESTAMP``), which copies that order into another fresh file, stamps every row with
    this transaction's id and commit time, and leaves every replaced version behind. Like every table
    rewrite in PostgreSQL it is not MVCC-safe: a REPEATABLE READ or SERIALIZABLE transaction whose
    snapshot is older and that reads a table only afterwards finds it empty. PostgreSQL's own
    write-ahead log and any backup taken earlier still hold the history.
    """
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            dbapi.execute("VACUUM")
            _truncate_wal(dbapi)
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        with writing(engine) as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            # all three at once: no submission and no other rewrite runs in between
            conn.exec_driver_sql("LOCK TABLE tokens, responses, answers IN ACCESS EXCLUSIVE MODE")
            for table in (tokens, responses, answers):
                column, same = _RESTAMP[table.name]
                type_ = conn.execute(text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = CAST(:t AS regclass) AND attname = :c"), {"t": table.name, "c": column}).scalar_one()
                conn.exec_driver_sql(f"CLUSTER {table.name} USING {table.name}_pkey")
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ALTER COLUMN {column} TYPE {type_} USING ({same})")
