"""The red-line alert rule, declared once, and its false-alert rate.

A red-line item's alert fires for a group (department × view) when the evidence says the share of
serious ratings exceeds the instrument's reporting threshold p₀ (``red_line.min_share``, 5%): the
one-sided exact lower bound of the share at :data:`ALERT_CONF` lies above p₀ — the one-sided exact
binomial test of ``share ≤ p₀`` rejects at level 5% (:func:`zuofeng.score.stats.binomial_lower_bound`)
— and at least ``Rules.red_line_min_count`` (3) ratings are serious. A point estimate of 2 serious
ratings among 8 (25%) is not enough (P(X ≥ 2 | 8, 5%) = 5.7%); 3 among 8 is. Without the minimum of 3,
2 of 5 to 2 of 7 would pass the test, and a department of 7 with a true share of 2% would get a false
alert up to 7.1% of the time; with it the rate stays below 3.4% at every n (the worst: n = 16).

For kind ``all`` the lower bound is the weighted sum of the views' lower bounds (the combination rule of
shares, :mod:`zuofeng.score.views`), so the ``all`` alert fires only where some view's alert fires.

:func:`false_alert_rates` is what the inspection report states: with a true serious share below the
threshold, how often a department gets at least one alert, computed exactly from the binomial
distribution. ``bench/bench_study.py`` measures the same rate by simulation with a generator of its own
(person effects shared between a person's self and inside sheets), and a test asserts it stays within
the stated rate.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from . import stats

ALERT_CONF = 0.95                 # one-sided confidence of the lower bound (test level 1 − ALERT_CONF)
STUDY_SHARE = 0.02                # the true serious share the stated false-alert rate is computed at
STUDY_SIZES = (8, 12, 20, 50)     # answers per view for which the inspection report states the rate


def lower_bound(serious, n) -> np.ndarray:
    """The one-sided exact lower bound of the serious share behind an alert."""
    return stats.binomial_lower_bound(serious, n, ALERT_CONF)


def fires(lower, serious, threshold: float, min_count: int) -> np.ndarray:
    """Whether the alert fires: lower bound above the threshold and at least ``min_count`` serious ratings."""
    lower, serious = np.asarray(lower, dtype="float64"), np.asarray(serious, dtype="float64")
    with np.errstate(invalid="ignore"):
        return (lower > threshold) & (serious >= min_count - 1e-9)


def min_serious(n: int, threshold: float, min_count: int) -> int | None:
    """The fewest serious ratings among ``n`` answers that fire the alert (None if none do).

    >>> min_serious(8, 0.05, 2), min_serious(12, 0.05, 2), min_serious(20, 0.05, 2), min_serious(50, 0.05, 2)
    (3, 3, 4, 6)
    """
    x = np.arange(n + 1)
    ok = fires(lower_bound(x, np.full(n + 1, n)), x, threshold, min_count)
    return int(x[ok][0]) if ok.any() else None


def false_alert_rates(sizes=STUDY_SIZES, share: float = STUDY_SHARE, threshold: float = 0.05, min_count: int = 3,
                      tests: int = 9) -> list[dict]:
    """The chance of a false alert when the true serious share is ``share`` (below the threshold).

    Per test (one item in one view of ``n`` answers): ``P(X ≥ x_min | n, share)``, X binomial, x_min of
    :func:`min_serious`. Per department (``tests`` red-line item × view cells, 3 items × 3 views by
    default): at most ``1 − (1 − P)^tests`` when the cells are independent, and never more than
    ``tests × P`` whatever their correlation (Boole's inequality); the ``all`` alert adds nothing, as it
    fires only with a view's.

    Returns one dict per n: ``n, min_serious, per_test, per_department`` (the Boole bound, capped at 1).

    >>> r = false_alert_rates([8])[0]
    >>> r["min_serious"], round(r["per_test"], 5), round(r["per_department"], 4)
    (3, 0.00042, 0.0037)
    """
    out = []
    for n in sizes:
        x = min_serious(int(n), threshold, min_count)
        p = 0.0 if x is None else float(sps.binom.sf(x - 1, int(n), share))
        out.append({"n": int(n), "min_serious": x, "per_test": p, "per_department": min(1.0, tests * p)})
    return out
