"""The formulas, one function each, vectorised over numpy arrays (one element per group).

Every function states its formula and primary reference; the test suite checks each one against
published values or an independent implementation (pingouin, scipy, statsmodels). Nothing here rounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONF = 0.95


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def index_from_mean(mean, low: float = 1.0, high: float = 5.0) -> np.ndarray:
    """作风指数 (work-style index) of a mean problem rating: 0–100, higher is better.

    ``index = 100 × (high − mean) / (high − low)``; on the 1–5 item scale ``100 × (5 − mean) / 4``
    (DESIGN §2). A mean of 1 (不存在 throughout) gives 100, a mean of 5 (非常突出) gives 0. Values are
    clipped to 0–100 so that an interval end beyond the scale stays on it.

    Examples
    --------
    >>> index_from_mean([1.0, 3.0, 5.0, 2.2]).tolist()
    [100.0, 50.0, 0.0, 70.0]
    """
    m = _arr(mean)
    return np.clip(100.0 * (high - m) / (high - low), 0.0, 100.0)


def t_interval(mean, sd, n, conf: float = CONF) -> tuple[np.ndarray, np.ndarray]:
    """Student's t interval for a mean: ``mean ± t(1 − (1−conf)/2; n − 1) × sd / √n``.

    Student (1908), "The probable error of a mean", *Biometrika* 6(1). NaN where n < 2.
    Checked against ``scipy.stats.t.interval`` in the tests.

    Examples
    --------
    >>> lo, hi = t_interval([3.0], [1.0], [10])
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (2.2846, 3.7154)
    """
    m, s, n = _arr(mean), _arr(sd), _arr(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        half = stats.t.ppf(0.5 + conf / 2, df) * s / np.sqrt(n)
    return m - half, m + half


def wilson_interval(successes, n, conf: float = CONF) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``p = x / n``.

    ``(p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)``, z the normal quantile. Wilson (1927),
    "Probable inference, the law of succession, and statistical inference", *JASA* 22(158).
    Checked against Newcombe (1998) Table I and statsmodels ``proportion_confint(method="wilson")``.
    NaN where n = 0.

    Examples
    --------
    >>> lo, hi = wilson_interval([81], [263])   # Newcombe (1998), Table I, example (1)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.2553, 0.3662)
    """
    x, n = _arr(successes), _arr(n)
    z = stats.norm.ppf(0.5 + conf / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = p + z * z / (2 * n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        denom = 1 + z * z / n
        lo, hi = (centre - half) / denom, (centre + half) / denom
    bad = n <= 0
    return np.where(bad, np.nan, np.clip(lo, 0, 1)), np.where(bad, np.nan, np.clip(hi, 0, 1))


def binomial_lower_bound(successes, n, conf: float = CONF) -> np.ndarray:
    """One-sided exact (Clopper–Pearson) lower confidence bound of a proportion ``p = x / n``.

    ``L = B(1 − conf; x, n − x + 1)``, the (1 − conf) quantile of the Beta(x, n − x + 1) distribution, and
    0 where x = 0. Clopper & Pearson (1934), "The use of confidence or fiducial limits illustrated in the
    case of the binomial", *Biometrika* 26(4). ``L > p₀`` exactly when the one-sided exact binomial test of
    ``p ≤ p₀`` rejects at level 1 − conf, i.e. ``P(X ≥ x | n, p₀) < 1 − conf``. Unlike Wilson's bound it
    never exceeds the exact one, so a few serious answers in a small group do not read as evidence.
    Checked against statsmodels ``proportion_confint(method="beta")`` (the two-sided interval at level
    2·conf − 1) and ``scipy.stats.binomtest(alternative="greater")``. NaN where n = 0.

    Examples
    --------
    >>> round(float(binomial_lower_bound([2], [8])[0]), 4), round(float(binomial_lower_bound([3], [8])[0]), 4)
    (0.0464, 0.1111)
    """
    x, n = _arr(successes), _arr(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = stats.beta.ppf(1 - conf, np.maximum(x, 1e-300), n - x + 1)
    return np.where(n > 0, np.where(x > 0, lo, 0.0), np.nan)


def newcombe_interval(x1, n1, x2, n2, conf: float = CONF):
    """Difference of two independent proportions ``p1 − p2`` and Newcombe's hybrid score interval.

    ``L = d − √((p1 − l1)² + (u2 − p2)²)``, ``U = d + √((u1 − p1)² + (p2 − l2)²)`` with (l, u) the Wilson
    intervals of each proportion: method 10 of Newcombe (1998), "Interval estimation for the difference
    between independent proportions: comparison of eleven methods", *Statistics in Medicine* 17(8).
    Checked against that paper's Table II and statsmodels ``confint_proportions_2indep(method="newcomb")``.

    Returns
    -------
    diff, low, high : arrays

    Examples
    --------
    >>> d, lo, hi = newcombe_interval([56], [70], [48], [80])   # Newcombe (1998b), Table II, example (a)
    >>> round(float(d[0]), 4), round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1, x2, n2 = map(_arr, (x1, n1, x2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, conf)
    l2, u2 = wilson_interval(x2, n2, conf)
    return difference_from_limits(p1, l1, u1, p2, l2, u2)


def difference_from_limits(p1, l1, u1, p2, l2, u2):
    """``p1 − p2`` of two independent estimates and the interval recovered from their own limits:
    ``L = d − √((p1 − l1)² + (u2 − p2)²)``, ``U = d + √((u1 − p1)² + (p2 − l2)²)`` — Newcombe's (1998)
    method 10 when the limits are Wilson's, and in general the MOVER interval of Zou & Donner (2008),
    "Construction of confidence limits about effect measures: a general approach", *Statistics in
    Medicine* 27(10).

    Returns
    -------
    diff, low, high : arrays
    """
    p1, l1, u1, p2, l2, u2 = map(_arr, (p1, l1, u1, p2, l2, u2))
    d = p1 - p2
    return d, d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def cronbach_alpha(item_var_sum, total_var, k) -> np.ndarray:
    """Cronbach's α from the item variances and the variance of the sum score.

    ``α = k/(k − 1) × (1 − Σ s²_i / s²_X)`` over respondents who answered all k items (listwise).
    Cronbach (1951), "Coefficient alpha and the internal structure of tests", *Psychometrika* 16(3).
    Checked against ``pingouin.cronbach_alpha`` on complete data. NaN where k < 2 or s²_X = 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [2, 3, 2]], float)
    >>> a = cronbach_alpha(x.var(axis=0, ddof=1).sum(), x.sum(axis=1).var(ddof=1), 3)
    >>> round(float(a), 4)
    0.9184
    """
    s, t, k = _arr(item_var_sum), _arr(total_var), _arr(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = k / (k - 1) * (1 - s / t)
    return np.where((k >= 2) & (t > 0), a, np.nan)


def feldt_interval(alpha, n, k, conf: float = CONF) -> tuple[np.ndarray, np.ndarray]:
    """Feldt's interval for Cronbach's α with n respondents and k items.

    ``1 − (1 − α) F(1 − (1−conf)/2; n−1, (n−1)(k−1))`` to ``1 − (1 − α) F((1−conf)/2; n−1, (n−1)(k−1))``.
    Feldt (1965), "The approximate sampling distribution of Kuder–Richardson reliability coefficient
    twenty", *Psychometrika* 30(3). n is the number of complete answer sets that α was computed from.
    Checked against pingouin (which rounds its interval to 3 decimals).

    Examples
    --------
    >>> lo, hi = feldt_interval([0.8], [30], [5])
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.6592, 0.8941)
    """
    a, n, k = _arr(alpha), _arr(n), _arr(k)
    with np.errstate(invalid="ignore"):
        df1 = np.where(n >= 2, n - 1, np.nan)
        df2 = df1 * (k - 1)
        lo = 1 - (1 - a) * stats.f.isf((1 - conf) / 2, df1, df2)
        hi = 1 - (1 - a) * stats.f.isf((1 + conf) / 2, df1, df2)
    return lo, hi


def icc_oneway(msb, msw, k) -> tuple[np.ndarray, np.ndarray]:
    """ICC(1) and ICC(2) from a one-way ANOVA of ratings on groups.

    ``ICC(1) = (MSB − MSW) / (MSB + (k − 1) MSW)`` and ``ICC(2) = (MSB − MSW) / MSB``, with k the mean
    group size (Bliese 2000, "Within-group agreement, non-independence, and reliability", in Klein &
    Kozlowski (eds.), *Multilevel theory, research, and methods in organizations*, pp. 349–381). With
    equal group sizes they are Shrout & Fleiss's (1979) ICC(1,1) and ICC(1,k), *Psychological
    Bulletin* 86(2), checked against their Table 2 example and ``pingouin.intraclass_corr``.

    Examples
    --------
    >>> i1, i2 = icc_oneway([6.0], [2.0], [5.0])
    >>> float(i1[0]), round(float(i2[0]), 4)
    (0.2857142857142857, 0.6667)
    """
    b, w, k = _arr(msb), _arr(msw), _arr(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        icc1 = (b - w) / (b + (k - 1) * w)
        icc2 = (b - w) / b
    return icc1, np.where(b > 0, icc2, np.nan)


def rwg_j(mean_item_var, j, n_options: int = 5) -> np.ndarray:
    """rwg(j): within-group agreement on a j-item scale against the uniform (no agreement) null.

    ``rwg(j) = j (1 − s̄²/σ²_EU) / (j (1 − s̄²/σ²_EU) + s̄²/σ²_EU)`` with s̄² the mean of the observed item
    variances in the group and ``σ²_EU = (A² − 1)/12`` the variance of a uniform answer over A options
    (2 for A = 5). Truncated to 0 where s̄² > σ²_EU (James, Demaree & Wolf 1984, "Estimating within-group
    interrater reliability with and without response bias", *Journal of Applied Psychology* 69(1);
    truncation as recommended by Lindell, Brandt & Whitney 1999).

    Examples
    --------
    >>> rwg_j([1.0, 0.5, 0.0, 3.0], 3).tolist()     # s̄² = 1: 3·0.5 / (3·0.5 + 0.5) = 0.75
    [0.75, 0.9, 1.0, 0.0]
    """
    v, j = _arr(mean_item_var), _arr(j)
    null = (n_options**2 - 1) / 12.0
    r = v / null
    with np.errstate(invalid="ignore", divide="ignore"):
        out = j * (1 - r) / (j * (1 - r) + r)
    return np.where(np.isnan(v), np.nan, np.where(r >= 1, 0.0, out))


def welch_difference(n1, mean1, var1, n2, mean2, var2, conf: float = CONF, *, df1=None, df2=None):
    """Difference ``mean1 − mean2`` of two independent samples: Welch's interval and Welch's p-value.

    One criterion for both: ``t = d / se`` with ``se = √(v1/n1 + v2/n2)`` and the Welch–Satterthwaite
    degrees of freedom ``ν = se⁴ / ((v1/n1)²/ν1 + (v2/n2)²/ν2)``, ``ν_i = n_i − 1`` (or ``df1``, ``df2``
    when the variances carry more degrees of freedom, e.g. the moderated variances of
    :func:`moderated_variance`); interval ``d ± t(1 − (1−conf)/2; ν) se``, two-sided ``p = 2 T_ν(−|t|)``.
    So the interval excludes 0 exactly when p < 1 − conf. Welch (1947), "The generalization of
    'Student's' problem when several different population variances are involved", *Biometrika*
    34(1–2); Satterthwaite (1946), *Biometrics Bulletin* 2(6). Checked against
    ``scipy.stats.ttest_ind(equal_var=False)`` and statsmodels' ``CompareMeans.tconfint_diff``.

    Vectorised: every argument may be an array (one element per comparison). Where either n < 2 the
    result is NaN; where se = 0 (both variances 0) the interval collapses to d and p is NaN — pass
    moderated variances to avoid that.

    Returns
    -------
    diff, ci_low, ci_high, p : arrays

    Examples
    --------
    >>> d, lo, hi, p = welch_difference([20], [3.0], [1.0], [30], [2.5], [1.44])
    >>> round(float(d[0]), 3), round(float(lo[0]), 3), round(float(hi[0]), 3), round(float(p[0]), 4)
    (0.5, -0.13, 1.13, 0.1171)
    """
    n1, m1, v1, n2, m2, v2 = map(_arr, (n1, mean1, var1, n2, mean2, var2))
    f1 = n1 - 1 if df1 is None else _arr(df1)
    f2 = n2 - 1 if df2 is None else _arr(df2)
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (np.where(a > 0, a * a / f1, 0.0) + np.where(b > 0, b * b / f2, 0.0))
        d = m1 - m2
        half = np.where(se > 0, stats.t.ppf(0.5 + conf / 2, df) * se, 0.0)
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(d) / se, df), np.nan)
    ok = (n1 >= 2) & (n2 >= 2)
    half, p = np.where(ok, half, np.nan), np.where(ok, p, np.nan)
    return d, d - half, d + half, p


def welch_interval(mean1, sd1, n1, mean2, sd2, n2, conf: float = CONF):
    """Difference ``mean1 − mean2`` and its Welch interval (:func:`welch_difference` without the p-value).

    Examples
    --------
    >>> d, lo, hi = welch_interval([3.0], [1.0], [20], [2.5], [1.2], [30])
    >>> round(float(d[0]), 3), round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.5, -0.13, 1.13)
    """
    d, lo, hi, _ = welch_difference(n1, mean1, _arr(sd1) ** 2, n2, mean2, _arr(sd2) ** 2, conf)
    return d, lo, hi


def bh_qvalues(p, family=None) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), within each family of tests.

    ``q_(i) = min_{j ≥ i} (m p_(j) / j)`` over the m non-missing p-values of a family sorted ascending,
    capped at 1: the smallest false discovery rate at which the test would be declared (Benjamini &
    Hochberg 1995, "Controlling the false discovery rate", *JRSS B* 57(1)). Rejecting every q < 0.05 keeps
    the expected share of false findings among the findings of a family below 5%. NaN p-values stay
    NaN and do not count in m. Checked against statsmodels ``multipletests(method="fdr_bh")``.

    Parameters
    ----------
    p : array of p-values
    family : array of labels, optional
        Tests with equal labels form one family; all tests are one family when omitted.

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    p = _arr(p)
    fam = np.zeros(len(p), dtype=np.int64) if family is None else pd.factorize(np.asarray(family, dtype=object))[0]
    q = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return q
    idx = np.flatnonzero(ok)
    f, pv = fam[idx], p[idx]
    order = np.lexsort((pv, f))
    f, pv, idx = f[order], pv[order], idx[order]
    start = np.r_[True, f[1:] != f[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(f)), 0))
    rank = np.arange(len(f)) - first + 1
    m = np.bincount(f)[f]
    raw = pv * m / rank
    # running minimum from the end of each family: reverse, accumulate per segment
    out = pd.Series(raw[::-1]).groupby(f[::-1]).cummin().to_numpy()[::-1]
    q[idx] = np.minimum(out, 1.0)
    return q


def moderated_variance(var, n, prior_var, prior_df: float):
    """Sample variance shrunk towards a prior variance: ``s̃² = (d₀ s₀² + (n − 1) s²) / (d₀ + n − 1)``
    with ``d₀ + n − 1`` degrees of freedom.

    The posterior of a normal variance under a scaled-inverse-χ²(d₀, s₀²) prior (Gelman et al. 2013,
    *Bayesian Data Analysis*, 3rd ed., §3.3) and the "moderated" variance of Smyth (2004), "Linear models
    and empirical Bayes methods for assessing differential expression in microarray experiments",
    *Statistical Applications in Genetics and Molecular Biology* 3(1), art. 3, where s₀² comes from the
    other groups of the same analysis. Why: on a bounded scale a group of 5 can easily answer all alike
    (s² = 0), and a t interval then has zero width although the group mean is uncertain; a small group's
    s² is also a very noisy estimate. Shrinking towards the variance the same question shows within
    the other departments gives every group a width that reflects how people answer it, with the extra
    degrees of freedom the pooled information brings; for large n, s̃² → s². n < 2 counts as s² = 0
    with weight 0.

    Returns
    -------
    var, df : arrays

    Examples
    --------
    >>> v, df = moderated_variance([0.0, 1.0], [5, 5], 0.8, 4)
    >>> v.round(3).tolist(), df.tolist()
    ([0.4, 0.9], [8.0, 8.0])
    """
    v, n, v0 = _arr(var), _arr(n), _arr(prior_var)
    w = np.maximum(n - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (prior_df * v0 + w * np.nan_to_num(v)) / (prior_df + w)
    return np.where(n >= 1, out, np.nan), np.where(n >= 1, prior_df + w, np.nan)


def moderated_t_interval(mean, var, df, n, conf: float = CONF) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean ± t(1 − (1−conf)/2; df) √(s̃²/n)`` for a moderated variance (see :func:`moderated_variance`).

    With ``df = n − 1`` and ``s̃² = s²`` this is Student's t interval (checked against scipy). Returns
    (low, high, se); NaN where n = 0.
    """
    m, v, df, n = map(_arr, (mean, var, df, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(v / n)
        half = stats.t.ppf(0.5 + conf / 2, df) * se
    bad = ~(n >= 1)
    return np.where(bad, np.nan, m - half), np.where(bad, np.nan, m + half), np.where(bad, np.nan, se)


def bounded_mean_interval(mean, var, n, low: float, high: float, prior_ratio, prior_df: float = 8.0,
                          conf: float = CONF) -> tuple[np.ndarray, np.ndarray]:
    """Interval for the mean of answers on a bounded scale [low, high]: Wilson's score interval on the
    rescaled mean with an effective sample size.

    Rescale ``y = (x − low)/(high − low)`` ∈ [0, 1]. A variable on [0, 1] with mean m has variance
    ``c · m(1 − m)`` with 0 ≤ c ≤ 1 (c = 1 for answers only at the two ends; Bhatia & Davis 2000,
    *American Mathematical Monthly* 107(4)). With ``n_eff = n / c`` the mean behaves like a proportion
    of ``n_eff`` trials, and Wilson's (1927) score interval for ȳ with ``n_eff`` — the design-effect
    adjusted Wilson interval used for survey proportions (Kish 1965, *Survey Sampling*; Korn & Graubard
    1998, "Confidence intervals for proportions with small expected number of positive counts estimated
    from survey data", *Survey Methodology* 24(2)) — keeps its two strengths: it never has zero width,
    and near a scale end (few serious problems) it is asymmetric and does not undercover the way a t
    interval does. c is estimated as ``ĉ = s²_y / (ȳ(1 − ȳ))`` (at most 1), moderated towards the
    pooled ratio of the other groups like a variance (:func:`moderated_variance`):
    ``c̃ = (d₀ c₀ + (n − 1) ĉ) / (d₀ + n − 1)``; where ȳ is 0 or 1 (everyone answered alike at a scale
    end) or n < 2, ĉ carries no weight and c̃ = c₀.

    ``tests/test_score_coverage.py`` checks 93–97% coverage at n = 5, 10 and 30, rare problems included.

    Examples
    --------
    >>> lo, hi = bounded_mean_interval([1.0], [0.0], [5], 1, 5, 0.5)   # five answers of 1: not [1, 1]
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (1.0, 2.11)
    """
    m, v, n, c0 = map(_arr, (mean, var, n, prior_ratio))
    span = high - low
    y = np.clip((m - low) / span, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = (y > 0) & (y < 1) & (n >= 2)
        c = np.where(inner, np.minimum(np.nan_to_num(v) / span**2 / (y * (1 - y)), 1.0), 0.0)
        w = np.where(inner, n - 1, 0.0)
        ct = (prior_df * c0 + w * c) / (prior_df + w)
        ne = n / ct
        z = stats.norm.ppf(0.5 + conf / 2)
        centre = (y + z * z / (2 * ne)) / (1 + z * z / ne)
        half = z * np.sqrt(y * (1 - y) / ne + z * z / (4 * ne * ne)) / (1 + z * z / ne)
    bad = ~(n >= 1)
    lo, hi = low + span * np.clip(centre - half, 0, 1), low + span * np.clip(centre + half, 0, 1)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def dependent_combination(weights, means, ses, dfs, conf: float = CONF):
    """Weighted combination ``Σ w_v x_v`` of estimates that may rest on the same people, with an interval
    valid whatever their correlation.

    Self and inside-peer sheets usually come from the same people, but anonymous answers cannot be linked,
    so the correlation of the view means cannot be estimated. By the Cauchy–Schwarz inequality
    ``Var(Σ w_v x_v) = Σ_v Σ_u w_v w_u ρ_vu se_v se_u ≤ (Σ |w_v| se_v)²`` for every correlation matrix, with
    equality at perfect correlation (ρ = ±1 with the signs of the weights): the interval
    ``Σ w x ± t(1 − (1−conf)/2; min df) Σ |w| se`` therefore covers at least as often as nominal, and
    exactly at the worst case (a Bonferroni-type bound; see e.g. Casella & Berger 2002, *Statistical
    Inference*, §4.7 for the inequality). The p-value of ``Σ w x = 0`` uses the same t and se.
    ``weights``: one weight per column (a difference is weights (1, −1)); arrays are groups × views.

    Returns
    -------
    value, ci_low, ci_high, p : arrays (NaN where any used view is missing)

    Examples
    --------
    >>> v, lo, hi, p = dependent_combination([1, -1], [[60.0, 50.0]], [[3.0, 4.0]], [[1e9, 1e9]])
    >>> float(v[0]), round(float(lo[0]), 2), round(float(hi[0]), 2)
    (10.0, -3.72, 23.72)
    """
    w = _arr(weights)
    x, se, df = (np.atleast_2d(_arr(a)) for a in (means, ses, dfs))
    used = w != 0
    val = (x[:, used] * w[used]).sum(axis=1)
    s = (se[:, used] * np.abs(w[used])).sum(axis=1)
    d = df[:, used].min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + conf / 2, d) * s
        p = np.where(s > 0, 2 * stats.t.sf(np.abs(val) / s, d), np.nan)
    return val, val - half, val + half, p


def f_test_p(msb, msw, groups, total) -> np.ndarray:
    """p-value of the one-way ANOVA F test that the group means are equal: ``F = MSB / MSW`` with
    ``(J − 1, N − J)`` degrees of freedom, ``p = P(F_{J−1, N−J} ≥ F)`` (Fisher 1925). ICC(1) > 0 in the
    population exactly when the group means differ, so this is the test of ICC(1) = 0 (Bliese 2000).
    Checked against statsmodels' ``anova_lm``.

    Examples
    --------
    >>> round(float(f_test_p([6.0], [2.0], [4], [24])[0]), 4)
    0.0549
    """
    b, w, j, n = map(_arr, (msb, msw, groups, total))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((j >= 2) & (n > j) & (w > 0), stats.f.sf(b / w, j - 1, n - j), np.nan)


def stratified_mean_variance(n, mean, var) -> tuple[float, float]:
    """Variance of the pooled mean of strata that were all surveyed, and its degrees of freedom.

    The pooled mean ``ȳ = Σ n_h ȳ_h / N`` (N = Σ n_h) weights each stratum by its share of the answers,
    ``W_h = n_h / N``. With every stratum in the sample, the first-stage term of a two-stage cluster
    sample vanishes (its finite-population correction 1 − H/H is 0) and what is left is the variance
    within strata, ``v = Σ W_h² s_h² / n_h = Σ n_h s_h² / N²`` (Cochran 1977, *Sampling Techniques*,
    3rd ed., §5.3 and §10.8; Lohr 2010, *Sampling: Design and Analysis*, 2nd ed., §3.2 and §5.3 with
    n = N), with Satterthwaite's degrees of freedom ``ν = (Σ a_h)² / Σ a_h² / (n_h − 1)``,
    ``a_h = n_h s_h² / N²`` (Satterthwaite 1946; Cochran §5A.12). Strata with n_h < 2 carry no variance
    estimate and add nothing. Checked against a delete-one jackknife within strata (Rust & Rao 1996),
    which equals it for a mean with fixed stratum weights.

    Returns
    -------
    v, df : floats (NaN where no stratum has answers)

    Examples
    --------
    >>> v, df = stratified_mean_variance([10, 10], [2.0, 3.0], [1.0, 1.0])
    >>> round(v, 6), round(df, 6)
    (0.05, 18.0)
    """
    n, m, s2 = _arr(n), _arr(mean), _arr(var)
    ok = (n >= 1) & ~np.isnan(m)
    total = n[ok].sum()
    if total <= 0:
        return float("nan"), float("nan")
    has = ok & (n >= 2) & ~np.isnan(s2)
    a = n[has] * s2[has] / total**2
    v = float(a.sum())
    den = float((a * a / (n[has] - 1)).sum())
    return v, (v * v / den if den > 0 else float("nan"))


def design_wilson_interval(mean, v, df, low: float = 0.0, high: float = 1.0,
                           conf: float = CONF) -> tuple[float, float]:
    """Wilson's score interval of a survey mean on [low, high] with the effective sample size of its design
    variance v: ``n_eff = y(1 − y) / v_y · (z / t_ν)²`` for the rescaled mean y and its variance v_y, the
    design-effect Wilson interval with Korn & Graubard's (1998) degrees-of-freedom adjustment (*Survey
    Methodology* 24(2)); Kish (1965) for the effective sample size. NaN where y is at a scale end or
    v = 0 (no effective sample size).

    Examples
    --------
    >>> lo, hi = design_wilson_interval(0.3, 0.21 / 100, 1e9)   # v = p(1−p)/n: Wilson with n = 100
    >>> round(lo, 4), round(hi, 4)
    (0.2189, 0.3958)
    """
    span = high - low
    y = (float(mean) - low) / span
    vy = float(v) / span**2
    if not (0 < y < 1) or not vy > 0 or not df > 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + conf / 2)
    ne = y * (1 - y) / vy * (z / stats.t.ppf(0.5 + conf / 2, df)) ** 2
    lo, hi = wilson_interval([y * ne], [ne], conf)
    return low + span * float(lo[0]), low + span * float(hi[0])
