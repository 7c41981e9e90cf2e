"""The organisation's (ALL) interval: departments as clusters, all of them surveyed.

Checked against a second implementation written from another formula: the delete-one jackknife within
departments (each sheet left out in turn, its department's weight n_d / N kept: Rust & Rao 1996, JKn),
computed from the sheets with plain loops. For a pooled mean with fixed department weights it equals the
within-department variance Σ W_d² s_d² / n_d exactly, which the scorer uses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from zuofeng.score import score_frames
from zuofeng.score import stats as zs
from zuofeng.score.synthetic import synthetic_round

VIEWS = ("self", "peer_inside", "peer_outside")


def jackknife(strata: list[list[float]]) -> tuple[float, list[float]]:
    """JKn variance of Σ W_h ȳ_h (W_h = n_h / N fixed) by leaving out one value at a time, and each
    stratum's share of it."""
    total = sum(len(x) for x in strata)
    w = [len(x) / total for x in strata]
    means = [sum(x) / len(x) for x in strata]
    theta = sum(wi * m for wi, m in zip(w, means))
    parts = []
    for h, x in enumerate(strata):
        if len(x) < 2:
            parts.append(0.0)
            continue
        dev = 0.0
        for j in range(len(x)):
            rest = x[:j] + x[j + 1:]
            left_out = theta - w[h] * means[h] + w[h] * sum(rest) / len(rest)
            dev += (left_out - theta) ** 2
        parts.append((len(x) - 1) / len(x) * dev)
    return sum(parts), parts


def test_the_variance_formula_equals_the_jackknife_within_departments():
    rng = np.random.default_rng(5)
    strata = [list(rng.integers(1, 6, n).astype(float)) for n in (3, 8, 12, 30, 5, 1)]
    v_jk, parts = jackknife(strata)
    n = [len(x) for x in strata]
    v, df = zs.stratified_mean_variance(n, [np.mean(x) for x in strata],
                                        [np.var(x, ddof=1) if len(x) > 1 else np.nan for x in strata])
    assert v == pytest.approx(v_jk, rel=1e-12)
    # Satterthwaite's df from the strata's shares of the jackknife variance
    df_jk = v_jk**2 / sum(p * p / (m - 1) for p, m in zip(parts, n) if m > 1)
    assert df == pytest.approx(df_jk, rel=1e-12)
    # departments that all answered alike add nothing; one department alone is Student's se²
    assert zs.stratified_mean_variance([4, 6], [2.0, 3.0], [0.0, 0.0])[0] == 0
    x = rng.normal(3, 1, 20)
    v1, df1 = zs.stratified_mean_variance([20], [x.mean()], [x.var(ddof=1)])
    assert v1 == pytest.approx(x.var(ddof=1) / 20) and df1 == pytest.approx(19)


def test_the_design_wilson_interval_is_wilsons_at_the_effective_n():
    # v = p(1 − p)/n with infinite df: statsmodels' Wilson interval at n
    lo, hi = zs.design_wilson_interval(0.3, 0.3 * 0.7 / 50, 1e12)
    assert (lo, hi) == pytest.approx(proportion_confint(15, 50, method="wilson"), abs=1e-9)
    # few df widen it: n_eff × (z / t)²
    lo6, hi6 = zs.design_wilson_interval(0.3, 0.3 * 0.7 / 50, 6)
    ne = 50 * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 6)) ** 2
    assert (lo6, hi6) == pytest.approx(proportion_confint(0.3 * ne, ne, method="wilson"), abs=1e-9)
    assert lo6 < lo and hi6 > hi
    # on a 1–5 scale: the rescaled mean
    a, b = zs.design_wilson_interval(2.2, 0.01, 40, 1, 5)
    y = 1.2 / 4
    ne = y * (1 - y) / (0.01 / 16) * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 40)) ** 2
    ref = proportion_confint(y * ne, ne, method="wilson")
    assert (a, b) == pytest.approx((1 + 4 * ref[0], 1 + 4 * ref[1]), abs=1e-9)


@pytest.fixture(scope="module")
def scored():
    rnd = synthetic_round(12, 500, seed=31, code="O1")
    return rnd, score_frames(rnd.responses, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)


def _person_overall(frame, keys) -> np.ndarray:
    vals = frame[keys].to_numpy(float)
    out = []
    for row in vals:
        answered = [v for v in row if not math.isnan(v)]
        out.append(sum(answered) / len(answered) if len(answered) >= math.ceil(len(keys) / 2) else math.nan)
    x = np.array(out)
    return x[~np.isnan(x)]


def test_the_organisations_overall_interval_is_the_jackknife_one(scored):
    rnd, s = scored
    keys = list(rnd.instrument.item_keys)
    t = s.table
    for view in VIEWS:
        row = t[(t["department"] == "ALL") & (t["kind"] == view) & (t["statistic"] == "mean")
                & (t["key"] == "overall")].iloc[0]
        shown = set(t[(t["kind"] == view) & (t["statistic"] == "mean") & (t["key"] == "overall")
                      & ~t["suppressed"].astype(bool)]["department"]) - {"ALL"}
        resp = rnd.responses[rnd.responses["view"] == view]
        strata, hidden = [], []
        for code in rnd.departments["code"]:
            x = list(_person_overall(resp[resp["department"] == code], keys))
            (strata if code in shown else hidden).append(x)
        merged = [v for x in hidden for v in x]
        strata = [x for x in strata if x] + ([merged] if merged else [])
        v, parts = jackknife(strata)
        df = v**2 / sum(p * p / (len(x) - 1) for p, x in zip(parts, strata) if len(x) > 1)
        m = sum(sum(x) for x in strata) / sum(len(x) for x in strata)
        assert row["value"] == pytest.approx(m, rel=1e-12)
        y = (m - 1) / 4
        ne = y * (1 - y) / (v / 16) * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, df)) ** 2
        lo, hi = proportion_confint(y * ne, ne, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((1 + 4 * lo, 1 + 4 * hi), rel=1e-9), view
        # narrower than the former pooled-sheets t interval: the departments' differences are no error
        pooled = np.concatenate([np.array(x) for x in strata])
        half = sps.t.ppf(0.975, len(pooled) - 1) * pooled.std(ddof=1) / math.sqrt(len(pooled))
        assert row["ci_high"] - row["ci_low"] < 2 * half


def test_a_hidden_department_adds_nothing_the_published_figures_do_not_say(scored):
    """Two rounds that differ only inside the hidden departments (their sheets swapped between them,
    so every published figure and every total stays) give the organisation the same interval."""
    rnd, s = scored
    t = s.table
    view = "self"
    hidden = sorted(set(t[(t["kind"] == view) & (t["statistic"] == "mean") & (t["key"] == "overall")
                          & t["suppressed"].astype(bool)]["department"]) - {"ALL"})
    assert len(hidden) >= 2, hidden
    resp = rnd.responses.copy()
    a, b = hidden[:2]
    pick = resp["view"] == view
    ia, ib = resp.index[pick & (resp["department"] == a)], resp.index[pick & (resp["department"] == b)]
    # swap one sheet of the first hidden department with one of the second: the totals stay, each
    # department's spread changes (a per-department variance would move the interval)
    keys = list(rnd.instrument.item_keys)
    assert len(ia) and len(ib)
    assert not np.array_equal(resp.loc[ia[0], keys].to_numpy(float), resp.loc[ib[0], keys].to_numpy(float),
                              equal_nan=True)
    swap = resp.loc[ia[0], keys].copy()
    resp.loc[ia[0], keys] = resp.loc[ib[0], keys].to_numpy()
    resp.loc[ib[0], keys] = swap.to_numpy()
    s2 = score_frames(resp, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)

    def org(sc):
        r = sc.rows(department="ALL", kind=view, statistic="mean", key="overall").iloc[0]
        return r["value"], r["ci_low"], r["ci_high"]

    assert org(s2) == pytest.approx(org(s), rel=1e-12)
