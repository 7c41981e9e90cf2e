"""Shared fixtures. Store tests run on SQLite and, when ZUOFENG_TEST_PG holds a URL, on PostgreSQL too.
With CI=true a missing PostgreSQL or Chromium is a failure, never a skip. What tests and benchmarks share
to start browsers, servers and stores is in ``tests/support/`` (import it from there, never from here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.store import ROSTER_CSV, pg_database


@pytest.fixture
def roster_file(tmp_path) -> Path:
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER_CSV, encoding="utf-8")
    return p


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    """A fresh, empty store URL: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from pg_database()


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
