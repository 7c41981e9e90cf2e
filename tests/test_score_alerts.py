"""The red-line alert rule against the exact binomial test (scipy, statsmodels), and its stated
false-alert rate against a direct sum of binomial probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from zuofeng.score import alerts
from zuofeng.score.stats import binomial_lower_bound


def test_the_lower_bound_is_clopper_pearson_one_sided():
    for n in (1, 5, 8, 12, 20, 50, 263):
        for x in range(0, n + 1, max(1, n // 9)):
            expect = proportion_confint(x, n, alpha=0.10, method="beta")[0] if x else 0.0
            assert_allclose(binomial_lower_bound(x, n), expect, atol=1e-10)
    assert np.isnan(binomial_lower_bound(0, 0))


@pytest.mark.parametrize("n", [5, 8, 12, 20, 50, 120])
def test_the_alert_fires_exactly_when_the_one_sided_exact_test_rejects(n):
    x = np.arange(n + 1)
    fired = alerts.fires(alerts.lower_bound(x, np.full(n + 1, n)), x, 0.05, 2)
    expect = [sps.binomtest(int(k), n, 0.05, alternative="greater").pvalue < 0.05 and k >= 2 for k in x]
    assert fired.tolist() == expect


def test_a_share_alone_is_not_evidence():
    # 2 of 8 is 25%, far above 5%, but P(X ≥ 2 | 8, 5%) = 5.7%: no alert; 3 of 8 (0.58%) fires
    assert 1 - sps.binom.cdf(1, 8, 0.05) == pytest.approx(0.0572, abs=1e-4)
    assert not alerts.fires(alerts.lower_bound(2, 8), 2, 0.05, 2)
    assert alerts.fires(alerts.lower_bound(3, 8), 3, 0.05, 2)


def test_the_stated_false_alert_rate_is_the_binomial_tail_and_at_most_5_percent():
    rates = alerts.false_alert_rates()
    assert [r["n"] for r in rates] == [8, 12, 20, 50]
    for r in rates:
        n = r["n"]
        # independently: the smallest count the exact test rejects at, then the binomial tail at 2%
        x_min = next(k for k in range(3, n + 1) if sps.binomtest(k, n, 0.05, alternative="greater").pvalue < 0.05)
        tail = sum(sps.binom.pmf(k, n, 0.02) for k in range(x_min, n + 1))
        assert r["min_serious"] == x_min
        assert_allclose(r["per_test"], tail, rtol=1e-9)
        assert_allclose(r["per_department"], 9 * tail, rtol=1e-9)
        assert r["per_department"] <= 0.05


def test_the_minimum_of_three_keeps_the_false_alert_rate_below_5_percent_at_every_n():
    # without it 2 of 7 passes the exact test (P(X ≥ 2 | 7, 5%) = 4.4%) and 9 cells of 7 answers at a
    # true share of 2% give up to 9 × P(X ≥ 2 | 7, 2%) = 7.1%
    assert sps.binomtest(2, 7, 0.05, alternative="greater").pvalue < 0.05
    assert 9 * sps.binom.sf(1, 7, 0.02) == pytest.approx(0.0707, abs=1e-4)
    worst = max(r["per_department"] for r in alerts.false_alert_rates(range(3, 301)))
    assert worst < 0.034
    assert max(r["per_department"] for r in alerts.false_alert_rates(range(3, 301), min_count=2)) > 0.07


def test_every_recorded_method_has_words_in_both_languages():
    from zuofeng.score.intervals import INTERVALS, METHODS, method_text

    for stat, method in INTERVALS.items():
        assert method in METHODS, stat
        zh, en = method_text(method, "zh"), method_text(method, "en")
        assert zh != method and en != method and zh != en, stat
    assert "以部门为整群" in method_text(INTERVALS["organisation"])   # the organisation interval: departments as clusters
    assert "精确" in method_text(INTERVALS["red_line_alert"])
