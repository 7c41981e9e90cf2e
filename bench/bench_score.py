"""Benchmark: scoring a city-wide round, against a naive per-department loop measured in the same run.

The frames are built directly (no store) by :func:`zuofeng.score.synthetic.synthetic_round`: 200
departments, 50,000 respondents who each hand in a self sheet and an inside-view peer sheet, 30% of
them also rating another department, and a previous round of the same size.

- ``engine``: :func:`zuofeng.score.score_frames` — everything: suppression with its audit, every
  statistic of the long table (moderated intervals, views combined into ``all``, Welch p- and
  Benjamini–Hochberg q-values), rank ranges from 10,000 simulated league tables, problem list, quality
  flags.
- ``naive loop``: the baseline a notebook would hold — for each department (and the organisation)
  and each kind, filter the sheets and compute the per-group statistics one group at a time with
  pandas/scipy: counts, item/dimension/overall mean, SD, t interval and index, problem rates with
  Wilson intervals, Cronbach's α with Feldt's interval, rwg(j), satisfaction and evaluation score,
  the self-vs-peer gap and the change since the previous round with Welch's test. It does less than
  the engine (no suppression, ranking, flags, q-values; plain t intervals), so the ratio understates
  the gain.

A second shape (``--division-table 20``, the default; 0 skips it): the same departments in 20 divisions,
and every respondent also rates every other department of its division on the 民主测评 table
(organisation-wide 互评 within each division, ``synthetic_round(table="division")``). Its engine median is
printed with its ratio to the first shape's, measured in the same run, against the goal of 2 s.

The goal: the engine's median under 2 s and its peak memory under 1 GB on a 2-core machine; the last
line of the timings says whether this run met it.

Both are timed without tracing (median of ``--repeats`` runs, min–max; the engine also in process CPU
seconds, which a busy shared machine inflates less than wall time); peak memory is the peak of
``tracemalloc`` (numpy and pandas allocations included) in one extra traced run of each. The loop's
figures are checked against the engine's published ones (point estimates of the views, which both
compute the same way), so both compute the same thing.

The full naive loop takes many minutes. ``--naive-share 0.1`` runs it for the organisation and every
10th department only and extrapolates: loop time = time(organisation) + time(those departments) ×
(all departments / those departments); each department costs about the same (the loop filters the
whole frame for each), and the output says the figure is extrapolated.

Run: ``.venv/bin/python bench/bench_score.py`` (``--naive-share 0.1`` for a quicker run;
``--departments 40 --respondents 5000 --repeats 1`` for a quick look).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from zuofeng.score import score_frames
from zuofeng.score.synthetic import synthetic_round

GOAL_SECONDS, GOAL_BYTES = 2.0, 2**30
VIEWS = ("self", "peer_inside", "peer_outside")
KINDS = VIEWS + ("all",)


def person_scores(g: pd.DataFrame, items: list[str]) -> pd.Series:
    answered = g[items].notna().sum(axis=1)
    return g[items].mean(axis=1).where(answered >= math.ceil(len(items) / 2)).dropna()


def t_ci(x: pd.Series):
    if len(x) < 2:
        return math.nan, math.nan
    return sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))


def naive_loop(cur, prev, units=None) -> dict:
    """Per-group statistics, one department × kind at a time; returns {(dept, kind, key, stat): value}.
    ``units``: the departments (and ``ALL``) to compute, default all of them."""
    inst = cur.instrument
    keys = [("overall", list(inst.item_keys))] + [(d.id, [i.key for i in d.items]) for d in inst.dimensions]
    scores = {o.value: o.score for o in inst.overall_scale.options}
    out = {}
    for dept in (["ALL", *cur.departments["code"]] if units is None else units):
        for kind in KINDS:
            g, p = subset(cur.responses, dept, kind), subset(prev.responses, dept, kind)
            out[(dept, kind, "overall", "respondents")] = len(g)
            for key, items in keys:
                x = person_scores(g, items)
                lo, hi = t_ci(x)
                out[(dept, kind, key, "index")] = 25 * (5 - x.mean()) if len(x) else math.nan
                out[(dept, kind, key, "sd")] = x.std()
                out[(dept, kind, key, "ci")] = (25 * (5 - hi), 25 * (5 - lo))
                complete = g[items].dropna()
                if len(complete) > 1:
                    c = complete.cov()
                    k = len(items)
                    a = k / (k - 1) * (1 - np.trace(c) / c.to_numpy().sum())
                    df1 = len(complete) - 1
                    out[(dept, kind, key, "alpha")] = (a, 1 - (1 - a) * sps.f.isf(0.025, df1, df1 * (k - 1)))
                if dept != "ALL" and kind != "all":
                    ratio = g[items].var().mean() / 2.0
                    out[(dept, kind, key, "rwg_j")] = (0.0 if ratio >= 1 else
                                                       len(items) * (1 - ratio) / (len(items) * (1 - ratio) + ratio))
                y = person_scores(p, items)
                if len(x) > 1 and len(y) > 1:
                    t = sps.ttest_ind(y, x, equal_var=False)
                    out[(dept, kind, key, "change")] = (25 * (y.mean() - x.mean()), t.confidence_interval())
                    out[(dept, kind, key, "change_p")] = t.pvalue
                if kind in ("peer_inside", "peer_outside"):
                    s = person_scores(subset(cur.responses, dept, "self"), items)
                    if len(s) > 1 and len(x) > 1:
                        t = sps.ttest_ind(x, s, equal_var=False)
                        out[(dept, kind, key, "gap")] = (25 * (x.mean() - s.mean()), t.confidence_interval())
            for item in inst.item_keys:
                v = g[item].dropna()
                if len(v):
                    hits = int(v.isin(inst.problem_values).sum())
                    out[(dept, kind, item, "mean")] = (v.mean(), v.std(), t_ci(v))
                    out[(dept, kind, item, "problem_rate")] = (hits / len(v),
                                                               proportion_confint(hits, len(v), method="wilson"))
            if kind != "self":
                votes = g["overall"].dropna()
                if len(votes):
                    sat = int(votes.isin(["好", "较好"]).sum())
                    out[(dept, kind, "overall", "satisfaction")] = (sat / len(votes),
                                                                    proportion_confint(sat, len(votes), method="wilson"))
                    pts = votes.map(scores).astype(float)
                    out[(dept, kind, "overall", "eval_score")] = (pts.mean(), t_ci(pts))
    return out


def subset(resp: pd.DataFrame, dept: str, kind: str) -> pd.DataFrame:
    r = resp if dept == "ALL" else resp[resp["department"] == dept]
    return r if kind == "all" else r[r["view"] == kind]


def engine(cur, prev, n_boot):
    return score_frames(cur.responses, cur.departments, cur.round_info, cur.instrument, previous=prev, seed=1,
                        n_boot=n_boot)


CPU: list[float] = []   # process CPU seconds of the last timed() call's runs


def timed(fn, repeats):
    times = []
    CPU.clear()
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        CPU.append(time.process_time() - c0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, times, peak


def agreement(scores, naive: dict) -> tuple[int, float]:
    """Largest difference between the engine's published figures and the loop's, over shared ones."""
    t = scores.table[~scores.table["suppressed"] & scores.table["kind"].isin(VIEWS)]  # `all` combines views
    diffs = []
    for stat, key_level in (("index", None), ("alpha", None), ("problem_rate", "item"), ("change", None),
                            ("satisfaction", "evaluation")):
        part = t[t["statistic"] == stat]
        for r in part.itertuples():
            got = naive.get((r.department, r.kind, r.key, stat))
            if got is None:
                continue
            ref = got[0] if isinstance(got, tuple) else got
            if not (math.isnan(ref) or math.isnan(r.value)):
                diffs.append(abs(ref - r.value))
    return len(diffs), max(diffs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--departments", type=int, default=200)
    ap.add_argument("--respondents", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-boot", type=int, default=None, help="rank simulations (default automatic: 10,000 here)")
    ap.add_argument("--naive-share", type=float, default=1.0,
                    help="run the naive loop on this share of the departments and extrapolate (see above)")
    ap.add_argument("--division-table", type=int, default=20, metavar="DIVISIONS",
                    help="also time the second shape: this many divisions, each respondent rating every other "
                         "department of its division on the 民主测评 table (0: skip)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # the loop's t intervals of one-answer groups
    prev = synthetic_round(args.departments, args.respondents, seed=1, code="B0")
    cur = synthetic_round(args.departments, args.respondents, seed=2, code="B1", previous="B0", improvement=0.3)
    print(f"zuofeng score benchmark: {args.departments} departments, {args.respondents:,} respondents; "
          f"{len(cur.responses):,} sheets now, {len(prev.responses):,} in the previous round")
    scores, t_eng, m_eng = timed(lambda: engine(cur, prev, args.n_boot), args.repeats)
    cpu_eng = statistics.median(CPU)
    codes = list(cur.departments["code"])
    if args.naive_share >= 1:
        naive, t_naive, m_naive = timed(lambda: naive_loop(cur, prev), args.repeats)
        how = "measured"
    else:
        step = max(1, round(1 / args.naive_share))
        some = codes[::step]
        naive_org, t_org, m_org = timed(lambda: naive_loop(cur, prev, ["ALL"]), args.repeats)
        naive, t_some, m_some = timed(lambda: naive_loop(cur, prev, some), args.repeats)
        naive.update(naive_org)
        t_naive = [a + b * len(codes) / len(some) for a, b in zip(t_org, t_some)]
        m_naive = max(m_org, m_some)
        how = f"extrapolated from the organisation + {len(some)} of {len(codes)} departments"
    med_e, med_n = statistics.median(t_eng), statistics.median(t_naive)
    print(f"  engine (score_frames, everything)  median {med_e:7.2f} s  [{min(t_eng):.2f}–{max(t_eng):.2f}] "
          f"over {args.repeats} runs; peak traced memory {m_eng / 2**20:6.0f} MB; CPU median {cpu_eng:.2f} s")
    print(f"  naive per-department loop          median {med_n:7.2f} s  [{min(t_naive):.2f}–{max(t_naive):.2f}] "
          f"over {args.repeats} runs; peak traced memory {m_naive / 2**20:6.0f} MB ({how})")
    print(f"  ratio naive / engine (medians)     {med_n / med_e:.1f}×")
    met = med_e < GOAL_SECONDS and m_eng < GOAL_BYTES
    print(f"  goal (engine median < {GOAL_SECONDS:g} s, peak < {GOAL_BYTES / 2**30:g} GB): {'met' if met else 'NOT met'}")
    n, worst = agreement(scores, naive)
    print(f"  check: {n:,} figures computed by both, largest difference {worst:.2e}")
    print(f"  engine output: {len(scores.table):,} rows, {int(scores.table['suppressed'].sum()):,} suppressed, "
          f"{len(scores.suppression)} suppressed cells, {len(scores.problems)} problems, {len(scores.quality)} flags")

    if args.division_table:
        division_shape(args, med_e)


def division_shape(args, first_median: float) -> None:
    """Time the engine on the second shape (organisation-wide 互评 within each division)."""
    def shape(seed, code, **kw):
        return synthetic_round(args.departments, args.respondents, seed=seed, code=code,
                               divisions=args.division_table, table="division", **kw)
    prev, cur = shape(1, "B0"), shape(2, "B1", previous="B0", improvement=0.3)
    rows = int((cur.responses["form"] == "table").sum())
    print(f"second shape: {args.division_table} divisions, every respondent rating every other department of its "
          f"division on the 民主测评 table; {len(cur.responses):,} sheets now ({rows:,} table rows)")
    scores, t_eng, m_eng = timed(lambda: engine(cur, prev, args.n_boot), args.repeats)
    med = statistics.median(t_eng)
    print(f"  engine (score_frames, everything)  median {med:7.2f} s  [{min(t_eng):.2f}–{max(t_eng):.2f}] "
          f"over {args.repeats} runs; peak traced memory {m_eng / 2**20:6.0f} MB; CPU median {statistics.median(CPU):.2f} s")
    print(f"  ratio to the first shape's engine (medians, same run)  {med / first_median:.2f}×")
    met = med < GOAL_SECONDS and m_eng < GOAL_BYTES
    print(f"  goal (engine median < {GOAL_SECONDS:g} s, peak < {GOAL_BYTES / 2**30:g} GB): {'met' if met else 'NOT met'}")
    print(f"  engine output: {len(scores.table):,} rows, {int(scores.table['suppressed'].sum()):,} suppressed")


if __name__ == "__main__":
    main()
