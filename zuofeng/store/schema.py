"""The store's tables (SQLAlchemy Core), declared once: every other module of the store and above reads them.

Anonymity lives in the schema. A response row holds no token, no token hash, no time finer than the
date and no sequential id: its key is a random UUID, and on SQLite the token, response and answer
tables are ``WITHOUT ROWID`` so their physical order follows their keys, not the order of arrival.
The token row says only that it was used.
"""

from __future__ import annotations

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
)

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
