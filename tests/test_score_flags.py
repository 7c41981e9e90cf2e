"""Quality flags, the problem list, comments and the ranking, on small hand-made rounds whose answers
are chosen so that the expected outcome is known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from zuofeng.instrument import load_instrument
from zuofeng.score import RoundData, score_frames

INST = load_instrument()
KEYS = list(INST.item_keys)
INFO = {"code": "T1", "title": "t", "k_min": 5, "k_comment": 10,
        "eval_scores": {"好": 100, "较好": 80, "一般": 60, "差": 40}, "group_weights": None}


def sheet(dept, view, answers, vote=None, category="党员", comment=None, too_fast=None):
    vals = answers if isinstance(answers, dict) else dict(zip(KEYS, answers))
    return {"department": dept, "view": view, "category": category, "overall": vote, "comment": comment,
            "too_fast": too_fast, **{k: vals.get(k, np.nan) for k in KEYS}}


def varied(rng, level, n, sd=0.7):
    return [np.clip(np.rint(level + rng.normal(0, sd, 22)), 1, 5) for _ in range(n)]


def frames(rows, codes):
    resp = pd.DataFrame(rows)
    depts = pd.DataFrame({"code": codes, "name": codes, "unit_type": "机关部室", "headcount": 40})
    return resp, depts


def score(rows, codes, previous=None, **kw):
    resp, depts = frames(rows, codes)
    return score_frames(resp, depts, {**INFO, **kw.pop("info", {})}, INST, previous=previous, seed=1, n_boot=300, **kw)


def test_straight_lined_too_fast_and_uniform_department():
    rng = np.random.default_rng(1)
    rows = [sheet("A", "self", [2] * 22) for _ in range(8)]                       # a department handing in copies
    rows += [sheet("B", "self", v, too_fast=(i < 2)) for i, v in enumerate(varied(rng, 2.5, 9))]
    rows += [sheet("C", "self", v) for v in varied(rng, 2.5, 9)]
    rows += [sheet("B", "self", [1] * 11 + [np.nan] * 11)]                        # half answered, all the same
    rows += [sheet("C", "self", [1] * 10 + [np.nan] * 12)]                        # fewer than half: not a flag
    q = score(rows, ["A", "B", "C"]).quality.set_index(["department", "kind", "flag"])["count"]
    assert q[("A", "self", "straight_lined")] == 8
    assert q[("A", "self", "uniform_department")] == 8
    assert q[("B", "self", "straight_lined")] == 1 and q[("B", "self", "too_fast")] == 2
    assert ("C", "self", "straight_lined") not in q.index
    assert ("B", "self", "uniform_department") not in q.index and ("C", "self", "uniform_department") not in q.index
    assert q[("ALL", "self", "straight_lined")] == 9 and q[("ALL", "self", "too_fast")] == 2


def test_unanimous_votes_are_flagged_never_removed():
    rng = np.random.default_rng(2)
    rows = [sheet("A", "peer_inside", v, vote="好") for v in varied(rng, 2.5, 7)]
    rows += [sheet("B", "peer_inside", v, vote=["好", "一般", "差"][i % 3]) for i, v in enumerate(varied(rng, 2.5, 9))]
    s = score(rows, ["A", "B"])
    q = s.quality
    flag = q[(q["department"] == "A") & (q["flag"] == "uniform_department")]
    assert len(flag) == 1 and "7票全部同一评价" in flag["detail"].iloc[0]
    assert q[(q["department"] == "B") & (q["flag"] == "uniform_department")].empty
    sat = s.rows(department="A", kind="peer_inside", statistic="satisfaction").iloc[0]
    assert sat["value"] == 1.0 and sat["n"] == 7  # the flag deletes nothing


def test_jump_between_rounds():
    rng = np.random.default_rng(3)
    before = [sheet(d, "self", v) for d, lvl in (("A", 3.5), ("B", 2.5)) for v in varied(rng, lvl, 10, 0.4)]
    now = [sheet(d, "self", v) for d, lvl in (("A", 1.5), ("B", 2.5)) for v in varied(rng, lvl, 10, 0.4)]
    prev = RoundData(*frames(before, ["A", "B"]), {**INFO, "code": "T0"})
    s = score(now, ["A", "B"], previous=prev, info={"previous": "T0"})
    q = s.quality
    jump = q[q["flag"] == "jump"]
    assert list(zip(jump["department"], jump["kind"])) == [("A", "self")]
    change = s.rows(department="A", kind="self", level="overall", statistic="change").iloc[0]
    assert change["value"] > 40 and change["ci_low"] > 0  # index 100·(5−m)/4 rose by about 50
    assert s.rows(department="A", kind="self", level="overall", statistic="change_p").iloc[0]["value"] < 1e-6


def test_problem_list_rules():
    rng = np.random.default_rng(4)
    rows = []
    for d, lvl in (("A", 1.6), ("B", 1.6), ("C", 1.6)):
        for i, v in enumerate(varied(rng, lvl, 20, 0.3)):
            v = v.copy()
            if d == "B" and i < 4:
                v[KEYS.index("q11")] = 5  # 4 of 20 = 20% serious ratings on a red-line item: evidence
            if d == "A" and i < 2:
                v[KEYS.index("q11")] = 5  # 2 of 20 = 10%: above 5%, but a share alone is not evidence
            if d == "A" and i < 6:
                v[KEYS.index("q05")] = 4  # 6 of 20 = 30% ≥ 25%, but the Wilson lower bound is 14.5%
            if d == "C":
                v[KEYS.index("q03")] = 4 if i < 10 else 5  # every answer 4–5: far worse than the rest
            rows.append(sheet(d, "self", v))
    p = score(rows, ["A", "B", "C"]).problems
    fired = set(zip(p["department"], p["key"], p["rule"]))
    assert ("B", "q11", "red_line") in fired
    assert ("C", "q03", "problem_rate") in fired and ("C", "q03", "below_organisation") in fired
    assert ("ALL", "q11", "red_line") not in fired  # 6 of 60 = 10%: not evidence of more than 5%
    assert not any(d == "A" for d, _, _ in fired)
    # the one-sided exact binomial test of share ≤ 5% (scipy): B's 4 of 20 rejects, A's 2 of 20 and the
    # organisation's 6 of 60 do not
    assert sps.binomtest(4, 20, 0.05, alternative="greater").pvalue < 0.05
    assert sps.binomtest(2, 20, 0.05, alternative="greater").pvalue > 0.05
    assert sps.binomtest(6, 60, 0.05, alternative="greater").pvalue > 0.05
    row = p[(p["department"] == "B") & (p["rule"] == "red_line")].iloc[0]
    assert row["label"] == "插手工程谋私利" and row["value"] == pytest.approx(0.20)
    assert row["note"].startswith("红线条目：4/20份评分")
    assert "单侧95%精确下限" in row["note"]
    # the Wilson lower bound of C's q03 (20 of 20) is 83.9% ≥ 25%: Wilson (1927) by hand
    z = 1.959963984540054
    assert (1 + z * z / 40 - z * (z * z / 1600) ** 0.5) / (1 + z * z / 20) == pytest.approx(0.8389, abs=1e-4)


def test_comments_only_from_groups_reaching_their_own_threshold():
    rng = np.random.default_rng(5)
    rows = [sheet("A", "self", v, comment=f"甲{i}") for i, v in enumerate(varied(rng, 2, 10))]
    rows += [sheet("B", "self", v, comment=f"乙{i}") for i, v in enumerate(varied(rng, 2, 9))]  # ≥ k, < k_comment
    rows += [sheet("C", "self", v, comment="  ") for v in varied(rng, 2, 12)]
    c = score(rows, ["A", "B", "C"]).comments
    assert set(c["department"]) == {"A"} and len(c) == 10
    assert list(c["comment"]) == sorted(c["comment"])


def test_ranking_separated_departments_are_certain():
    rng = np.random.default_rng(6)
    levels = {"A": 1.4, "B": 2.2, "C": 3.0, "D": 3.8}
    rows = [sheet(d, "self", v) for d, lvl in levels.items() for v in varied(rng, lvl, 40, 0.3)]
    s = score(rows, list(levels))
    r = s.rows(kind="self", statistic="rank").set_index("department")
    assert list(r["value"]) == [1, 2, 3, 4] and (r["ci_low"] == r["value"]).all() and (r["ci_high"] == r["value"]).all()
    bottom = s.rows(kind="self", statistic="bottom").set_index("department")["value"]
    org_low = s.rows(department="ALL", kind="self", level="overall", statistic="index").iloc[0]["ci_low"]
    highs = s.rows(kind="self", level="overall", statistic="index").set_index("department")["ci_high"]
    assert bottom.to_dict() == {d: float(highs[d] < org_low) for d in levels}
    assert bottom["D"] == 1.0 and bottom["A"] == 0.0


def test_ranking_alike_departments_show_their_uncertainty_and_nobody_is_last():
    rng = np.random.default_rng(7)
    rows = [sheet(d, "self", v) for d in "ABCD" for v in varied(rng, 2.5, 12, 0.9)]
    s = score(rows, list("ABCD"))
    lo = s.rows(kind="self", statistic="rank_low").set_index("department")["value"]
    hi = s.rows(kind="self", statistic="rank_high").set_index("department")["value"]
    assert ((hi - lo) >= 2).all()
    assert (s.rows(kind="self", statistic="bottom")["value"] == 0).all()
    again = score(rows, list("ABCD"))
    pd.testing.assert_frame_equal(s.table, again.table)  # seeded: same data, same seed, same ranges
