"""Rank ranges of the demo's rounds do not move with the seed of the rank simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zuofeng.demo import BASELINE, FINAL, demo_roster
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.simulate import simulate
from zuofeng.store import open_engine


def test_demo_rank_ranges_are_identical_across_five_seeds(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    previous = None
    for n, (code, title, _) in enumerate((BASELINE, FINAL)):   # the demo's rounds, as `zuofeng demo` makes them
        create_round(engine, code, title=title, roster=demo_roster(), previous=previous)
        set_status(engine, code, "open")
        simulate(engine, code, seed=1 + n)
        set_status(engine, code, "closed")
        previous = code
    ranges = []
    for seed in range(1, 6):
        t = score_round(engine, FINAL[0], seed=seed).table
        r = t[t["statistic"].isin(["rank", "rank_low", "rank_high"]) & ~t["suppressed"]]
        ranges.append(r.set_index(["department", "kind", "statistic"])["value"].sort_index())
    engine.dispose()
    assert len(ranges[0]) >= 27
    for other in ranges[1:]:
        pd.testing.assert_series_equal(ranges[0], other)
    # the ranges are ranges: some department's is wider than one place, and each holds its rank
    lo = ranges[0].xs("rank_low", level="statistic")
    hi = ranges[0].xs("rank_high", level="statistic")
    rank = ranges[0].xs("rank", level="statistic")
    assert (lo <= rank).all() and (rank <= hi).all() and np.any(hi - lo >= 1)
