"""k counts the answers behind every figure, not just the sheets.

The answer counts here are computed from the raw answer sheets, independently of the scorer (its
``n`` column is never trusted): the answers other than 不了解 for an item, the respondents who answered
at least half of a dimension's items for a dimension (all items for ``overall``), complete answer sets
for α, valid votes for the evaluation. Every published row of a round with many 不了解 answers is
swept against them, and an audit written here tries to recover hidden item figures from published
ones by solving the sums they add up along.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from zuofeng.score import score_frames
from zuofeng.score.synthetic import synthetic_round

VIEWS = ["self", "peer_inside", "peer_outside"]
KINDS = VIEWS + ["all"]


def with_dont_know(rnd, seed: int, rates=(0.0, 0.3, 0.6, 0.85)):
    """The round with many more 不了解 answers: each item gets one of ``rates`` as its extra share."""
    rng = np.random.default_rng(seed)
    r = rnd.responses.copy()
    keys = list(rnd.instrument.item_keys)
    for key in keys:
        rate = rates[rng.integers(len(rates))]
        r.loc[rng.random(len(r)) < rate, key] = np.nan
    return type(rnd)(r, rnd.departments, rnd.round_info, rnd.instrument)


@pytest.fixture(scope="module")
def rounds():
    prev = with_dont_know(synthetic_round(12, 420, seed=31, code="K0", divisions=3), seed=5)
    cur = with_dont_know(synthetic_round(12, 420, seed=32, code="K1", previous="K0", improvement=0.3,
                                         divisions=3), seed=6)
    cur.round_info["group_weights"] = {"self": 0.2, "peer_inside": 0.3, "peer_outside": 0.5}
    for code, div in zip(cur.departments["code"], cur.departments["division"]):
        DIVISIONS.setdefault(f"div:{div}", set()).add(code)
    scores = score_frames(cur.responses, cur.departments, cur.round_info, cur.instrument, previous=prev, seed=1,
                          n_boot=100)
    return prev, cur, scores


DIVISIONS: dict[str, set[str]] = {}   # division pool unit (div:<name>) → its departments, from the fixture


def group(resp: pd.DataFrame, dept: str, kind: str) -> pd.DataFrame:
    if dept == "ALL":
        r = resp
    elif dept.startswith("div:"):   # a division pool: the sheets of its departments
        r = resp[resp["department"].isin(DIVISIONS[dept])]
    else:
        r = resp[resp["department"] == dept]
    return r if kind == "all" else r[r["view"] == kind]


def scales(inst) -> dict[str, list[str]]:
    """Item keys per dimension id, and every item for ``overall``, from the instrument."""
    out = {d.id: [it.key for it in d.items] for d in inst.dimensions}
    out["overall"] = list(inst.item_keys)
    return out


def answers(resp: pd.DataFrame, inst, dept: str, kind: str, key: str) -> int:
    """The answers behind a figure, counted from the sheets."""
    return answer_table(resp, inst).get((dept, kind, key), 0)


_TABLES: list = []


def answer_table(resp: pd.DataFrame, inst) -> dict:
    """Every (unit, kind, key) answer count of a frame, kept with the frame itself."""
    for frame, table in _TABLES:
        if frame is resp:
            return table
    sc = scales(inst)
    table = {}
    for u in ["ALL", *DIVISIONS, *sorted(set(resp["department"]))]:
        for kd in KINDS:
            r = group(resp, u, kd)
            filled = r[list(inst.item_keys)].notna()
            for key in inst.item_keys:
                table[(u, kd, key)] = int(filled[key].sum())
            for key, items in sc.items():
                table[(u, kd, key)] = int((filled[items].sum(axis=1) >= math.ceil(len(items) / 2)).sum())
    _TABLES.append((resp, table))
    return table


def complete_sets(resp: pd.DataFrame, inst, dept: str, kind: str, key: str) -> int:
    return int(group(resp, dept, kind)[scales(inst)[key]].notna().all(axis=1).sum())


def votes(resp: pd.DataFrame, dept: str, kind: str) -> int:
    return int(group(resp, dept, kind)["overall"].isin(["好", "较好", "一般", "差"]).sum())


def rests_on(row, resp, prev_resp, inst, weights) -> list[int]:
    """Every answer count a published row rests on (the sweep's independent definition)."""
    d, kind, level, key, stat = row.department, row.kind, row.level, row.key, row.statistic
    if stat in ("respondents", "coverage", "headcount", "respondents_party", "respondents_non_party",
                "respondents_no_category", "respondents_table"):  # counts of the group's sheets
        n = len(group(resp, d, kind))
        return [n] if n else []       # an empty group is a published zero (a blind spot)
    if level == "evaluation":
        if stat == "composite":
            return [votes(resp, d, v) for v in VIEWS[1:] if weights.get(v, 0) > 0]
        counts = [votes(resp, d, kind)]
        if stat == "satisfaction_change":
            counts.append(votes(prev_resp, d, kind))
        return counts
    if stat in ("icc1", "icc2"):
        return []                     # checked separately: only published departments enter
    if stat == "composite":
        return [answers(resp, inst, d, v, key) for v in VIEWS if weights.get(v, 0) > 0]
    counts = [answers(resp, inst, d, kind, key)]
    if stat == "alpha":
        counts.append(complete_sets(resp, inst, d, kind, key))
    elif stat == "rwg_j":
        counts += [answers(resp, inst, d, kind, i) for i in scales(inst)[key]]
    elif stat in ("gap", "gap_flag"):
        counts.append(answers(resp, inst, d, "self", key))
    elif stat in ("change", "change_p", "change_q"):
        counts.append(answers(prev_resp, inst, d, kind, key))
    elif stat == "bottom":
        counts.append(answers(resp, inst, "ALL", kind, key))
    return counts


def hidden_groups(scores) -> set:
    """The (unit, kind) groups hidden on their sheets, from the suppression frame (their sheet counts are
    public, so the table's count rows do not say it)."""
    sup = scores.suppression
    sup = sup[sup["category"].isna() & (sup["scope"] == "answers")]
    return set(zip(sup["department"], sup["kind"]))


def test_the_round_has_many_figures_on_fewer_than_k_answers_among_published_groups(rounds):
    """The sweep below is not empty-handed: plenty of item figures of published groups rest on < k."""
    _, cur, scores = rounds
    k = cur.round_info["k_min"]
    t = scores.rows(level="item", statistic="mean")
    groups = scores.rows(statistic="respondents", level="overall")
    published_groups = set(zip(groups["department"], groups["kind"])) - hidden_groups(scores)
    thin = [(d, kd, key) for d, kd, key in zip(t["department"], t["kind"], t["key"])
            if (d, kd) in published_groups and 0 < answers(cur.responses, cur.instrument, d, kd, key) < k]
    assert len(thin) >= 20


def test_sweep_no_published_figure_rests_on_fewer_than_k_answers(rounds):
    prev, cur, scores = rounds
    k = cur.round_info["k_min"]
    weights = cur.round_info["group_weights"]
    t = scores.table[~scores.table["suppressed"] & scores.table["value"].notna()]
    assert set(t["statistic"]) >= {"mean", "sd", "index", "problem_rate", "red_line_share", "red_line_alert", "alpha",
                                   "rwg_j", "gap", "change", "change_p", "composite", "rank", "bottom", "satisfaction",
                                   "eval_score", "satisfaction_change", "respondents", "coverage"}
    bad = []
    for row in t.itertuples(index=False):
        if row.statistic in ("respondents", "coverage", "headcount"):
            continue   # counts are public by design (ballots returned, staff); the answers are what k protects
        counts = rests_on(row, cur.responses, prev.responses, cur.instrument, weights)
        # an empty part discloses nothing (e.g. an item nobody answered inside rwg_j's scale); a figure on
        # no answers at all, or on some but fewer than k, must not be there
        if any(0 < c < k for c in counts) or (row.statistic not in ("respondents", "coverage", "headcount")
                                              and counts and not any(counts)):
            bad.append((row.department, row.kind, row.level, row.key, row.statistic, counts))
    assert bad == []


def test_problems_flags_and_comments_come_from_figures_on_k_answers(rounds):
    _, cur, scores = rounds
    k, inst, resp = cur.round_info["k_min"], cur.instrument, cur.responses
    assert len(scores.problems) > 0
    for p in scores.problems.itertuples(index=False):
        assert answers(resp, inst, p.department, p.kind, p.key) >= k, p
    for q in scores.quality.itertuples(index=False):
        assert len(group(resp, q.department, q.kind)) >= k, q
    for (d, kd), _ in scores.comments.groupby(["department", "kind"]):
        assert len(group(resp, d, kd)) >= cur.round_info["k_comment"]


def test_ranks_and_iccs_use_only_departments_whose_figures_are_published(rounds):
    _, cur, scores = rounds
    k, inst, resp = cur.round_info["k_min"], cur.instrument, cur.responses
    ranked = scores.rows(statistic="rank")
    for r in ranked.itertuples(index=False):
        for key in scales(inst):
            assert answers(resp, inst, r.department, r.kind, key) >= k, (r.department, r.kind, key)
    # ICC(1) of each kind, recomputed here from the departments the ranking shows
    for kind in KINDS:
        icc = scores.rows(department="ALL", kind=kind, level="overall", key="overall", statistic="icc1")
        codes = list(ranked.loc[ranked["kind"] == kind, "department"])
        if icc.empty or icc["suppressed"].iat[0] or len(codes) < 2:
            continue
        keys = scales(inst)["overall"]
        per = []
        for c in codes:
            r = group(resp, c, kind)[keys]
            ok = r.notna().sum(axis=1) >= math.ceil(len(keys) / 2)
            per.append(r[ok].mean(axis=1).to_numpy())
        big_n = sum(len(x) for x in per)
        grand = np.concatenate(per).mean()
        msb = sum(len(x) * (x.mean() - grand) ** 2 for x in per) / (len(per) - 1)
        msw = sum(((x - x.mean()) ** 2).sum() for x in per) / (big_n - len(per))
        kbar = big_n / len(per)
        np.testing.assert_allclose(icc["value"].iat[0], (msb - msw) / (msb + (kbar - 1) * msw), rtol=1e-9)


# --- the audit: can a hidden item figure be recovered from published ones? ------------------------

def entering_views(scores, resp, inst, unit: str, key: str) -> dict[str, float]:
    """The views whose figure enters ``unit``'s ``all`` figure of ``key``, with their normalised weights.

    How ``all`` is computed, written down here from the method (not the scorer's code): the weighted
    mean of the unit's view figures, with the weights in ``meta["view_weights"]``, over the views with a
    weight > 0 and answers to ``key`` (counted on the sheets) whose group is published, or hidden while
    at least one other view group of the unit with sheets is hidden too.
    """
    w = scores.meta["view_weights"]
    sup = scores.suppression   # the hidden groups (their counts are public, so the table does not say it)
    g = sup[(sup["department"] == unit) & sup["category"].isna() & (sup["scope"] == "answers")]
    hid = {kd: True for kd in g["kind"]}
    hidden = [v for v in VIEWS if hid.get(v, False) and len(group(resp, unit, v)) > 0]
    use = {v: float(w.get(v, 0)) for v in VIEWS if float(w.get(v, 0)) > 0 and answers(resp, inst, unit, v, key) > 0
           and (not hid.get(v, False) or len(hidden) >= 2)}
    tot = sum(use.values())
    return {v: x / tot for v, x in use.items()}


def recoverable_figures(scores, resp, inst, exact_scales: bool) -> set:
    """Hidden figures (unit, kind, key) whose mean the published figures determine exactly.

    Unknowns: the mean of every hidden figure on answers. The answer counts are taken as known (from
    the sheets), which only helps the attacker and makes every relation linear in the means:

    - for each key and view, the organisation pools its departments: n_ALL·x_ALL = Σ n_d·x_d
      (divisions are never published, so their identities add unknowns only and imply nothing more);
    - for each unit and key, ``all`` is the weighted mean of the views that enter it
      (:func:`entering_views`): x_all = Σ w_v·x_v;
    - within a view group where every sheet that answered any item of a dimension answered all of them
      (checked on the sheets), the dimension's mean is the mean of its item means — the only case where
      that relation is exact. For ``all`` it then follows from the two relations above wherever it holds.
    """
    codes = list(scores.departments["code"])
    t = scores.rows(statistic="mean")
    t = t[t["level"] != "evaluation"]
    hidden = {(r.department, r.kind, r.key) for r in t.itertuples(index=False) if r.suppressed
              and answers(resp, inst, r.department, r.kind, r.key) > 0}
    keys = sorted(set(t["key"]))
    rels: list[dict] = []      # each: cell → coefficient, Σ coefficient·mean = 0
    for key in keys:
        for v in VIEWS:
            rel = {(c, v, key): float(answers(resp, inst, c, v, key)) for c in codes}
            rel[("ALL", v, key)] = -float(answers(resp, inst, "ALL", v, key))
            rels.append(rel)
        for u in ["ALL", *codes]:
            wn = entering_views(scores, resp, inst, u, key)
            if wn:
                rels.append({**{(u, v, key): x for v, x in wn.items()}, (u, "all", key): -1.0})
    if exact_scales:
        sc = scales(inst)
        for u, kd in itertools.product(["ALL", *codes], VIEWS):
            r = group(resp, u, kd)
            for dim, items in sc.items():
                if dim == "overall" or r.empty:
                    continue
                filled = r[items].notna()
                if (filled.any(axis=1) == filled.all(axis=1)).all() and filled.any(axis=None):
                    rels.append({**{(u, kd, i): 1.0 / len(items) for i in items}, (u, kd, dim): -1.0})
    unknown = sorted(hidden)
    col = {c: i for i, c in enumerate(unknown)}
    rows = []
    for rel in rels:
        row = np.zeros(len(unknown))
        for c, x in rel.items():
            if c in col:
                row[col[c]] += x
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    proj = np.linalg.pinv(a) @ a
    return {c for c in unknown if abs(proj[col[c], col[c]] - 1) < 1e-8}


def test_the_audit_models_all_as_the_weighted_mean_of_the_views(rounds):
    """The audit's relation for ``all`` is the real one: every published ``all`` mean whose entering
    views are published equals their weighted mean, and some of them leave a view out."""
    _, cur, scores = rounds
    t = scores.rows(statistic="mean")
    t = t[t["level"] != "evaluation"]
    val = {(r.department, r.kind, r.key): (r.value, r.suppressed) for r in t.itertuples(index=False)}
    checked, partial = 0, 0
    for (u, kd, key), (x, sup) in val.items():
        if kd != "all" or sup or pd.isna(x):
            continue
        wn = entering_views(scores, cur.responses, cur.instrument, u, key)
        if any(val[(u, v, key)][1] for v in wn):
            continue
        assert x == pytest.approx(sum(w * val[(u, v, key)][0] for v, w in wn.items()), abs=1e-9), (u, key)
        checked += 1
        partial += len(wn) < 3
    assert checked >= 30 and partial >= 1


def test_audit_no_hidden_item_or_dimension_figure_can_be_recovered(rounds):
    _, cur, scores = rounds
    assert recoverable_figures(scores, cur.responses, cur.instrument, exact_scales=True) == set()


def complete_dimension_round():
    """Two departments answer dimension 二 completely or not at all; one of them has 3 such sheets."""
    base = synthetic_round(4, 120, seed=41, code="C1")
    r = base.responses.copy()
    inst = base.instrument
    items = [it.key for d in inst.dimensions if d.id == "二" for it in d.items]
    r[items] = r[items].fillna(3.0)
    codes = list(base.departments["code"])
    sel = (r["department"] == codes[0]) & (r["view"] == "self")
    idx = r.index[sel]
    r.loc[idx[3:], items] = np.nan          # only 3 self sheets of the first department answer 二
    return type(base)(r, base.departments, base.round_info, inst), items


def test_audit_complete_answers_make_a_dimension_an_exact_sum_and_it_is_protected():
    rnd, items = complete_dimension_round()
    scores = score_frames(rnd.responses, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)
    code = rnd.departments["code"].iat[0]
    hidden = scores.rows(department=code, kind="self", level="item", statistic="mean")
    assert hidden.set_index("key").loc[items, "suppressed"].all()
    assert recoverable_figures(scores, rnd.responses, rnd.instrument, exact_scales=True) == set()


def test_the_audit_finds_a_leak_when_only_thin_figures_are_hidden(rounds):
    """Control: hiding only the hidden groups and the figures on fewer than k answers (no complementary
    step for figures) lets the audit recover some of them."""
    _, cur, scores = rounds
    k, inst, resp = cur.round_info["k_min"], cur.instrument, cur.responses
    t = scores.table.copy()
    hidden = hidden_groups(scores)
    t["suppressed"] = [(d, kd) in hidden or (lv != "evaluation" and 0 < answers(resp, inst, d, kd, key) < k)
                       for d, kd, lv, key in zip(t["department"], t["kind"], t["level"], t["key"])]
    naive = type(scores)(t, scores.problems, scores.quality, scores.comments, scores.suppression,
                         scores.departments, scores.meta)
    assert recoverable_figures(naive, resp, inst, exact_scales=False)


def red_line_department():
    """A department of 5 where four choose 不了解 on red-line item 10 (the fifth rates it 5)."""
    base = synthetic_round(6, 300, seed=51, code="R1")
    r = base.responses.copy()
    code = base.departments["code"].iat[-1]
    keep = r[~((r["department"] == code) & (r["view"] == "self"))]
    template = r[r["view"] == "self"].head(5).copy()
    template["department"] = template["target"] = template["rater"] = code
    template["q10"] = [5.0, np.nan, np.nan, np.nan, np.nan]
    r = pd.concat([keep, template], ignore_index=True)
    return type(base)(r, base.departments, base.round_info, base.instrument), code


def test_a_red_line_item_answered_by_one_of_five_publishes_no_mean_and_no_alert():
    rnd, code = red_line_department()
    scores = score_frames(rnd.responses, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)
    n = scores.rows(department=code, kind="self", statistic="respondents")
    assert not n["suppressed"].iat[0] and n["value"].iat[0] == 5       # the group itself is published
    q10 = scores.rows(department=code, kind="self", level="item", key="q10")
    assert len(q10) >= 5 and q10["suppressed"].all() and q10["value"].isna().all() and q10["n"].isna().all()
    assert q10["note"].str.contains("不足5份回答").all()
    p = scores.problems
    assert p[(p["department"] == code) & (p["key"] == "q10")].empty


def test_a_quality_flag_never_carries_a_hidden_items_spread():
    """A published department's self sheets made identical, two of them also answering q17 (1 and 5):
    q17 is hidden (n = 2), so the uniform-department flag's mean item SD is over the 21 published
    items: exactly 0 (with q17 it would be 2.83 / 22 = 0.13)."""
    base = synthetic_round(6, 300, seed=52, code="U1")
    r = base.responses.copy()
    own = r[r["view"] == "self"]
    code = "D005"                                    # 71 self sheets, a published group in this round
    rows = own.index[own["department"] == code]
    r.loc[rows, list(base.instrument.item_keys)] = 2.0
    r.loc[rows, "q17"] = [1.0, 5.0] + [np.nan] * (len(rows) - 2)
    scores = score_frames(r, base.departments, base.round_info, base.instrument, seed=1, n_boot=100)
    assert not scores.rows(department=code, kind="self", statistic="respondents")["suppressed"].iat[0]
    assert scores.rows(department=code, kind="self", level="item", key="q17", statistic="sd")["suppressed"].all()
    q = scores.quality
    flag = q[(q["department"] == code) & (q["kind"] == "self") & (q["flag"] == "uniform_department")]
    assert len(flag) == 1 and "条目平均标准差0.00" in flag["detail"].iat[0]
