"""Issued and used tokens per scope: the way everything but the survey servers counts the token table.

Counts only, never a hash. On PostgreSQL they come from the function ``zuofeng_token_usage`` (migration
``0009_token_usage``), which runs with its owner's rights (``SECURITY DEFINER``): a role that may read
the responses but not the ``tokens`` table (docs/threat-model.md) still sees the counts, so scoring,
reports, coverage and ``zuofeng tokens status`` work under it. On SQLite, which has no roles, the same
query runs on the table.
"""

from __future__ import annotations

from sqlalchemy import case, func, select, text

from .schema import tokens

#: (kind, rater, target, rater group) -> (issued, used)
Usage = dict[tuple[str, str, str, "str | None"], tuple[int, int]]

#: the function, for the schema that holds the tables (``{schema}``, quoted): its search path is that schema
#: and then pg_temp, so a caller cannot put tables or operators of its own in front of them
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION zuofeng_token_usage(round_code text)
RETURNS TABLE (kind text, rater text, target text, rater_group text, issued bigint, used bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {schema}, pg_temp AS $$
    SELECT t.kind::text, t.rater::text, t.target::text, t.rater_group::text, count(*), count(*) FILTER (WHERE t.used)
    FROM tokens AS t WHERE t.round = round_code
    GROUP BY t.kind, t.rater, t.target, t.rater_group
$$
"""


def token_usage(conn, round_code: str) -> Usage:
    """Issued and used tokens of the round per (kind, rater, target, rater group)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT kind, rater, target, rater_group, issued, used "
                                 "FROM zuofeng_token_usage(:r)"), {"r": round_code}).all()
    else:
        used = func.sum(case((tokens.c.used.is_(True), 1), else_=0))
        rows = conn.execute(
            select(tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group, func.count(), used)
            .where(tokens.c.round == round_code)
            .group_by(tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group)).all()
    return {(k, r, t, g): (int(n), int(u or 0)) for k, r, t, g, n, u in rows}
