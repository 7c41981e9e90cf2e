"""The store: SQLAlchemy Core tables, named forward migrations, and the one function that stores answers.

Anonymity lives in the schema. A response row holds no token, no token hash, no time finer than the
date and no sequential id: its key is a random UUID, and on SQLite the response and answer tables are
``WITHOUT ROWID`` so their physical order follows that random key, not the order of arrival. The token
row says only that it was used. What the database keeps besides the rows (page order, the SQLite
write-ahead log, PostgreSQL's transaction ids, commit times and dead row versions) is wiped after every
submission that used a token: see ``unlink_round``.

Transactions: write with ``with writing(engine) as conn:``. On SQLite it begins ``BEGIN IMMEDIATE``
(the write lock at once, so two writers queue instead of deadlocking); every other transaction, such
as ``engine.connect()``, begins a plain deferred ``BEGIN`` and takes no write lock, so a reader held
open never stalls a submission.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from .axes import NO_DEPARTMENT, TABLE_FORM, outside_mode, table_targets
from .config import database_url, default_db_file
from .errors import RoundError, StoreError, TokenError, ZuofengError
from .faults import StoreWriteError, fault_of, write_fault
from .private import owner_only, private_folder, warn_if_readable_by_others
from .sheet import CATEGORIES, COMMENT_MAX, FORMS, KINDS, Sheet

log = logging.getLogger(__name__)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_on", Date, nullable=False),
)

instruments = Table(
    "instruments", metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),
)

rounds = Table(
    "rounds", metadata,
    Column("code", String(40), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("instrument_id", String(64), nullable=False),
    Column("instrument_version", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # draft | open | closed
    Column("k_min", Integer, nullable=False),
    Column("k_comment", Integer, nullable=False),
    Column("previous", String(40)),
    Column("eval_scores", JSON, nullable=False),  # {"好": 100, ...}
    Column("group_weights", JSON),  # {"self": w, "peer_inside": w, "peer_outside": w} or null
    Column("created_on", Date, nullable=False),
    Column("opened_on", Date),
    Column("closed_on", Date),
    Column("title_en", String(200)),  # optional English title (0005_english_names)
    Column("rater_groups", JSON),  # [{"name": "领导班子", "weight": 0.2}, …] or null (0008_rater_groups)
    Column("outside", String(10)),  # all | division | targets (0007_round_outside); NULL = targets
    ForeignKeyConstraint(["instrument_id", "instrument_version"], ["instruments.id", "instruments.version"]),
)

departments = Table(
    "departments", metadata,
    Column("round", String(40), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("unit_type", String(100), nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("party_members", Integer),
    Column("division", String(100)),
    Column("peer_targets", Text),  # space-separated department codes rated from outside
    Column("paper", Boolean),  # votes on paper ballots without tokens (migration 0003); NULL = no
    Column("name_en", String(200)),  # optional English name (0005_english_names)
    ForeignKeyConstraint(["round"], ["rounds.code"]),
)

tokens = Table(
    "tokens", metadata,
    Column("hash", String(64), primary_key=True),  # keyed hash (HMAC-SHA256) of the token; never the token
    Column("round", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("rater", String(40), nullable=False),
    Column("target", String(40), nullable=False),
    Column("used", Boolean, nullable=False),
    Column("rater_group", String(40)),  # the rater group bound to the token, or null (0008_rater_groups)
    ForeignKeyConstraint(["round"], ["rounds.code"]),
    sqlite_with_rowid=False,
)

responses = Table(
    "responses", metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex: random, not time-ordered
    Column("round", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("rater", String(40), nullable=False),
    Column("target", String(40), nullable=False),
    Column("category", String(10)),
    Column("overall", String(10)),
    Column("comment", Text),
    Column("submitted_on", Date, nullable=False),  # the date only
    Column("source", String(20), nullable=False),  # survey | import | simulate
    Column("too_fast", Boolean),  # known only for imports that carried a duration
    Column("rater_group", String(40)),  # the token's rater group, or null (0008_rater_groups)
    Column("form", String(10)),  # NULL = the 22 items; table = a 民主测评 table row (0007_round_outside)
    ForeignKeyConstraint(["round"], ["rounds.code"]),
    sqlite_with_rowid=False,
)

answers = Table(
    "answers", metadata,
    Column("response_id", String(32), primary_key=True),
    Column("item", SmallInteger, primary_key=True),
    Column("value", SmallInteger),  # 1..5; NULL = 不了解 (don't know)
    ForeignKeyConstraint(["response_id"], ["responses.id"]),
    sqlite_with_rowid=False,
)

import_fingerprints = Table(
    # One row per imported file: a hash of its normalised content, so the same file is not imported
    # twice. Nothing here links a file, or a row of it, to a stored response.
    "import_fingerprints", metadata,
    Column("round", String(40), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),  # sha256 hex of the normalised content
    Column("format", String(20), nullable=False),  # template | wjx | limesurvey
    Column("rows", Integer, nullable=False),
    Column("imported_on", Date, nullable=False),  # the date only
    ForeignKeyConstraint(["round"], ["rounds.code"]),
)


ledger_entries = Table(
    # The rectification ledger (整改台账). Not survey data: departments are accountable, so entries name
    # people and carry ordinary sequential ids.
    "ledger_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round", String(40), nullable=False),
    Column("department", String(40), nullable=False),
    Column("item", SmallInteger),  # 1..22, or NULL for a topic of the department's own
    Column("problem", Text, nullable=False),
    Column("measure", Text),  # 整改措施
    Column("leader", String(100)),  # 责任领导
    Column("person", String(100)),  # 责任人
    Column("deadline", Date),
    Column("standing", Boolean),  # 长期坚持: a standing measure with no deadline (0006_ledger_standing)
    Column("status", String(10), nullable=False),  # 未启动 | 整改中 | 已完成 | 已销号
    Column("evidence", Text),  # 佐证材料: description
    Column("evidence_file", String(255)),
    Column("review_note", Text),
    Column("created_on", Date, nullable=False),
    ForeignKeyConstraint(["round", "department"], ["departments.round", "departments.code"]),
)

ledger_history = Table(
    # Append-only: one row per changed field of an entry.
    "ledger_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("field", String(40), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"]),
)


# --- migrations ------------------------------------------------------------------------------
# Named, forward only, recorded in schema_migrations, each safe to run twice.

def _m0001_initial(conn) -> None:
    existing = set(inspect(conn).get_table_names())
    for t in (instruments, rounds, departments, tokens, responses, answers):
        if t.name not in existing:
            t.create(conn)


def _m0002_import_fingerprints(conn) -> None:
    import_fingerprints.create(conn, checkfirst=True)


def _m0003_paper_ballots(conn) -> None:
    if "paper" not in {c["name"] for c in inspect(conn).get_columns("departments")}:
        conn.exec_driver_sql("ALTER TABLE departments ADD COLUMN paper BOOLEAN")


def _m0004_ledger(conn) -> None:
    ledger_entries.create(conn, checkfirst=True)
    ledger_history.create(conn, checkfirst=True)
    # the history is append-only in the database itself, not only by convention
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS ledger_history_no_{op.lower()} BEFORE {op} ON ledger_history "
                "BEGIN SELECT RAISE(ABORT, 'ledger_history is append-only'); END")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION ledger_history_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'ledger_history is append-only'; END $$")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_history_append_only ON ledger_history")
        conn.exec_driver_sql(
            "CREATE TRIGGER ledger_history_append_only BEFORE UPDATE OR DELETE ON ledger_history "
            "FOR EACH ROW EXECUTE FUNCTION ledger_history_append_only()")


def _m0005_english_names(conn) -> None:
    """Optional English names: ``rounds.title_en`` and ``departments.name_en`` (nullable)."""
    from sqlalchemy import text

    insp = inspect(conn)
    for table, column in (("rounds", "title_en"), ("departments", "name_en")):
        if column not in {c["name"] for c in insp.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(200)"))


def _m0006_ledger_standing(conn) -> None:
    """``ledger_entries.standing``: a standing measure (长期坚持), which has no deadline (nullable)."""
    if "standing" not in {c["name"] for c in inspect(conn).get_columns("ledger_entries")}:
        conn.exec_driver_sql("ALTER TABLE ledger_entries ADD COLUMN standing BOOLEAN")


def _m0007_round_outside(conn) -> None:
    """``rounds.outside`` (who rates a department from outside; NULL = ``targets``, as rounds were before)
    and ``responses.form`` (NULL = the 22 items; ``table`` = a row of the 民主测评 table)."""
    insp = inspect(conn)
    for table, column in (("rounds", "outside"), ("responses", "form")):
        if column not in {c["name"] for c in insp.get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(10)")
def _m0008_rater_groups(conn) -> None:
    """Rater groups: ``rounds.rater_groups`` (names and weights), the group bound to a token
    (``tokens.rater_group``) and carried by its sheet (``responses.rater_group``); all nullable."""
    insp = inspect(conn)
    for table, column, type_ in (("rounds", "rater_groups", "JSON"), ("tokens", "rater_group", "VARCHAR(40)"),
                                 ("responses", "rater_group", "VARCHAR(40)")):
        if column not in {c["name"] for c in insp.get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {type_}")


MIGRATIONS: list[tuple[str, object]] = [
    ("0001_initial", _m0001_initial),
    ("0002_import_fingerprints", _m0002_import_fingerprints),
    ("0003_paper_ballots", _m0003_paper_ballots),
    ("0004_ledger", _m0004_ledger),
    ("0005_english_names", _m0005_english_names),
    ("0006_ledger_standing", _m0006_ledger_standing),
    ("0007_round_outside", _m0007_round_outside),
    ("0008_rater_groups", _m0008_rater_groups),
]


def migrate(engine: Engine) -> list[str]:
    """Apply the migrations not yet recorded; return their names."""
    applied_now = []
    with writing(engine) as conn:
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.scalars(select(schema_migrations.c.name)))
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with writing(engine) as conn:
            fn(conn)
            conn.execute(schema_migrations.insert().values(name=name, applied_on=dt.date.today()))
        applied_now.append(name)
    return applied_now


# --- engine ----------------------------------------------------------------------------------

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


def open_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """Open (and migrate) the store at ``url``; raise StoreError with one line if it cannot be used."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r} (try sqlite:///data/zuofeng.db or postgresql+psycopg://…)") from None
    shown = parsed.render_as_string(hide_password=True)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        db = parsed.database
        if not db or db == ":memory:":
            raise StoreError("an in-memory SQLite database cannot hold a round; give a file path")
        folder = Path(db).parent
        if not folder.exists():
            if create and folder.resolve() in (Path("data").resolve(), default_db_file().parent.resolve()):
                private_folder(folder)
            else:
                raise StoreError(f"cannot open database {shown}: folder {folder} does not exist")
        if not Path(db).exists():
            if not create:
                raise StoreError(f"no database at {db}")
            _create_private_file(Path(db))  # SQLite gives its -wal and -shm files the store's mode
        else:
            warn_if_readable_by_others(db, "store")
    elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if is_sqlite:
            # hide_parameters: SQL logging (echo, DEBUG) must never write a token hash or a response id
            engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ImportError) as e:
        raise StoreError(f"cannot use database {shown}: {e}") from None
    try:
        _check_is_store(engine, shown)
        migrate(engine)
    except DBAPIError as e:
        engine.dispose()
        fault = write_fault(e, folder=_store_folder(engine))
        if fault is not None:
            raise fault from None
        first = str(e.orig).strip().splitlines()[0] if e.orig else str(e).splitlines()[0]
        raise StoreError(f"cannot open database {shown}: {first}") from None
    return engine


def _create_private_file(path: Path) -> None:
    """An empty file (an empty SQLite database), mode 0600; nothing if another process made it first."""
    try:
        with owner_only():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise StoreError(f"cannot create database {path}: {e.strerror}") from None


def _check_is_store(engine: Engine, shown: str) -> None:
    names = set(inspect(engine).get_table_names())
    if names and "schema_migrations" not in names:
        raise StoreError(f"database {shown} is not a zuofeng store (it has other tables)")


# --- rounds ----------------------------------------------------------------------------------

def get_round(conn, code: str) -> dict:
    row = conn.execute(select(rounds).where(rounds.c.code == code)).mappings().first()
    if row is None:
        known = list(conn.scalars(select(rounds.c.code).order_by(rounds.c.code)))
        hint = f"; known rounds: {', '.join(known)}" if known else "; no rounds yet (zuofeng round create)"
        raise RoundError(f"unknown round {code!r}{hint}")
    return dict(row)


def get_departments(conn, round_code: str) -> dict[str, dict]:
    rows = conn.execute(select(departments).where(departments.c.round == round_code).order_by(departments.c.code))
    return {r.code: dict(r._mapping) for r in rows}


# --- storing answers -------------------------------------------------------------------------

def _validate(sheet: Sheet, depts: Mapping[str, dict], n_items: int, overall_values: Iterable[str],
              groups: Iterable[str] = (), n_dims: int = 0,
              table_of: Callable[[str], list[str]] | None = None) -> None:
    if sheet.kind not in KINDS:
        raise ZuofengError(f"kind must be one of {', '.join(KINDS)}, not {sheet.kind!r}")
    for role, code in (("rater", sheet.rater), ("target", sheet.target)):
        if code not in depts and not (role == "rater" and code == NO_DEPARTMENT and sheet.group):
            raise ZuofengError(f"unknown {role} department {code!r}")
    if sheet.rater == NO_DEPARTMENT and sheet.kind != "peer":
        raise ZuofengError("a rater of no department rates other departments only (a peer survey)")
    if sheet.group is not None and sheet.group not in groups:
        allowed = f"one of {', '.join(groups)}" if groups else "none (the round declares no rater groups)"
        raise ZuofengError(f"rater group must be {allowed}, not {sheet.group!r}")
    if sheet.kind == "self" and sheet.rater != sheet.target:
        raise ZuofengError("a self survey rates the rater's own department")
    if sheet.form not in FORMS:
        raise ZuofengError(f"form must be one of {', '.join(FORMS)}, not {sheet.form!r}")
    if sheet.form == TABLE_FORM:
        if sheet.kind != "peer" or sheet.rater == sheet.target:
            raise ZuofengError("a 民主测评 table row rates another department in the peer survey")
        if table_of is None or sheet.target not in table_of(sheet.rater):
            raise ZuofengError(f"department {sheet.target!r} is not on the 民主测评 table of {sheet.rater!r} "
                               "in this round")
        if sheet.comment is not None or sheet.token_hash is not None:
            raise ZuofengError("a 民主测评 table row carries no suggestion and no 答题码 of its own")
        expected, what = set(range(1, n_dims + 1)), "dimensions"
    else:
        expected, what = set(range(1, n_items + 1)), "items"
    if set(sheet.answers) != expected:
        missing = sorted(expected - set(sheet.answers))
        extra = sorted(set(sheet.answers) - expected)
        raise ZuofengError(f"answers must cover {what} 1..{len(expected)} exactly (missing {missing}, extra {extra})")
    for item, v in sheet.answers.items():
        if v is not None and (isinstance(v, bool) or v not in (1, 2, 3, 4, 5)):
            raise ZuofengError(f"item {item}: answer must be 1..5 or 不了解, not {v!r}")
    if sheet.category is not None and sheet.category not in CATEGORIES:
        raise ZuofengError(f"category must be one of {', '.join(CATEGORIES)} or blank, not {sheet.category!r}")
    if sheet.overall is not None:
        if sheet.kind != "peer":
            raise ZuofengError("only a peer survey carries the overall rating")
        if sheet.overall not in overall_values:
            raise ZuofengError(f"overall rating must be one of {', '.join(overall_values)} or blank, not {sheet.overall!r}")
    if sheet.comment is not None and len(sheet.comment) > COMMENT_MAX:
        raise ZuofengError(f"suggestion is longer than {COMMENT_MAX} characters")


def _check_tables_ride_on_tokens(sheets: list[Sheet]) -> None:
    """A survey page stores 民主测评 table rows only with the inside-view peer sheet whose token opened
    the table: at most one row per department rated for each such sheet of the same rater."""
    tokened: dict[str, int] = {}
    for s in sheets:
        if s.token_hash is not None and s.kind == "peer" and s.rater == s.target and s.form != TABLE_FORM:
            tokened[s.rater] = tokened.get(s.rater, 0) + 1
    rows: dict[tuple[str, str], int] = {}
    for s in sheets:
        if s.form == TABLE_FORM:
            rows[(s.rater, s.target)] = rows.get((s.rater, s.target), 0) + 1
    for (rater, _), n in rows.items():
        if n > tokened.get(rater, 0):
            raise TokenError("a 民主测评 table is stored only with the 互评 answer sheet of its 答题码")


def store_sheets(engine: Engine, round_code: str, sheets: list[Sheet], *, source: str = "survey",
                 also=None) -> int:
    """Store answer sheets in one transaction: all of them or none.

    The one storage function for survey pages, imports and the simulator. A sheet that carries a
    token hash consumes that token in the same transaction; a used, unknown or other-round token
    raises TokenError and nothing is stored. Rows are written in random order under random ids.
    ``also(conn)``, when given, runs inside the same transaction (an import records its file's
    fingerprint there); if it raises, nothing is stored.
    """
    from .instrument import load_instrument

    if not sheets:
        return 0
    order = list(sheets)
    random.SystemRandom().shuffle(order)
    today = dt.date.today()
    with writing(engine) as conn:
        rnd = get_round(conn, round_code)
        if rnd["status"] != "open":
            raise RoundError(f"round {round_code} is {rnd['status']}, not open: no answers are accepted")
        inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
        overall_values = [o.value for o in inst.overall_scale.options]
        depts = get_departments(conn, round_code)
        groups = [g["name"] for g in rnd.get("rater_groups") or ()]
        mode = outside_mode(rnd)
        tables: dict[str, list[str]] = {}

        def table_of(rater: str) -> list[str]:
            if rater not in tables:
                tables[rater] = table_targets(mode, rater, depts)
            return tables[rater]

        if source == "survey":
            _check_tables_ride_on_tokens(order)
        resp_rows, ans_rows = [], []
        for s in order:
            group = s.group
            if s.token_hash is not None:
                group = _consume_token(conn, round_code, s)  # the group is the token's, never typed
                _step("token consumed")
            _validate(replace(s, group=group), depts, len(inst.items), overall_values, groups,
                      n_dims=len(inst.dimensions), table_of=table_of)
            rid = uuid.UUID(bytes=secrets.token_bytes(16), version=4).hex
            resp_rows.append({
                "id": rid, "round": round_code, "kind": s.kind, "rater": s.rater, "target": s.target,
                "category": s.category, "overall": s.overall,
                "comment": (s.comment.strip() or None) if s.comment else None,
                "submitted_on": today, "source": source, "too_fast": s.too_fast, "rater_group": group,
                "form": TABLE_FORM if s.form == TABLE_FORM else None,
            })
            ans_rows.extend({"response_id": rid, "item": i, "value": v} for i, v in sorted(s.answers.items()))
        conn.execute(responses.insert(), resp_rows)
        conn.execute(answers.insert(), ans_rows)
        if also is not None:
            also(conn)
    _step("stored")
    # The sheets are committed from here on: whatever the clean-up meets, they are reported as stored.
    if source == "survey" or any(s.token_hash is not None for s in order):  # paper ballots carry tokens too
        _unlink_after_arrival(engine, round_code)
    else:
        try:
            _checkpoint(engine)
        except _after_commit_errors(engine) as e:
            log.warning("store: write-ahead log not emptied after storing (%s)", _kind(e))
    return len(order)


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


def _consume_token(conn, round_code: str, s: Sheet) -> str | None:
    """Mark the sheet's token used; return the rater group bound to it (None: no group)."""
    # never select the hash itself: DEBUG logging prints fetched rows
    row = conn.execute(select(tokens.c.round, tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group)
                       .where(tokens.c.hash == s.token_hash)).mappings().first()
    if row is None or row["round"] != round_code:
        raise TokenError("this token is not valid for this survey")
    if (row["kind"], row["rater"], row["target"]) != (s.kind, s.rater, s.target):
        raise TokenError("this token belongs to another survey")
    done = conn.execute(
        update(tokens).where(tokens.c.hash == s.token_hash, tokens.c.used.is_(False)).values(used=True)
    )
    if done.rowcount != 1:
        raise TokenError("this token has already been used")
    return row["rater_group"]


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)
