"""Roll-up into divisions (归口), public counts, one wording for hidden figures, and complementary
suppression by least information loss.

The pooled figures are recomputed here from the sheets (not from the scorer's sums), and the least
loss is checked against a brute-force search over every set of cells with a rule written out here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from tests.rollup_support import pooled_round as _round
from zuofeng.score import score_frames
from zuofeng.score.suppress import _apply_rule, _least_loss, build_cells, suppress

K = 5


@pytest.fixture(scope="module")
def pooled():
    rnd = _round()
    return rnd, score_frames(rnd.responses, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)


def _row(scores, dept, kind, statistic, key="overall"):
    t = scores.table
    hit = t[(t["department"] == dept) & (t["kind"] == kind) & (t["key"] == key) & (t["statistic"] == statistic)]
    assert len(hit) == 1, (dept, kind, statistic, key)
    return hit.iloc[0]


def _overall_index(sheets: pd.DataFrame, keys: list[str]) -> float:
    """The overall index from the sheets: each respondent's mean of the items answered (at least half),
    then 100 × (5 − mean) / 4."""
    vals = sheets[keys].to_numpy(dtype=float)
    answered = ~np.isnan(vals)
    ok = answered.sum(axis=1) >= math.ceil(len(keys) / 2)
    person = np.nansum(vals, axis=1)[ok] / answered.sum(axis=1)[ok]
    return 100 * (5 - person.mean()) / 4


def test_sheet_counts_are_public_while_the_answers_of_a_small_group_are_hidden(pooled):
    _, scores = pooled
    n = _row(scores, "D002", "self", "respondents")
    assert not n["suppressed"] and n["value"] == 3 and n["n"] == 3
    assert not _row(scores, "D002", "self", "coverage")["suppressed"]
    assert not _row(scores, "D002", "self", "headcount")["suppressed"]
    assert _row(scores, "D002", "self", "index")["suppressed"]
    assert not scores.table.loc[scores.table["statistic"].isin(["respondents", "headcount", "coverage"]),
                                "suppressed"].any()


def test_a_hidden_department_is_reported_in_its_division_pool_recomputed_from_the_sheets(pooled):
    rnd, scores = pooled
    keys = list(rnd.instrument.item_keys)
    r = rnd.responses
    for kind in ("self", "peer_inside"):
        sheets = r[r["department"].isin(["D001", "D002", "D003"]) & (r["view"] == kind)]
        row = _row(scores, "div:甲", kind, "index")
        assert not row["suppressed"]
        assert row["value"] == pytest.approx(_overall_index(sheets, keys), abs=1e-9)
        assert _row(scores, "div:甲", kind, "respondents")["value"] == len(sheets)
    own = _row(scores, "D002", "self", "index")
    names = dict(zip(rnd.departments["code"], rnd.departments["name"]))
    assert own["note"] == (f"已抑制：为保护匿名，本部门自评结果不单独公布，并入“甲”归口统计"
                           f"（含{names['D001']}、{names['D002']}、{names['D003']}）")


def test_the_pool_is_a_parent_of_its_departments_so_no_hidden_one_comes_back_by_subtraction(pooled):
    _, scores = pooled
    for kind in ("self", "peer_inside"):
        pool = _row(scores, "div:甲", kind, "index")
        hidden = [d for d in ("D001", "D002", "D003") if _row(scores, d, kind, "index")["suppressed"]]
        if not pool["suppressed"]:
            assert len(hidden) != 1, kind   # the pool minus the published departments is never one department
        sup = scores.suppression
        assert set(sup["reason"]) == {"protected"}


def test_a_pool_below_k_is_hidden_itself_and_a_department_without_one_says_only_why():
    rnd = _round()
    d = rnd.departments.copy()
    r = rnd.responses
    for code in ("D004", "D005"):   # 乙: two departments of 2 self sheets each, 4 in all: below k
        drop = r.index[(r["department"] == code) & (r["view"] == "self")][2:]
        r = r.drop(drop)
    r = r.reset_index(drop=True)
    s = score_frames(r, d, rnd.round_info, rnd.instrument, seed=1, n_boot=100)
    assert _row(s, "div:乙", "self", "respondents")["value"] == 4
    pool = _row(s, "div:乙", "self", "index")
    assert pool["suppressed"] and pd.isna(pool["value"])
    own = _row(s, "D004", "self", "index")
    assert own["suppressed"] and "并入" not in own["note"]
    assert own["note"] == "已抑制：为保护匿名，不足5份答卷的数字，以及可据以推算出这类数字的数字，均不公布"


def test_one_wording_whether_under_k_or_hidden_beside_one(pooled):
    rnd, scores = pooled
    t = scores.table
    t = t[t["suppressed"] & (t["level"] == "overall") & (t["statistic"] == "index") & ~t["department"].str.startswith("div:")]
    notes = set(t["note"])
    assert notes and not any("n<k" in n or "互补" in n for n in notes)
    counts = rnd.responses.groupby(["department", "view"]).size()
    # a group under k and a group of k or more hidden beside it get the same note (a D00x of ≥ k is
    # hidden somewhere, or no group is hidden beside D002 at all, which the pool test rules out)
    by_size = {(counts.get((d, k), 0) < K) for d, k in zip(t["department"], t["kind"]) if k != "all"}
    assert by_size == {True, False}
    assert len({n for n in notes if "并入" not in n}) <= 1


def test_roster_warnings_name_a_division_of_one_and_a_pool_that_never_reaches_k(tmp_path):
    from zuofeng.rounds import create_round
    from zuofeng.store import open_engine

    roster = tmp_path / "r.csv"
    roster.write_text("code,name,unit_type,headcount,division\nA,办公室,机关部室,8,机关\nB,驻村队,工作队,2,驻村\n"
                      "C,科普队,工作队,2,科普\nD,小组,工作队,1,科普\nE,信息中心,中心,3,\n", encoding="utf-8")
    engine = open_engine(f"sqlite:///{tmp_path / 'z.db'}")
    rnd = create_round(engine, "W1", title="测评", roster=roster)
    assert rnd["warnings"] == [
        "归口“机关”只有一个部门（办公室）：它的结果不足5份时无处合并，只能隐藏",
        "归口“驻村”只有一个部门（驻村队）：它的结果不足5份时无处合并，只能隐藏",
        "归口“驻村”编制人数合计2人，少于k=5：合并后也永远达不到公布门槛，结果总是隐藏",
        "归口“科普”编制人数合计3人，少于k=5：合并后也永远达不到公布门槛，结果总是隐藏",
        "信息中心编制人数3人，少于k=5，且不属于任何归口：它的自评和本部门互评结果永远无法公布",
    ]


# --- least information loss ------------------------------------------------------------------------

def _rule_holds(hidden: set, counts: dict, relations, k: int) -> bool:
    """The rule, written out again: in every relation whose parent is published the hidden children
    (count > 0) are none, or at least two holding k together; a hidden parent has a hidden child."""
    for rel in relations:
        kids = [c for c in rel.children if counts[c] > 0]
        h = [c for c in kids if c in hidden]
        if rel.parent in hidden:
            if kids and not h:
                return False
            if rel.cascade and len(h) < len(kids):
                return False
        elif h and (len(h) < 2 or sum(counts[c] for c in h) < k):
            return False
    return True


def _random_cells(seed: int):
    rng = np.random.default_rng(seed)
    codes = ["A", "B", "C", "D"]
    departments = pd.DataFrame({"code": codes, "division": ["x", "x", None, None] if seed % 2 else [None] * 4})
    leaf = {(c, v, "未填"): int(rng.choice([0, 1, 2, 3, 4, 6, 7, 9, 12]))
            for c in codes for v in ("self", "peer_inside")}
    return build_cells(leaf, departments, categories=False)


def _primary(cells) -> dict:
    return {c: "n<k" for c, n in cells.counts.items() if 0 < n < K}


def _loss(cells, hidden, primary) -> int:
    """The answers a set of extra hidden cells withholds: a unit's kind total (``all``) withholds none
    once one of its views is hidden under k, since its figures are hidden with that view."""
    lost = {u for (u, v, _) in primary if v != "all"}
    return sum(0 if (c[1] == "all" and c[0] in lost) else cells.counts[c] for c in hidden)


@pytest.mark.parametrize("seed", range(10))
def test_complementary_cells_hide_the_fewest_answers_a_brute_force_search_finds(seed):
    cells = _random_cells(seed)
    primary = _primary(cells)
    chosen = dict(primary)
    _least_loss(cells.counts, cells.relations, K, chosen, cells.internal)
    extra = {c for c in chosen if c not in primary}
    live = [c for c, n in cells.counts.items() if n > 0 and c not in cells.internal and c not in primary]
    best = None
    for r in range(len(live) + 1):
        for cand in itertools.combinations(live, r):
            loss = _loss(cells, cand, primary)
            if (best is None or loss < best) and _rule_holds(set(primary) | set(cand) | set(cells.internal),
                                                             cells.counts, cells.relations, K):
                best = loss
    assert _rule_holds(set(chosen) | set(cells.internal), cells.counts, cells.relations, K)
    assert _loss(cells, extra, primary) == best
    # and the whole suppression (rule and audit) keeps the rule
    out = suppress(cells, K)
    assert _rule_holds(set(out.reasons) | set(cells.internal), cells.counts, cells.relations, K)


def test_the_least_loss_never_hides_more_than_the_next_smallest_cell_and_sometimes_less():
    """Against the former rule (hide the smallest published child of one relation after another)."""
    fewer = 0
    for seed in range(40):
        cells = _random_cells(seed)
        greedy, least = _primary(cells), _primary(cells)
        _apply_rule(cells.counts, cells.relations, K, greedy)
        _least_loss(cells.counts, cells.relations, K, least, cells.internal)
        primary = _primary(cells)
        lg = _loss(cells, [c for c in greedy if greedy[c] != "n<k" and c not in cells.internal], primary)
        ll = _loss(cells, [c for c in least if least[c] != "n<k"], primary)
        assert ll <= lg, seed
        fewer += ll < lg
    assert fewer >= 3
