"""Coverage of the published 95% intervals, by simulation through the whole engine.

Synthetic organisations of many departments are drawn from a model whose true values are known exactly:
a department has a level L, a view adds a bias, an item a shift; a person adds N(0, 0.45²) (the same
person for the self and the inside-peer sheet, as in a real round) and each answer N(0, 0.6²); the
rating is that sum rounded and clipped to 1–5. So the true mean of an item is
``Σ_k k · P(round(μ + Z) = k)`` with Z ~ N(0, 0.45² + 0.6²), computed with the normal CDF; the true
problem rate is P(rating ≥ 4); votes are drawn from per-department probabilities. Each case scores
2,000 departments with :func:`zuofeng.score.score_frames` and counts how often the
published interval holds the true value.

Intervals of one group or of independent groups must cover 93–97% of the time at n = 5, 10 and 30.
Intervals that combine views of the same people (the inside-view gap, ``all``, ``composite``) are a
bound valid for every correlation: here, with the positive correlation real raters have, they must
cover at least 93% (their exactness at the worst correlation is tested in test_score_formulas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from zuofeng.instrument import load_instrument
from zuofeng.score import score_frames

pytestmark = pytest.mark.slow

INST = load_instrument()
KEYS = list(INST.item_keys)
SHIFT = np.random.default_rng(7).normal(0, 0.35, len(KEYS))
SHIFT[[i for i, it in enumerate(INST.items) if it.red_line]] -= 0.9   # rare problems: many all-alike groups
BIAS = {"self": -0.4, "peer_inside": 0.0, "peer_outside": 0.2}
SIGMA = float(np.hypot(0.45, 0.6))
VOTES = ("好", "较好", "一般", "差")
POINTS = np.array([100.0, 80.0, 60.0, 40.0])
INFO = {"title": "coverage", "k_min": 5, "k_comment": 10, "eval_scores": dict(zip(VOTES, POINTS.tolist())),
        "group_weights": {"self": 0.2, "peer_inside": 0.5, "peer_outside": 0.3}}


def category_probs(mu: np.ndarray) -> np.ndarray:
    """P(round(μ + Z) = k), k = 1..5, Z ~ N(0, SIGMA²), clipped at the scale ends."""
    cdf = sps.norm.cdf((np.array([1.5, 2.5, 3.5, 4.5]) - mu[..., None]) / SIGMA)
    return np.diff(np.concatenate([np.zeros(mu.shape + (1,)), cdf, np.ones(mu.shape + (1,))], axis=-1), axis=-1)


def organisation(n_depts: int, n: int, seed: int, improvement: float = 0.0):
    """Frames of one round and the true values per (department, view)."""
    rng = np.random.default_rng(seed)
    level = np.random.default_rng(1000 + n_depts).normal(2.3, 0.45, n_depts) - improvement
    vote_p = np.random.default_rng(2000 + n_depts).dirichlet([3, 3, 2, 1], n_depts)
    codes = np.array([f"D{i:04d}" for i in range(n_depts)], dtype=object)
    dept = np.repeat(np.arange(n_depts), n)
    person = rng.normal(0, 0.45, len(dept))
    frames, truth = [], {}
    for view, b in BIAS.items():
        p = person if view != "peer_outside" else rng.normal(0, 0.45, len(dept))   # outside: other people
        mu = level[dept][:, None] + b + SHIFT[None, :]
        vals = np.clip(np.rint(mu + p[:, None] + rng.normal(0, 0.6, mu.shape)), 1, 5)
        df = pd.DataFrame(vals, columns=KEYS)
        df["department"], df["view"], df["category"], df["comment"], df["too_fast"] = codes[dept], view, None, None, None
        df["overall"] = None
        if view != "self":
            u = rng.random(len(dept))[:, None]
            df["overall"] = np.array(VOTES, dtype=object)[(u > np.cumsum(vote_p[dept], axis=1)).sum(axis=1)]
        frames.append(df)
        probs = category_probs(level[:, None] + b + SHIFT[None, :])            # departments × items × 5
        item_mean = probs @ np.arange(1, 6)
        truth[view] = {"item_mean": item_mean, "overall_mean": item_mean.mean(axis=1),
                       "problem": probs[..., 3:].sum(axis=-1),
                       "eval": vote_p @ POINTS, "sat": vote_p[:, :2].sum(axis=1)}
    depts = pd.DataFrame({"code": codes, "name": codes, "unit_type": "机关部室", "headcount": n})
    return pd.concat(frames, ignore_index=True), depts, truth


def index(mean):
    return 25 * (5 - mean)


def covered(scores, statistic, kind, level, key, true) -> tuple[float, int]:
    t = scores.rows(statistic=statistic, kind=kind, level=level, key=key)
    t = t[(t["department"] != "ALL") & ~t["suppressed"]]
    i = t["department"].str[1:].astype(int).to_numpy()
    lo, hi = t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float)
    tv = np.asarray(true)[i]
    assert (hi > lo).all(), (statistic, kind, key)           # no published interval of zero width
    return float(((lo <= tv + 1e-9) & (tv - 1e-9 <= hi)).mean()), len(t)


@pytest.mark.parametrize("n", [5, 10, 30])
def test_every_interval_family_covers_the_true_value(n):
    depts_n = 2000
    resp0, depts, truth0 = organisation(depts_n, n, seed=10 + n)
    resp1, _, truth1 = organisation(depts_n, n, seed=20 + n, improvement=0.25)
    info0, info1 = {**INFO, "code": "C0"}, {**INFO, "code": "C1", "previous": "C0"}
    s = score_frames(resp1, depts, info1, INST, previous=(resp0, depts, info0), seed=1, n_boot=100)
    q01, q11 = KEYS.index("q01"), KEYS.index("q11")
    exact, bound = {}, {}
    for view in BIAS:
        t1 = truth1[view]
        exact[f"overall index · {view}"] = covered(s, "index", view, "overall", "overall", index(t1["overall_mean"]))
        exact[f"q01 index · {view}"] = covered(s, "index", view, "item", "q01", index(t1["item_mean"][:, q01]))
        exact[f"q11 index · {view}"] = covered(s, "index", view, "item", "q11", index(t1["item_mean"][:, q11]))
        exact[f"q01 problem rate · {view}"] = covered(s, "problem_rate", view, "item", "q01", t1["problem"][:, q01])
        exact[f"change · {view}"] = covered(s, "change", view, "overall", "overall",
                                            index(t1["overall_mean"]) - index(truth0[view]["overall_mean"]))
        if view != "self":
            exact[f"eval score · {view}"] = covered(s, "eval_score", view, "evaluation", "overall", t1["eval"])
            exact[f"satisfaction · {view}"] = covered(s, "satisfaction", view, "evaluation", "overall", t1["sat"])
    gap = {v: index(truth1["self"]["overall_mean"]) - index(truth1[v]["overall_mean"]) for v in ("peer_inside", "peer_outside")}
    exact["gap · peer_outside"] = covered(s, "gap", "peer_outside", "overall", "overall", gap["peer_outside"])
    bound["gap · peer_inside"] = covered(s, "gap", "peer_inside", "overall", "overall", gap["peer_inside"])
    w = INFO["group_weights"]
    comb = sum(w[v] * index(truth1[v]["overall_mean"]) for v in BIAS) / sum(w.values())
    bound["all index"] = covered(s, "index", "all", "overall", "overall", comb)
    bound["composite"] = covered(s, "composite", "all", "overall", "overall", comb)
    report = "\n".join(f"n={n:>2} {k:<32} {c:6.1%} of {m}" for k, (c, m) in {**exact, **bound}.items())
    print(report)
    for name, (c, m) in exact.items():
        assert m >= 500 and 0.93 <= c <= 0.97, f"{name}: {c:.1%} of {m}\n{report}"
    for name, (c, m) in bound.items():
        assert m >= 500 and c >= 0.93, f"{name}: {c:.1%} of {m}\n{report}"
