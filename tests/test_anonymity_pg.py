"""The attacker on PostgreSQL: what the server keeps besides the rows.

Every row version carries the id of the transaction that wrote it (``xmin``) and, once replaced, of the
one that replaced it (``xmax``); with ``track_commit_timestamp=on`` (CI starts the server with it),
``pg_xact_commit_timestamp(xmin)`` gives that transaction's commit time; ``ctid`` is where the version
sits; replaced versions stay in the pages until a rewrite or VACUUM and ``pageinspect`` reads them. A
submission consumes its token and stores its sheet in one transaction, so each of these pairs them
unless the store wipes it (``store.unlink_round``).

The attacker holds a superuser connection and the slips and key (so knows every token hash and the order
in which tokens were used). Each strategy guesses a response for every used token; over several rounds
of ``N_SHEETS`` sheets the hits must stay under a binomial bound of chance, while the round is open and
after it closes, with one survey server and with two (two desks in their own processes sharing the
store). The controls run the same code on rounds whose traces were deliberately not wiped: stored
without ``unlink_round``, every live-row strategy pairs them; re-stamped by ``UPDATE … SET col = col``
(one transaction id for all live rows) but not rewritten, the dead versions pair them. So the attack
works, and only the rewrite defeats it.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scipy.stats import binom
from sqlalchemy import select, text

from tests.support.store import pg_database
from zuofeng import store
from zuofeng.collect import tokens as tk
from zuofeng.collect.desk import DeskClient
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, answers, open_engine, responses

pytestmark = pytest.mark.pg

N_SHEETS = 20  # sheets per round: the attacker must pair 20 or more
ROUNDS = 3  # rounds per mode: 60 sheets behind every figure
ALPHA = 1e-6
ROSTER = "code,name,unit_type,headcount\nD1,一部,机关部室,24\n"

LIVE = ["join on xmin", "join answers on xmin", "join on commit time", "order by xmin", "order by commit time",
        "xmin order x arrival", "commit time order x arrival", "ctid order", "ctid order x arrival",
        "answers ctid order x arrival"]
DEAD = ["dead versions: join on xmin or xmax", "dead versions: commit time"]
STRATEGIES = LIVE + DEAD
PAIRS_WITHOUT_UNLINKING = ["join on xmin", "join answers on xmin", "join on commit time", "order by xmin",
                           "order by commit time", "xmin order x arrival", "commit time order x arrival",
                           "ctid order x arrival", "answers ctid order x arrival"]
PAIRS_WITHOUT_REWRITE = DEAD


@dataclass
class Trial:
    order: list[str]  # token hashes in the order they were used
    truth: dict[str, str]  # token hash -> response id
    guesses: dict[str, dict[str, str]] = field(default_factory=dict)  # strategy -> hash -> response id


def vector(rng) -> dict[int, int | None]:
    return {i: rng.choice((1, 2, 3, 4, 5, None)) for i in range(1, 23)}


def _ctid(s: str) -> tuple[int, int]:
    block, offset = s.strip("()").split(",")
    return int(block), int(offset)


def _pick(candidates) -> str | None:
    return min(candidates) if candidates else None  # ties: one fixed choice, never a lucky draw


def _join(left: dict[str, object], right: dict[str, object]) -> dict[str, str]:
    by_value: dict[object, set[str]] = {}
    for rid, v in right.items():
        by_value.setdefault(v, set()).add(rid)
    return {h: _pick(by_value.get(v, ())) for h, v in left.items()}


def _sorted_keys(values: dict[str, object]) -> list[str]:
    return sorted(values, key=lambda k: (values[k], k))


def _versions(conn, table: str) -> list[tuple[int, int, bytes]]:
    """Every row version in the table's pages, dead or alive: (t_xmin, t_xmax, t_data)."""
    blocks = conn.execute(text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"),
                          {"t": table}).scalar()
    out = []
    for b in range(blocks):
        out.extend(conn.execute(text(
            "SELECT t_xmin::text::bigint, t_xmax::text::bigint, t_data "
            "FROM heap_page_items(get_raw_page(:t, :b)) WHERE t_data IS NOT NULL"), {"t": table, "b": b}).all())
    return [(xmin, xmax, bytes(data)) for xmin, xmax, data in out]


def observe(conn, rnd: str, trial: Trial) -> None:
    """Fill ``trial.guesses`` from what a superuser connection shows now (no ORDER BY anywhere)."""
    toks = {h: (x, _ctid(c), ts) for h, x, c, ts in conn.execute(text(
        "SELECT hash, xmin::text::bigint, ctid::text, pg_xact_commit_timestamp(xmin) FROM tokens "
        "WHERE round = :r AND used"), {"r": rnd})}
    resp = {i: (x, _ctid(c), ts) for i, x, c, ts in conn.execute(text(
        "SELECT id, xmin::text::bigint, ctid::text, pg_xact_commit_timestamp(xmin) FROM responses "
        "WHERE round = :r"), {"r": rnd})}
    ids = set(resp)
    ans_xmin: dict[str, set[int]] = {}
    ans_ctid: dict[str, tuple[int, int]] = {}
    for rid, x, c in conn.execute(text("SELECT response_id, xmin::text::bigint, ctid::text FROM answers")):
        if rid in ids:
            ans_xmin.setdefault(rid, set()).add(x)
            ans_ctid[rid] = min(ans_ctid.get(rid, (1 << 62, 0)), _ctid(c))
    assert set(toks) == set(trial.truth) and ids == set(trial.truth.values())
    g = trial.guesses
    g["join on xmin"] = _join({h: v[0] for h, v in toks.items()}, {i: v[0] for i, v in resp.items()})
    g["join answers on xmin"] = {h: _pick([i for i, xs in ans_xmin.items() if v[0] in xs]) for h, v in toks.items()}
    g["join on commit time"] = _join({h: v[2] for h, v in toks.items()}, {i: v[2] for i, v in resp.items()})
    for name, k in (("xmin", 0), ("commit time", 2)):
        t_order = _sorted_keys({h: v[k] for h, v in toks.items()})
        r_order = _sorted_keys({i: v[k] for i, v in resp.items()})
        g[f"order by {name}"] = dict(zip(t_order, r_order))
        g[f"{name} order x arrival"] = dict(zip(trial.order, r_order))
    g["ctid order"] = dict(zip(_sorted_keys({h: v[1] for h, v in toks.items()}),
                               _sorted_keys({i: v[1] for i, v in resp.items()})))
    g["ctid order x arrival"] = dict(zip(trial.order, _sorted_keys({i: v[1] for i, v in resp.items()})))
    g["answers ctid order x arrival"] = dict(zip(trial.order, _sorted_keys(ans_ctid)))

    # dead row versions: every version that holds a known hash or id, with the transactions it names
    tok_x: dict[str, set[int]] = {h: set() for h in toks}
    resp_x: dict[str, set[int]] = {i: set() for i in ids}
    enc_t = {h: h.encode("ascii") for h in toks}
    enc_r = {i: i.encode("ascii") for i in ids}
    for table, enc, into in (("tokens", enc_t, tok_x), ("responses", enc_r, resp_x), ("answers", enc_r, resp_x)):
        for xmin, xmax, data in _versions(conn, table):
            for key, b in enc.items():
                if b in data:
                    into[key].update(x for x in (xmin, xmax) if x)
    g["dead versions: join on xmin or xmax"] = _rarest(tok_x, resp_x)
    every = {x for xs in [*tok_x.values(), *resp_x.values()] for x in xs}
    ts = dict(conn.execute(text("SELECT x, pg_xact_commit_timestamp(CAST(CAST(x AS text) AS xid)) "
                                "FROM unnest(CAST(:xs AS bigint[])) AS x"), {"xs": sorted(every)}).all())
    g["dead versions: commit time"] = _rarest({h: {ts[x] for x in xs if ts[x]} for h, xs in tok_x.items()},
                                              {i: {ts[x] for x in xs if ts[x]} for i, xs in resp_x.items()})


def _rarest(left: dict[str, set], right: dict[str, set]) -> dict[str, str]:
    """For each token, the responses that share its rarest mark (a transaction id or commit time)."""
    holders: dict[object, set[str]] = {}
    for rid, marks in right.items():
        for m in marks:
            holders.setdefault(m, set()).add(rid)
    out = {}
    for h, marks in left.items():
        shared = [holders[m] for m in marks if m in holders]
        out[h] = _pick(min(shared, key=len)) if shared else None
    return out


def restamp_only(engine, rnd: str) -> None:
    """The control's half measure: one transaction rewrites every used token, response and answer row of
    the round with the same values, so the live rows share its id and commit time; nothing else."""
    with engine.begin() as c:
        c.execute(text("UPDATE tokens SET used = used WHERE round = :r AND used"), {"r": rnd})
        c.execute(text("UPDATE responses SET round = round WHERE round = :r"), {"r": rnd})
        c.execute(text("UPDATE answers SET value = value WHERE response_id IN "
                       "(SELECT id FROM responses WHERE round = :r)"), {"r": rnd})


def new_round(engine, rnd: str, roster: Path, rng) -> tuple[list, list]:
    create_round(engine, rnd, title="攻击试验", roster=roster)
    set_status(engine, rnd, "open")
    used = rng.sample(tk.issue_tokens(engine, rnd, kind="self"), N_SHEETS)
    vectors = []
    while len(vectors) < N_SHEETS:
        v = vector(rng)
        if v not in vectors:
            vectors.append(v)
    return used, vectors


def truth_of(engine, rnd: str, hashes: list[str], vectors: list[dict]) -> dict[str, str]:
    with engine.connect() as c:
        got: dict[str, dict] = {}
        for rid, item, value in c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)
                                          .join(responses, responses.c.id == answers.c.response_id)
                                          .where(responses.c.round == rnd)):
            got.setdefault(rid, {})[item] = value
    truth = {hashes[vectors.index(v)]: rid for rid, v in got.items()}
    assert len(truth) == N_SHEETS
    return truth


def submit_here(engine, rnd: str, used, vectors) -> list[str]:
    order = []
    for it, v in zip(used, vectors):  # one submission per transaction, as a survey page makes them
        h = tk.token_hash(it.token)
        store.store_sheets(engine, rnd, [Sheet("self", it.scope.rater, it.scope.target, v, token_hash=h)])
        order.append(h)
    return order


DESK_CHILD = """
import sys
from zuofeng.store import open_engine
from zuofeng.collect.desk import Desk
engine = open_engine(sys.argv[1])
with Desk(engine, sys.argv[2], sys.argv[3]):
    print("ready", flush=True)
    sys.stdin.read()
engine.dispose()
"""


def submit_through_two_desks(url: str, rnd: str, used, vectors, folder: Path) -> list[str]:
    """Two survey servers, each a desk in its own process with its own engine, take sheets at once."""
    desks = []
    for k in range(2):
        path = folder / f"desk{rnd}-{k}.sock"
        p = subprocess.Popen([sys.executable, "-c", DESK_CHILD, url, rnd, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        assert p.stdout.readline().strip() == "ready"
        desks.append((p, DeskClient(str(path))))
    done: list[tuple[float, str]] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        client = desks[k][1]
        for it, v in list(zip(used, vectors))[k::2]:
            h = tk.token_hash(it.token)
            client.store(rnd, Sheet("self", it.scope.rater, it.scope.target, v, token_hash=h))
            with lock:
                done.append((time.monotonic(), h))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for p, _ in desks:
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    assert len(done) == N_SHEETS
    return [h for _, h in sorted(done)]  # the attacker's best knowledge of the order: when pages were answered


_RESULTS: dict[str, list[Trial]] = {}


def run_attack(tmp_path_factory) -> dict[str, list[Trial]]:
    if _RESULTS:
        return _RESULTS
    folder = tmp_path_factory.mktemp("attack-pg")
    roster = folder / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    gen = pg_database()  # skips without ZUOFENG_TEST_PG, fails on CI
    url = next(gen)
    engine = open_engine(url)
    res: dict[str, list[Trial]] = {}
    try:
        with engine.begin() as c:
            c.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            assert c.scalar(text("SHOW track_commit_timestamp")) == "on"
        rng = random.Random(90)
        mp = pytest.MonkeyPatch()
        for k in range(ROUNDS):
            # the controls first, each observed at once: later submissions rewrite the whole tables
            for name, instead in (("control: not unlinked", lambda *a: None),
                                  ("control: re-stamped, not rewritten", restamp_only)):
                rnd = f"C{k}{'ab'[instead is restamp_only]}"
                used, vectors = new_round(engine, rnd, roster, rng)
                # A snapshot held open elsewhere keeps replaced versions in the pages (without it,
                # PostgreSQL prunes some of them from full pages while they are read).
                with mp.context() as m, engine.connect() as holder:
                    holder.execution_options(isolation_level="REPEATABLE READ")
                    holder.execute(text("SELECT 1"))
                    m.setattr(store.storing, "_unlink_after_arrival", instead)
                    order = submit_here(engine, rnd, used, vectors)
                    trial = Trial(order, truth_of(engine, rnd, order, vectors))
                    with engine.connect() as c:
                        observe(c, rnd, trial)
                res.setdefault(name, []).append(trial)
            for mode in ("one server", "two servers"):
                rnd = f"R{k}{mode[0]}"
                used, vectors = new_round(engine, rnd, roster, rng)
                if mode == "one server":
                    order = submit_here(engine, rnd, used, vectors)
                else:
                    order = submit_through_two_desks(url, rnd, used, vectors, folder)
                truth = truth_of(engine, rnd, [tk.token_hash(u.token) for u in used], vectors)
                trial = Trial(order, truth)
                with engine.connect() as c:
                    observe(c, rnd, trial)
                res.setdefault(f"{mode}, open", []).append(trial)
                set_status(engine, rnd, "closed")
                closed = Trial(order, truth)
                with engine.connect() as c:
                    observe(c, rnd, closed)
                res.setdefault(f"{mode}, closed", []).append(closed)
    finally:
        engine.dispose()
        gen.close()
    _RESULTS.update(res)
    return _RESULTS


def hits(trials: list[Trial], strategy: str) -> int:
    return sum(t.guesses[strategy].get(h) == rid for t in trials for h, rid in t.truth.items())


def chance_bound(trials: int) -> int:
    return int(binom.isf(ALPHA, trials * N_SHEETS, 1 / N_SHEETS))


@pytest.mark.slow
@pytest.mark.parametrize("state", ["one server, open", "one server, closed", "two servers, open",
                                   "two servers, closed"])
def test_attacker_pairs_responses_with_tokens_no_better_than_chance(state, tmp_path_factory):
    trials = run_attack(tmp_path_factory)[state]
    bound = chance_bound(len(trials))
    got = {s: hits(trials, s) for s in STRATEGIES}
    assert max(got.values()) <= bound, f"{state}: {got} of {len(trials) * N_SHEETS}, bound {bound}"


@pytest.mark.slow
@pytest.mark.parametrize("control, strategies", [("control: not unlinked", PAIRS_WITHOUT_UNLINKING),
                                                 ("control: re-stamped, not rewritten", PAIRS_WITHOUT_REWRITE)])
def test_the_same_attack_pairs_rounds_whose_traces_were_left(control, strategies, tmp_path_factory):
    trials = run_attack(tmp_path_factory)[control]
    n = len(trials) * N_SHEETS
    got = {s: hits(trials, s) for s in strategies}
    assert min(got.values()) >= 0.9 * n > 2 * chance_bound(len(trials)), got
