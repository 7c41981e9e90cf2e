"""One response per token survives a server dying between any two steps of a submission.

A submission is: consume the token and store the sheet (one transaction), then wipe the traces (one
rewrite of the tables: ``store.unlink_round``). A survey server
process is killed (``os._exit``, no clean-up) at each step through the store's step hook. Whatever the
step, the sheet is stored exactly once or not at all, its token is used exactly when its sheet is
stored, a second use is refused, and the next submission wipes the traces the dead process left.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from zuofeng.collect import tokens as tk
from zuofeng.errors import TokenError
from zuofeng.store import Sheet, answers, responses, store_sheets, tokens

KILLED = 17

CHILD = """
import os, sys
from zuofeng import store
from zuofeng.store import Sheet, open_engine, store_sheets
url, rnd, step, rater, token_hash, tag = sys.argv[1:]
seen = []
def hook(name):
    seen.append(name)
    if name == step:
        os._exit(17)
store.unlinking._step_hook = hook
engine = open_engine(url)
store_sheets(engine, rnd, [Sheet("self", rater, rater, {i: 3 for i in range(1, 23)}, comment=tag,
                                 token_hash=token_hash)])
print("steps:", " ".join(seen))
"""

STEPS = ["token consumed", "stored", "rewritten"]


def _xmins(engine, rnd: str) -> tuple[set[int], set[int], set[int]]:
    with engine.connect() as c:
        return tuple(set(c.scalars(text(sql), {"r": rnd})) for sql in (
            "SELECT xmin::text::bigint FROM tokens WHERE round = :r AND used",
            "SELECT xmin::text::bigint FROM responses WHERE round = :r",
            "SELECT xmin::text::bigint FROM answers WHERE response_id IN (SELECT id FROM responses WHERE round = :r)"))


def _wait_for_the_dead_session(engine) -> None:
    """PostgreSQL ends a killed client's session when it sees the connection closed; until then the
    session holds its locks (a real server that vanished without closing its connections holds them
    until ``idle_in_transaction_session_timeout``, which the README asks to set)."""
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as c:
            others = c.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
        if not others or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def _dead_versions(engine) -> int:
    with engine.begin() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        n = 0
        for table in ("tokens", "responses", "answers"):
            blocks = c.scalar(text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"))
            for b in range(blocks):  # versions replaced or deleted (xmax set), or line pointers left dead
                n += c.scalar(text(f"SELECT count(*) FROM heap_page_items(get_raw_page('{table}', {b})) "
                                   "WHERE lp_flags <> 1 OR t_xmax::text <> '0'"))
    return n


def test_a_submission_goes_through_its_steps_in_order(open_round, db_url):
    """The hook sees every step, in order (so a kill at each of them is a kill between two steps)."""
    engine, rnd = open_round
    it = tk.issue_tokens(engine, rnd, kind="self")[0]
    proc = subprocess.run([sys.executable, "-c", CHILD, db_url, rnd, "none", it.scope.rater,
                           tk.token_hash(it.token), "whole"], check=False, capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "steps: " + " ".join(STEPS)


def _cases():
    for backend in ("sqlite", "postgresql"):
        for step in STEPS:
            marks = [pytest.mark.pg] if backend == "postgresql" else []
            yield pytest.param(backend, step, marks=marks, id=f"{backend}-{step}")


@pytest.mark.parametrize("db_url, step", list(_cases()), indirect=["db_url"])
def test_a_server_killed_at_any_step_stores_the_sheet_once_or_not_at_all(step, open_round, db_url):
    engine, rnd = open_round
    backend = engine.dialect.name
    rng = random.Random(7)
    first, again, later = tk.issue_tokens(engine, rnd, kind="self")[:3]
    store_sheets(engine, rnd, [Sheet("self", again.scope.rater, again.scope.rater, {i: 2 for i in range(1, 23)},
                                     token_hash=tk.token_hash(again.token))])  # a sheet stored before
    h = tk.token_hash(first.token)
    proc = subprocess.run([sys.executable, "-c", CHILD, db_url, rnd, step, first.scope.rater, h, "killed"],
                          check=False, capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert proc.returncode == KILLED, proc.stdout + proc.stderr  # the hook fired: the process died at that step
    if backend == "postgresql":
        _wait_for_the_dead_session(engine)

    with engine.connect() as c:
        stored = c.scalar(select(func.count()).select_from(responses).where(responses.c.comment == "killed"))
        n_answers = c.scalar(select(func.count()).select_from(answers))
        used = c.scalar(select(tokens.c.used).where(tokens.c.hash == h))
    committed = step != "token consumed"
    assert stored == int(committed) and used is committed
    assert n_answers == 22 * (1 + stored)
    if backend == "postgresql" and step == "stored":  # died before the rewrite: the traces are there...
        tok_x, resp_x, _ = _xmins(engine, rnd)
        assert len(tok_x) == 2 and tok_x == resp_x

    # a second use of the token: refused when the sheet was stored, accepted once when it was not
    sheet = Sheet("self", first.scope.rater, first.scope.rater, {i: 4 for i in range(1, 23)}, comment="again",
                  token_hash=h)
    if committed:
        with pytest.raises(TokenError, match="该答题码已经使用过"):
            store_sheets(engine, rnd, [sheet])
    else:
        assert store_sheets(engine, rnd, [sheet]) == 1
    store_sheets(engine, rnd, [Sheet("self", later.scope.rater, later.scope.rater,
                                     {i: rng.randint(1, 5) for i in range(1, 23)},
                                     token_hash=tk.token_hash(later.token))])
    with engine.connect() as c:
        comments = sorted(c.scalars(select(responses.c.comment).where(responses.c.comment.is_not(None))))
        assert c.scalar(select(func.count()).select_from(responses)) == 3
        assert c.scalar(select(func.count()).select_from(tokens).where(tokens.c.used.is_(True))) == 3
    assert comments == (["killed"] if committed else ["again"])

    # ...and the next submission wiped them
    if backend == "postgresql":
        tok_x, resp_x, ans_x = _xmins(engine, rnd)
        assert len(tok_x) == 1 and tok_x == resp_x == ans_x
        assert _dead_versions(engine) == 0
    else:
        wal = Path(engine.url.database + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
