"""Concurrency: 24 processes submit at once into one store; some hold the same token.

Nothing is lost, nothing is stored twice, and each token is accepted exactly once: for every token
exactly one submission wins and every other one gets the clear "already been used" refusal.
Each process opens its own engine, as separate survey servers would.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections import Counter

from sqlalchemy import func, select

from zuofeng.collect import tokens as tk
from zuofeng.store import answers, responses, tokens

PROCESSES = 24
SHARES = (3,) * 10 + (2,) * 10 + (1,) * 12  # how many processes hold each of 32 tokens: 62 submissions
USED = "该答题码已经使用过"  # the store's refusal of a token that is used already


def submit_worker(url: str, key_file: str, round_code: str, jobs: list, barrier, results) -> None:
    """One survey server storing sheets; report what happened to each job. No lookup first: the store
    alone must refuse the second use of a token, however close together the two submissions are."""
    import os
    os.environ["ZUOFENG_KEY_FILE"] = key_file
    from zuofeng.collect import tokens as tk
    from zuofeng.errors import TokenError
    from zuofeng.store import Sheet, open_engine, store_sheets

    engine = open_engine(url)
    out = []
    try:
        barrier.wait(timeout=60)
        for job in jobs:
            t0 = time.monotonic()
            try:
                sheet = Sheet("self", job["rater"], job["rater"], job["answers"], comment=job["tag"],
                              token_hash=tk.token_hash(job["token"]))
                store_sheets(engine, round_code, [sheet])
                outcome = "ok"
            except TokenError as e:
                outcome = e.message
            except Exception as e:  # noqa: BLE001 -- any other error is reported to the test, which fails on it
                outcome = f"{type(e).__name__}: {e}"
            out.append((job["token"], job["tag"], outcome, t0, time.monotonic()))
    finally:
        engine.dispose()
        results.put(out)


def plan_jobs(issued, rng):
    """Give each of 32 tokens to 3, 2 or 1 processes; a distinct answer sheet and tag per submission."""
    chosen = rng.sample(issued, len(SHARES))
    jobs = [[] for _ in range(PROCESSES)]
    for n, (it, share) in enumerate(zip(chosen, SHARES)):
        least_busy = sorted(range(PROCESSES), key=lambda q: (len(jobs[q]), rng.random()))
        for p in least_busy[:share]:  # distinct processes, so every process gets two or three jobs
            ans = {i: 1 + (n + p + i) % 5 for i in range(1, 23)}
            jobs[p].append({"token": it.token, "rater": it.scope.rater, "tag": f"t{n:02d}-p{p:02d}",
                            "answers": ans, "share": share})
    for j in jobs:  # shared tokens first: right after the barrier, racers hit the same token together
        rng.shuffle(j)
        j.sort(key=lambda job: -job["share"])
    return chosen, jobs


def max_overlap(intervals) -> int:
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: (e[0], e[1]))
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def test_simultaneous_submissions_lose_nothing_and_accept_each_token_once(open_round, db_url):
    engine, rnd = open_round
    rng = random.Random(20)
    issued = tk.issue_tokens(engine, rnd, kind="self")
    chosen, jobs = plan_jobs(issued, rng)
    assert all(jobs) and sum(map(len, jobs)) == sum(SHARES) == 62

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["sqlalchemy", "psycopg", "zuofeng.store", "zuofeng.collect.tokens", "zuofeng.instrument"])
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    key_file = str(tk.token_key_path())
    procs = [ctx.Process(target=submit_worker, args=(db_url, key_file, rnd, j, barrier, results)) for j in jobs]
    for p in procs:
        p.start()
    reports = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * PROCESSES

    done = [r for rep in reports for r in rep]
    assert len(done) == 62
    outcomes = Counter(o for _, _, o, _, _ in done)
    assert set(outcomes) <= {"ok", USED}, outcomes
    winners = {}
    for token, tag, outcome, _, _ in done:
        if outcome == "ok":
            assert token not in winners, f"token accepted twice: {winners.get(token)} and {tag}"
            winners[token] = tag
    assert set(winners) == {c.token for c in chosen}  # every distinct token landed...
    assert outcomes["ok"] == 32 and outcomes[USED] == 62 - 32  # ...exactly once

    with engine.connect() as c:
        stored = Counter(c.scalars(select(responses.c.comment)))
        n_answers = c.scalar(select(func.count()).select_from(answers))
        used = set(c.scalars(select(tokens.c.hash).where(tokens.c.used.is_(True))))
    assert stored == Counter(winners.values())  # each winner's own sheet, once; no loser's sheet
    assert n_answers == 32 * 22
    assert used == {tk.token_hash(c.token) for c in chosen}
    # the processes really ran at the same time: many submissions were in flight together
    assert max_overlap([(a, b) for *_, a, b in done]) >= PROCESSES // 2
