"""The formulas, one function each, vectorised over numpy arrays (one element per group).

Every function states its formula and primary reference; the test suite checks each one against
published values or an independent implementation (pingouin, scipy, statsmodels). Nothing here rounds.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

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


def welch_interval(mean1, sd1, n1, mean2, sd2, n2, conf: float = CONF):
    """Difference ``mean1 − mean2`` of two independent samples and its Welch interval.

    ``d ± t(1 − (1−conf)/2; ν) × √(s1²/n1 + s2²/n2)`` with the Welch–Satterthwaite degrees of freedom
    ``ν = (s1²/n1 + s2²/n2)² / ((s1²/n1)²/(n1−1) + (s2²/n2)²/(n2−1))``. Welch (1947), *Biometrika*
    34(1–2); Satterthwaite (1946). Where both variances are 0 the interval collapses to the difference.
    Checked against statsmodels' ``CompareMeans.tconfint_diff(usevar="unequal")``.

    Returns
    -------
    diff, low, high : arrays

    Examples
    --------
    >>> d, lo, hi = welch_interval([3.0], [1.0], [20], [2.5], [1.2], [30])
    >>> round(float(d[0]), 3), round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.5, -0.13, 1.13)
    """
    m1, s1, n1, m2, s2, n2 = map(_arr, (mean1, sd1, n1, mean2, sd2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        v1, v2 = s1**2 / n1, s2**2 / n2
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        half = np.where(se > 0, stats.t.ppf(0.5 + conf / 2, df) * se, 0.0)
        ok = (n1 >= 2) & (n2 >= 2)
        half = np.where(ok, half, np.nan)
    d = m1 - m2
    return d, d - half, d + half


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


def mann_whitney_asymptotic(u1, n1, n2, tie_term) -> np.ndarray:
    """Two-sided Mann–Whitney p-value, normal approximation with tie and continuity correction.

    ``z = (max(U1, U2) − n1 n2 / 2 − 0.5) / √(n1 n2 / 12 × ((n + 1) − Σ(t³ − t) / (n (n − 1))))`` and
    ``p = 2 Φ(−z)``, clipped to 1 — what ``scipy.stats.mannwhitneyu`` does by default whenever either
    sample is larger than 8 or there are ties (Mann & Whitney 1947, *Annals of Mathematical Statistics*
    18(1)). ``tie_term`` is Σ(t³ − t) over the tie groups of the pooled sample.

    Examples
    --------
    >>> round(float(mann_whitney_asymptotic([30.0], [10], [10], [0.0])[0]), 6)
    0.140465
    """
    u1, n1, n2, tt = map(_arr, (u1, n1, n2, tie_term))
    u = np.maximum(u1, n1 * n2 - u1)
    n = n1 + n2
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt(n1 * n2 / 12 * ((n + 1) - tt / (n * (n - 1))))
        z = (u - n1 * n2 / 2 - 0.5) / s
        p = 2 * special.ndtr(-z)
    return np.clip(p, 0.0, 1.0)


def mann_whitney(x, y) -> tuple[float, float, float]:
    """Mann–Whitney U of sample x against y, scipy's default two-sided p-value, and the rank-biserial r.

    ``U_x = R_x − n_x (n_x + 1)/2`` (R_x the rank sum of x in the pooled sample, mid-ranks for ties);
    ``r = (U_x − U_y) / (n_x n_y) = 2 U_x / (n_x n_y) − 1``, the simple difference formula of Kerby
    (2014), "The simple difference formula: an approach to teaching nonparametric correlation",
    *Comprehensive Psychology* 3. r > 0 when x tends to be larger. The p-value is
    ``scipy.stats.mannwhitneyu(x, y)`` (Mann & Whitney 1947).

    Examples
    --------
    >>> u, p, r = mann_whitney([3, 4, 5, 5], [1, 2, 2, 3])
    >>> float(u), round(p, 4), float(r)
    (15.5, 0.0396, 0.9375)
    """
    x, y = _arr(x), _arr(y)
    res = stats.mannwhitneyu(x, y)
    u = float(res.statistic)
    return u, float(res.pvalue), 2 * u / (len(x) * len(y)) - 1


def welch_difference(n1, mean1, var1, n2, mean2, var2, conf: float = CONF):
    """Welch's unequal-variance t test from summary figures: ``mean1 − mean2``, its interval and p.

    ``d = m1 − m2``, ``se = √(v1/n1 + v2/n2)``, ``t = d / se`` with the Welch–Satterthwaite degrees of
    freedom ``ν = se⁴ / ((v1/n1)²/(n1−1) + (v2/n2)²/(n2−1))``; the interval is ``d ± t(1 − (1−conf)/2; ν) se``
    and the two-sided p is ``2 P(T_ν > |t|)``, so the interval excludes 0 exactly when p < 1 − conf.
    Welch (1947), "The generalization of 'Student's' problem when several different population variances
    are involved", *Biometrika* 34(1–2); Satterthwaite (1946). ``var`` is the sample variance (ddof 1).
    NaN (interval and p) where either n < 2; where both variances are 0 the interval collapses to the
    difference and p is 0 for a difference, 1 for none. Checked against
    ``scipy.stats.ttest_ind(x1, x2, equal_var=False)`` on raw data.

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
    d = m1 - m2
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        half = np.where(se > 0, stats.t.ppf(0.5 + conf / 2, df) * se, 0.0)
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(d / se), df), np.where(d == 0, 1.0, 0.0))
    ok = (n1 >= 2) & (n2 >= 2) & ~np.isnan(d)
    half, p = np.where(ok, half, np.nan), np.where(ok, p, np.nan)
    return d, d - half, d + half, p
