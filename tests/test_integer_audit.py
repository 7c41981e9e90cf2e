"""The exact disclosure audit (:mod:`zuofeng.score.integer_audit`) against a second implementation: a
brute-force enumerator of every way the hidden departments could have answered (every count of each
rating 1–5 within their sheets), kept where the published sums agree, on small hand-built tables.
It judges "wide" from the enumerated answers themselves, not from the audit's inequalities.
"""

from __future__ import annotations

import functools
import itertools
import random

import pytest

from zuofeng.score import integer_audit


@functools.cache
def _outcomes(sheets: int) -> set[tuple[int, int, int]]:
    """Every (answers, sum of ratings, count of 4–5) a group of ``sheets`` raters can give."""
    out = set()
    for counts in itertools.product(range(sheets + 1), repeat=5):
        if sum(counts) <= sheets:
            out.add((sum(counts), sum((r + 1) * c for r, c in enumerate(counts)), counts[3] + counts[4]))
    return out


def _add(parts):
    return tuple(sum(p[i] for p in parts) for i in range(3))


def brute_narrow(depts: dict[str, list[int]], sheets: dict[str, int], pools: dict[str, tuple[str, ...]],
                 hidden: set[str], withheld: bool = False) -> set[str]:
    """The hidden units (departments, pools) with answers that are not wide, by enumeration.

    ``depts``: each department's true ratings (1–5); the organisation ALL is every department, a pool
    the sum of its members; every published unit's (n, S, C) is known, except the organisation's count
    of 4–5 when ``withheld`` (its problem rate is not published)."""
    truth = {d: (len(r), sum(r), sum(x >= 4 for x in r)) for d, r in depts.items()}
    truth.update({p: _add([truth[d] for d in m]) for p, m in pools.items()})
    truth["ALL"] = _add([truth[d] for d in depts])
    free = sorted(d for d in depts if d in hidden)
    parents = [("ALL", tuple(depts)), *pools.items()]
    solutions = []
    last = free[-1]   # the organisation (always published here) fixes the last hidden department
    possible = _outcomes(sheets[last])
    for combo in itertools.product(*(sorted(_outcomes(sheets[d])) for d in free[:-1])):
        value = {**truth, **dict(zip(free, combo))}
        rest = tuple(truth["ALL"][i] - sum(value[d][i] for d in depts if d != last) for i in range(3))
        for o in ([o for o in possible if o[:2] == rest[:2]] if withheld else [rest] if rest in possible else []):
            value = {**value, last: o}
            value.update({p: _add([value[d] for d in m]) for p, m in pools.items()})
            value["ALL"] = _add([value[d] for d in depts])
            if all(value[p][:2] == truth[p][:2] if p == "ALL" and withheld else value[p] == truth[p]
                   for p, _ in parents if p not in hidden):
                solutions.append(value)
    assert solutions   # the truth is one of them
    out = set()
    for u in hidden:
        if truth[u][0] == 0:
            continue
        vals = [s[u] for s in solutions]
        wide = (len({s for _, s, _ in vals}) > 1 and len({s / n for n, s, _ in vals if n}) > 1
                and len({c for _, _, c in vals}) > 1
                and any(s > n for n, s, _ in vals) and any(s < 5 * n for n, s, _ in vals)
                and any(c > 0 for _, _, c in vals) and any(c < n for n, _, c in vals))
        if not wide:
            out.add(u)
    return out


def audit_narrow(depts, sheets, pools, hidden, withheld: bool = False) -> set[str]:
    contents, relations, caps = _system(depts, sheets, pools)
    return set(integer_audit.narrow_cells(relations, contents, hidden, caps, rate_withheld={"ALL"} if withheld else ()))


def _system(depts, sheets, pools):
    def content(r):
        return (float(len(r)), float(sum(r)), float(sum(x * x for x in r)), float(sum(x >= 4 for x in r)))
    contents = {d: content(r) for d, r in depts.items()}
    contents.update({p: content([x for d in m for x in depts[d]]) for p, m in pools.items()})
    contents["ALL"] = content([x for r in depts.values() for x in r])
    caps = {**sheets, **{p: sum(sheets[d] for d in m) for p, m in pools.items()}, "ALL": sum(sheets.values())}
    pooled = {d for m in pools.values() for d in m}
    relations = [("ALL", tuple(depts)), *pools.items()]
    if pools:
        relations.append(("ALL", (*pools, *(d for d in depts if d not in pooled))))
    return contents, relations, caps


def _random_table(rng: random.Random):
    n_hidden = rng.choice((2, 3, 4))
    names = "ABCDE"
    sheets = {d: rng.randint(1, 6 if n_hidden == 2 else 4 if n_hidden == 3 else 3) for d in names}
    skew = rng.random()   # some tables lean to 1, some to 5: unanimity and pinned bounds come up
    depts = {}
    for d in names:
        answered = rng.randint(max(1, sheets[d] - 1), sheets[d])
        depts[d] = [min(5, max(1, round(rng.gauss(1 + 4 * skew, 1.0)))) for _ in range(answered)]
    pools = {"div:x": ("A", "B")} if rng.random() < 0.5 else {}
    hidden = set(rng.sample(sorted(names), n_hidden))
    if pools and rng.random() < 0.3:
        hidden.add("div:x")
    return depts, sheets, pools, hidden


@pytest.mark.parametrize("seed", range(60))
def test_the_audit_finds_exactly_the_narrow_cells_the_enumeration_finds(seed):
    depts, sheets, pools, hidden = _random_table(random.Random(seed))
    assert audit_narrow(depts, sheets, pools, hidden) == brute_narrow(depts, sheets, pools, hidden)


@pytest.mark.parametrize("seed", range(40))
def test_with_the_organisations_rate_withheld_the_audit_still_agrees_with_the_enumeration(seed):
    depts, sheets, pools, hidden = _random_table(random.Random(seed))
    assert (audit_narrow(depts, sheets, pools, hidden, withheld=True)
            == brute_narrow(depts, sheets, pools, hidden, withheld=True))


def test_withholding_the_organisations_rate_widens_a_remainder_where_nobody_rated_4_or_5():
    """Two hidden departments of two raters each, none of them rating 4–5: the organisation's count of
    4–5 pins theirs at 0; without it either may hold a 4–5 (A = [1, 4], B = [1, 2] gives the same sums)."""
    depts = {"A": [1, 2], "B": [2, 3], "C": [1, 4, 5, 2, 3], "D": [4, 4, 1, 2, 5]}
    sheets = {d: len(r) for d, r in depts.items()}
    assert brute_narrow(depts, sheets, {}, {"A", "B"}) == {"A", "B"}
    assert brute_narrow(depts, sheets, {}, {"A", "B"}, withheld=True) == set()
    assert audit_narrow(depts, sheets, {}, {"A", "B"}) == {"A", "B"}
    assert audit_narrow(depts, sheets, {}, {"A", "B"}, withheld=True) == set()


def test_the_rule_withholds_the_organisations_rate_only_where_that_is_enough():
    from zuofeng.score import disclosure

    def run(depts):
        contents, relations, _ = _system(depts, {d: len(r) for d, r in depts.items()}, {})
        withhold: set = set()
        found = disclosure.leaks(relations, contents, {"A", "B"}, top="ALL", withhold=withhold)
        again = disclosure.leaks(relations, contents, {"A", "B"}, rate_withheld=withhold)
        return found, withhold, again

    # nobody of A and B rated 4–5, their ratings differ: withholding the organisation's rate is enough
    assert run({"A": [1, 2], "B": [2, 3], "C": [1, 4, 5, 2, 3], "D": [4, 4, 1, 2, 5]}) == ([], {"ALL"}, [])
    # all of them said 不存在: the mean gives it away too, so the organisation's figure goes
    found, withhold, _ = run({"A": [1, 1], "B": [1, 1], "C": [1, 4, 5, 2, 3], "D": [4, 4, 1, 2, 5]})
    assert (found, withhold) == (["ALL"], set())


def test_the_random_tables_hold_both_narrow_and_wide_cells():
    found = [brute_narrow(*t) for t in (_random_table(random.Random(s)) for s in range(60))]
    assert sum(bool(f) for f in found) >= 10 and sum(not f for f in found) >= 10
