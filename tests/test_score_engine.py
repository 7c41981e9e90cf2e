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
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

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


def test_means_sds_indices_and_t_intervals(rounds):
    _, cur, scores = rounds
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="mean").itertuples():
            x = person_scores(sheets(cur.responses, r.department, r.kind), items)
            assert r.n == len(x)
            if len(x) < 2:
                continue
            lo, hi = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
            assert_allclose([r.value, r.ci_low, r.ci_high], [x.mean(), max(lo, 1), min(hi, 5)], rtol=1e-9)
            sd = value(scores, r.department, r.kind, level, key, "sd")
            ix = value(scores, r.department, r.kind, level, key, "index")
            assert_allclose(sd.value, x.std(ddof=1), rtol=1e-9)
            assert_allclose([ix.value, ix.ci_low, ix.ci_high],
                            [25 * (5 - x.mean()), 25 * (5 - min(hi, 5)), 25 * (5 - max(lo, 1))], rtol=1e-9)
            checked += 1
    assert checked > 100


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
        x = sheets(cur.responses, r.department, r.kind)[r.key].dropna().to_numpy()
        hits = int(np.isin(x, [4, 5]).sum())
        assert r.n == len(x)
        assert_allclose([r.value, r.ci_low, r.ci_high], [hits / len(x), *proportion_confint(hits, len(x), method="wilson")],
                        atol=1e-12)
        m = value(scores, r.department, r.kind, "item", r.key, "mean")
        assert_allclose(m.value, x.mean(), rtol=1e-12)
        if r.key in red:
            share = value(scores, r.department, r.kind, "item", r.key, "red_line_share").value
            alert = value(scores, r.department, r.kind, "item", r.key, "red_line_alert").value
            assert_allclose(share, hits / len(x))
            assert alert == float(hits / len(x) >= cur.instrument.red_line_share)
    assert len(scores.rows(level="item", statistic="red_line_alert")["key"].unique()) == len(red)


def test_cronbach_alpha_against_pingouin_on_complete_answer_sets(rounds):
    _, cur, scores = rounds
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="alpha").itertuples():
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
        votes = sheets(cur.responses, r.department, r.kind)["overall"].dropna()
        sat = int(votes.isin(SATISFIED).sum())
        assert r.n == len(votes)
        assert_allclose([r.value, r.ci_low, r.ci_high], [sat / len(votes), *proportion_confint(sat, len(votes), method="wilson")],
                        atol=1e-12)
        e = value(scores, r.department, r.kind, "evaluation", "overall", "eval_score")
        pts = votes.map(VOTE_SCORE).to_numpy(float)
        lo, hi = sps.t.interval(0.95, len(pts) - 1, loc=pts.mean(), scale=sps.sem(pts))
        assert_allclose([e.value, e.ci_low, e.ci_high], [pts.mean(), max(lo, 40), min(hi, 100)], rtol=1e-9)


def test_composite_uses_the_rounds_weights(rounds):
    _, _, scores = rounds
    w = {"self": 0.2, "peer_inside": 0.3, "peer_outside": 0.5}
    done = 0
    for r in published(scores, level="overall", statistic="composite").itertuples():
        idx = [value(scores, r.department, v, "overall", "overall", "index").value for v in w]
        assert_allclose(r.value, sum(x * w[v] for x, v in zip(idx, w)) / sum(w.values()))
        done += 1
    for r in published(scores, level="evaluation", statistic="composite").itertuples():
        es = [value(scores, r.department, v, "evaluation", "overall", "eval_score").value for v in VIEWS[1:]]
        assert_allclose(r.value, (0.3 * es[0] + 0.5 * es[1]) / 0.8)
        done += 1
    assert done > 5


def test_self_versus_peer_gap_with_welch_interval(rounds):
    _, cur, scores = rounds
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="gap").itertuples():
            s = person_scores(sheets(cur.responses, r.department, "self"), items)
            p = person_scores(sheets(cur.responses, r.department, r.kind), items)
            lo, hi = CompareMeans(DescrStatsW(p), DescrStatsW(s)).tconfint_diff(usevar="unequal")
            assert_allclose([r.value, r.ci_low, r.ci_high], [25 * (p.mean() - s.mean()), 25 * lo, 25 * hi], rtol=1e-8)
            flag = value(scores, r.department, r.kind, level, key, "gap_flag").value
            assert flag == float(lo > 0 or hi < 0)


def test_change_since_previous_round(rounds):
    prev, cur, scores = rounds
    checked = 0
    for level, key, items in score_keys(cur.instrument):
        for r in published(scores, level=level, key=key, statistic="change").itertuples():
            now = person_scores(sheets(cur.responses, r.department, r.kind), items)
            before = person_scores(sheets(prev.responses, r.department, r.kind), items)
            lo, hi = CompareMeans(DescrStatsW(before), DescrStatsW(now)).tconfint_diff(usevar="unequal")
            assert_allclose([r.value, r.ci_low, r.ci_high],
                            [25 * (before.mean() - now.mean()), 25 * lo, 25 * hi], rtol=1e-8)
            p = value(scores, r.department, r.kind, level, key, "mw_p").value
            rbc = value(scores, r.department, r.kind, level, key, "rank_biserial").value
            assert_allclose(p, sps.mannwhitneyu(before, now).pvalue, rtol=1e-9)
            assert_allclose(rbc, pg.mwu(before, now)["RBC"].iloc[0], rtol=1e-9)
            checked += 1
    assert checked > 100


def test_satisfaction_change_newcombe(rounds):
    prev, cur, scores = rounds
    for r in published(scores, statistic="satisfaction_change").itertuples():
        a = sheets(cur.responses, r.department, r.kind)["overall"].dropna()
        b = sheets(prev.responses, r.department, r.kind)["overall"].dropna()
        x1, x2 = int(a.isin(SATISFIED).sum()), int(b.isin(SATISFIED).sum())
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
            depts = [d for d in cur.departments["code"]
                     if not value(scores, d, kind, "overall", "overall", "respondents").suppressed]
            data = [(d, x) for d in depts for x in person_scores(sheets(cur.responses, d, kind), items)]
            df = pd.DataFrame(data, columns=["g", "y"])
            table = sm.stats.anova_lm(ols("y ~ C(g)", data=df).fit())
            msb, msw = table.loc["C(g)", "mean_sq"], table.loc["Residual", "mean_sq"]
            k = len(df) / df["g"].nunique()
            r2 = value(scores, "ALL", kind, level, key, "icc2")
            assert_allclose([r1.value, r2.value], [(msb - msw) / (msb + (k - 1) * msw), (msb - msw) / msb], rtol=1e-8)
            assert r1.n == len(df)
