"""Kind ``all``: a weighted combination of the view-level figures of one unit, never a pool of sheets.

Self and inside-peer sheets of a department usually come from the same people, so pooling them counts
those people twice and their answers are not independent. The ``all`` figure of a unit is instead
``Σ w_v x_v / Σ w_v`` over its views v (self, peer_inside, peer_outside) that have a weight w_v > 0 and
answers; the weights are the round's ``group_weights`` (equal weights when the round sets none). A
suppressed view enters only when at least two views of the unit are suppressed: complementary
suppression guarantees exactly that for a published total (never one hidden child); a single hidden
view is left out. One such equation alone hides its unknowns, but with fixed weights the equations of two
departments and the organisation's pooled views can be solved together, so the publication rule
(:func:`zuofeng.score.suppress.suppress_figures`, step 3) publishes an ``all`` figure only when every
view figure it combines is published.

Intervals, valid whatever the correlation of the views (which anonymous sheets cannot reveal):

- means, indices and evaluation scores: ``Σ w x ± t(min df) Σ w se`` (the Cauchy–Schwarz bound of
  :func:`zuofeng.score.stats.dependent_combination`);
- shares (problem rate, red-line share, satisfaction): ``[Σ w l_v, Σ w u_v]`` from the views' Wilson
  limits, the MOVER interval of a weighted sum (Zou & Donner 2008, "Construction of confidence limits
  about effect measures: a general approach", *Statistics in Medicine* 27(10)) at perfect correlation,
  its widest case.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats as sps

from ..axes import KINDS, VIEWS
from . import stats

EQUAL = {v: 1.0 for v in VIEWS}


class ViewCombiner:
    """Replaces the ``all`` entries of per-group arrays (groups ordered units × KINDS) by view combinations.

    ``published(unit, view)`` says whether a view cell of a unit is published; ``sheets`` is the number of
    sheets per group (same order as ``dept``).
    """

    def __init__(self, dept: np.ndarray, weights: dict[str, float] | None, published: Callable[[str, str], bool],
                 sheets: np.ndarray):
        self.units = np.asarray(dept, dtype=object)[:: len(KINDS)]
        self.weights = {v: float((weights or EQUAL).get(v, 0.0)) for v in VIEWS}
        self.w = np.array([self.weights[v] for v in VIEWS])
        pub = np.array([[published(u, v) for v in VIEWS] for u in self.units], dtype=bool).reshape(-1, 3)
        hidden = ~pub & (self._views(sheets) > 0)
        self.pub = pub | (hidden & (hidden.sum(axis=1, keepdims=True) >= 2))
        self.all_rows = np.arange(len(self.units)) * len(KINDS) + KINDS.index("all")

    def _views(self, arr) -> np.ndarray:
        return np.asarray(arr, dtype="float64").reshape(-1, len(KINDS))[:, :3]

    def _weights(self, n, value, views: tuple[str, ...]) -> np.ndarray:
        """Normalised weights per unit × view: weight > 0, view among ``views``, published, answered."""
        allowed = np.array([v in views for v in VIEWS])
        use = self.pub & allowed & (self.w > 0) & (self._views(n) > 0) & ~np.isnan(self._views(value))
        w = np.where(use, self.w, 0.0)
        tot = w.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, w / tot, 0.0)

    def note(self, n, value, views: tuple[str, ...] = VIEWS) -> np.ndarray:
        """Per unit: which views with which weight entered (the row note of ``all``)."""
        wn = self._weights(n, value, views)
        uniq, inv = np.unique(wn, axis=0, return_inverse=True)
        text = []
        for row in uniq:
            parts = [f"{v}={x:.3g}" for v, x in zip(VIEWS, row) if x > 0]
            text.append("各视角加权合并：" + "、".join(parts) if parts else "无可合并的公开视角")
        return np.array(text, dtype=object)[np.ravel(inv)]

    def _put(self, arr, values) -> np.ndarray:
        out = np.array(arr, dtype="float64", copy=True)
        out[self.all_rows] = values
        return out

    def mean(self, mean, var, df, n, low: float, high: float, views: tuple[str, ...] = VIEWS):
        """Combined mean of the views, its interval, and (var, df, n) for ``all`` such that
        ``√(var / n)`` is the combined standard error bound. Returns full-length arrays
        (mean, lo, hi, var, df, n) with the ``all`` entries replaced; view entries as given, with their
        own moderated intervals."""
        wn = self._weights(n, mean, views)
        used = wn > 0
        m, v, f, c = (self._views(a) for a in (mean, var, df, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(v / c)
            cm = np.where(used, wn * m, 0.0).sum(axis=1)
            cse = np.where(used, wn * se, 0.0).sum(axis=1)
            cdf = np.where(used, f, np.inf).min(axis=1)
            cn = np.where(used, c, 0.0).sum(axis=1)
            half = sps.t.ppf(0.975, cdf) * cse
        none = ~used.any(axis=1)
        cm, cse, cdf, half = (np.where(none, np.nan, x) for x in (cm, cse, cdf, half))
        lo, hi, _ = stats.moderated_t_interval(mean, var, df, n)
        return (self._put(mean, cm), self._put(np.clip(lo, low, high), np.clip(cm - half, low, high)),
                self._put(np.clip(hi, low, high), np.clip(cm + half, low, high)),
                self._put(var, cse**2 * cn), self._put(df, cdf), self._put(n, cn))

    def share(self, value, lo, hi, n, views: tuple[str, ...] = VIEWS):
        """Combined share with the perfect-correlation MOVER interval ``[Σ w l, Σ w u]``."""
        wn = self._weights(n, value, views)
        used = wn > 0
        none = ~used.any(axis=1)
        out = []
        for a in (value, lo, hi):
            x = np.where(used, wn * self._views(a), 0.0).sum(axis=1)
            out.append(self._put(a, np.where(none, np.nan, x)))
        out.append(self._put(n, np.where(used, self._views(n), 0.0).sum(axis=1)))
        return tuple(out)

    def count(self, x, n, value, views: tuple[str, ...] = VIEWS) -> np.ndarray:
        """Sum of a count over the views that enter the combination (e.g. serious ratings)."""
        used = self._weights(n, value, views) > 0
        return self._put(x, np.where(used, self._views(x), 0.0).sum(axis=1))

    def as_dict(self) -> dict[str, float]:
        return dict(self.weights)

