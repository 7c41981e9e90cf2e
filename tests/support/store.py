"""Stores for tests: a fresh PostgreSQL database per test (``ZUOFENG_TEST_PG``), the five-department roster."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from .ci import require_or_skip

PG_URL = os.environ.get("ZUOFENG_TEST_PG")
DATA = Path(__file__).parents[1] / "data"

ROSTER_CSV = """code,name,unit_type,headcount,party_members,division,peer_targets
BGS,办公室,机关部室,12,9,机关,XHB
XHB,学会部,机关部室,8,6,机关,
KPB,科普部,机关部室,10,7,机关,BGS
KJG,科技馆,事业单位,25,12,事业单位,
ZX,服务中心,中心,4,3,事业单位,
"""


def pg_database():
    """Create a fresh PostgreSQL database for one test; yield its URL; drop it afterwards (a generator:
    ``yield from pg_database()`` in a fixture, or ``next`` and ``close`` by hand)."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("ZUOFENG_TEST_PG")   # read now: a bench sets it from its own --pg
    require_or_skip(bool(url), "ZUOFENG_TEST_PG is not set")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"zf_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
