"""The store: SQLAlchemy Core tables, named forward migrations, and the one function that stores answers.

One layer, one interface: import every name from ``zuofeng.store``. The package is split by job:

- ``schema``: the tables. Anonymity lives there: a response row holds no token, no token hash, no time
  finer than the date and no sequential id; its key is a random UUID.
- ``migrations``: the named, forward-only migrations and ``migrate``.
- ``connection``: ``writing`` (every transaction that writes; ``BEGIN IMMEDIATE`` on SQLite) and SQLite's pragmas.
- ``engine``: ``open_engine`` (a URL becomes a migrated engine, or one clear error).
- ``lookup``: ``get_round`` and ``get_departments``.
- ``storing``: ``store_sheets``, which consumes tokens and stores sheets in one transaction.
- ``usage``: ``token_usage``, the counts of issued and used tokens, for readers that may not read tokens.
- ``unlinking``: what the database keeps besides the rows (page order, the SQLite write-ahead log,
  PostgreSQL's transaction ids, commit times and dead row versions) is wiped after every submission
  that used a token: see ``unlink_round``.
"""

from __future__ import annotations

from ..sheet import CATEGORIES, COMMENT_MAX, FORMS, KINDS, Sheet
from .connection import BUSY_TIMEOUT_MS, writing
from .engine import open_engine
from .lookup import get_departments, get_round
from .migrations import MIGRATIONS, migrate
from .schema import (
    answers,
    departments,
    import_fingerprints,
    instruments,
    ledger_entries,
    ledger_history,
    metadata,
    responses,
    rounds,
    schema_migrations,
    tokens,
)
from .storing import store_sheets
from .unlinking import LOCK_TIMEOUT_MS, scrub_physical_order, unlink_round
from .usage import token_usage

__all__ = [
    "BUSY_TIMEOUT_MS", "CATEGORIES", "COMMENT_MAX", "FORMS", "KINDS", "LOCK_TIMEOUT_MS", "MIGRATIONS", "Sheet",
    "answers", "departments", "get_departments", "get_round", "import_fingerprints", "instruments",
    "ledger_entries", "ledger_history", "metadata", "migrate", "open_engine", "responses", "rounds",
    "schema_migrations", "scrub_physical_order", "store_sheets", "token_usage", "tokens", "unlink_round", "writing",
]
