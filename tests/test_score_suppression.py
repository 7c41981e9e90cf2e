"""Small-group suppression: the rule, and that no suppressed count can be recovered from published ones.

The audit here is written independently of ``zuofeng.score.suppress``: it rebuilds the sum relations
of the department × kind × category table from their definition and decides with matrix ranks
whether the published counts pin down any suppressed one.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zuofeng.score.suppress import suppress_round

VIEWS = ["self", "peer_inside", "peer_outside"]
KINDS = VIEWS + ["all"]
CATS = ["党员", "非党员", "未填"]


def roster(sizes: dict[str, int], divisions: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"code": list(sizes), "division": [(divisions or {}).get(c) for c in sizes]})


def self_only(sizes: dict[str, int]) -> dict:
    return {(c, "self", "党员"): n for c, n in sizes.items()}


def full_counts(leaf: dict, codes: list[str]) -> dict:
    """Every cell's count, computed here from the leaves (department categories included)."""
    out = {}
    for u in ["ALL", *codes]:
        members = codes if u == "ALL" else [u]
        for k in KINDS:
            views = VIEWS if k == "all" else [k]
            for c in [*CATS, "*"]:
                cats = CATS if c == "*" else [c]
                out[(u, k, c)] = sum(leaf.get((d, v, x), 0) for d in members for v in views for x in cats)
    return out


def public(cell) -> bool:
    """Published cells: every unit × kind total; category counts of the organisation only."""
    return cell[2] == "*" or cell[0] == "ALL"


def relations(codes: list[str]) -> list[tuple[tuple, list[tuple]]]:
    """Every sum identity of the table, whether or not its cells are published."""
    rels = []
    for k, c in itertools.product(KINDS, [*CATS, "*"]):
        rels.append((("ALL", k, c), [(d, k, c) for d in codes]))
    for u, c in itertools.product(["ALL", *codes], [*CATS, "*"]):
        rels.append(((u, "all", c), [(u, v, c) for v in VIEWS]))
    for u, k in itertools.product(["ALL", *codes], KINDS):
        rels.append(((u, k, "*"), [(u, k, c) for c in CATS]))
    return rels


def recoverable(counts: dict, hidden: set, codes: list[str]) -> set:
    """Hidden public cells that the published counts determine. Unknown = hidden or never published;
    with A the relation matrix restricted to the unknown columns, x_i is determined exactly when e_i
    lies in the row space of A, i.e. when the projector pinv(A) A onto that row space keeps e_i."""
    unknown = sorted(set(hidden) | {c for c in counts if not public(c)})
    col = {c: i for i, c in enumerate(unknown)}
    rows = []
    for parent, kids in relations(codes):
        row = np.zeros(len(unknown))
        for cell, sign in [(parent, -1.0), *[(k, 1.0) for k in kids]]:
            if cell in col:
                row[col[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    projector = np.linalg.pinv(a) @ a
    return {cell for cell in hidden if abs(projector[col[cell], col[cell]] - 1) < 1e-8}


def test_a_single_small_department_takes_the_smallest_sibling_with_it():
    s = suppress_round(self_only({"A": 3, "B": 9, "C": 12}), roster({"A": 3, "B": 9, "C": 12}), 5)
    assert s.reason("A", "self") == "n<k"
    assert s.reason("B", "self") == "complementary"  # the smallest unsuppressed sibling
    assert s.published("C", "self") and s.published("ALL", "self")


def test_two_small_departments_below_k_together_need_a_third():
    sizes = {"A": 2, "B": 2, "C": 20, "D": 30}
    s = suppress_round(self_only(sizes), roster(sizes), 5)
    assert s.reason("A", "self") == s.reason("B", "self") == "n<k"
    assert s.reason("C", "self") == "complementary" and s.published("D", "self")


def test_two_small_departments_reaching_k_together_are_enough():
    sizes = {"A": 3, "B": 4, "C": 20}
    s = suppress_round(self_only(sizes), roster(sizes), 5)
    assert not s.published("A", "self") and not s.published("B", "self")
    assert s.published("C", "self") and s.published("ALL", "self")


def test_empty_cells_are_published_as_zero_and_do_not_protect():
    sizes = {"A": 3, "B": 0, "C": 20}
    s = suppress_round(self_only(sizes), roster(sizes), 5)
    assert s.published("B", "self")  # nobody to protect
    assert s.reason("C", "self") == "complementary"  # B cannot be A's partner


def test_divisions_are_parents_too():
    sizes = {"A": 3, "B": 20, "C": 6, "D": 40}
    s = suppress_round(self_only(sizes), roster(sizes, {"A": "机关", "B": "机关", "C": "事业", "D": "事业"}), 5)
    assert s.reason("A", "self") == "n<k" and s.reason("B", "self") == "complementary"  # within 机关
    assert s.published("C", "self")  # a smaller department of another division is not taken


def test_kinds_and_the_organisations_categories_are_protected_too():
    leaf = {("A", "self", "党员"): 6, ("A", "self", "非党员"): 2, ("A", "peer_inside", "党员"): 9,
            ("B", "self", "党员"): 12, ("B", "peer_inside", "非党员"): 7, ("B", "peer_outside", "党员"): 3}
    s = suppress_round(leaf, roster({"A": 0, "B": 0}), 5)
    assert s.reason("ALL", "self", "非党员") == "n<k"
    assert not s.published("ALL", "self", "党员")  # the only other category of the organisation's self sheets
    assert s.published("ALL", "self") and s.published("A", "self") and s.published("B", "self")
    assert s.reason("B", "peer_outside") == "n<k"
    assert not s.published("A", "peer_outside") or not s.published("ALL", "peer_outside")
    assert not s.published("B", "all") or not s.published("B", "peer_inside")  # B's kinds: 12 + 7 + (3)


def test_the_frame_never_shows_a_suppressed_count():
    sizes = {"A": 3, "B": 9, "C": 12}
    f = suppress_round(self_only(sizes), roster(sizes), 5).frame()
    assert list(f.columns) == ["department", "kind", "category", "n", "reason", "scope"]
    assert f["n"].isna().all() and set(f["reason"]) == {"protected"}   # n<k and complementary not told apart
    assert not f["department"].str.startswith("div:").any()


leaf_strategy = st.dictionaries(
    st.tuples(st.sampled_from(["A", "B", "C", "D", "E", "F"]), st.sampled_from(VIEWS), st.sampled_from(CATS)),
    st.integers(0, 14), max_size=40)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=leaf_strategy, k=st.integers(3, 6), split=st.booleans())
def test_property_rule_holds_and_nothing_suppressed_is_recoverable(leaf, k, split):
    codes = ["A", "B", "C", "D", "E", "F"]
    divisions = {"A": "甲", "B": "甲", "C": "甲", "D": "乙", "E": "乙"} if split else None
    s = suppress_round(leaf, roster(dict.fromkeys(codes, 0), divisions), k)
    counts = full_counts(leaf, codes)
    hidden = {c for c in counts if public(c) and not s.published(*c)}
    # 1. every group below k is hidden
    assert all(c in hidden for c, n in counts.items() if 0 < n < k and public(c))
    # 2. within every published parent the hidden children (with answers) are none, or ≥ 2 adding up to ≥ k
    for parent, kids in relations(codes):
        if parent in hidden or not public(parent) or not all(public(c) for c in kids):
            continue
        h = [counts[c] for c in kids if c in hidden and counts[c] > 0]
        assert not h or (len(h) >= 2 and sum(h) >= k), (parent, h)
    # 3. the subtraction attack in its strongest form (any linear combination) recovers nothing hidden
    assert recoverable(counts, hidden, codes) == set()


def test_the_attack_would_find_a_naive_suppression():
    """The audit used above is able to fail: hiding only the small cell is recoverable."""
    leaf = {("A", "self", "党员"): 3, ("B", "self", "党员"): 9}
    counts = full_counts(leaf, ["A", "B"])
    naive = {c for c, n in counts.items() if 0 < n < 5 and public(c)}
    assert ("A", "self", "*") in recoverable(counts, naive, ["A", "B"])


def test_the_audit_hides_a_cell_that_every_line_rule_lets_through():
    """Two cycles of hidden cells joined by one more hidden cell: every row and column has two or
    more hidden cells, yet the joining cell equals a sum of published ones. Only the audit sees it."""
    codes = ["A", "B", "C", "D"]
    leaf = {(d, v, "党员"): 10 for d in codes for v in VIEWS}
    pattern = [("A", "self"), ("A", "peer_inside"), ("B", "self"), ("B", "peer_inside"),  # cycle 1
               ("C", "peer_outside"), ("C", "all"), ("D", "peer_outside"), ("D", "all"),  # cycle 2
               ("A", "peer_outside")]                                                     # the bridge
    initial = {(d, k, "*"): "complementary" for d, k in pattern}
    counts = full_counts(leaf, codes)
    assert recoverable(counts, set(initial), codes) == {("A", "peer_outside", "*")}
    s = suppress_round(leaf, roster(dict.fromkeys(codes, 0)), 5, initial=initial)
    hidden = {c for c in counts if public(c) and not s.published(*c)}
    assert hidden > set(initial)  # the audit had to hide more
    assert recoverable(counts, hidden, codes) == set()
