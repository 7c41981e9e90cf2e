"""The interval of the organisation's (``ALL``) figures of a view: departments as clusters, all of them surveyed.

The organisation's figure of a view pools its departments' answers, ``ȳ = Σ n_d ȳ_d / N``. As a
two-stage cluster sample with departments as primary units, every one of them in the sample, the
first-stage (between-department) term has the finite-population correction 1 − J/J = 0, and the
variance is the within-department term :func:`zuofeng.score.stats.stratified_mean_variance`: the
differences between departments are part of what the figure describes, not error (the findings are
about these departments, and every one was surveyed). The interval is Wilson's on the effective sample
size of that variance (:func:`zuofeng.score.stats.design_wilson_interval`), so it stays inside the
scale and is asymmetric near an end, like the departments' own.

Anonymity: a department whose figure is hidden must not add an equation about its answers. The hidden
departments of a figure and view therefore enter as one stratum, whose mean and variance follow from
the published figures (the organisation's n, mean and SD minus the published departments'), so the
organisation's interval says nothing about a hidden figure that the published ones do not already say.

``bench/bench_study.py`` measures the coverage with its own generator; ``tests/test_org_interval.py``
checks the variance against a delete-one jackknife within departments computed from the sheets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..axes import VIEWS
from . import stats
from .suppress import ALL, is_pool

#: whether the figure ``key`` (None: the evaluation votes) of a unit × view is published
Published = Callable[[str, str, object], bool]


class Organisation:
    """Replaces the interval of the ``ALL`` × view rows of per-group arrays (groups as in ``GroupSums``)."""

    def __init__(self, dept: np.ndarray, kind: np.ndarray, published: Published | None = None):
        self.dept = np.asarray(dept, dtype=object)
        self.kind = np.asarray(kind, dtype=object)
        self.published = published
        is_unit = np.array([d != ALL and not is_pool(d) for d in self.dept], dtype=bool)
        self.rows = {v: (int(np.flatnonzero((self.dept == ALL) & (self.kind == v))[0]),
                         np.flatnonzero(is_unit & (self.kind == v)))
                     for v in VIEWS if ((self.dept == ALL) & (self.kind == v)).any()}

    def strata(self, key, view: str, mean, var, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, mean, variance) of the strata of ``view``: each department whose figure is published, and
        the hidden ones together (their sums: the organisation's minus the published departments')."""
        org, rows = self.rows[view]
        rows = rows[np.nan_to_num(n[rows]) > 0]
        if self.published is not None:
            shown = np.array([self.published(self.dept[i], view, key) for i in rows], dtype=bool)
        else:
            shown = np.ones(len(rows), dtype=bool)
        pub = rows[shown]
        nn, mm, vv = [n[pub]], [mean[pub]], [np.nan_to_num(var[pub])]
        n_h = n[org] - n[pub].sum()
        if n_h > 0.5:
            s_h = n[org] * mean[org] - (n[pub] * mean[pub]).sum()
            ss_org = (n[org] - 1) * np.nan_to_num(var[org]) + n[org] * mean[org] ** 2
            ss_h = ss_org - ((n[pub] - 1) * np.nan_to_num(var[pub]) + n[pub] * mean[pub] ** 2).sum()
            m_h = s_h / n_h
            v_h = max((ss_h - n_h * m_h**2) / (n_h - 1), 0.0) if n_h >= 1.5 else np.nan
            nn, mm, vv = nn + [[n_h]], mm + [[m_h]], vv + [[v_h]]
        return np.concatenate(nn), np.concatenate(mm), np.concatenate(vv)

    def mean(self, key, mean, var, n, vm, df, lo, hi, low: float, high: float):
        """The mean's interval of every ``ALL`` × view row, and (vm, df) such that ``√(vm / n)`` is its
        standard error (what gaps, changes and the ``all`` combination of the organisation read). ``var``:
        the groups' sample variances. Returns new (lo, hi, vm, df)."""
        lo, hi, vm, df = (np.array(a, dtype="float64", copy=True) for a in (lo, hi, vm, df))
        for view, (org, _) in self.rows.items():
            if not n[org] > 0:
                continue
            v, nu = stats.stratified_mean_variance(*self.strata(key, view, mean, var, n))
            if not v > 0:
                continue
            vm[org], df[org] = v * n[org], nu
            a, b = stats.design_wilson_interval(mean[org], v, nu, low, high)
            if not np.isnan(a):
                lo[org], hi[org] = a, b
        return lo, hi, vm, df

    def share(self, key, x, n, lo, hi):
        """The interval of every ``ALL`` × view share ``x / n``; returns new (lo, hi)."""
        x, n = np.asarray(x, dtype="float64"), np.asarray(n, dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 0, x / n, np.nan)
            var = np.where(n >= 2, (x - x * p) / (n - 1), np.nan)
        lo, hi = np.array(lo, dtype="float64", copy=True), np.array(hi, dtype="float64", copy=True)
        for view, (org, _) in self.rows.items():
            if not n[org] > 0:
                continue
            v, nu = stats.stratified_mean_variance(*self.strata(key, view, p, var, n))
            a, b = stats.design_wilson_interval(p[org], v, nu)
            if not np.isnan(a):
                lo[org], hi[org] = a, b
        return lo, hi
