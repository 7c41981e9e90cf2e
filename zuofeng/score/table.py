"""The per-group statistics of the long table: counts, coverage, indices, problem rates, red lines,
reliability, agreement and the democratic evaluation — all from additive group sums, no loop over
departments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .prepare import OVERALL, GroupSums, Prepared, mean_sd, row_nanmean, variance
from .suppress import ALL

COLUMNS = ["round", "department", "kind", "level", "key", "statistic", "value", "ci_low", "ci_high", "n",
           "suppressed", "note"]
LEVELS = ("overall", "dimension", "item", "evaluation")
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
    return pd.DataFrame(data)


def group_blocks(prep: Prepared, sums: GroupSums, instrument, eval_scores: dict[str, float]
                 ) -> tuple[list[dict], dict]:
    """Blocks of rows for every group, and the per-group arrays other stages reuse."""
    dept = sums.groups.get_level_values(0).to_numpy(object)
    kind = sums.groups.get_level_values(1).to_numpy(object)
    g = (dept, kind)
    is_org = dept == ALL
    sh = prep.sheets
    out: list[dict] = []
    low, high = 1.0, float(len(instrument.item_scale.options))
    shared: dict[str, object] = {}

    # counts, headcount, coverage, categories
    n_sheets = sums.sum("sheets", np.ones(len(sh)))
    shared["respondents"] = n_sheets
    out.append(block(g, "overall", OVERALL, "respondents", n_sheets, n=n_sheets))
    heads = dict(zip(prep.departments["code"], prep.departments["headcount"]))
    head = np.array([sum(heads.values()) if d == ALL else heads[d] for d in dept], dtype="float64")
    has_head = np.isin(kind, ("self", "peer_inside"))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(head > 0, n_sheets / head, np.nan)
    out.append(block(g, "overall", OVERALL, "headcount", head, keep=has_head))
    out.append(block(g, "overall", OVERALL, "coverage", cov, n=n_sheets, keep=has_head,
                     note=np.where(head > 0, None, "编制人数为0")))
    for cat, stat in CATEGORY_STATS.items():
        c = sums.sum(f"cat:{cat}", (sh["category"] == cat).to_numpy())
        out.append(block(g, "overall", OVERALL, stat, c, n=c, keep=is_org))  # organisation only

    # respondent scores: dimension and overall
    shared["score"] = {}
    for key in prep.score_keys:
        level = "overall" if key == OVERALL else "dimension"
        n, s, ss = sums.moments(f"s:{key}", sh[f"s:{key}"].to_numpy())
        mean, sd = mean_sd(n, s, ss)
        shared["score"][key] = (mean, sd, n)
        out += _mean_rows(g, level, key, mean, sd, n, low, high)

    # items, problem rates, red lines
    red = {it.key for it in instrument.items if it.red_line}
    problem = np.array(instrument.problem_values, dtype="float64")
    red_values = np.array(instrument.red_line_values, dtype="float64")
    item_var = {}
    for key in prep.item_keys:
        v = sh[key].to_numpy()
        n, s, ss = sums.moments(key, v)
        mean, sd = mean_sd(n, s, ss)
        item_var[key] = sd**2
        out += _mean_rows(g, "item", key, mean, sd, n, low, high)
        x = sums.sum(f"{key}:problem", np.isin(v, problem))
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, x / n, np.nan)
        lo, hi = stats.wilson_interval(x, n)
        out.append(block(g, "item", key, "problem_rate", rate, lo, hi, n))
        if key in red:
            xr = sums.sum(f"{key}:red", np.isin(v, red_values))
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(n > 0, xr / n, np.nan)
            alert = np.where(n > 0, (share >= instrument.red_line_share).astype(float), np.nan)
            lo, hi = stats.wilson_interval(xr, n)
            out.append(block(g, "item", key, "red_line_share", share, lo, hi, n))
            out.append(block(g, "item", key, "red_line_alert", alert, n=n,
                             note=f"评分{'/'.join(map(str, instrument.red_line_values))}的占比≥"
                                  f"{instrument.red_line_share:g}即报警"))
    shared["item_var"] = item_var

    # reliability (Cronbach's α, Feldt interval) over complete answer sets; agreement rwg(j) per department
    arr = sh[prep.item_keys].to_numpy()
    for key in prep.score_keys:
        keys = prep.item_keys if key == OVERALL else prep.dims[key]
        level = "overall" if key == OVERALL else "dimension"
        idx = [prep.item_keys.index(k) for k in keys]
        complete = ~np.isnan(arr[:, idx]).any(axis=1)
        var_sum = 0.0
        for k_ in keys:
            nc, s, ss = sums.moments(f"{k_}|c:{key}", sh[k_].to_numpy(), complete)
            var_sum = var_sum + variance(nc, s, ss)
        nc, s, ss = sums.moments(f"total|c:{key}", np.nansum(arr[:, idx], axis=1), complete)
        a = stats.cronbach_alpha(var_sum, variance(nc, s, ss), len(keys))
        lo, hi = stats.feldt_interval(a, nc, len(keys))
        note = np.where(nc < 2, "完整答卷不足2份", None)
        out.append(block(g, level, key, "alpha", a, lo, hi, nc, note=note))
        mean_var = row_nanmean(np.column_stack([item_var[k_] for k_ in keys]))
        r = stats.rwg_j(mean_var, len(keys), int(high))
        out.append(block(g, level, key, "rwg_j", r, n=n_sheets, keep=~is_org & (kind != "all")))

    # democratic evaluation
    has_eval = kind != "self"
    votes = sh["vote_score"].to_numpy()
    n, s, ss = sums.moments("vote", votes)
    x = sums.sum("vote:sat", sh["vote_sat"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = np.where(n > 0, x / n, np.nan)
    lo, hi = stats.wilson_interval(x, n)
    out.append(block(g, "evaluation", OVERALL, "satisfaction", sat, lo, hi, n, keep=has_eval))
    mean, sd = mean_sd(n, s, ss)
    lo, hi = stats.t_interval(mean, sd, n)
    scores = [float(v) for v in eval_scores.values()]
    lo, hi = np.clip(lo, min(scores), max(scores)), np.clip(hi, min(scores), max(scores))
    out.append(block(g, "evaluation", OVERALL, "eval_score", mean, lo, hi, n, keep=has_eval))
    shared["eval_score"] = (mean, sd, n)
    shared["satisfied"] = (x, n)
    for opt in prep.vote_options:
        sums.sum(f"vote={opt}", (sh["vote"] == opt).to_numpy())
    return out, shared


def _mean_rows(g, level, key, mean, sd, n, low, high) -> list[dict]:
    lo, hi = stats.t_interval(mean, sd, n)
    note = np.where(n == 0, "无回答", np.where(n < 2, "不足2人，无区间", None))
    return [
        block(g, level, key, "mean", mean, np.clip(lo, low, high), np.clip(hi, low, high), n, note=note),
        block(g, level, key, "sd", sd, n=n, note=note),
        block(g, level, key, "index", stats.index_from_mean(mean, low, high),
              stats.index_from_mean(hi, low, high), stats.index_from_mean(lo, low, high), n, note=note),
    ]


def cell_of_row(df: pd.DataFrame) -> pd.Series:
    """The suppression cell category of each row: a category for the category counts, else '*'."""
    inv = {v: k for k, v in CATEGORY_STATS.items()}
    return df["statistic"].map(inv).fillna("*")

