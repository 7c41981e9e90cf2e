"""Statistics that compare groups: the self-vs-peer gap, change since the previous round (Welch, with
Benjamini–Hochberg q-values), agreement across departments (ICC), the ranking with its bootstrap rank range,
and the weighted composite."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..axes import KINDS, VIEWS
from . import stats
from .prepare import OVERALL, ROUNDING, GroupSums, Prepared, variance
from .suppress import ALL, Suppression
from .table import block


def _per_unit(arr: np.ndarray) -> np.ndarray:
    """Group arrays are ordered unit-major (ALL, departments) × KINDS: view them as units × kinds."""
    return np.asarray(arr).reshape(-1, len(KINDS))


def gap_blocks(groups: pd.MultiIndex, score: dict, honest: dict, scale: float, min_n: int) -> list[dict]:
    """Self-vs-peer gap per unit, dimension and overall: ``index(self) − index(peer view)``.

    On the 1–5 scale ``gap = 25 × (mean_peer − mean_self)``; positive when the self rating is rosier.
    The outside view comes from other people than the self sheets: Welch's interval and p-value on the
    moderated variances (:func:`zuofeng.score.stats.welch_difference`). The inside view usually comes
    from the same people as the self sheets, and anonymous sheets cannot be linked: interval and p-value
    with the standard error bound ``se_peer + se_self``, valid whatever their correlation
    (:func:`zuofeng.score.stats.dependent_combination`). ``gap_p`` is that p-value; ``gap_flag`` is 1
    when the interval excludes 0 and both groups have at least ``min_n`` answers, else 0 — and
    :func:`add_qvalues` then keeps it 1 only where the gap's Benjamini–Hochberg q is below 0.05 (the
    criterion the methods note cites; q ≥ p, so the interval excludes 0 wherever the flag is 1). Rows sit
    on the peer kind.
    """
    out = []
    units = groups.get_level_values(0)[:: len(KINDS)]
    for key, (mean, sd, n) in score.items():
        level = "overall" if key == OVERALL else "dimension"
        vm, df = honest[key]
        m, c, v, f = _per_unit(mean), _per_unit(n), _per_unit(vm), _per_unit(df)
        for j, view in ((1, "peer_inside"), (2, "peer_outside")):
            if view == "peer_outside":
                d, lo, hi, p = stats.welch_difference(c[:, j], m[:, j], v[:, j], c[:, 0], m[:, 0], v[:, 0],
                                                      df1=f[:, j], df2=f[:, 0])
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    se = np.sqrt(v[:, [j, 0]] / c[:, [j, 0]])
                d, lo, hi, p = stats.dependent_combination([1.0, -1.0], m[:, [j, 0]], se, f[:, [j, 0]])
            ok = (c[:, j] >= 2) & (c[:, 0] >= 2)
            d, lo, hi, p = (np.where(ok, x, np.nan) for x in (d, lo, hi, p))
            big = (c[:, j] >= min_n) & (c[:, 0] >= min_n)
            flag = np.where(np.isnan(lo), np.nan, (((lo > 0) | (hi < 0)) & big).astype(float))
            g = pd.MultiIndex.from_arrays([units, [view] * len(units)])
            n_both = c[:, 0] + c[:, j]
            note = np.where(~ok, "两组均需至少2人", np.where(big, None, f"两组均需至少{min_n}份回答方可提示"))
            for stat, val, a, b in (("gap", scale * d, scale * lo, scale * hi), ("gap_p", p, None, None),
                                    ("gap_flag", flag, None, None)):
                df_ = block(g, level, key, stat, val, a, b, n_both, note=note)
                df_["_needs"] = "self"
                out.append(df_)
    return out


def change_blocks(groups, score, honest, prev_score, prev_honest, prev_groups, prev_supp: Suppression,
                  scale: float) -> list[dict]:
    """Change since the previous round: ``index_now − index_before`` with Welch's interval and Welch's p-value
    (``change_p``) on the moderated variances (:func:`zuofeng.score.stats.welch_difference`): one criterion,
    so the interval excludes 0 exactly when p < 0.05. The samples are independent because answers are
    anonymous and rounds are months apart."""
    pos = prev_groups.get_indexer(groups)
    known = pos >= 0
    prev_hidden = np.array([known[i] and not prev_supp.published(d, k) for i, (d, k) in enumerate(groups)])
    out = []
    for key, (mean, sd, n) in score.items():
        if key not in prev_score:
            continue
        level = "overall" if key == OVERALL else "dimension"
        vm, df = honest[key]
        pm, pn, pv, pd_ = (np.where(known, np.asarray(a)[np.maximum(pos, 0)], np.nan)
                           for a in (prev_score[key][0], prev_score[key][2], *prev_honest[key]))
        pn = np.where(known, pn, 0)
        d, lo, hi, p = stats.welch_difference(pn, pm, pv, n, mean, vm, df1=pd_, df2=df)
        note = np.where(~known, "上一轮无此组", np.where((pn < 2) | (n < 2), "两轮均需至少2人", None))
        for stat, val, a, b in (("change", scale * d, scale * lo, scale * hi), ("change_p", p, None, None)):
            df_ = block(groups, level, key, stat, val, a, b, n, note=note)
            df_["_prev_hidden"] = prev_hidden
            out.append(df_)
    return out


def add_qvalues(table: pd.DataFrame) -> pd.DataFrame:
    """Benjamini–Hochberg q-values beside every published p-value (``change_p`` → ``change_q``,
    ``gap_p`` → ``gap_q``; :func:`zuofeng.score.stats.bh_qvalues`), one family per

    - overall level: the departments of the overview (every department, one kind);
    - dimension level: the dimensions of one department (or the organisation) and kind.

    The organisation's overall row is a family of its own (q = p). Suppressed p-values take no part.
    ``gap_flag`` stays 1 only where ``gap_q`` < :data:`FINDING_Q` (the same criterion as the labels
    改善/变差 of :func:`direction`).
    """
    rows = []
    for stat in ("change_p", "gap_p"):
        t = table[table["statistic"] == stat]
        if t.empty:
            continue
        pub = ~t["suppressed"].to_numpy(bool)
        kind = t["kind"].to_numpy(object).astype(str)
        dept = t["department"].to_numpy(object).astype(str)
        overall = (t["level"] == "overall").to_numpy()
        fam = np.where(overall, np.where(dept == ALL, "ALL|" + kind, "D|" + kind), "K|" + dept + "|" + kind)
        q = stats.bh_qvalues(np.where(pub, t["value"].to_numpy(float), np.nan), fam)
        rows.append(t.assign(statistic=stat[:-1] + "q", value=q, ci_low=np.nan, ci_high=np.nan))
        if stat == "gap_p":
            table = _flags_by_q(table, t, q)
    return pd.concat([table, *rows], ignore_index=True) if rows else table


def _flags_by_q(table: pd.DataFrame, gap_p: pd.DataFrame, q: np.ndarray) -> pd.DataFrame:
    """``gap_flag`` = 1 only where it was 1 (interval excludes 0, enough answers) and q < FINDING_Q."""
    cols = ["department", "kind", "level", "key"]
    by = dict(zip(map(tuple, gap_p[cols].astype(str).to_numpy()), q))
    sel = (table["statistic"] == "gap_flag").to_numpy() & (table["value"].to_numpy(float) == 1)
    rows = np.flatnonzero(sel)
    if len(rows):
        keys = map(tuple, table.iloc[rows][cols].astype(str).to_numpy())
        keep = np.array([by.get(k, np.nan) < FINDING_Q for k in keys])
        table = table.copy()
        table.iloc[rows[~keep], table.columns.get_loc("value")] = 0.0
    return table


FINDING_Q = 0.05   # a change or gap is a finding (改善/变差, 差距明显) when its BH q-value is below this


def direction(value, q) -> str:
    """``improved``, ``worse`` or ``unclear`` for a change of the index: a finding when its
    Benjamini–Hochberg q-value is below :data:`FINDING_Q` (q ≥ p, so its 95% interval then excludes 0),
    improved when the change is positive.

    >>> direction(6.0, 0.01), direction(-6.0, 0.01), direction(6.0, 0.2), direction(6.0, float("nan"))
    ('improved', 'worse', 'unclear', 'unclear')
    """
    if np.isnan(q) or q >= FINDING_Q or np.isnan(value):
        return "unclear"
    return "improved" if value > 0 else "worse"


def icc_blocks(groups: pd.MultiIndex, sums: GroupSums, prep: Prepared, supp: Suppression) -> list[pd.DataFrame]:
    """ICC(1) and ICC(2) of respondent scores on departments, per kind, dimension and overall, and the
    p-value of the ANOVA F test ``F = MSB / MSW`` (``icc_p``; :func:`zuofeng.score.stats.f_test_p`).

    ICC(1) says how much of the variance of answers lies between departments, ICC(2) how reliably the
    department means are told apart (agreement within a department is rwg(j)'s job). Both are negative
    exactly when MSB < MSW, i.e. the department means differ less than chance would make them: the
    population value is then taken as 0 and the note says ``≤ 0（部门之间无差异）``.

    One-way ANOVA over the published departments only (a suppressed department never enters):
    ``MSB = Σ n_j (m_j − m)² / (J − 1)``, ``MSW = Σ_j Σ_i (x_ij − m_j)² / (N − J)``, k = N / J (the mean
    group size, Bliese 2000); see :func:`zuofeng.score.stats.icc_oneway`.
    """
    dept = groups.get_level_values(0).to_numpy()
    kind = groups.get_level_values(1).to_numpy()
    pub = np.array([d != ALL and supp.published(d, k) for d, k in zip(dept, kind)])
    out = []
    for key in prep.score_keys:
        n, s, ss = sums.moments(f"s:{key}", prep.sheets[f"s:{key}"].to_numpy())
        level = "overall" if key == OVERALL else "dimension"
        for kd in KINDS:
            sel = pub & (kind == kd) & (n > 0)
            nj, sj, ssj = n[sel], s[sel], ss[sel]
            big_n, j = nj.sum(), sel.sum()
            if j >= 2 and big_n > j:
                grand = sj.sum() / big_n
                msb = (nj * (sj / nj - grand) ** 2).sum() / (j - 1)
                msw = (np.nan_to_num(variance(nj, sj, ssj)) * (nj - 1)).sum() / (big_n - j)
                if msb <= ROUNDING * (grand * grand + msw):  # equal department means: MSB is 0
                    msb = 0.0
                i1, i2 = stats.icc_oneway(msb, msw, big_n / j)
                p = stats.f_test_p(msb, msw, j, big_n)
                note = f"{j}个部门" + ("；≤ 0（部门之间无差异）" if i1 <= 0 else "")
            else:
                i1 = i2 = p = np.nan
                note = "公开部门不足2个"
            g = pd.MultiIndex.from_tuples([(ALL, kd)])
            out.append(block(g, level, key, "icc1", i1, n=big_n, note=note))
            out.append(block(g, level, key, "icc2", i2, n=big_n, note=note))
            out.append(block(g, level, key, "icc_p", p, n=big_n, note=note))
    return out


def rank_draws(n_units: int, df: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Standard Student-t draws, ``n_boot`` × ``n_units``, float32; column j has ``df[j]`` degrees of freedom
    (drawn as ``Z / √(χ²_df / df)``; columns with df ≥ 200 are left normal, which differs from t by < 0.5%
    in the quantiles that matter)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_boot, n_units), dtype=np.float32)
    small = np.flatnonzero(np.nan_to_num(df, nan=1e9) < 200)
    if len(small):
        d = np.asarray(df, dtype=np.float32)[small]
        chi = rng.standard_gamma(np.broadcast_to(d / 2, (n_boot, len(small))), dtype=np.float32) * (2 / d)
        z[:, small] /= np.sqrt(chi)
    return z


def _rank_range(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% quantiles (inverted cdf) of each column's rank, 1 = largest value in a row."""
    b, j = draws.shape
    order = np.argsort(-draws, axis=1)  # continuous draws: no ties; order[row, r] is the column at rank r + 1
    # counts[column, r]: the draws in which that column has rank r + 1
    counts = np.bincount((order * j + np.arange(j)[None, :]).ravel(), minlength=j * j)
    cum = np.cumsum(counts.reshape(j, j), axis=1)
    lo = np.argmax(cum >= 0.025 * b, axis=1) + 1
    hi = np.argmax(cum >= 0.975 * b, axis=1) + 1
    return lo.astype(float), hi.astype(float)


def rank_blocks(groups: pd.MultiIndex, supp: Suppression, index_ci: pd.DataFrame, se: np.ndarray, df: np.ndarray,
                n: np.ndarray, seed: int, n_boot: int) -> list[dict]:
    """Rank of each published department's overall index per kind (1 = best), with the 2.5–97.5% range of
    its rank over ``n_boot`` simulated league tables (Goldstein & Spiegelhalter 1996, "League tables and
    their limitations", *JRSS A* 159(3); Marshall & Spiegelhalter 1998, *BMJ* 316).

    What is redrawn: each department's overall index, independently, from the distribution its published
    interval rests on, ``index + se × T_df`` (the moderated standard error and degrees of freedom of
    :func:`zuofeng.score.table.honest_variance`; for kind ``all`` the combined bound of the views); the
    departments are then ranked in each draw. Respondents are not resampled. The Monte Carlo standard
    error of a tail share at the 2.5% quantile is ``√(0.025 × 0.975 / n_boot)`` (0.0016 at 10,000
    draws, 0.00017 at the 833,334 a round of twelve departments gets by default), so a range moves between
    seeds only for a department whose rank share sits that close to the 2.5% or 97.5% cut. ``bottom`` (末位) is 1 only where the department's index
    interval lies wholly below the organisation's, else 0.

    ``index_ci`` has one row per group (department, kind) with columns value, ci_low, ci_high; ``se``,
    ``df`` and ``n`` are the index's standard error, degrees of freedom and answers, aligned with ``groups``.
    """
    dept = groups.get_level_values(0).to_numpy(object)
    codes = list(dict.fromkeys(d for d in dept if d != ALL))
    pos = {g: i for i, g in enumerate(groups)}
    z = None
    out = []
    for kd in KINDS:
        ranked = [c for c in codes if supp.published(c, kd) and n[pos[(c, kd)]] >= 2]
        if not ranked:
            continue
        ix = np.array([pos[(c, kd)] for c in ranked])
        if z is None:  # one draw per department, shared by the kinds (each kind's table is valid on its own)
            # the smallest df of each department's kinds; NaN (without numpy's all-NaN warning) where none has one
            all_df = np.array([np.fmin.reduce(df[[pos[(c, k)] for k in KINDS]]) if len(codes) else 0 for c in codes])
            z = rank_draws(len(codes), all_df, n_boot, seed)
        col = np.array([codes.index(c) for c in ranked])
        point = index_ci.loc[[(c, kd) for c in ranked]]
        value = point["value"].to_numpy()
        draws = value[None, :].astype(np.float32) + se[ix][None, :].astype(np.float32) * z[:, col]
        lo, hi = _rank_range(draws)
        rank = sps.rankdata(-value, method="min")
        org = index_ci.loc[(ALL, kd)] if supp.published(ALL, kd) else None
        if org is None or np.isnan(org["ci_low"]):
            bottom = np.full(len(ranked), np.nan)
            bnote = "全组织数据已抑制，无法判断末位"
        else:
            bottom = (point["ci_high"].to_numpy() < org["ci_low"]).astype(float)
            bnote = None
        g = pd.MultiIndex.from_arrays([ranked, [kd] * len(ranked)])
        note = f"共{len(ranked)}个部门，模拟{n_boot}次"
        size = n[ix]
        out.append(block(g, "overall", OVERALL, "rank", rank, lo, hi, size, note=note))
        out.append(block(g, "overall", OVERALL, "rank_low", lo, n=size, note=note))
        out.append(block(g, "overall", OVERALL, "rank_high", hi, n=size, note=note))
        out.append(block(g, "overall", OVERALL, "bottom", bottom, n=size, note=bnote))
    return out


def composite_blocks(groups: pd.MultiIndex, score: dict, honest: dict, eval_score: tuple,
                     weights: dict[str, float] | None, low: float = 1.0, high: float = 5.0) -> list[dict]:
    """Weighted composite over rater groups: ``Σ w_v x_v / Σ w_v`` for the views v with weight w_v > 0,
    x the overall index (level overall) or the evaluation score (level evaluation, peer views only —
    self sheets carry no vote — with the weights renormalised over them), a combination of view-level
    figures, never a pool of sheets. The views may rest on the same people (self and inside peer), so
    the interval is :func:`zuofeng.score.stats.dependent_combination`'s: ± t × Σ (w_v/Σw) se_v, valid
    whatever the correlation. Missing when a weighted view has no data; suppressed when a weighted view
    is suppressed."""
    if not weights:
        return []
    units = groups.get_level_values(0)[:: len(KINDS)]
    g = pd.MultiIndex.from_arrays([units, ["all"] * len(units)])
    out = []
    scale = 100.0 / (high - low)
    mean, _, n = score[OVERALL]
    index = stats.index_from_mean(mean, low, high)
    with np.errstate(invalid="ignore", divide="ignore"):
        se_index = scale * np.sqrt(honest[OVERALL][0] / n)
        se_eval = np.sqrt(honest["eval_score"][0] / eval_score[2])
    for level, values, se, df, views in (("overall", index, se_index, honest[OVERALL][1], VIEWS),
                                         ("evaluation", eval_score[0], se_eval, honest["eval_score"][1], VIEWS[1:])):
        used = [v for v in views if weights.get(v, 0) > 0]
        if not used:
            continue
        cols = [KINDS.index(v) for v in used]
        w = np.array([weights[v] for v in used], dtype=float)
        comp, lo, hi, _ = stats.dependent_combination(w / w.sum(), _per_unit(values)[:, cols],
                                                      _per_unit(se)[:, cols], _per_unit(df)[:, cols])
        note = "权重 " + "、".join(f"{v}={weights[v]:g}" for v in used)
        df_ = block(g, level, OVERALL, "composite", comp, lo, hi, _per_unit(n)[:, cols].sum(axis=1), note=note)
        df_["_needs"] = " ".join(used)
        out.append(df_)
    return out
