"""Two copies of the store: what a pair of snapshots taken around submissions tells.

One copy is not enough to pair a used token with its sheet (``tests/test_anonymity.py``,
``tests/test_anonymity_pg.py``): after every submission the store rewrites the token, response and
answer tables, so nothing but the values remains. Two copies are another matter. The attacker here
holds the slips and the token key (so knows every token's hash) and takes a copy of the store before
and after submissions, as a backup (``zuofeng backup``) or a polling reader (a notebook, a database
browser) would. Between the two copies one more token is used and one more sheet is stored: the
difference pairs them, whatever the store does to its files, because both changes must be durable at
the moment the respondent is told the sheet was received.

So these tests measure the residual the threat model states (docs/threat-model.md): copies taken around
every single submission pair every one of them, on SQLite and PostgreSQL; copies taken every ``m``
submissions pair no better than chance within those ``m`` (one in ``m``), because each copy is itself
unlinkable. A change that makes the tight pair fail must change the threat model too.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.manual import page
from zuofeng.collect import tokens as tk
from zuofeng.io.backup import backup
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, open_engine, responses, store_sheets, tokens

N_SHEETS = 20
ROSTER = "code,name,unit_type,headcount\nD1,一部,机关部室,24\n"  # one scope: the scope tells nothing


def _round(url: str, folder: Path):
    engine = open_engine(url)
    roster = folder / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R1", title="副本", roster=roster)
    set_status(engine, "R1", "open")
    issued = tk.issue_tokens(engine, "R1", kind="self")
    return engine, issued


def _reader_copy(engine) -> tuple[list[str], list[str]]:
    """What a polling reader sees: the used tokens' hashes and the stored sheets' ids, in the order the
    tables are read (no ORDER BY: the physical order)."""
    with engine.connect() as c:
        used = list(c.scalars(select(tokens.c.hash).where(tokens.c.used.is_(True))))
        ids = list(c.scalars(select(responses.c.id)))
    return used, ids


def _backup_copy(url: str, folder: Path, n: list[int]) -> tuple[list[str], list[str]]:
    """What a backup file holds, read as a file (no zuofeng code), in the file's order."""
    n[0] += 1
    out = backup(url, folder / f"copy{n[0]}.db").path
    con = sqlite3.connect(out)
    try:
        used = [h for (h,) in con.execute("SELECT hash FROM tokens WHERE used")]
        ids = [i for (i,) in con.execute("SELECT id FROM responses")]
    finally:
        con.close()
    return used, ids


def _attack(url: str, folder: Path, copy: str, every: int) -> tuple[int, int]:
    """Submit N_SHEETS sheets, a copy after every ``every`` of them; pair each used token with a sheet
    from the differences between consecutive copies. Returns (pairs right, pairs tried)."""
    engine, issued = _round(url, folder)
    rng = random.Random(23)
    n = [0]

    def take():
        return _reader_copy(engine) if copy == "reader" else _backup_copy(url, folder, n)

    truth: dict[str, str] = {}
    before = take()
    hits = 0
    for k, it in enumerate(issued[:N_SHEETS]):
        h = tk.token_hash(it.token)
        store_sheets(engine, "R1", [Sheet("self", "D1", "D1", {i: rng.randint(1, 5) for i in range(1, 23)},
                                          comment=f"sheet {k}", token_hash=h)])
        with engine.connect() as c:  # the test's truth (the attacker does not read comments)
            truth[h] = c.scalar(select(responses.c.id).where(responses.c.comment == f"sheet {k}"))
        if (k + 1) % every:
            continue
        after = take()
        # the new ones, each in the order the copy holds it: if the copy kept the order of arrival, lining
        # the two lists up would pair them
        new_used = [h for h in after[0] if h not in set(before[0])]
        new_ids = [i for i in after[1] if i not in set(before[1])]
        assert len(new_used) == len(new_ids) == every
        hits += sum(truth[t] == r for t, r in zip(new_used, new_ids))
        before = after
    engine.dispose()
    return hits, N_SHEETS


def _cases():
    for backend in ("sqlite", "postgresql"):
        marks = [pytest.mark.pg] if backend == "postgresql" else []
        for copy in ("backup", "reader") if backend == "sqlite" else ("reader",):
            yield pytest.param(backend, copy, marks=marks, id=f"{backend}-{copy}")


@pytest.mark.parametrize("db_url, copy", list(_cases()), indirect=["db_url"])
def test_copies_around_every_submission_pair_every_one(db_url, copy, tmp_path):
    """The residual: one submission between two copies is paired, 20 of 20."""
    hits, tried = _attack(db_url, tmp_path, copy, every=1)
    assert hits == tried == N_SHEETS


@pytest.mark.parametrize("db_url, copy", list(_cases()), indirect=["db_url"])
def test_copies_every_few_submissions_pair_no_better_than_chance_within_them(db_url, copy, tmp_path):
    """Five submissions between two copies: the copies say which five tokens and which five sheets, not
    which is which. The attacker lines up both in the order the copy holds them (the order of arrival,
    if the store kept it); chance is 4 of 20, the bound 12 the binomial (20, 1/5) upper tail below 1e-4."""
    hits, tried = _attack(db_url, tmp_path, copy, every=5)
    assert tried == N_SHEETS and hits <= 12


def test_the_threat_model_states_this_residual():
    text = page("threat-model.md")
    assert "tests/test_anonymity_copies.py" in text
    assert "两份副本" in text and "two copies" in text.lower()
