"""Benchmark: what wiping the traces of arrival after every survey submission costs, as the store grows.

Every sheet stored under a token is followed by ``store.unlink_round``: on PostgreSQL one transaction
that runs ``CLUSTER`` and then a rewriting ``ALTER TABLE`` (one transaction id for every row, no dead
versions) on the token, response and answer tables; on SQLite a ``VACUUM`` and an emptied write-ahead
log. The baseline,
measured in the same run on the same store, is the same call with that step replaced by what a sheet
without a token gets (SQLite: only the write-ahead log is emptied; PostgreSQL: nothing).

For stores already holding N sheets (default 500, 2000 and 5000; a large campaign round is about
2000), it prints the median time of one submission (of 15, min–max) and the ratio to the baseline.
Goal: one submission with the wiping stays under 0.5 s at N = 2000, so a burst of 20 pages queues
for a few seconds at most.

Run: ``.venv/bin/python bench/bench_submit.py`` (``--db postgresql+psycopg://…`` for an empty
PostgreSQL database; ``--sizes 500`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from zuofeng import store
from zuofeng.collect.tokens import issue_tokens, token_hash
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, metadata, open_engine, store_sheets

RUNS = 15


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.0f} ms [{min(xs) * 1000:.0f}–{max(xs) * 1000:.0f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000], help="sheets already stored")
    ap.add_argument("--db", help="an empty PostgreSQL database URL (default: an SQLite file)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zuofeng-bench-submit-"))
    os.environ["ZUOFENG_KEY_FILE"] = str(work / "token.key")
    rng = random.Random(1)
    print(f"zuofeng submission benchmark: {RUNS} submissions per size and mode, {os.cpu_count()} cores")
    print(f"{'N stored':>9}  {'with wiping':>24}  {'baseline (no wiping)':>24}  ratio")
    for n in args.sizes:
        url = args.db or f"sqlite:///{work / f'store{n}.db'}"
        engine = open_engine(url)
        if args.db:
            with engine.begin() as c:  # start every size from an empty database
                for table in reversed(metadata.sorted_tables):
                    c.execute(text(f"DELETE FROM {table.name}"))
        heads = max(1, (n + 2 * RUNS) // 20 + 1)
        roster = work / "roster.csv"
        roster.write_text("code,name,unit_type,headcount\n" +
                          "".join(f"D{i:02d},部门{i:02d},机关部室,{heads}\n" for i in range(20)), encoding="utf-8")
        create_round(engine, "R1", title="基准", roster=roster)
        set_status(engine, "R1", "open")
        toks = issue_tokens(engine, "R1", kind="self")
        rng.shuffle(toks)

        def sheet(t):
            return Sheet("self", t.scope.rater, t.scope.target, {i: rng.randint(1, 5) for i in range(1, 23)},
                         token_hash=token_hash(t.token))

        store_sheets(engine, "R1", [sheet(t) for t in toks[:n]], source="import")
        rest = toks[n:]
        times: dict[str, list[float]] = {"wipe": [], "baseline": []}
        unlink = store.storing._unlink_after_arrival
        for k in range(2 * RUNS):  # alternate, so that both modes see the same growth
            mode = "wipe" if k % 2 == 0 else "baseline"
            store.storing._unlink_after_arrival = unlink if mode == "wipe" else (lambda e, _r: store.unlinking._checkpoint(e))
            t0 = time.perf_counter()
            store_sheets(engine, "R1", [sheet(rest[k])], source="survey")
            times[mode].append(time.perf_counter() - t0)
        store.storing._unlink_after_arrival = unlink
        ratio = statistics.median(times["wipe"]) / statistics.median(times["baseline"])
        print(f"{n:>9}  {spread(times['wipe']):>24}  {spread(times['baseline']):>24}  {ratio:5.1f}x", flush=True)
        engine.dispose()
    print("goal: with wiping < 500 ms at N = 2000")


if __name__ == "__main__":
    main()
