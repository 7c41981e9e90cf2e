"""The vectorised engine against a second implementation: one group at a time, straight from the answer
sheets, with numpy loops, scipy, statsmodels and pingouin. Every published figure of every group is
compared; suppressed ones must be empty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from zuofeng.score import score_frames
from zuofeng.score.synthetic import synthetic_round

VIEWS = ["self", "peer_inside", "peer_outside"]
VOTE_SCORE = {"好": 100.0, "较好": 80.0, "一般": 60.0, "差": 40.0}
SATISFIED = {"好", "较好"}


@pytest.fixture(scope="module")
def rounds():
    prev = synthetic_round(10, 700, seed=21, code="P0")
    cur = synthetic_round(10, 700, seed=22, code="P1", previous="P0", improvement=0.3)
    cur.round_info["group_weights"] = {"self": 0.2, "peer_inside": 0.3, "peer_outside": 0.5}
    scores = score_frames(cur.responses, cur.departments, cur.round_info, cur.instrument, previous=prev, seed=3,
                          n_boot=200)
    prev_scores = score_frames(prev.responses, prev.departments, prev.round_info, prev.instrument, seed=3, n_boot=200)
    scores.meta["_prev_scores"] = prev_scores  # test-only: which views the previous round published
    return prev, cur, scores


def sheets(resp: pd.DataFrame, dept: str, kind: str) -> pd.DataFrame:
    r = resp if dept == "ALL" else resp[resp["department"] == dept]
    return r if kind == "all" else r[r["view"] == kind]


def person_scores(r: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """A respondent's score: the mean of the answered items, if at least half of them are answered."""
    out = []
    for row in r[keys].to_numpy():
        answered = [v for v in row if not math.isnan(v)]
        out.append(sum(answered) / len(answered) if len(answered) >= math.ceil(len(keys) / 2) else math.nan)
    x = np.array(out, dtype=float)
    return x[~np.isnan(x)]


def published(scores, **where) -> pd.DataFrame:
    t = scores.rows(**where)
    return t[~t["suppressed"]]


def value(scores, dept, kind, level, key, stat):
    t = scores.rows(department=dept, kind=kind, level=level, key=key, statistic=stat)
    assert len(t) == 1, (dept, kind, level, key, stat)
    return t.iloc[0]


def score_keys(inst):
    return [("overall", "overall", list(inst.item_keys))] + [("dimension", d.id, [i.key for i in d.items])
                                                           for d in inst.dimensions]


def pooled_variance(resp, depts, kind, fn):
    """Σ (n_j − 1) s_j² / Σ (n_j − 1) over the departments' groups of one kind (the moderated prior)."""
    num = den = 0.0
    for d in depts:
        x = fn(sheets(resp, d, kind))
        if len(x) >= 2:
            num += (len(x) - 1) * x.var(ddof=1)
            den += len(x) - 1
    return max(num / den, 1 / 12) if den else 1 / 12


def moderated_ci(x, prior, low, high, prior_df=3):
    """BDA §3.3 / Smyth 2004 by hand: s̃² = (ν0 s0² + (n−1) s²)/(ν0 + n − 1), t with ν0 + n − 1 df."""
    n = len(x)
    s2 = x.var(ddof=1) if n >= 2 else 0.0
    v = (prior_df * prior + (n - 1) * s2) / (prior_df + n - 1)
    lo, hi = sps.t.interval(0.95, prior_df + n - 1, loc=x.mean(), scale=math.sqrt(v / n))
    return max(lo, low), min(hi, high), math.sqrt(v / n), prior_df + n - 1


def pooled_ratio(resp, depts, kind, fn, low=1.0, high=5.0, step=1.0):
    """Σ (n_j − 1) s_j² / Σ (n_j − 1)(x̄_j − low)(high − x̄_j) over the departments of one kind."""
    num = den = 0.0
    for d in depts:
        x = fn(sheets(resp, d, kind))
        if len(x) >= 2:
            num += (len(x) - 1) * x.var(ddof=1)
            den += (len(x) - 1) * (x.mean() - low) * (high - x.mean())
    return min(max(num / den if den else 1.0, step * step / 3 / (high - low) ** 2), 1.0)


def bounded_ci(x, c0, low=1.0, high=5.0, d0=8):
    """Wilson's interval (statsmodels) of the rescaled mean with the effective n = n / c̃."""
    n, y = len(x), (x.mean() - low) / (high - low)
    inner = 0 < y < 1 and n >= 2
    c = min(x.var(ddof=1) / (high - low) ** 2 / (y * (1 - y)), 1.0) if inner else 0.0
    w = n - 1 if inner else 0
    ne = n / ((d0 * c0 + w * c) / (d0 + w))
    lo, hi = proportion_confint(y * ne, ne, method="wilson")
    return low + (high - low) * lo, low + (high - low) * hi


def org_strata(rnd, scores, kind, level, key, stat, fn) -> list[np.ndarray]:
    """The organisation's strata of one figure and view: the values of each department whose figure is
    published, and those of the departments whose figure is hidden, together."""
    shown = set(published(scores, level=level, key=key, statistic=stat, kind=kind)["department"]) - {"ALL"}
    parts = [fn(sheets(rnd.responses, d, kind)) for d in rnd.departments["code"] if d in shown]
    rest = [fn(sheets(rnd.responses, d, kind)) for d in rnd.departments["code"] if d not in shown]
    rest = np.concatenate(rest) if rest else np.array([])
    return [x for x in parts if len(x)] + ([rest] if len(rest) else [])


def org_design(strata) -> tuple[float, float]:
    """Cochran (1977) §5.3 by hand: v = Σ W_h² s_h² / n_h with W_h = n_h / N, Satterthwaite's df."""
    total = sum(len(x) for x in strata)
    a = [(len(x) / total) ** 2 * x.var(ddof=1) / len(x) for x in strata if len(x) >= 2]
    nh = [len(x) for x in strata if len(x) >= 2]
    v = sum(a)
    return v, v * v / sum(ai * ai / (n - 1) for ai, n in zip(a, nh))


def org_ci(strata, low=0.0, high=1.0):
    """The organisation's interval: Wilson's (statsmodels) of the rescaled pooled mean with the effective n
    y(1 − y)/v_y, times (z/t_df)² (Korn & Graubard 1998)."""
    v, df = org_design(strata)
    y = (np.concatenate(strata).mean() - low) / (high - low)
    ne = y * (1 - y) / (v / (high - low) ** 2) * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, df)) ** 2
    lo, hi = proportion_confint(y * ne, ne, method="wilson")
    return low + (high - low) * lo, low + (high - low) * hi


def se_df(rnd, scores, dept, view, level, key, items, prior):
    """(se, df) of a unit's mean score: the moderated one of a department, the design-based one of the
    organisation."""
    if dept == "ALL":
        v, df = org_design(org_strata(rnd, scores, view, level, key, "mean", lambda g: person_scores(g, items)))
        return math.sqrt(v), df
    return moderated_ci(person_scores(sheets(rnd.responses, dept, view), items), prior, 1, 5)[2:]


def test_means_sds_indices_and_bounded_intervals(rounds):
    _, cur, scores = rounds
    depts = list(cur.departments["code"])
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        ratios = {k: pooled_ratio(cur.responses, depts, k, lambda g, i=items: person_scores(g, i)) for k in VIEWS}
        for r in published(scores, level=level, key=key, statistic="mean").itertuples():
            if r.kind == "all":
                continue  # a combination of views: test_all_is_a_weighted_combination_of_published_views
            x = person_scores(sheets(cur.responses, r.department, r.kind), items)
            assert r.n == len(x)
            if r.department == "ALL":   # departments as clusters, every one surveyed (zuofeng.score.organisation)
                lo, hi = org_ci(org_strata(cur, scores, r.kind, level, key, "mean",
                                           lambda g, i=items: person_scores(g, i)), 1, 5)
            else:
                lo, hi = bounded_ci(x, ratios[r.kind])
            assert_allclose([r.value, r.ci_low, r.ci_high], [x.mean(), lo, hi], rtol=1e-9)
            assert r.ci_high > r.ci_low
            sd = value(scores, r.department, r.kind, level, key, "sd")
            ix = value(scores, r.department, r.kind, level, key, "index")
            assert_allclose(sd.value, x.std(ddof=1), rtol=1e-9)
            assert_allclose([ix.value, ix.ci_low, ix.ci_high], [25 * (5 - x.mean()), 25 * (5 - hi), 25 * (5 - lo)],
                            rtol=1e-9)
            checked += 1
    assert checked > 100


def test_no_published_interval_has_zero_width(rounds):
    _, _, scores = rounds
    t = scores.table
    t = t[~t["suppressed"] & t["ci_low"].notna() & (t["n"] >= 5)]
    assert len(t) > 1000
    zero = t[(t["ci_high"] - t["ci_low"] <= 0) & ~t["statistic"].isin(["rank", "problem_rate", "red_line_share",
                                                                          "satisfaction", "satisfaction_change"])]
    assert zero.empty, zero.head()


def test_counts_coverage_and_organisation_categories(rounds):
    _, cur, scores = rounds
    heads = dict(zip(cur.departments["code"], cur.departments["headcount"]))
    for r in published(scores, statistic="respondents").itertuples():
        assert r.value == len(sheets(cur.responses, r.department, r.kind))
    for r in published(scores, statistic="coverage").itertuples():
        head = sum(heads.values()) if r.department == "ALL" else heads[r.department]
        assert_allclose(r.value, len(sheets(cur.responses, r.department, r.kind)) / head)
    cats = {"respondents_party": "党员", "respondents_non_party": "非党员"}
    for stat, cat in cats.items():
        for r in published(scores, statistic=stat).itertuples():
            assert r.department == "ALL"
            assert r.value == (sheets(cur.responses, "ALL", r.kind)["category"] == cat).sum()


def test_items_problem_rates_and_red_lines(rounds):
    _, cur, scores = rounds
    red = {i.key for i in cur.instrument.items if i.red_line}
    for r in published(scores, level="item", statistic="problem_rate").itertuples():
        if r.kind == "all":
            continue
        x = sheets(cur.responses, r.department, r.kind)[r.key].dropna().to_numpy()
        hits = int(np.isin(x, [4, 5]).sum())
        assert r.n == len(x)
        if r.department == "ALL":
            ci = org_ci(org_strata(cur, scores, r.kind, "item", r.key, "mean",
                                   lambda g, k=r.key: np.isin(g[k].dropna().to_numpy(), [4, 5]).astype(float)))
        else:
            ci = proportion_confint(hits, len(x), method="wilson")
        assert_allclose([r.value, r.ci_low, r.ci_high], [hits / len(x), *ci], atol=1e-12)
        m = value(scores, r.department, r.kind, "item", r.key, "mean")
        assert_allclose(m.value, x.mean(), rtol=1e-12)
        if r.key in red:
            share = value(scores, r.department, r.kind, "item", r.key, "red_line_share").value
            alert = value(scores, r.department, r.kind, "item", r.key, "red_line_alert").value
            assert_allclose(share, hits / len(x))
            # the one-sided exact binomial test of share ≤ threshold at level 5% (scipy), and 3 serious ratings
            test = sps.binomtest(hits, len(x), cur.instrument.red_line_share, alternative="greater")
            assert alert == float(test.pvalue < 0.05 and hits >= 3)
            row = value(scores, r.department, r.kind, "item", r.key, "red_line_alert")
            bound = proportion_confint(hits, len(x), alpha=0.10, method="beta")[0] if hits else 0.0
            assert_allclose(row.ci_low, bound, atol=1e-9)
            assert row.note == f"{hits}/{len(x)}份评分为严重，单侧95%精确下限{bound:.1%}"
    assert len(scores.rows(level="item", statistic="red_line_alert")["key"].unique()) == len(red)


def test_cronbach_alpha_against_pingouin_on_complete_answer_sets(rounds):
    _, cur, scores = rounds
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="alpha").itertuples():
            if r.kind == "all":  # α per view only: never the pool of the same people's self and peer sheets
                assert np.isnan(r.value) and np.isnan(r.ci_low) and "分别计算" in r.note
                continue
            complete = sheets(cur.responses, r.department, r.kind)[items].dropna()
            assert r.n == len(complete)
            if len(complete) < 3 or complete.sum(axis=1).var() == 0:
                continue
            a, ci = pg.cronbach_alpha(complete.reset_index(drop=True))
            assert_allclose(r.value, a, rtol=1e-8)
            assert_allclose([r.ci_low, r.ci_high], ci, atol=5e-4)
            checked += 1
    assert checked > 40


def test_rwg_j_per_department_against_a_loop(rounds):
    _, cur, scores = rounds
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="rwg_j").itertuples():
            assert r.department != "ALL" and r.kind in VIEWS
            r_sheets = sheets(cur.responses, r.department, r.kind)
            variances = [r_sheets[i].dropna().var(ddof=1) for i in items if r_sheets[i].notna().sum() > 1]
            ratio = np.mean(variances) / 2.0
            expected = 0.0 if ratio >= 1 else len(items) * (1 - ratio) / (len(items) * (1 - ratio) + ratio)
            assert_allclose(r.value, expected, rtol=1e-9)


def test_democratic_evaluation(rounds):
    _, cur, scores = rounds
    assert scores.rows(level="evaluation", kind="self").empty
    for r in published(scores, level="evaluation", statistic="satisfaction").itertuples():
        if r.kind == "all":
            continue
        votes = sheets(cur.responses, r.department, r.kind)["overall"].dropna()
        sat = int(votes.isin(SATISFIED).sum())
        assert r.n == len(votes)
        if r.department == "ALL":
            ci = org_ci(org_strata(cur, scores, r.kind, "evaluation", "overall", "satisfaction",
                                   lambda g: g["overall"].dropna().isin(SATISFIED).to_numpy(float)))
        else:
            ci = proportion_confint(sat, len(votes), method="wilson")
        assert_allclose([r.value, r.ci_low, r.ci_high], [sat / len(votes), *ci], atol=1e-12)
        e = value(scores, r.department, r.kind, "evaluation", "overall", "eval_score")
        pts = votes.map(VOTE_SCORE).to_numpy(float)
        depts = list(cur.departments["code"])
        ratio = pooled_ratio(cur.responses, depts, r.kind,
                             lambda g: g["overall"].dropna().map(VOTE_SCORE).to_numpy(float), 40, 100, 20)
        if r.department == "ALL":
            lo, hi = org_ci(org_strata(cur, scores, r.kind, "evaluation", "overall", "satisfaction",
                                       lambda g: g["overall"].dropna().map(VOTE_SCORE).to_numpy(float)), 40, 100)
        else:
            lo, hi = bounded_ci(pts, ratio, 40, 100)
        assert_allclose([e.value, e.ci_low, e.ci_high], [pts.mean(), lo, hi], rtol=1e-9)


def test_composite_uses_the_rounds_weights_with_the_same_people_bound(rounds):
    _, cur, scores = rounds
    w = {"self": 0.2, "peer_inside": 0.3, "peer_outside": 0.5}
    depts = list(cur.departments["code"])
    items = list(cur.instrument.item_keys)
    priors = {k: pooled_variance(cur.responses, depts, k, lambda g: person_scores(g, items)) for k in VIEWS}
    done = 0
    for r in published(scores, level="overall", statistic="composite").itertuples():
        parts = [(None, None, *se_df(cur, scores, r.department, v, "overall", "overall", items, priors[v])) for v in w]
        idx = [value(scores, r.department, v, "overall", "overall", "index").value for v in w]
        est = sum(x * w[v] for x, v in zip(idx, w)) / sum(w.values())
        half = sps.t.ppf(0.975, min(p[3] for p in parts)) * sum(25 * p[2] * w[v] for p, v in zip(parts, w))
        assert_allclose([r.value, r.ci_low, r.ci_high], [est, est - half, est + half], rtol=1e-9)
        done += 1
    for r in published(scores, level="evaluation", statistic="composite").itertuples():
        es = [value(scores, r.department, v, "evaluation", "overall", "eval_score").value for v in VIEWS[1:]]
        assert_allclose(r.value, (0.3 * es[0] + 0.5 * es[1]) / 0.8)
        done += 1
    assert done > 5


def test_self_versus_peer_gap(rounds):
    _, cur, scores = rounds
    depts = list(cur.departments["code"])
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        priors = {k: pooled_variance(cur.responses, depts, k, lambda g, i=items: person_scores(g, i)) for k in VIEWS}
        for r in published(scores, level=level, key=key, statistic="gap").itertuples():
            s = person_scores(sheets(cur.responses, r.department, "self"), items)
            p = person_scores(sheets(cur.responses, r.department, r.kind), items)
            se_s, df_s = se_df(cur, scores, r.department, "self", level, key, items, priors["self"])
            se_p, df_p = se_df(cur, scores, r.department, r.kind, level, key, items, priors[r.kind])
            d = p.mean() - s.mean()
            if r.kind == "peer_outside":   # different people: Welch–Satterthwaite on the moderated variances
                se = math.hypot(se_s, se_p)
                df = se**4 / (se_s**4 / df_s + se_p**4 / df_p)
            else:                          # the same people: se bound se_p + se_s, the smaller df
                se, df = se_s + se_p, min(df_s, df_p)
            half = sps.t.ppf(0.975, df) * se
            assert_allclose([r.value, r.ci_low, r.ci_high], [25 * d, 25 * (d - half), 25 * (d + half)], rtol=1e-8)
            pv = value(scores, r.department, r.kind, level, key, "gap_p").value
            assert_allclose(pv, 2 * sps.t.sf(abs(d) / se, df), rtol=1e-8)
            flag = value(scores, r.department, r.kind, level, key, "gap_flag").value
            q = value(scores, r.department, r.kind, level, key, "gap_q").value
            assert flag == float((d - half > 0 or d + half < 0) and min(len(s), len(p)) >= 10 and q < 0.05)
            checked += 1
    assert checked > 20


def test_change_since_previous_round_welch_interval_p_and_bh_q(rounds):
    from statsmodels.stats.multitest import multipletests
    prev, cur, scores = rounds
    depts = list(cur.departments["code"])
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        def fn(g, i=items):
            return person_scores(g, i)

        pri_now = {k: pooled_variance(cur.responses, depts, k, fn) for k in [*VIEWS, "all"]}
        pri_before = {k: pooled_variance(prev.responses, depts, k, fn) for k in [*VIEWS, "all"]}
        for r in published(scores, level=level, key=key, statistic="change").itertuples():
            if r.kind == "all":   # each round's combination of its published views
                c1 = combination(prev, scores.meta["_prev_scores"], r.department, items, pri_before, level, key)
                c2 = combination(cur, scores, r.department, items, pri_now, level, key)
                if c1 is None or c2 is None:
                    assert np.isnan(r.value)
                    continue
                (m1, se1, df1), (m2, se2, df2) = c1, c2
                before, now = np.array([m1, m1]), np.array([m2, m2])  # only the means are used below
            else:
                now = fn(sheets(cur.responses, r.department, r.kind))
                before = fn(sheets(prev.responses, r.department, r.kind))
                se1, df1 = se_df(prev, scores.meta["_prev_scores"], r.department, r.kind, level, key, items,
                                 pri_before[r.kind])
                se2, df2 = se_df(cur, scores, r.department, r.kind, level, key, items, pri_now[r.kind])
                res = sps.ttest_ind_from_stats(before.mean(), se1 * math.sqrt(len(before)), len(before),
                                               now.mean(), se2 * math.sqrt(len(now)), len(now), equal_var=False)
            se = math.hypot(se1, se2)
            df = se**4 / (se1**4 / df1 + se2**4 / df2)
            half = sps.t.ppf(0.975, df) * se
            d = before.mean() - now.mean()
            assert_allclose([r.value, r.ci_low, r.ci_high], [25 * d, 25 * (d - half), 25 * (d + half)], rtol=1e-8)
            p = value(scores, r.department, r.kind, level, key, "change_p").value
            assert_allclose(p, 2 * sps.t.sf(abs(d) / se, df), rtol=1e-8)
            if r.kind != "all" and r.department != "ALL" and len(before) > 60 and len(now) > 60:
                # with many df the Welch df of raw variances is close (the organisation's se is design-based)
                assert_allclose(p, res.pvalue, rtol=0.2)
            checked += 1
    assert checked > 100
    # q: Benjamini–Hochberg over the departments (overall level), per kind
    t = published(scores, level="overall", statistic="change_p")
    for kind in [*VIEWS, "all"]:
        part = t[(t["kind"] == kind) & (t["department"] != "ALL") & t["value"].notna()]
        q = [value(scores, d, kind, "overall", "overall", "change_q").value for d in part["department"]]
        assert_allclose(q, multipletests(part["value"].to_numpy(), method="fdr_bh")[1], rtol=1e-12)


def test_satisfaction_change_newcombe(rounds):
    prev, cur, scores = rounds
    for r in published(scores, statistic="satisfaction_change").itertuples():
        if r.kind == "all":
            continue
        a = sheets(cur.responses, r.department, r.kind)["overall"].dropna()
        b = sheets(prev.responses, r.department, r.kind)["overall"].dropna()
        x1, x2 = int(a.isin(SATISFIED).sum()), int(b.isin(SATISFIED).sum())
        if r.department == "ALL":   # MOVER (Zou & Donner 2008) on each round's design-based limits
            def sat(g):
                return g["overall"].dropna().isin(SATISFIED).to_numpy(float)
            (l1, u1), (l2, u2) = (org_ci(org_strata(rnd, sc, r.kind, "evaluation", "overall", "satisfaction", sat))
                                  for rnd, sc in ((cur, scores), (prev, scores.meta["_prev_scores"])))
            p1, p2 = x1 / len(a), x2 / len(b)
            ref = (p1 - p2 - math.hypot(p1 - l1, u2 - p2), p1 - p2 + math.hypot(u1 - p1, p2 - l2))
        else:
            ref = confint_proportions_2indep(x1, len(a), x2, len(b), method="newcomb")
        assert_allclose([r.value, r.ci_low, r.ci_high], [x1 / len(a) - x2 / len(b), *ref], atol=1e-10)


def test_icc_over_published_departments_against_statsmodels_anova(rounds):
    import statsmodels.api as sm
    from statsmodels.formula.api import ols
    _, cur, scores = rounds
    for level, key, items in score_keys(cur.instrument):
        for kind in [*VIEWS, "all"]:
            r1 = value(scores, "ALL", kind, level, key, "icc1")
            if r1.suppressed or np.isnan(r1.value):
                continue
            # the departments whose group and every dimension and overall figure of the kind are published
            # (an ``all`` figure is hidden when a view figure it combines is)
            depts = [d for d in cur.departments["code"]
                     if not value(scores, d, kind, "overall", "overall", "respondents").suppressed
                     and not any(value(scores, d, kind, lv, ky, "mean").suppressed
                                 for lv, ky, _ in score_keys(cur.instrument))]
            data = [(d, x) for d in depts for x in person_scores(sheets(cur.responses, d, kind), items)]
            df = pd.DataFrame(data, columns=["g", "y"])
            table = sm.stats.anova_lm(ols("y ~ C(g)", data=df).fit())
            msb, msw = table.loc["C(g)", "mean_sq"], table.loc["Residual", "mean_sq"]
            k = len(df) / df["g"].nunique()
            r2 = value(scores, "ALL", kind, level, key, "icc2")
            assert_allclose([r1.value, r2.value], [(msb - msw) / (msb + (k - 1) * msw), (msb - msw) / msb], rtol=1e-8)
            p = value(scores, "ALL", kind, level, key, "icc_p").value
            assert_allclose(p, table.loc["C(g)", "PR(>F)"], rtol=1e-8)
            assert ("≤ 0" in r1.note) == (r1.value <= 0)
            assert r1.n == len(df)


def view_published(scores, dept, view, rnd) -> bool:
    """A view enters the ``all`` combination when published, or when at least two views with sheets are
    suppressed (complementary suppression's guarantee: the combination cannot reveal either)."""
    def hidden(v):
        r = value(scores, dept, v, "overall", "overall", "respondents")
        return r.suppressed and len(sheets(rnd.responses, dept, v)) > 0
    if not value(scores, dept, view, "overall", "overall", "respondents").suppressed:
        return True
    return sum(hidden(v) for v in VIEWS) >= 2


def combination(rnd, scores, dept, items, priors, level="overall", key="overall"):
    """The ``all`` mean of one unit by hand: Σ w x over its published answered views (weights renormalised),
    the same-people bound Σ w se and the smallest df."""
    w = rnd.round_info.get("group_weights") or dict.fromkeys(VIEWS, 1.0)
    parts = []
    for v in VIEWS:
        x = person_scores(sheets(rnd.responses, dept, v), items)
        if w.get(v, 0) > 0 and len(x) and view_published(scores, dept, v, rnd):
            se, df = se_df(rnd, scores, dept, v, level, key, items, priors[v])
            parts.append((w[v], x.mean(), se, df))
    if not parts:
        return None
    tot = sum(p[0] for p in parts)
    return (sum(p[0] * p[1] for p in parts) / tot, sum(p[0] * p[2] for p in parts) / tot, min(p[3] for p in parts))


def test_all_is_a_weighted_combination_of_published_views(rounds):
    """kind ``all``: Σ w x of the published views, never a pool of sheets; interval ± t(min df) Σ w se for
    means, [Σ w l, Σ w u] of the Wilson limits for shares (MOVER at perfect correlation)."""
    _, cur, scores = rounds
    depts = list(cur.departments["code"])
    w = cur.round_info["group_weights"]
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        priors = {k: pooled_variance(cur.responses, depts, k, lambda g, i=items: person_scores(g, i)) for k in VIEWS}
        for r in published(scores, level=level, key=key, statistic="mean", kind="all").itertuples():
            if combination(cur, scores, r.department, items, priors, level, key) is None:
                assert np.isnan(r.value) and "无可合并" in r.note
                continue
            m, se, df = combination(cur, scores, r.department, items, priors, level, key)
            half = sps.t.ppf(0.975, df) * se
            assert_allclose([r.value, r.ci_low, r.ci_high], [m, max(m - half, 1), min(m + half, 5)], rtol=1e-9)
            pooled = person_scores(sheets(cur.responses, r.department, "all"), items).mean()
            assert abs(r.value - pooled) > 1e-9  # not the pooled sheets
            assert np.isnan(value(scores, r.department, "all", level, key, "sd").value)
            checked += 1
    for r in published(scores, level="item", statistic="problem_rate", kind="all").itertuples():
        parts = []
        for v in VIEWS:
            x = sheets(cur.responses, r.department, v)[r.key].dropna().to_numpy()
            if len(x) and view_published(scores, r.department, v, cur):
                hits = int(np.isin(x, [4, 5]).sum())
                ci = (org_ci(org_strata(cur, scores, v, "item", r.key, "mean",
                                        lambda g, k=r.key: np.isin(g[k].dropna().to_numpy(), [4, 5]).astype(float)))
                      if r.department == "ALL" else proportion_confint(hits, len(x), method="wilson"))
                parts.append((w[v], hits / len(x), *ci))
        if not parts:
            assert np.isnan(r.value)
            continue
        tot = sum(p[0] for p in parts)
        assert_allclose([r.value, r.ci_low, r.ci_high], [sum(p[0] * p[i] for p in parts) / tot for i in (1, 2, 3)],
                        atol=1e-12)
        checked += 1
    for r in published(scores, level="evaluation", statistic="satisfaction", kind="all").itertuples():
        parts = []
        for v in VIEWS[1:]:
            votes = sheets(cur.responses, r.department, v)["overall"].dropna()
            if len(votes) and view_published(scores, r.department, v, cur):
                sat = int(votes.isin(SATISFIED).sum())
                ci = (org_ci(org_strata(cur, scores, v, "evaluation", "overall", "satisfaction",
                                        lambda g: g["overall"].dropna().isin(SATISFIED).to_numpy(float)))
                      if r.department == "ALL" else proportion_confint(sat, len(votes), method="wilson"))
                parts.append((w[v], sat / len(votes), *ci))
        if not parts:
            assert np.isnan(r.value)
            continue
        tot = sum(p[0] for p in parts)
        assert_allclose([r.value, r.ci_low, r.ci_high], [sum(p[0] * p[i] for p in parts) / tot for i in (1, 2, 3)],
                        atol=1e-12)
        checked += 1
    assert checked > 200
    assert scores.meta["view_weights"] == w


def test_synthetic_division_table_rates_every_other_department_of_the_division():
    """The benchmark's second shape: each respondent hands in one 民主测评 table row for every other department
    of its division, and the outside overall index of a department is the mean of those rows' scores."""
    r = synthetic_round(12, 400, seed=3, divisions=3, table="division", outside_share=0.05)
    resp, depts = r.responses, r.departments
    division = dict(zip(depts["code"], depts["division"]))
    rows = resp[resp["form"] == "table"]
    assert (rows["rater"] != rows["target"]).all()
    assert (rows["rater"].map(division) == rows["target"].map(division)).all()
    people = resp[resp["view"] == "self"].groupby("department").size()
    size = depts.groupby("division")["code"].size()
    want = sum(n * (size[division[d]] - 1) for d, n in people.items())
    assert len(rows) == want
    assert rows[[c for c in resp.columns if c.startswith("q")]].isna().all().all()
    # a department's outside view is its table rows only (the 22-item outside sheets go to other divisions
    # too): where it has no 22-item outside sheet, the overall index is the mean of the rows' dimension means
    scores = score_frames(resp, depts, r.round_info, r.instrument, seed=1)
    t = scores.table
    items_outside = set(resp.loc[(resp["view"] == "peer_outside") & (resp["form"] != "table"), "department"])
    dims = [c for c in resp.columns if c.startswith("t:")]
    checked = 0
    for d in sorted(set(depts["code"]) - items_outside):
        got = t[(t["department"] == d) & (t["kind"] == "peer_outside") & (t["level"] == "overall")
                & (t["statistic"] == "mean")]
        if got.empty or bool(got["suppressed"].iloc[0]):
            continue
        x = rows.loc[rows["target"] == d, dims]
        x = x[x.notna().sum(axis=1) >= (len(dims) + 1) // 2]
        assert abs(got["value"].iloc[0] - x.mean(axis=1).mean()) < 1e-9
        checked += 1
    assert checked >= 1
