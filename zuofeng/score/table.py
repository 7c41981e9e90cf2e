"""The per-group statistics of the long table: counts, coverage, indices, problem rates, red lines,
reliability, agreement and the democratic evaluation — all from additive group sums, no loop over
departments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes import COVERAGE_VIEWS, OUTSIDE, VIEWS
from . import alerts, stats
from .organisation import Organisation, Published
from .prepare import OVERALL, GroupSums, Prepared, mean_sd, row_nanmean, variance
from .suppress import ALL
from .views import ViewCombiner

COLUMNS = ["round", "department", "kind", "level", "key", "statistic", "value", "ci_low", "ci_high", "n",
           "suppressed", "note"]
LEVELS = ("overall", "dimension", "item", "evaluation")
PRIOR_DF = 3.0        # prior degrees of freedom of the moderated variance (see honest_variance)
RATIO_PRIOR_DF = 8.0  # prior weight of the dispersion ratio of the bounded-mean interval (see dispersion_prior)
CATEGORY_STATS = {"党员": "respondents_party", "非党员": "respondents_non_party", "未填": "respondents_no_category"}


def block(groups, level: str, key: str, statistic: str, value, lo=None, hi=None, n=None,
          note=None, keep=None) -> dict:
    """Rows of the long table, one per group (minus those where ``keep`` is False), as a dict of
    arrays; :func:`assemble` turns a list of them into the table. ``groups`` is a MultiIndex of
    (department, kind) or a pair of arrays."""
    if isinstance(groups, pd.MultiIndex):
        dept, kind = groups.get_level_values(0).to_numpy(object), groups.get_level_values(1).to_numpy(object)
    else:
        dept, kind = (np.asarray(a, dtype=object) for a in groups)
    size = len(dept)

    def col(x, dtype="float64"):
        if x is None:
            return np.full(size, np.nan)
        return np.array(np.broadcast_to(np.asarray(x, dtype=dtype), (size,)))

    out = {"department": dept, "kind": kind, "level": level, "key": key, "statistic": statistic,
           "value": col(value), "ci_low": col(lo), "ci_high": col(hi), "n": col(n),
           "note": col(note, object) if note is not None else np.full(size, None, dtype=object)}
    if keep is not None:
        k = np.asarray(keep, bool)
        out = {c: (v[k] if isinstance(v, np.ndarray) else v) for c, v in out.items()}
    return out


def assemble(blocks: list[dict]) -> pd.DataFrame:
    """One frame from blocks of rows (scalars repeated, missing extra columns left empty)."""
    blocks = [b for b in blocks if len(b["department"])]
    if not blocks:
        return pd.DataFrame(columns=["department", "kind", "level", "key", "statistic", "value", "ci_low", "ci_high",
                                     "n", "note"])
    names = list(dict.fromkeys(c for b in blocks for c in b))
    data = {}
    for c in names:
        parts = []
        for b in blocks:
            size = len(b["department"])
            v = b.get(c)
            if isinstance(v, np.ndarray) and v.shape == (size,):
                parts.append(v.astype(object) if c.startswith("_") or v.dtype == object else v)
            else:
                parts.append(np.full(size, v, dtype=object if not isinstance(v, float) else "float64"))
        data[c] = np.concatenate(parts)
    # text columns stay plain object arrays until the table is final (core._order): no conversion to
    # Arrow strings and back at every step
    return pd.DataFrame({c: pd.Series(v, dtype=object) if v.dtype == object else v for c, v in data.items()})


def _rows_by_value(values) -> list[np.ndarray]:
    """The positions of each distinct value, ascending (one factorisation, no per-value comparison)."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=len(uniq)))[:-1])


def honest_variance(dept, kind, var, n, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Moderated variance and its degrees of freedom for every group (:func:`zuofeng.score.stats.moderated_variance`),
    the standard errors of comparisons (gap, change), of combined views and of the rank simulation.

    The prior variance s₀² of a kind is the pooled within-department variance of the same figure over the
    department × kind groups of the round, ``Σ (n_j − 1) s_j² / Σ (n_j − 1)``, never below ``h²/12`` (h the
    scale step: the variance the rounding to a scale hides, Sheppard 1898) so that it is positive even
    when a whole organisation answered alike; the prior weighs ``PRIOR_DF`` = 3 degrees of freedom.
    ``tests/test_score_coverage.py`` checks that the intervals built on it cover the true value 93–97%
    of the time at n = 5, 10 and 30.
    """
    var, n = np.asarray(var, dtype="float64"), np.asarray(n, dtype="float64")
    w = np.where((dept != ALL) & (n >= 2), n - 1, 0.0)
    prior = np.empty(len(var))
    for sel in _rows_by_value(kind):
        tot = w[sel].sum()
        pooled = (w[sel] * np.nan_to_num(var[sel])).sum() / tot if tot > 0 else 0.0
        prior[sel] = max(pooled, step * step / 12.0)
    return stats.moderated_variance(var, n, prior, PRIOR_DF)


def dispersion_prior(dept, kind, mean, var, n, low: float, high: float, step: float) -> np.ndarray:
    """Per group, the prior dispersion ratio c₀ of :func:`zuofeng.score.stats.bounded_mean_interval`: for each
    kind, the pooled ratio over the department × kind groups ``Σ (n_j − 1) s_j² / Σ (n_j − 1) (x̄_j − low)(high − x̄_j)``,
    at least ``h²/3 / (high − low)²`` (h the scale step: Sheppard's h²/12 at the mid-scale) and at most 1."""
    mean, var, n = (np.asarray(a, dtype="float64") for a in (mean, var, n))
    w = np.where((dept != ALL) & (n >= 2), n - 1, 0.0)
    room = np.nan_to_num((mean - low) * (high - mean))
    out = np.empty(len(var))
    floor = step * step / 3.0 / (high - low) ** 2
    for sel in _rows_by_value(kind):
        den = (w[sel] * room[sel]).sum()
        ratio = (w[sel] * np.nan_to_num(var[sel])).sum() / den if den > 0 else 1.0
        out[sel] = min(max(ratio, floor), 1.0)
    return out


def _groups_and_scale(sums: GroupSums, instrument) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The department and kind of every group (in the order of ``sums``) and the item scale's bounds."""
    dept = sums.groups.get_level_values(0).to_numpy(object)
    kind = sums.groups.get_level_values(1).to_numpy(object)
    return dept, kind, 1.0, float(len(instrument.item_scale.options))


def group_blocks(prep: Prepared, sums: GroupSums, instrument, eval_scores: dict[str, float],
                 red_line_min_count: int = 2, combine: ViewCombiner | None = None,
                 items: bool = True, published: Published | None = None) -> tuple[list[dict], dict]:
    """Blocks of rows for every group, and the per-group arrays other stages reuse.

    With ``combine``, the ``all`` figures of means, indices, shares and evaluation scores are weighted
    combinations of the published views (:mod:`zuofeng.score.views`); otherwise they pool the sheets.
    With ``items=False`` the item and reliability rows are left out (a previous round, which only the
    change statistics read: respondent scores and the evaluation). The organisation's rows of a view take
    the interval of :mod:`zuofeng.score.organisation`, with ``published(unit, view, key)`` (key None: the
    evaluation) telling which departments' figures are published (all when not given).
    """
    dept, kind, low, high = _groups_and_scale(sums, instrument)
    g = (dept, kind)
    is_org = dept == ALL
    org = Organisation(dept, kind, published)
    sh = prep.sheets
    out: list[dict] = []
    shared: dict[str, object] = {}

    # counts, headcount, coverage, categories
    n_sheets = sums.sum("sheets", np.ones(len(sh)))
    shared["respondents"] = n_sheets
    out.append(block(g, "overall", OVERALL, "respondents", n_sheets, n=n_sheets))
    heads = dict(zip(prep.departments["code"], prep.departments["headcount"]))
    head = np.array([sum(heads.values()) if d == ALL else heads[d] for d in dept], dtype="float64")
    has_head = np.isin(kind, COVERAGE_VIEWS)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(head > 0, n_sheets / head, np.nan)
    out.append(block(g, "overall", OVERALL, "headcount", head, keep=has_head))
    out.append(block(g, "overall", OVERALL, "coverage", cov, n=n_sheets, keep=has_head,
                     note=np.where(head > 0, None, "编制人数为0")))
    # where the outside view's figures come from: the 民主测评 table rows among its sheets (the rest are
    # 22-item sheets); every item figure rests on the 22-item sheets alone
    n_table = sums.sum("form:table", sh["table"].to_numpy(float)) if "table" in sh.columns else np.zeros(len(dept))
    out.append(block(g, "overall", OVERALL, "respondents_table", n_table, n=n_table, keep=kind == OUTSIDE))
    for cat, stat in CATEGORY_STATS.items():
        c = sums.sum(f"cat:{cat}", (sh["category"] == cat).to_numpy())
        out.append(block(g, "overall", OVERALL, stat, c, n=c, keep=is_org))  # organisation only

    # respondent scores: dimension and overall
    shared["score"], shared["honest"] = {}, {}
    sums.moments_of([f"s:{k}" for k in prep.score_keys], sh[[f"s:{k}" for k in prep.score_keys]].to_numpy())
    for key in prep.score_keys:
        level = "overall" if key == OVERALL else "dimension"
        n, s, ss = sums.moments(f"s:{key}", sh[f"s:{key}"].to_numpy())
        mean, sd = mean_sd(n, s, ss)
        vm, df = honest_variance(dept, kind, sd**2, n, 1.0)
        c0 = dispersion_prior(dept, kind, mean, sd**2, n, low, high, 1.0)
        mean, sd, lo, hi, vm, df, n, note = _combined(combine, mean, sd, vm, df, n, low, high, c0, org=(org, key))
        shared["score"][key] = (mean, sd, n)
        shared["honest"][key] = (vm, df)
        out += _mean_rows(g, level, key, mean, sd, n, low, high, lo, hi, note)

    if items:
        item_rows, shared["item_var"] = _item_blocks(prep, sums, instrument, red_line_min_count, combine, n_sheets,
                                                         org)
        out += item_rows

    # democratic evaluation
    has_eval = kind != "self"
    votes = sh["vote_score"].to_numpy()
    n, s, ss = sums.moments("vote", votes)
    x = sums.sum("vote:sat", sh["vote_sat"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = np.where(n > 0, x / n, np.nan)
    lo, hi = org.share(None, x, n, *stats.wilson_interval(x, n))
    n_s = n
    if combine is not None:
        sat, lo, hi, n_s = combine.share(sat, lo, hi, n, views=VIEWS[1:])
    shared["satisfied"] = (x, n)
    shared["satisfaction"] = (sat, lo, hi, n_s)
    mean, sd = mean_sd(n, s, ss)
    scores = [float(v) for v in eval_scores.values()]
    steps = np.diff(np.unique(scores))
    step = float(steps.min()) if len(steps) else 1.0
    vm, df = honest_variance(dept, kind, sd**2, n, step)
    c0 = dispersion_prior(dept, kind, mean, sd**2, n, min(scores), max(scores), step)
    mean, sd, lo_e, hi_e, vm, df, n_e, note = _combined(combine, mean, sd, vm, df, n, min(scores), max(scores), c0,
                                                         views=VIEWS[1:], org=(org, None))
    out.append(block(g, "evaluation", OVERALL, "satisfaction", sat, lo, hi, n_s, keep=has_eval, note=note))
    out.append(block(g, "evaluation", OVERALL, "eval_score", mean, lo_e, hi_e, n_e, keep=has_eval, note=note))
    shared["eval_score"] = (mean, sd, n_e)
    shared["honest"]["eval_score"] = (vm, df)
    for opt in prep.vote_options:
        sums.sum(f"vote={opt}", (sh["vote"] == opt).to_numpy())
    return out, shared


def _item_blocks(prep: Prepared, sums: GroupSums, instrument, red_line_min_count: int, combine: ViewCombiner | None,
                 n_sheets: np.ndarray, org: Organisation | None = None) -> tuple[list[dict], dict]:
    """The item rows (means, indices, problem rates, red lines) and the reliability rows (Cronbach's α,
    rwg(j)) of every group, and the item variances per group."""
    dept, kind, low, high = _groups_and_scale(sums, instrument)
    g = (dept, kind)
    is_org = dept == ALL
    org = org or Organisation(dept, kind)
    out: list[dict] = []

    # items, problem rates, red lines
    red = {it.key for it in instrument.items if it.red_line}
    problem = np.array(instrument.problem_values, dtype="float64")
    red_values = np.array(instrument.red_line_values, dtype="float64")
    item_var = {}
    arr = np.ascontiguousarray(prep.sheets[prep.item_keys].to_numpy())   # sheets × items, row-major
    sums.moments_of(prep.item_keys, arr)
    problems = sums.sums(np.isin(arr, problem))
    red_cols = [j for j, key in enumerate(prep.item_keys) if key in red]
    reds = dict(zip(red_cols, sums.sums(np.isin(arr[:, red_cols], red_values)).T))
    for j, key in enumerate(prep.item_keys):
        n, s, ss = sums.moments(key, arr[:, j])
        mean, sd = mean_sd(n, s, ss)
        item_var[key] = sd**2
        vm, df = honest_variance(dept, kind, sd**2, n, 1.0)
        c0 = dispersion_prior(dept, kind, mean, sd**2, n, low, high, 1.0)
        view_n, view_mean = n, mean
        mean, sd, lo, hi, vm, df, n_c, note = _combined(combine, mean, sd, vm, df, n, low, high, c0, org=(org, key))
        out += _mean_rows(g, "item", key, mean, sd, n_c, low, high, lo, hi, note)
        x = problems[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, x / n, np.nan)
        lo, hi = org.share(key, x, n, *stats.wilson_interval(x, n))
        if combine is not None:
            rate, lo, hi, n_c = combine.share(rate, lo, hi, view_n)
        out.append(block(g, "item", key, "problem_rate", rate, lo, hi, n_c, note=note))
        if key in red:
            xr = reds[j]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(n > 0, xr / n, np.nan)
            lo, hi = org.share(key, xr, n, *stats.wilson_interval(xr, n))
            bound = alerts.lower_bound(xr, n)
            if combine is not None:
                xr = combine.count(xr, view_n, view_mean)
                share, lo, hi, n_c = combine.share(share, lo, hi, view_n)
                bound = combine.share(bound, bound, bound, view_n)[0]
            fire = alerts.fires(bound, xr, instrument.red_line_share, red_line_min_count)
            alert = np.where(n_c > 0, fire.astype(float), np.nan)
            out.append(block(g, "item", key, "red_line_share", share, lo, hi, n_c, note=note))
            serious = np.array([f"{x:.0f}/{m:.0f}份评分为严重，单侧95%精确下限{b:.1%}" if m > 0 else None
                                for x, m, b in zip(xr, n_c, bound)], dtype=object)
            out.append(block(g, "item", key, "red_line_alert", alert, bound, n=n_c, note=serious))

    # reliability (Cronbach's α, Feldt interval) over complete answer sets; agreement rwg(j) per department
    for key in prep.score_keys:
        keys = prep.item_keys if key == OVERALL else prep.dims[key]
        level = "overall" if key == OVERALL else "dimension"
        part = arr[:, [prep.item_keys.index(k) for k in keys]]
        complete = ~np.isnan(part).any(axis=1)
        nc, s, ss = sums.moments_of([*(f"{k_}|c:{key}" for k_ in keys), f"total|c:{key}"],
                                    np.column_stack([part, part.sum(axis=1)]), complete)   # (NaN off the complete sets)
        var_sum = 0.0
        for j in range(len(keys)):
            var_sum = var_sum + variance(nc[:, j], s[:, j], ss[:, j])
        nc, s, ss = nc[:, -1], s[:, -1], ss[:, -1]
        a = stats.cronbach_alpha(var_sum, variance(nc, s, ss), len(keys))
        # per view only: the sheets of kind ``all`` are the same people's self and peer sheets, whose pool
        # is no sample of answer sets (each person twice, with the views' differences as variance)
        pooled = kind == "all"
        a = np.where(pooled, np.nan, a)
        lo, hi = stats.feldt_interval(a, nc, len(keys))
        note = np.where(pooled, "α按评价视角分别计算，不合并同一批人的自评与互评答卷", np.where(nc < 2, "完整答卷不足2份", None))
        out.append(block(g, level, key, "alpha", a, lo, hi, nc, note=note))
        mean_var = row_nanmean(np.column_stack([item_var[k_] for k_ in keys]))
        r = stats.rwg_j(mean_var, len(keys), int(high))
        out.append(block(g, level, key, "rwg_j", r, n=n_sheets, keep=~is_org & (kind != "all")))
    return out, item_var


def _combined(combine, mean, sd, vm, df, n, low, high, c0, views=VIEWS, org=None):
    """Intervals of every group (:func:`zuofeng.score.stats.bounded_mean_interval`; with ``org``, an
    (:class:`Organisation`, key) pair, the organisation's as :mod:`.organisation` says); with ``combine``, the
    ``all`` entries replaced by the combination of the views (sd there is undefined: NaN), whose interval
    is the same-people bound on the moderated standard errors. Returns mean, sd, lo, hi, var, df, n, note."""
    note = np.where(n == 0, "无回答", None).astype(object)
    lo, hi = stats.bounded_mean_interval(mean, sd**2, n, low, high, c0, RATIO_PRIOR_DF)
    if org is not None:
        lo, hi, vm, df = org[0].mean(org[1], mean, sd**2, n, vm, df, lo, hi, low, high)
    if combine is None:
        return mean, sd, lo, hi, vm, df, n, note
    all_note = combine.note(n, mean, views)
    mean, lo_c, hi_c, vm, df, n = combine.mean(mean, vm, df, n, low, high, views)
    lo, hi = lo.copy(), hi.copy()
    lo[combine.all_rows], hi[combine.all_rows] = lo_c[combine.all_rows], hi_c[combine.all_rows]
    sd = np.array(sd, dtype="float64", copy=True)
    sd[combine.all_rows] = np.nan
    note[combine.all_rows] = all_note
    return mean, sd, lo, hi, vm, df, n, note


def _mean_rows(g, level, key, mean, sd, n, low, high, lo, hi, note) -> list[dict]:
    return [
        block(g, level, key, "mean", mean, lo, hi, n, note=note),
        block(g, level, key, "sd", sd, n=n, note=note),
        block(g, level, key, "index", stats.index_from_mean(mean, low, high),
              stats.index_from_mean(hi, low, high), stats.index_from_mean(lo, low, high), n, note=note),
    ]


def cell_of_row(df: pd.DataFrame) -> np.ndarray:
    """The suppression cell category of each row: a category for the category counts, else '*'."""
    inv = {v: k for k, v in CATEGORY_STATS.items()}
    codes, stats_ = pd.factorize(df["statistic"])
    return np.array([inv.get(s, "*") for s in stats_], dtype=object)[codes]
