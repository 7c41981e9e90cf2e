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

import functools
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from scipy.stats import binom
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests.manual import page
from tests.support.ci import require_or_skip
from tests.support.store import pg_database
from zuofeng.collect import tokens as tk
from zuofeng.coverage import coverage
from zuofeng.io.backup import backup
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, open_engine, responses, store_sheets, token_usage, tokens

N_SHEETS = 20
HEAD = 24
ROSTER = f"code,name,unit_type,headcount\nD1,一部,机关部室,{HEAD}\n"  # one scope: the scope tells nothing
ALPHA = 1e-6


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
    """Each of the threat model's sentences on copies names the test of this file that measures it."""
    text = page("threat-model.md")
    assert "两份副本" in text and "Two copies around one submission" in text
    assert "`tests/test_anonymity_copies.py`" in text
    for name in MEASURED:
        assert f"`{name}`" in text and callable(globals()[name]), name
    assert "A copy taken in the instant between" not in text  # the unmeasured sentence it replaces


# --- the reading role (PostgreSQL) -------------------------------------------------------------------

def _reading_role_sql(role: str, database: str) -> str:
    """The SQL that docs/guide/deploy.md gives for the reading role, with the test's names."""
    blocks = re.findall(r"```sql\n(.*?)```", page("guide/deploy.md"), flags=re.DOTALL)
    sql = next(b for b in blocks if "zuofeng_reader" in b)
    return sql.replace("zuofeng_reader", role).replace("DATABASE zuofeng", f'DATABASE "{database}"')


@pytest.fixture
def reading_role(tmp_path):
    """A PostgreSQL store and a role made as docs/guide/deploy.md says: ``(owner's URL, role's URL)``."""
    gen = pg_database()
    url = next(gen)
    role = f"zfr_{uuid.uuid4().hex[:10]}"
    owner = open_engine(url)  # migrated: the tables and the counting function exist
    try:
        with owner.begin() as c:
            for statement in _reading_role_sql(role, make_url(url).database).split(";"):
                if statement.strip():
                    c.exec_driver_sql(statement)
        yield url, make_url(url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with owner.begin() as c:
            c.exec_driver_sql(f"DROP OWNED BY {role}")
            c.exec_driver_sql(f"DROP ROLE {role}")
        owner.dispose()
        gen.close()


@pytest.mark.pg
def test_a_reading_role_counts_tokens_but_cannot_read_them(reading_role, tmp_path):
    """The role reads responses and answers, coverage and ``tokens status`` work under it and say what
    they say under the owner, and the token table itself is refused."""
    url, role_url = reading_role
    engine, issued = _round(url, tmp_path)
    for it in issued[:3]:
        store_sheets(engine, "R1", [Sheet("self", "D1", "D1", {i: 3 for i in range(1, 23)},
                                          token_hash=tk.token_hash(it.token))])
    reader = open_engine(role_url)
    try:
        with reader.connect() as c:
            assert c.scalar(select(func.count()).select_from(responses)) == 3
            with pytest.raises(ProgrammingError, match="permission denied"):
                c.execute(select(tokens.c.hash)).all()
        with reader.connect() as c:
            assert token_usage(c, "R1") == {("self", "D1", "D1", None): (HEAD, 3)}
        assert tk.token_counts(reader, "R1") == tk.token_counts(engine, "R1")
        assert coverage(reader, "R1") == coverage(engine, "R1")
    finally:
        reader.dispose()
        engine.dispose()


@pytest.mark.pg
def test_a_reading_roles_copies_around_every_submission_pair_no_better_than_chance(reading_role, tmp_path):
    """Copies taken around every one of 20 submissions, in the same run by the reading role and by the
    owner (what a superuser or ``pg_dump`` sees). The owner's pair 20 of 20 (the difference names the
    used token). The role's show one more used token in the scope and one more sheet, not which token:
    its attacker, holding every slip, names the next slip in the order they were issued; the respondents
    come in a random order, so each guess is right with probability 1/24, and the bound is the binomial
    (20, 1/24) upper tail at 1e-6."""
    url, role_url = reading_role
    engine, issued = _round(url, tmp_path)
    reader = open_engine(role_url)
    hashes = [tk.token_hash(it.token) for it in issued]  # the attacker's: slips and key
    rng = random.Random(7)
    arrivals = rng.sample(range(HEAD), N_SHEETS)

    def role_copy():
        with reader.connect() as c:
            return token_usage(c, "R1")[("self", "D1", "D1", None)][1], set(c.scalars(select(responses.c.id)))

    owner_hits = role_hits = 0
    before_owner, before_role = _reader_copy(engine), role_copy()
    guesses = iter(hashes)
    for k, who in enumerate(arrivals):
        store_sheets(engine, "R1", [Sheet("self", "D1", "D1", {i: rng.randint(1, 5) for i in range(1, 23)},
                                          comment=f"sheet {k}", token_hash=hashes[who])])
        with engine.connect() as c:
            truth = c.scalar(select(responses.c.id).where(responses.c.comment == f"sheet {k}"))
        after_owner, after_role = _reader_copy(engine), role_copy()
        (used,) = set(after_owner[0]) - set(before_owner[0])
        (sheet,) = set(after_owner[1]) - set(before_owner[1])
        owner_hits += used == hashes[who] and sheet == truth
        assert after_role[0] == before_role[0] + 1  # what the role learns: one more used, in this scope
        (sheet,) = after_role[1] - before_role[1]
        role_hits += sheet == truth and next(guesses) == hashes[who]
        before_owner, before_role = after_owner, after_role
    reader.dispose()
    engine.dispose()
    assert owner_hits == N_SHEETS
    bound = int(binom.isf(ALPHA, N_SHEETS, 1 / HEAD))
    assert role_hits <= bound, f"{role_hits} of {N_SHEETS}, bound {bound}"


#: the tests that docs/threat-model.md names, sentence by sentence
MEASURED = [
    "test_copies_around_every_submission_pair_every_one",
    "test_copies_every_few_submissions_pair_no_better_than_chance_within_them",
    "test_a_reading_roles_copies_around_every_submission_pair_no_better_than_chance",
    "test_a_reading_role_counts_tokens_but_cannot_read_them",
    "test_the_wal_with_wal_level_minimal_pairs_every_submission",
]


# --- PostgreSQL's write-ahead log with wal_level = minimal -------------------------------------------

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
SEGMENT = 16 * 1024 * 1024  # initdb's default WAL segment size


def _as_postgres(*argv) -> list[str]:
    """Run a server binary as the ``postgres`` user when the tests run as root (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--", *map(str, argv)] if os.geteuid() == 0 else [str(a) for a in argv]


@pytest.fixture
def minimal_wal_cluster():
    """A throw-away cluster with ``wal_level = minimal`` and ``max_wal_senders = 0``, as the threat model
    recommends: ``(store URL, pg_wal folder, bin folder)``."""
    require_or_skip(bool(PG_BIN), "no PostgreSQL server binaries under /usr/lib/postgresql")
    bin_ = PG_BIN[-1]
    folder = Path(tempfile.mkdtemp(prefix="zuofeng-wal-"))  # not under pytest's root-only folder
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=120)
    try:
        run(_as_postgres(bin_ / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--locale=C.UTF-8"))
        run(_as_postgres(bin_ / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "start", "-o",
                         f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c wal_level=minimal "
                         "-c max_wal_senders=0"))
        run(_as_postgres(bin_ / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "zuofeng"))
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/zuofeng", data / "pg_wal", bin_
    finally:
        subprocess.run(_as_postgres(bin_ / "pg_ctl", "-D", data, "-m", "immediate", "stop"),
                       check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


_RECORD = re.compile(r"rmgr: Heap2?\s+len \(rec/tot\):\s+\d+/\s*(\d+), tx:\s+(\d+), lsn: ([0-9A-F]+)/([0-9A-F]+), "
                     r".*desc: (\S+) off (\d+).*blkref #0: rel \d+/\d+/(\d+) blk (\d+)")


def _wal_records(wal: Path, bin_: Path) -> list[dict]:
    """Every heap record of the WAL, as ``pg_waldump`` prints it (from the first segment on), with its
    raw bytes read from the segment file that holds it."""
    segments = sorted(p.name for p in wal.iterdir() if re.fullmatch(r"[0-9A-F]{24}", p.name))
    # it ends with an error where the records end: not a failure
    dump = subprocess.run([str(bin_ / "pg_waldump"), "-p", str(wal), segments[0]], check=False,
                          capture_output=True, text=True, timeout=120).stdout
    raw: dict[str, bytes] = {}
    out = []
    for m in _RECORD.finditer(dump):
        total, xid, hi, lo, what, off, rel, blk = m.groups()
        lsn = (int(hi, 16) << 32) + int(lo, 16)
        number = lsn // SEGMENT
        name = f"{segments[0][:8]}{number // 256:08X}{number % 256:08X}"
        if name not in raw:
            raw[name] = (wal / name).read_bytes()
        at = lsn % SEGMENT
        out.append({"xid": int(xid), "what": what, "rel": rel, "blk": int(blk), "off": int(off),
                    "bytes": raw[name][at:at + int(total) + 64]})
    return out


@pytest.mark.pg
def test_the_wal_with_wal_level_minimal_pairs_every_submission(minimal_wal_cluster, tmp_path):
    """``wal_level = minimal`` leaves out what rewrites a table, not what a submission writes: its one
    transaction updates the token's row (``pg_waldump`` names its place) and inserts the sheet (its id in
    the record's bytes). The attacker holds the slips and key, the WAL and no copy of the store: the row's
    place is its rank in the order the tokens were issued (the issuing records, read the same way), or,
    once the store has rewritten the table, in the order of the hashes. 20 sheets in a random order."""
    url, wal, bin_ = minimal_wal_cluster
    engine, issued = _round(url, tmp_path)
    with engine.connect() as c:
        assert c.scalar(text("SHOW wal_level")) == "minimal"
    hashes = [tk.token_hash(it.token) for it in issued]
    rng = random.Random(11)
    truth = {}
    for k, who in enumerate(rng.sample(range(HEAD), N_SHEETS)):
        store_sheets(engine, "R1", [Sheet("self", "D1", "D1", {i: rng.randint(1, 5) for i in range(1, 23)},
                                          comment=f"sheet {k}", token_hash=hashes[who])])
        with engine.connect() as c:
            truth[hashes[who]] = c.scalar(select(responses.c.id).where(responses.c.comment == f"sheet {k}"))
    engine.dispose()

    records = _wal_records(wal, bin_)
    ids = set(truth.values())  # the attacker's list of sheet ids: any later copy of the responses has them
    issuing = {(r["rel"], r["blk"], r["off"]): h for r in records if r["what"].startswith("INSERT")
               for h in hashes if h.encode() in r["bytes"]}
    issued_rel = {rel for rel, _, _ in issuing}
    ranked = {(0, k + 1): h for k, h in enumerate(sorted(hashes))}  # the rewritten table: one page here
    by_xid: dict[int, list[dict]] = {}
    for r in records:
        by_xid.setdefault(r["xid"], []).append(r)
    guesses = {}
    for recs in by_xid.values():
        # the sheet's row and its answers' rows: one id
        sheet = list({i for r in recs if r["what"].startswith("INSERT") for i in ids if i.encode() in r["bytes"]})
        updated = [r for r in recs if r["what"] in ("UPDATE", "HOT_UPDATE")]
        if len(sheet) != 1 or not updated:
            continue
        u = updated[0]
        place = (u["rel"], u["blk"], u["off"])
        if u["rel"] in issued_rel:  # the table as issued: the issuing record, or else the slips' order
            guesses[sheet[0]] = issuing.get(place) or (hashes[u["off"] - 1] if u["blk"] == 0 else None)
        else:
            guesses[sheet[0]] = ranked.get((u["blk"], u["off"]))
    hits = sum(guesses.get(rid) == h for h, rid in truth.items())
    assert hits == N_SHEETS, f"{hits} of {N_SHEETS}"
