"""Measure: for how many departments is each view's overall index published, with organisation-wide 互评?

For each roster (the demo roster, a 市科协-like roster of 12 departments in two divisions and a tiny
roster of 5 departments of 3–6), each outside mode, response rate and seed: create a round, store
``zuofeng simulate``'s sheets, score it, and count the departments whose overall index is published
in each kind (self, peer_inside, peer_outside, all). Prints one line per roster × mode with the share
over all runs, and the smallest number of outside raters behind a published outside figure.

Run: ``.venv/bin/python bench/bench_outside.py`` (``--modes all targets``, ``--rates 0.8 0.9 1.0``,
``--seeds 1 2 3``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from zuofeng.api import demo_roster
from zuofeng.axes import KINDS
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.simulate import simulate
from zuofeng.store import open_engine

DATA = Path(__file__).parent / "data"
ROSTERS = {"demo": demo_roster(), "kexie": DATA / "kexie_roster.csv", "tiny": DATA / "tiny_roster.csv"}


def published_shares(roster, mode: str, rate: float, seed: int, folder: str) -> tuple[dict, int, int]:
    """Per kind, how many departments have a published overall index; the number of departments; the
    smallest n behind a published outside overall index."""
    engine = open_engine(f"sqlite:///{folder}/{Path(roster).stem}-{mode}-{rate}-{seed}.db")
    try:
        create_round(engine, "R1", title="测评", roster=roster, outside=mode)
        set_status(engine, "R1", "open")
        simulate(engine, "R1", seed=seed, response_rate=rate)
        t = score_round(engine, "R1", n_boot=200).table
    finally:
        engine.dispose()
    rows = t[(t["statistic"] == "index") & (t["key"] == "overall") & (t["department"] != "ALL")]
    shown = ~rows["suppressed"].astype(bool) & rows["value"].notna()
    counts = {k: int((rows["kind"].eq(k) & shown).sum()) for k in KINDS}
    n_depts = rows["department"].nunique()
    outside = rows[rows["kind"].eq("peer_outside") & shown]
    return counts, n_depts, int(outside["n"].min()) if len(outside) else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", nargs="+", default=["all", "targets"])
    ap.add_argument("--rates", nargs="+", type=float, default=[0.8, 0.9, 1.0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    args = ap.parse_args()
    print("roster  mode     " + "  ".join(f"{k:>12}" for k in KINDS) + "  min outside n")
    with tempfile.TemporaryDirectory() as folder:
        for name, roster in ROSTERS.items():
            for mode in args.modes:
                total = dict.fromkeys(KINDS, 0)
                depts, min_n = 0, None
                for rate in args.rates:
                    for seed in args.seeds:
                        counts, n, low = published_shares(roster, mode, rate, seed, folder)
                        depts += n
                        total = {k: total[k] + counts[k] for k in KINDS}
                        min_n = low if min_n is None else min(min_n, low)
                shares = "  ".join(f"{total[k] / depts:>12.0%}" for k in KINDS)
                print(f"{name:<7} {mode:<8} {shares}  {min_n}")


if __name__ == "__main__":
    main()
