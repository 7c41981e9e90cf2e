"""Each scoring formula against published values or an independent implementation.

Sources of the reference values:
- Wilson interval: Newcombe (1998a), "Two-sided confidence intervals for the single proportion:
  comparison of seven methods", Statistics in Medicine 17, 857–872, Table I, method 3 (score, no
  continuity correction), 4 decimals; and statsmodels ``proportion_confint(method="wilson")``.
- Difference of proportions: Newcombe (1998b), "Interval estimation for the difference between
  independent proportions: comparison of eleven methods", Statistics in Medicine 17, 873–890,
  Table II, method 10, 4 decimals; and statsmodels ``confint_proportions_2indep(method="newcomb")``.
- ICC: Shrout & Fleiss (1979), Psychological Bulletin 86(2), 420–428, Table 2 data (6 targets, 4
  judges) and the ICC(1,1) = .17, ICC(1,k) = .44 of their Table 4, 2 decimals; pingouin's
  ``intraclass_corr`` for more digits; statsmodels' one-way ANOVA for unequal group sizes.
- Cronbach's α and Feldt's interval: pingouin's bundled ``cronbach_alpha`` dataset, whose documented
  result is α = 0.5917, 95% CI [0.195, 0.840]; pingouin ``cronbach_alpha`` on random complete data.
- rwg(j): hand-computed cases of the James, Demaree & Wolf (1984) formula, and a loop written here.
- t and Welch intervals and p-values: scipy ``stats.t.interval``, ``ttest_ind(equal_var=False)`` and
  statsmodels ``CompareMeans``; Benjamini–Hochberg: statsmodels ``multipletests(method="fdr_bh")``;
  the F test of ICC: statsmodels ``anova_lm``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from zuofeng.score import stats

# Newcombe (1998a) Table I, method 3: (x, n) → (lower, upper)
NEWCOMBE_I = [((81, 263), (0.2553, 0.3662)), ((15, 148), (0.0624, 0.1605)),
              ((0, 20), (0.0000, 0.1611)), ((1, 29), (0.0061, 0.1718))]
# Newcombe (1998b) Table II, method 10: (x1, n1, x2, n2) → (lower, upper)
NEWCOMBE_II = [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
               ((6, 7, 2, 7), (0.0582, 0.8062)), ((5, 56, 0, 29), (-0.0381, 0.1926)),
               ((0, 10, 0, 20), (-0.1611, 0.2775)), ((0, 10, 0, 10), (-0.2775, 0.2775)),
               ((10, 10, 0, 20), (0.6791, 1.0000)), ((10, 10, 0, 10), (0.6075, 1.0000))]
# Shrout & Fleiss (1979) Table 2: rows are targets, columns judges 1–4
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)


def test_index_maps_the_scale_onto_0_100_higher_is_better():
    assert_allclose(stats.index_from_mean([1, 2, 3, 4, 5]), [100, 75, 50, 25, 0])
    assert_allclose(stats.index_from_mean([0.5, 5.5]), [100, 0])  # interval ends beyond the scale are clipped


def test_t_interval_matches_scipy():
    rng = np.random.default_rng(5)
    for n in (2, 3, 10, 200):
        x = rng.integers(1, 6, n).astype(float)
        lo, hi = stats.t_interval([x.mean()], [x.std(ddof=1)], [n])
        ref = sps.t.interval(0.95, n - 1, loc=x.mean(), scale=sps.sem(x))
        assert_allclose([lo[0], hi[0]], ref, rtol=1e-12)
    lo, hi = stats.t_interval([3.0], [0.0], [1])
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_welch_interval_matches_statsmodels():
    rng = np.random.default_rng(6)
    for n1, n2 in ((5, 7), (30, 12), (200, 180)):
        a, b = rng.normal(2.5, 0.7, n1), rng.normal(2.2, 1.1, n2)
        d, lo, hi = stats.welch_interval([a.mean()], [a.std(ddof=1)], [n1], [b.mean()], [b.std(ddof=1)], [n2])
        ref = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal")
        assert_allclose([lo[0], hi[0]], ref, rtol=1e-10)
        assert_allclose(d[0], a.mean() - b.mean())


@pytest.mark.parametrize("xn, ref", NEWCOMBE_I)
def test_wilson_interval_newcombe_table_1(xn, ref):
    lo, hi = stats.wilson_interval([xn[0]], [xn[1]])
    assert_allclose([lo[0], hi[0]], ref, atol=5e-5)
    assert_allclose([lo[0], hi[0]], proportion_confint(xn[0], xn[1], method="wilson"), atol=1e-12)


def test_wilson_interval_matches_statsmodels_and_is_empty_without_votes():
    x, n = np.array([0, 1, 7, 19, 20, 333]), np.array([20, 20, 20, 20, 20, 1000])
    lo, hi = stats.wilson_interval(x, n)
    ref = np.array([proportion_confint(a, b, method="wilson") for a, b in zip(x, n)])
    assert_allclose(np.column_stack([lo, hi]), ref, atol=1e-12)
    lo, hi = stats.wilson_interval([0], [0])
    assert np.isnan(lo[0]) and np.isnan(hi[0])


@pytest.mark.parametrize("args, ref", NEWCOMBE_II)
def test_newcombe_difference_table_2(args, ref):
    d, lo, hi = stats.newcombe_interval(*[[a] for a in args])
    assert_allclose([lo[0], hi[0]], ref, atol=5e-5)
    assert_allclose([lo[0], hi[0]], confint_proportions_2indep(*args, method="newcomb"), atol=1e-10)
    assert_allclose(d[0], args[0] / args[1] - args[2] / args[3])


def _alpha_feldt(x: np.ndarray):
    a = stats.cronbach_alpha(x.var(axis=0, ddof=1).sum(), x.sum(axis=1).var(ddof=1), x.shape[1])
    lo, hi = stats.feldt_interval(a, x.shape[0], x.shape[1])
    return float(a), float(lo), float(hi)


def test_cronbach_alpha_pingouin_documented_example():
    df = pg.read_dataset("cronbach_alpha")
    wide = df.pivot(index="Subj", columns="Items", values="Scores").to_numpy(float)
    a, lo, hi = _alpha_feldt(wide)
    assert_allclose(a, 0.5917, atol=5e-5)
    assert_allclose([lo, hi], [0.195, 0.840], atol=5e-4)


def test_cronbach_alpha_and_feldt_match_pingouin_on_random_data():
    rng = np.random.default_rng(11)
    for n, k in ((8, 3), (40, 5), (300, 22)):
        trait = rng.normal(0, 1, (n, 1))
        x = np.clip(np.rint(3 + trait + rng.normal(0, 0.9, (n, k))), 1, 5)
        a, lo, hi = _alpha_feldt(x)
        ref_a, ref_ci = pg.cronbach_alpha(pd.DataFrame(x))
        assert_allclose(a, ref_a, rtol=1e-10)
        assert_allclose([lo, hi], ref_ci, atol=5e-4)  # pingouin rounds its interval to 3 decimals


def test_cronbach_alpha_undefined_cases():
    assert np.isnan(stats.cronbach_alpha(1.0, 0.0, 3))  # no variance in the sum score
    assert np.isnan(stats.cronbach_alpha(1.0, 2.0, 1))  # one item


def _one_way(groups: list[np.ndarray]):
    import statsmodels.api as sm
    from statsmodels.formula.api import ols
    df = pd.DataFrame({"y": np.concatenate(groups), "g": np.repeat(np.arange(len(groups)), [len(g) for g in groups])})
    table = sm.stats.anova_lm(ols("y ~ C(g)", data=df).fit())
    return table.loc["C(g)", "mean_sq"], table.loc["Residual", "mean_sq"]


def test_icc_shrout_fleiss_worked_example():
    groups = list(SHROUT_FLEISS)  # targets are the groups, judges' ratings their members
    msb, msw = _one_way(groups)
    i1, i2 = stats.icc_oneway(msb, msw, 4.0)
    assert_allclose([i1, i2], [0.17, 0.44], atol=0.005)  # Shrout & Fleiss (1979) Table 4
    long = pd.DataFrame({"t": np.repeat(np.arange(6), 4), "j": np.tile(np.arange(4), 6), "x": SHROUT_FLEISS.ravel()})
    ref = pg.intraclass_corr(long, targets="t", raters="j", ratings="x").set_index("Type")["ICC"]
    assert_allclose([i1, i2], [ref["ICC(1,1)"], ref["ICC(1,k)"]], rtol=1e-10)


def test_icc_unequal_groups_bliese_mean_group_size():
    rng = np.random.default_rng(3)
    groups = [rng.normal(mu, 1.0, n) for mu, n in zip(rng.normal(0, 0.6, 9), rng.integers(3, 30, 9))]
    msb, msw = _one_way(groups)
    k = np.mean([len(g) for g in groups])
    i1, i2 = stats.icc_oneway(msb, msw, k)
    # Bliese (2000), written out by hand from the ANOVA table
    assert_allclose(i1, (msb - msw) / (msb + (k - 1) * msw), rtol=1e-12)
    assert_allclose(i2, 1 - msw / msb, rtol=1e-12)
    assert 0 < i1 < i2 < 1


def test_rwg_j_hand_cases_and_truncation():
    three = np.array([[2, 3, 4], [3, 4, 2], [4, 2, 3]], float)  # every item variance 1 → s̄²/σ²_EU = 0.5
    assert_allclose(stats.rwg_j(three.var(axis=0, ddof=1).mean(), 3), 0.75)
    assert_allclose(stats.rwg_j(0.5, 4), 4 * 0.75 / (4 * 0.75 + 0.25))
    assert stats.rwg_j(0.0, 5) == 1.0  # perfect agreement
    wide = np.array([[1, 5], [5, 1], [1, 5], [5, 1]], float)  # variance 5.33 > 2: truncated
    assert stats.rwg_j(wide.var(axis=0, ddof=1).mean(), 2) == 0.0


def test_rwg_j_matches_a_loop_implementation():
    rng = np.random.default_rng(8)
    for _ in range(20):
        j, n = int(rng.integers(2, 8)), int(rng.integers(3, 25))
        x = np.clip(np.rint(rng.normal(rng.uniform(1.5, 4.5), rng.uniform(0.2, 1.5), (n, j))), 1, 5)
        variances = []
        for col in range(j):
            m = sum(x[:, col]) / n
            variances.append(sum((v - m) ** 2 for v in x[:, col]) / (n - 1))
        ratio = (sum(variances) / j) / 2.0
        expected = 0.0 if ratio >= 1 else j * (1 - ratio) / (j * (1 - ratio) + ratio)
        assert_allclose(stats.rwg_j(x.var(axis=0, ddof=1).mean(), j), expected, rtol=1e-12)


def test_welch_difference_matches_scipy_and_statsmodels_for_p_and_interval():
    rng = np.random.default_rng(6)
    for n1, n2 in ((5, 7), (30, 12), (200, 180), (2, 40)):
        a, b = rng.normal(2.5, 0.7, n1), rng.normal(2.2, 1.1, n2)
        d, lo, hi, p = stats.welch_difference([n1], [a.mean()], [a.var(ddof=1)], [n2], [b.mean()], [b.var(ddof=1)])
        ref = sps.ttest_ind(a, b, equal_var=False)
        assert_allclose(p[0], ref.pvalue, rtol=1e-10)
        assert_allclose([lo[0], hi[0]], ref.confidence_interval(0.95), rtol=1e-10)
        assert_allclose([lo[0], hi[0]], CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal"),
                        rtol=1e-10)
        assert_allclose(d[0], a.mean() - b.mean())
    # one criterion: the interval excludes 0 exactly when p < 0.05 (vectorised over many comparisons)
    n1, n2 = rng.integers(2, 60, 2000), rng.integers(2, 60, 2000)
    d, lo, hi, p = stats.welch_difference(n1, rng.normal(0, 0.4, 2000), rng.uniform(0.1, 2, 2000),
                                          n2, np.zeros(2000), rng.uniform(0.1, 2, 2000))
    assert ((lo > 0) | (hi < 0)).tolist() == (p < 0.05).tolist()
    # larger degrees of freedom (moderated variances) only narrow the interval
    _, lo2, hi2, _ = stats.welch_difference(n1, d, np.ones(2000), n2, 0, np.ones(2000), df1=n1 + 3, df2=n2 + 3)
    _, lo1, hi1, _ = stats.welch_difference(n1, d, np.ones(2000), n2, 0, np.ones(2000))
    assert (hi2 - lo2 < hi1 - lo1).all()
    d, lo, hi, p = stats.welch_difference([1], [3.0], [0.0], [9], [2.0], [1.0])
    assert np.isnan(lo[0]) and np.isnan(p[0])


def test_bh_qvalues_match_statsmodels_within_each_family():
    from statsmodels.stats.multitest import multipletests
    rng = np.random.default_rng(8)
    p = np.r_[rng.uniform(0, 1, 60), rng.uniform(0, 0.01, 15)]
    fam = rng.integers(0, 4, len(p))
    p[[3, 17]] = np.nan
    q = stats.bh_qvalues(p, fam)
    for f in range(4):
        sel = (fam == f) & ~np.isnan(p)
        assert_allclose(q[sel], multipletests(p[sel], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(q[[3, 17]]).all()
    assert_allclose(stats.bh_qvalues(p[~np.isnan(p)]), multipletests(p[~np.isnan(p)], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(stats.bh_qvalues([np.nan])).all()


def test_moderated_variance_is_the_conjugate_posterior_and_never_zero():
    # Gelman et al. BDA §3.3: scaled-inv-χ²(ν0, s0²) prior, posterior scale (ν0 s0² + (n−1)s²)/(ν0 + n − 1)
    x = np.array([3.0, 3, 3, 3, 3])
    v, df = stats.moderated_variance([x.var(ddof=1)], [5], 0.6, 4)
    assert_allclose(v, 4 * 0.6 / 8) and df[0] == 8
    lo, hi, _ = stats.moderated_t_interval([3.0], v, df, [5])
    assert hi[0] - lo[0] > 0.5
    # with no prior weight it is Student's t interval
    y = np.array([1.0, 2, 2, 4, 5, 3])
    lo, hi, _ = stats.moderated_t_interval([y.mean()], [y.var(ddof=1)], [5], [6])
    assert_allclose([lo[0], hi[0]], sps.t.interval(0.95, 5, loc=y.mean(), scale=sps.sem(y)), rtol=1e-12)
    v, df = stats.moderated_variance([np.nan], [1], 0.6, 4)
    assert_allclose([v[0], df[0]], [0.6, 4])


def test_bounded_mean_interval_is_wilson_with_an_effective_sample_size():
    # answers only at the two ends are a proportion: with c0 = 1 the interval is Wilson's (statsmodels)
    x = np.array([1, 1, 5, 1, 5, 5, 1, 1, 1, 5.0])
    lo, hi = stats.bounded_mean_interval([x.mean()], [x.var(ddof=1)], [10], 1, 5, 1.0)
    ref = 1 + 4 * np.array(proportion_confint(4, 10, method="wilson"))
    assert_allclose([lo[0], hi[0]], ref, rtol=1e-12)
    # everyone alike at a scale end: the prior ratio alone, n_eff = n / c0 (Kish's effective sample size)
    lo, hi = stats.bounded_mean_interval([1.0], [0.0], [6], 1, 5, 0.25)
    assert_allclose([lo[0], hi[0]], 1 + 4 * np.array(proportion_confint(0, 24, method="wilson")), rtol=1e-12)
    assert hi[0] > 1.1
    # in the middle of the scale with many answers it is close to Student's t interval
    rng = np.random.default_rng(3)
    y = np.clip(np.rint(rng.normal(3, 0.9, 400)), 1, 5)
    lo, hi = stats.bounded_mean_interval([y.mean()], [y.var(ddof=1)], [400], 1, 5, 0.3)
    assert_allclose([lo[0], hi[0]], sps.t.interval(0.95, 399, loc=y.mean(), scale=sps.sem(y)), atol=0.01)


def test_dependent_combination_bound_covers_whatever_the_correlation():
    """The interval Σw x ± t Σ|w| se: exact (95%) at the worst correlation, conservative otherwise; and
    identical to a direct computation of the bound."""
    rng = np.random.default_rng(11)
    n, reps = 30, 4000
    for w, rho, want in (([0.5, 0.5], 1.0, (0.93, 0.97)), ([0.5, 0.5], 0.0, (0.95, 1.0)),
                         ([1.0, -1.0], -1.0, (0.93, 0.97)), ([1.0, -1.0], 0.6, (0.95, 1.0))):
        cov = np.array([[1, rho], [rho, 1]])
        x = rng.multivariate_normal([0, 0], cov, (reps, n))            # reps groups of n people, two views
        m, s = x.mean(axis=1), x.std(axis=1, ddof=1) / np.sqrt(n)
        v, lo, hi, p = stats.dependent_combination(w, m, s, np.full((reps, 2), n - 1))
        cover = ((lo <= 0) & (hi >= 0)).mean()
        assert want[0] <= cover <= want[1], (w, rho, cover)
        assert_allclose(hi - v, sps.t.ppf(0.975, n - 1) * (np.abs(w) * s).sum(axis=1), rtol=1e-10)
        assert ((p < 0.05) == ((lo > 0) | (hi < 0))).all()


def test_f_test_p_matches_statsmodels_anova():
    import statsmodels.api as sm
    from statsmodels.formula.api import ols
    rng = np.random.default_rng(13)
    g = np.repeat(np.arange(6), [3, 8, 5, 12, 4, 9])
    y = rng.normal(0, 1, len(g)) + 0.3 * g
    df = pd.DataFrame({"g": g, "y": y})
    t = sm.stats.anova_lm(ols("y ~ C(g)", data=df).fit())
    p = stats.f_test_p(t.loc["C(g)", "mean_sq"], t.loc["Residual", "mean_sq"], 6, len(g))
    assert_allclose(p, t.loc["C(g)", "PR(>F)"], rtol=1e-10)
