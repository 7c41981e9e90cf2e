"""Shared fixtures. Store tests run on SQLite and, when ZUOFENG_TEST_PG holds a URL, on PostgreSQL too.
With CI=true a missing PostgreSQL or Chromium is a failure, never a skip."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("ZUOFENG_TEST_PG")
CHROMIUM = "/usr/bin/chromium"
DATA = Path(__file__).parent / "data"

ROSTER_CSV = """code,name,unit_type,headcount,party_members,division,peer_targets
BGS,办公室,机关部室,12,9,机关,XHB
XHB,学会部,机关部室,8,6,机关,
KPB,科普部,机关部室,10,7,机关,BGS
KJG,科技馆,事业单位,25,12,事业单位,
ZX,服务中心,中心,4,3,事业单位,
"""


def require_or_skip(ok: bool, why: str) -> None:
    """Skip a test whose service is missing, except on CI where that is a failure."""
    if ok:
        return
    if ON_CI:
        pytest.fail(f"required on CI: {why}")
    pytest.skip(why)


@pytest.fixture
def roster_file(tmp_path) -> Path:
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER_CSV, encoding="utf-8")
    return p


def _pg_database():
    """Create a fresh PostgreSQL database for one test; yield its URL; drop it afterwards."""
    require_or_skip(bool(PG_URL), "ZUOFENG_TEST_PG is not set")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"zf_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from sqlalchemy.pool import NullPool  # noqa: F401
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    """A fresh, empty store URL: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def engine(db_url):
    from zuofeng.store import open_engine
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def open_round(engine, roster_file):
    """An open round R1 on the five-department roster; returns (engine, round code)."""
    from zuofeng.rounds import create_round, set_status
    create_round(engine, "R1", title="基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    return engine, "R1"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which("chromium") is not None


@pytest.fixture(autouse=True)
def _token_key(tmp_path_factory, monkeypatch):
    """Every test gets its own token key file, never the user's."""
    monkeypatch.setenv("ZUOFENG_KEY_FILE", str(tmp_path_factory.mktemp("key") / "token.key"))


@pytest.fixture(autouse=True)
def _empty_project(tmp_path_factory, monkeypatch):
    """Every test starts in an empty project of its own: a demo store in the checkout's ``data/`` (after
    ``make demo``) must not make a test pass that fails on a clean clone. Tests of how the project is
    found set or remove ``ZUOFENG_HOME`` themselves."""
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path_factory.mktemp("project")))
    monkeypatch.delenv("ZUOFENG_DB", raising=False)


@pytest.fixture
def paper_roster_file(tmp_path) -> Path:
    """ROSTER_CSV with every department voting on paper (roster column ``paper``): template ballots
    without a token are accepted for them while no tokens were issued."""
    lines = ROSTER_CSV.strip().splitlines()
    p = tmp_path / "roster.csv"
    p.write_text("\n".join([lines[0] + ",paper"] + [line + ",1" for line in lines[1:]]) + "\n", encoding="utf-8")
    return p
