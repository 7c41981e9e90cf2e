"""Welch's difference, item-level change between rounds (checked against scipy on the raw answers),
the trend over a chain of rounds and the bottom-twice alert."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from zuofeng.ledger.change import bottom_alerts, item_change, trend
from zuofeng.score import Scores, score_frames
from zuofeng.score.stats import welch_difference
from zuofeng.score.synthetic import synthetic_round


def test_welch_difference_matches_scipy_on_raw_data():
    rng = np.random.default_rng(11)
    samples = [(rng.normal(3.0, 1.0, n1), rng.normal(2.6, s2, n2))
               for n1, n2, s2 in [(5, 7, 0.5), (12, 40, 1.4), (30, 9, 2.0), (3, 3, 1.0), (200, 150, 0.8)]]
    stats = np.array([[len(a), a.mean(), a.var(ddof=1), len(b), b.mean(), b.var(ddof=1)] for a, b in samples])
    d, lo, hi, p = welch_difference(*stats.T)
    for i, (a, b) in enumerate(samples):
        res = sps.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval(0.95)
        assert_allclose([d[i], lo[i], hi[i], p[i]], [a.mean() - b.mean(), ci.low, ci.high, res.pvalue], rtol=1e-10)
        assert (p[i] < 0.05) == (lo[i] > 0 or hi[i] < 0)


def test_welch_difference_needs_two_answers_each_and_some_variance():
    d, lo, hi, p = welch_difference([1, 5, 5], [3.0, 3.0, 3.0], [0.0, 1.0, 0.0], [5, 1, 4], [2.0, 2.0, 2.0],
                                    [1.0, 0.0, 0.0])
    assert np.isnan(lo[:2]).all() and np.isnan(p[:2]).all() and not np.isnan(d[:2]).any()
    # both sample variances 0: no p-value, and the interval has no width; this is why the ledger's change
    # passes moderated variances (see test_item_change_matches_a_moderated_welch_on_the_raw_answers)
    assert np.isnan(p[2]) and lo[2] == hi[2] == d[2] == 1.0


PRIOR_DF = 3.0      # the prior's degrees of freedom the scorer documents (zuofeng.score.table.honest_variance)
SHEPPARD = 1 / 12   # the floor of the prior variance on a 1-point scale step (Sheppard's correction)


def _moderated(responses, scores, view: str, key: str) -> dict:
    """Smyth's (2004) moderated variance of every published department group of one view and item, by hand:
    the prior pools the published groups' sample variances, weighted by n − 1."""
    pub = scores.rows(level="item", statistic="sd", kind=view, key=key)
    pub = pub[(pub["department"] != "ALL") & ~pub["suppressed"].astype(bool)]
    groups = {}
    for d in pub["department"]:
        x = responses.query("department == @d and view == @view")[key].dropna().to_numpy(dtype=float)
        groups[d] = (len(x), x.var(ddof=1) if len(x) >= 2 else 0.0)
    w = sum(n - 1 for n, _ in groups.values() if n >= 2)
    prior = max(sum((n - 1) * v for n, v in groups.values() if n >= 2) / w, SHEPPARD)
    return {d: ((PRIOR_DF * prior + (n - 1) * v) / (PRIOR_DF + n - 1), PRIOR_DF + n - 1) for d, (n, v) in groups.items()}


def _welch_by_hand(x, y, vx, fx, vy, fy):
    """Welch–Satterthwaite on given variances and their degrees of freedom (mean x − mean y), 95%."""
    a, b = vx / len(x), vy / len(y)
    se = np.sqrt(a + b)
    nu = (a + b) ** 2 / (a * a / fx + b * b / fy)
    d = x.mean() - y.mean()
    half = sps.t.ppf(0.975, nu) * se
    return d, d - half, d + half, 2 * sps.t.sf(abs(d) / se, nu)


@pytest.fixture(scope="module")
def two_rounds():
    before = synthetic_round(8, 600, seed=3, code="S1")
    now = synthetic_round(8, 600, seed=4, code="S2", previous="S1", improvement=0.3)
    s_before = score_frames(before.responses, before.departments, before.round_info, before.instrument, n_boot=100)
    s_now = score_frames(now.responses, now.departments, now.round_info, now.instrument, previous=before, n_boot=100)
    return before, now, s_before, s_now


def test_item_change_matches_a_moderated_welch_on_the_raw_answers(two_rounds):
    before, now, s_before, s_now = two_rounds
    ch = item_change(s_now, s_before)
    assert len(ch) == len(s_now.rows(level="item", statistic="mean").query("department != 'ALL' and kind != 'all'"))
    ok = ch[ch["change_class"] != "not_measurable"]
    assert len(ok) > 100
    for r in ok.sample(40, random_state=1).itertuples():
        x = before.responses.query("department == @r.department and view == @r.kind")[r.key].dropna().to_numpy(float)
        y = now.responses.query("department == @r.department and view == @r.kind")[r.key].dropna().to_numpy(float)
        vx, fx = _moderated(before.responses, s_before, r.kind, r.key)[r.department]
        vy, fy = _moderated(now.responses, s_now, r.kind, r.key)[r.department]
        d, lo, hi, p = _welch_by_hand(x, y, vx, fx, vy, fy)  # before − after on the 1–5 problem scale
        assert (r.n_before, r.n_now) == (len(x), len(y))
        assert_allclose([r.change, r.ci_low, r.ci_high, r.p], [25 * d, 25 * lo, 25 * hi, p], rtol=1e-9)
    big = ok.loc[ok[["n_before", "n_now"]].min(axis=1).idxmax()]  # large groups: close to plain Welch
    assert min(big.n_before, big.n_now) >= 50
    x = before.responses.query("department == @big.department and view == @big.kind")[big.key].dropna()
    y = now.responses.query("department == @big.department and view == @big.kind")[big.key].dropna()
    ci = sps.ttest_ind(x.to_numpy(float), y.to_numpy(float), equal_var=False).confidence_interval(0.95)
    assert_allclose([big.ci_low, big.ci_high], [25 * ci.low, 25 * ci.high], rtol=0.05, atol=0.05)


def test_a_group_answering_all_alike_still_has_an_interval(two_rounds):
    before, now, _, _ = two_rounds
    b, n = before.responses.copy(), now.responses.copy()
    key = before.instrument.item_keys[0]
    dept = b.groupby("department").size().idxmax()
    b.loc[(b["department"] == dept) & (b["view"] == "peer_inside"), key] = 3
    n.loc[(n["department"] == dept) & (n["view"] == "peer_inside"), key] = 2
    s_b = score_frames(b, before.departments, before.round_info, before.instrument, n_boot=100)
    s_n = score_frames(n, now.departments, now.round_info, now.instrument, n_boot=100)
    r = item_change(s_n, s_b).set_index(["department", "kind", "key"]).loc[(dept, "peer_inside", key)]
    assert r["change"] == pytest.approx(25.0) and r["ci_high"] - r["ci_low"] > 1  # never a zero-width interval
    assert 0 < r["p"] < 0.05
    x = b.query("department == @dept and view == 'peer_inside'")[key].dropna().to_numpy(float)
    y = n.query("department == @dept and view == 'peer_inside'")[key].dropna().to_numpy(float)
    vx, fx = _moderated(b, s_b, "peer_inside", key)[dept]
    vy, fy = _moderated(n, s_n, "peer_inside", key)[dept]
    assert vx > 0 and vy > 0
    d, lo, hi, p = _welch_by_hand(x, y, vx, fx, vy, fy)
    assert_allclose([r["change"], r["ci_low"], r["ci_high"], r["p"]], [25 * d, 25 * lo, 25 * hi, p], rtol=1e-9)


def test_item_change_classes(two_rounds):
    _, _, s_before, s_now = two_rounds
    ch = item_change(s_now, s_before)
    k = s_now.meta["k_min"]
    small = ch["n_now"].isna() | ch["n_before"].isna() | (ch["n_now"] < k) | (ch["n_before"] < k)
    assert (ch.loc[small, "change_class"] == "not_measurable").all() and small.any()
    assert ch.loc[small, "change"].isna().all()  # suppressed figures never enter
    # the labels' criterion: Benjamini–Hochberg within department × view (statsmodels), q < 0.05
    from statsmodels.stats.multitest import multipletests
    q = pd.Series(np.nan, index=ch.index)
    for _, g in ch[ch["p"].notna()].groupby(["department", "kind"]):
        q[g.index] = multipletests(g["p"], method="fdr_bh")[1]
    assert_allclose(ch["q"].to_numpy(float), q.to_numpy(float), rtol=1e-12)
    up, down = (q < 0.05) & (ch["change"] > 0), (q < 0.05) & (ch["change"] < 0)
    assert (ch.loc[up, "ci_low"] > 0).all() and (ch.loc[down, "ci_high"] < 0).all()
    assert_allclose(ch["mdc"], (1.959964 + 0.841621) / 1.959964 * (ch["ci_high"] - ch["ci_low"]) / 2, rtol=1e-6)
    from zuofeng.ledger.problems import department_rows  # red-line alerts alone are not a department's flags
    pb, pn = department_rows(s_before.problems), department_rows(s_now.problems)
    was = set(zip(pb["department"], pb["kind"], pb["key"]))
    is_ = set(zip(pn["department"], pn["kind"], pn["key"]))
    keys = list(zip(ch["department"], ch["kind"], ch["key"]))
    assert ch["flagged_before"].tolist() == [k in was for k in keys]
    assert ch["flagged_now"].tolist() == [k in is_ for k in keys]
    fb, fn = ch["flagged_before"], ch["flagged_now"]
    m = ~small
    assert (ch.loc[m & up & fb & ~fn, "change_class"] == "resolved").all()
    assert (ch.loc[m & up & ~(fb & ~fn), "change_class"] == "improved").all()
    assert (ch.loc[m & down, "change_class"] == "worse").all()
    assert (ch.loc[m & ~up & ~down & fn & ~fb, "change_class"] == "new").all()
    assert (ch.loc[m & ~up & ~down & ~(fn & ~fb), "change_class"] == "unchanged").all()
    counts = ch["change_class"].value_counts()
    assert counts.get("improved", 0) + counts.get("resolved", 0) > 20  # a 0.3-point improvement shows
    assert item_change(s_now, None)["change_class"].eq("not_measurable").all()


def _fake(code: str, bottoms: dict) -> Scores:
    rows = [{"round": code, "department": d, "kind": k, "level": "overall", "key": "overall", "statistic": "bottom",
             "value": v, "ci_low": np.nan, "ci_high": np.nan, "n": 10, "suppressed": v is None, "note": None}
            for (d, k), v in bottoms.items()]
    empty = pd.DataFrame()
    return Scores(pd.DataFrame(rows), empty, empty, empty, empty, empty, {"round": code})


def test_bottom_alert_only_where_bottom_in_two_rounds_running():
    r1 = _fake("R1", {("A", "peer_inside"): 1, ("B", "peer_inside"): 1, ("C", "self"): 1, ("D", "peer_outside"): 0})
    r2 = _fake("R2", {("A", "peer_inside"): 1, ("B", "peer_inside"): 0, ("C", "self"): None, ("D", "peer_outside"): 1,
                      ("A", "self"): 1})
    r0 = _fake("R0", {("B", "peer_inside"): 1})
    alerts = bottom_alerts([r0, r1, r2])
    assert alerts[["department", "kind"]].values.tolist() == [["A", "peer_inside"]]
    assert alerts["rounds"].iloc[0] == "R1、R2"
    assert bottom_alerts([r2]).empty


def test_trend_over_the_chain(two_rounds):
    _, _, s_before, s_now = two_rounds
    tr = trend([s_before, s_now])
    assert list(tr["round"].unique()) == ["S1", "S2"]
    dims = tr[tr["level"] == "dimension"]
    assert set(dims["key"]) == {"一", "二", "三", "四", "五"}
    items = tr[tr["level"] == "item"]
    from zuofeng.ledger.problems import department_rows  # the departments' own flags: no red-line rule
    pb, pn = department_rows(s_before.problems), department_rows(s_now.problems)
    flagged = set(zip(pb["department"], pb["key"])) | set(zip(pn["department"], pn["key"]))
    assert set(zip(items["department"], items["key"])) == flagged
    row = tr[(tr["round"] == "S2") & (tr["department"] == "D001") & (tr["kind"] == "peer_inside")
             & (tr["level"] == "overall")]
    assert row["index"].iloc[0] == s_now.rows(department="D001", kind="peer_inside", level="overall",
                                              statistic="index")["value"].iloc[0]
