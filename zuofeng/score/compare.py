"""Statistics that compare groups: the self-vs-peer gap, change since the previous round (with a
Mann–Whitney test), agreement across departments (ICC), the ranking with its bootstrap rank range,
and the weighted composite."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import stats
from .prepare import OVERALL, ROUNDING, GroupSums, Prepared, variance
from .suppress import ALL, KINDS, VIEWS, Suppression
from .table import block


def _per_unit(arr: np.ndarray) -> np.ndarray:
    """Group arrays are ordered unit-major (ALL, departments) × KINDS: view them as units × kinds."""
    return np.asarray(arr).reshape(-1, len(KINDS))


def gap_blocks(groups: pd.MultiIndex, score: dict, scale: float) -> list[pd.DataFrame]:
    """Self-vs-peer gap per unit, dimension and overall: ``index(self) − index(peer view)``.

    On the 1–5 scale ``gap = 25 × (mean_peer − mean_self)``; positive when the self rating is rosier.
    Welch interval (see :func:`zuofeng.score.stats.welch_interval`); ``gap_flag`` is 1 when that
    interval excludes 0, i.e. the gap is beyond sampling noise, else 0. Rows sit on the peer kind.
    """
    out = []
    units = groups.get_level_values(0)[:: len(KINDS)]
    for key, (mean, sd, n) in score.items():
        level = "overall" if key == OVERALL else "dimension"
        m, s, c = _per_unit(mean), _per_unit(sd), _per_unit(n)
        for j, view in ((1, "peer_inside"), (2, "peer_outside")):
            d, lo, hi = stats.welch_interval(m[:, j], s[:, j], c[:, j], m[:, 0], s[:, 0], c[:, 0])
            flag = np.where(np.isnan(lo), np.nan, ((lo > 0) | (hi < 0)).astype(float))
            g = pd.MultiIndex.from_arrays([units, [view] * len(units)])
            n_both = c[:, 0] + c[:, j]
            note = np.where(np.isnan(lo), "两组均需至少2人", None)
            for stat, val, a, b in (("gap", scale * d, scale * lo, scale * hi), ("gap_flag", flag, None, None)):
                df = block(g, level, key, stat, val, a, b, n_both, note=note)
                df["_needs"] = "self"
                out.append(df)
    return out


def _ranks_by_group(gid: np.ndarray, value: np.ndarray, sample: np.ndarray, n_groups: int):
    """Mid-ranks within groups; per group: rank sum of sample 0, its size, the other size, Σ(t³ − t)."""
    order = np.lexsort((value, gid))
    g, v, smp = gid[order], value[order], sample[order]
    if len(g) == 0:
        z = np.zeros(n_groups)
        return z, z, z, z
    new_g = np.r_[True, g[1:] != g[:-1]]
    new_run = new_g | np.r_[True, v[1:] != v[:-1]]
    g_start = np.flatnonzero(new_g)
    g_of_elem = np.cumsum(new_g) - 1
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[run_start, len(g)])
    run_group = g_of_elem[run_start]
    run_rank = run_start - g_start[run_group] + (run_len + 1) / 2.0
    rank = np.repeat(run_rank, run_len)
    is0 = smp == 0
    r0 = np.bincount(g, weights=rank * is0, minlength=n_groups)
    n0 = np.bincount(g, weights=is0.astype(float), minlength=n_groups)
    n1 = np.bincount(g, weights=(~is0).astype(float), minlength=n_groups)
    ties = np.bincount(run_group, weights=run_len.astype(float) ** 3 - run_len, minlength=len(g_start))
    tie = np.zeros(n_groups)
    tie[g[g_start]] = ties
    return r0, n0, n1, tie


def _membership(prep: Prepared, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each sheet belongs to four groups: its department × view, department × all, ALL × view, ALL × all.

    Returns (sheet index, group position) pairs, positions in the order of :class:`GroupSums` for a
    round whose departments are ``codes`` (ALL first, then ``codes``, each × KINDS). Sheets of a
    department missing from ``codes`` keep only their organisation groups.
    """
    where = {c: i + 1 for i, c in enumerate(codes)}
    unit_of = np.array([where.get(c, -1) for c in prep.codes] or [0], dtype=np.int64)
    dept, view = prep.leaf // len(VIEWS), prep.leaf % len(VIEWS)
    unit = unit_of[dept]
    rows = np.arange(len(prep.leaf))
    own = unit >= 0
    k_all = len(KINDS) - 1
    return (np.concatenate([rows[own], rows[own], rows, rows]),
            np.concatenate([unit[own] * len(KINDS) + view[own], unit[own] * len(KINDS) + k_all, view,
                            np.full(len(rows), k_all)]))


def mann_whitney_groups(prev: Prepared, cur: Prepared, n_groups: int, key: str):
    """Per group: scipy's default two-sided Mann–Whitney p of previous vs current respondent scores,
    and the rank-biserial r = 2 U_prev / (n_prev n_cur) − 1 (Kerby 2014), positive when the current
    round rates fewer problems (an improvement). Vectorised with the normal approximation; the few
    groups that scipy would test exactly (a sample of ≤ 8 and no ties) go to scipy."""
    col = f"s:{key}"
    parts = []
    for smp, prep in ((0, prev), (1, cur)):
        r, p = _membership(prep, cur.codes)
        v = prep.sheets[col].to_numpy()[r]
        ok = ~np.isnan(v)
        parts.append((p[ok], v[ok], np.full(ok.sum(), smp)))
    gid, val, smp = (np.concatenate(x) for x in zip(*parts))
    r0, n0, n1, tie = _ranks_by_group(gid, val, smp, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        u0 = r0 - n0 * (n0 + 1) / 2
        p = stats.mann_whitney_asymptotic(u0, n0, n1, tie)
        rbc = 2 * u0 / (n0 * n1) - 1
    empty = (n0 == 0) | (n1 == 0)
    p[empty], rbc[empty] = np.nan, np.nan
    exact = ~empty & ((n0 <= 8) | (n1 <= 8)) & (tie == 0)
    for i in np.flatnonzero(exact):
        x, y = val[(gid == i) & (smp == 0)], val[(gid == i) & (smp == 1)]
        p[i] = sps.mannwhitneyu(x, y).pvalue
    return p, rbc


def change_blocks(groups, score, prev_score, prev_groups, prev: Prepared, cur: Prepared, prev_supp: Suppression,
                  scale: float) -> list[pd.DataFrame]:
    """Change since the previous round: ``index_now − index_before`` with a Welch interval (the samples are
    independent because answers are anonymous), the Mann–Whitney p-value and the rank-biserial r."""
    pos = prev_groups.get_indexer(groups)
    known = pos >= 0
    prev_hidden = np.array([known[i] and not prev_supp.published(d, k) for i, (d, k) in enumerate(groups)])
    out = []
    for key, (mean, sd, n) in score.items():
        if key not in prev_score:
            continue
        level = "overall" if key == OVERALL else "dimension"
        pm, ps, pn = (np.where(known, np.asarray(a)[np.maximum(pos, 0)], np.nan) for a in prev_score[key])
        pn = np.where(known, pn, 0)
        d, lo, hi = stats.welch_interval(pm, ps, pn, mean, sd, n)
        p, rbc = mann_whitney_groups(prev, cur, len(groups), key)
        note = np.where(~known, "上一轮无此组", np.where((pn < 2) | (n < 2), "两轮均需至少2人", None))
        for stat, val, a, b in (("change", scale * d, scale * lo, scale * hi), ("mw_p", p, None, None),
                                ("rank_biserial", rbc, None, None)):
            df = block(groups, level, key, stat, val, a, b, n, note=note)
            df["_prev_hidden"] = prev_hidden
            out.append(df)
    return out


def icc_blocks(groups: pd.MultiIndex, sums: GroupSums, prep: Prepared, supp: Suppression) -> list[pd.DataFrame]:
    """ICC(1) and ICC(2) of respondent scores on departments, per kind, dimension and overall.

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
                note = f"{j}个部门"
            else:
                i1 = i2 = np.nan
                note = "公开部门不足2个"
            g = pd.MultiIndex.from_tuples([(ALL, kd)])
            out.append(block(g, level, key, "icc1", i1, n=big_n, note=note))
            out.append(block(g, level, key, "icc2", i2, n=big_n, note=note))
    return out


def rank_blocks(groups: pd.MultiIndex, prep: Prepared, supp: Suppression, index_ci: pd.DataFrame, seed: int,
                n_boot: int) -> list[pd.DataFrame]:
    """Rank of each published department's overall index per kind (1 = best), with the 2.5–97.5 %
    range of its rank over ``n_boot`` seeded bootstrap resamples of respondents within departments
    (Efron & Tibshirani 1993; league tables with uncertainty: Goldstein & Spiegelhalter 1996, *JRSS A*
    159(3)). ``bottom`` (末位) is 1 only where the department's index interval lies wholly below the
    organisation's, else 0.

    ``index_ci`` has one row per group (department, kind) with columns value, ci_low, ci_high.
    """
    rng = np.random.default_rng(seed)
    score = prep.sheets["s:overall"].to_numpy()
    dept, view = prep.leaf // len(VIEWS), prep.leaf % len(VIEWS)
    out = []
    for kd_i, kd in enumerate(KINDS):
        mask = ~np.isnan(score) & ((view == kd_i) if kd != "all" else True)
        counts = np.bincount(dept[mask], minlength=len(prep.codes))
        idx = [i for i, c in enumerate(prep.codes) if supp.published(c, kd) and counts[i] >= 2]
        if not idx:
            continue
        ranked = [prep.codes[i] for i in idx]
        keep = mask & np.isin(dept, idx)
        order = np.lexsort((score[keep], dept[keep]))  # by department, then value: the order of sheets
        vals = score[keep][order]                      # never matters, so the resamples do not either
        size = counts[idx]
        start = np.r_[0, np.cumsum(size)[:-1]]
        elem_start, elem_size = np.repeat(start, size), np.repeat(size, size)
        ranks = np.empty((n_boot, len(ranked)), dtype=np.int32)
        chunk = max(1, int(2_000_000 // max(1, len(vals))))
        for b0 in range(0, n_boot, chunk):
            b1 = min(n_boot, b0 + chunk)
            u = rng.random((b1 - b0, len(vals)), dtype=np.float32)
            draw = elem_start + np.minimum((u * elem_size).astype(np.int64), elem_size - 1)
            means = np.add.reduceat(vals[draw], start, axis=1) / size
            ranks[b0:b1] = sps.rankdata(means, axis=1, method="min")  # low mean = few problems = rank 1
        point = index_ci.loc[[(c, kd) for c in ranked]]
        rank = sps.rankdata(-point["value"].to_numpy(), method="min")
        lo = np.quantile(ranks, 0.025, axis=0, method="inverted_cdf")
        hi = np.quantile(ranks, 0.975, axis=0, method="inverted_cdf")
        org = index_ci.loc[(ALL, kd)] if supp.published(ALL, kd) else None
        if org is None or np.isnan(org["ci_low"]):
            bottom = np.full(len(ranked), np.nan)
            bnote = "全组织数据已抑制，无法判断末位"
        else:
            bottom = (point["ci_high"].to_numpy() < org["ci_low"]).astype(float)
            bnote = None
        g = pd.MultiIndex.from_arrays([ranked, [kd] * len(ranked)])
        note = f"共{len(ranked)}个部门，bootstrap {n_boot}次"
        out.append(block(g, "overall", OVERALL, "rank", rank, lo, hi, size, note=note))
        out.append(block(g, "overall", OVERALL, "rank_low", lo, n=size, note=note))
        out.append(block(g, "overall", OVERALL, "rank_high", hi, n=size, note=note))
        out.append(block(g, "overall", OVERALL, "bottom", bottom, n=size, note=bnote))
    return out


def composite_blocks(groups: pd.MultiIndex, score: dict, eval_score: tuple, weights: dict[str, float] | None,
                     low: float = 1.0, high: float = 5.0) -> list[pd.DataFrame]:
    """Weighted composite over rater groups: ``Σ w_v x_v / Σ w_v`` for the views v with weight w_v > 0,
    x the overall index (level overall) or the evaluation score (level evaluation, peer views only —
    self sheets carry no vote — with the weights renormalised over them). Missing when a weighted view
    has no data; suppressed when a weighted view is suppressed."""
    if not weights:
        return []
    units = groups.get_level_values(0)[:: len(KINDS)]
    g = pd.MultiIndex.from_arrays([units, ["all"] * len(units)])
    out = []
    index = stats.index_from_mean(score[OVERALL][0], low, high)
    for level, values, views in (("overall", index, VIEWS), ("evaluation", eval_score[0], VIEWS[1:])):
        used = [v for v in views if weights.get(v, 0) > 0]
        if not used:
            continue
        per = _per_unit(values)
        w = np.array([weights[v] for v in used], dtype=float)
        x = per[:, [KINDS.index(v) for v in used]]
        comp = (x * w).sum(axis=1) / w.sum()
        note = "权重 " + "、".join(f"{v}={weights[v]:g}" for v in used)
        df = block(g, level, OVERALL, "composite", comp, note=note)
        df["_needs"] = " ".join(used)
        out.append(df)
    return out
