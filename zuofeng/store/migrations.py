"""Named, forward-only migrations of the store, recorded in ``schema_migrations``, each safe to run twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from .connection import writing
from .schema import (
    answers,
    departments,
    import_fingerprints,
    instruments,
    ledger_entries,
    ledger_history,
    responses,
    rounds,
    schema_migrations,
    tokens,
)
from .usage import PG_FUNCTION


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


def _m0009_token_usage(conn) -> None:
    """PostgreSQL: the function ``zuofeng_token_usage`` (counts of issued and used tokens, run with its
    owner's rights), so a role that may not read ``tokens`` still counts them (``usage``). SQLite: nothing."""
    if conn.dialect.name == "postgresql":
        schema = conn.dialect.identifier_preparer.quote(conn.exec_driver_sql("SELECT current_schema()").scalar())
        conn.exec_driver_sql(PG_FUNCTION.format(schema=schema))  # every role may run it (the default)


MIGRATIONS: list[tuple[str, object]] = [
    ("0001_initial", _m0001_initial),
    ("0002_import_fingerprints", _m0002_import_fingerprints),
    ("0003_paper_ballots", _m0003_paper_ballots),
    ("0004_ledger", _m0004_ledger),
    ("0005_english_names", _m0005_english_names),
    ("0006_ledger_standing", _m0006_ledger_standing),
    ("0007_round_outside", _m0007_round_outside),
    ("0008_rater_groups", _m0008_rater_groups),
    ("0009_token_usage", _m0009_token_usage),
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
