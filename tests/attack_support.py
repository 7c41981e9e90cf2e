"""A differencing attacker on the published long table, written without the scorer's suppression code.

It knows what anyone holding the reports knows: every published row (value and n), the roster (which
department belongs to which division, so what each pool ``div:<name>`` sums), the public sheet counts,
the view weights in ``meta``, and that answers are whole ratings 1–5. From a published mean and n it
takes the sum of the ratings, from a published SD their sum of squares, from a published problem rate
the count of 4–5 ratings. Its paths:

- *sums*: the organisation minus the published departments, a division pool minus its published
  departments, the organisation minus the published pools and departments outside any division — all at
  once, as an integer programme per view and item (answer count n, sum of ratings S and count of 4–5
  ratings C of every hidden cell, with 0 ≤ n ≤ sheets, n ≤ S ≤ 5n, 0 ≤ C ≤ n, n + 3C ≤ S ≤ 3n + 2C),
  and as a linear programme for dimensions and the overall (respondent scores are means, not whole);
- *unanimous remainders*: where a published parent minus its published children leaves a remainder
  whose ratings are all alike (its sum of squares about its mean is 0, or its count of 4–5 is 0 or all
  of it), every hidden cell in it is known;
- *composite minus its views*: a published ``all`` figure with exactly one of its views hidden;
- *across views*: a published gap with exactly one of its two indices hidden;
- *across rounds*: a published change whose current figure is hidden;
- *across categories*: the organisation's sheet count of a view minus its published category counts.

A hidden cell is *recovered* when any path pins its answers: its mean, its count of 4–5 ratings, its
problem rate, or that all its raters gave one rating (所有人都选了“不存在”).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

VIEWS = ("self", "peer_inside", "peer_outside")
CATEGORY_ROWS = ("respondents_party", "respondents_non_party", "respondents_no_category")
EPS = 1e-6


class Published:
    """The published rows of one scores table, looked up by (unit, kind, level, key, statistic)."""

    def __init__(self, scores):
        t = scores.table
        t = t[~t["suppressed"].astype(bool) & t["value"].notna()]
        self.rows = {(r.department, r.kind, r.level, r.key, r.statistic): (float(r.value), r.n)
                     for r in t.itertuples(index=False)}
        allrows = scores.table
        self.hidden = {(r.department, r.kind, r.level, r.key, r.statistic)
                       for r in allrows[allrows["suppressed"].astype(bool)].itertuples(index=False)}
        d = scores.departments
        head = dict(zip(d["code"].astype(str), d["headcount"].astype(int)))
        total = sum(head.values())
        sheets = allrows[(allrows["statistic"] == "respondents") & (allrows["level"] == "overall")]
        # a sheet count is public; where a table hides it, the roster's headcount caps it (the whole
        # organisation's for the outside view and for a pool or ALL)
        self.sheets = {(r.department, r.kind): int(r.value) if pd.notna(r.value) else
                       (head.get(r.department, total) if r.kind in ("self", "peer_inside") else 3 * total)
                       for r in sheets.itertuples(index=False)}
        self.codes = [str(c) for c in d["code"]]
        members: dict[str, list[str]] = {}
        for c, div in zip(d["code"], d["division"]):
            if isinstance(div, str) and div:
                members.setdefault(div, []).append(str(c))
        units = set(allrows["department"])   # the pools the table publishes (a table without them has none)
        self.pools = {f"div:{k}": v for k, v in members.items() if len(v) >= 2 and f"div:{k}" in units}
        pooled = {c for v in self.pools.values() for c in v}
        self.top = [*self.pools, *[c for c in self.codes if c not in pooled]]
        self.meta = scores.meta

    def get(self, *key):
        return self.rows.get(key)

    def relations(self) -> list[tuple[str, list[str]]]:
        """Parent unit → the units it sums (per view)."""
        rels = [("ALL", list(self.codes))]
        rels += [(p, list(m)) for p, m in self.pools.items()]
        if self.pools:
            rels.append(("ALL", list(self.top)))
        return rels


def _figure(pub: Published, unit, kind, level, key):
    """(n, S, Q, C) of a published figure: answers, sum, sum of squares, count of 4–5 (None if not published)."""
    m = pub.get(unit, kind, level, key, "mean")
    if m is None or pd.isna(m[1]):
        return None
    mean, n = m[0], float(m[1])
    sd = pub.get(unit, kind, level, key, "sd")
    q = None if sd is None or n < 2 else (n - 1) * sd[0] ** 2 + n * mean ** 2
    pr = pub.get(unit, kind, level, key, "problem_rate")
    c = None if pr is None else round(pr[0] * n)
    return n, mean * n, q, c


def _hidden_cells(pub: Published, kind, level, key) -> list[str]:
    return [u for u in (*pub.codes, *pub.pools) if pub.sheets.get((u, kind), 0) > 0
            and _figure(pub, u, kind, level, key) is None]


def _bounds_attack(pub: Published, kind, level, key, integer: bool) -> set[str]:
    """Hidden units whose mean, count of 4–5, rate or unanimity the sum relations pin down."""
    units = ["ALL", *pub.pools, *pub.codes]
    hidden = [u for u in units if pub.sheets.get((u, kind), 0) > 0 and _figure(pub, u, kind, level, key) is None]
    if not hidden:
        return set()
    known = {u: _figure(pub, u, kind, level, key) for u in units}
    col = {u: i for i, u in enumerate(hidden)}
    nh = len(hidden)
    with_c = integer   # counts of 4–5 only for items
    nvar = nh * (3 if with_c else 2)          # n, S[, C] per hidden unit

    def idx(u, part):
        return col[u] + nh * part

    a_eq, b_eq = [], []
    for parent, kids in pub.relations():
        parts = range(3 if with_c else 2)
        for part in parts:
            row = np.zeros(nvar)
            rhs = 0.0
            ok = True
            for u, sign in [(parent, -1.0), *((k, 1.0) for k in kids)]:
                if pub.sheets.get((u, kind), 0) == 0:
                    continue
                if u in col:
                    row[idx(u, part)] += sign
                else:
                    f = known[u]
                    if f is None:
                        ok = False
                        break
                    v = [f[0], f[1], f[3]][part]
                    if v is None:
                        ok = False
                        break
                    rhs -= sign * v
            if ok and row.any():
                a_eq.append(row)
                b_eq.append(rhs)
    if not a_eq:
        return set()
    a_ub, b_ub = [], []
    lo = np.zeros(nvar)
    hi = np.full(nvar, np.inf)
    for u in hidden:
        cap = pub.sheets[(u, kind)]
        hi[idx(u, 0)] = cap
        hi[idx(u, 1)] = 5 * cap
        r = np.zeros(nvar); r[idx(u, 0)] = 1; r[idx(u, 1)] = -1; a_ub.append(r); b_ub.append(0)      # n ≤ S
        r = np.zeros(nvar); r[idx(u, 1)] = 1; r[idx(u, 0)] = -5; a_ub.append(r); b_ub.append(0)      # S ≤ 5n
        if with_c:
            hi[idx(u, 2)] = cap
            r = np.zeros(nvar); r[idx(u, 2)] = 1; r[idx(u, 0)] = -1; a_ub.append(r); b_ub.append(0)  # C ≤ n
            r = np.zeros(nvar); r[idx(u, 0)] = 1; r[idx(u, 2)] = 3; r[idx(u, 1)] = -1
            a_ub.append(r); b_ub.append(0)                                                             # n + 3C ≤ S
            r = np.zeros(nvar); r[idx(u, 1)] = 1; r[idx(u, 0)] = -3; r[idx(u, 2)] = -2
            a_ub.append(r); b_ub.append(0)                                                             # S ≤ 3n + 2C
    a_eq, b_eq, a_ub, b_ub = map(np.array, (a_eq, b_eq, a_ub, b_ub))

    def extreme(obj, sense):
        res = linprog(sense * obj, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=list(zip(lo, hi)),
                      method="highs")
        if res.status == 2:   # the published figures always have a solution: a wrong model, not safety
            raise AssertionError(f"the attacker's equations for {kind} {level} {key} have no solution")
        if res.status != 0:
            return None
        val = sense * res.fun
        if integer and abs(val - round(val)) > EPS:   # a fractional extreme: ask the integer programme
            cons = [LinearConstraint(a_eq, b_eq, b_eq), LinearConstraint(a_ub, -np.inf, b_ub)]
            r2 = milp(sense * obj, constraints=cons, integrality=np.ones(nvar), bounds=Bounds(lo, hi))
            if r2.status == 0:
                val = sense * r2.fun
        return val

    out = set()
    for u in hidden:
        if u == "ALL":
            continue
        objs = {}
        for name, terms in (("n", {0: 1}), ("S", {1: 1}), ("S-n", {1: 1, 0: -1}), ("5n-S", {0: 5, 1: -1}),
                            *((("C", {2: 1}), ("n-C", {0: 1, 2: -1})) if with_c else ())):
            obj = np.zeros(nvar)
            for part, x in terms.items():
                obj[idx(u, part)] = x
            objs[name] = (extreme(obj, 1.0), extreme(obj, -1.0))
        (n0, n1), (s0, s1) = objs["n"], objs["S"]
        if None in (n0, n1, s0, s1):
            continue
        if n1 < 1 - EPS:
            continue   # nobody answered: a known zero, nothing to disclose
        pinned = (n1 - n0 < EPS and s1 - s0 < EPS)                         # the mean
        pinned |= objs["S-n"][1] < EPS or objs["5n-S"][1] < EPS              # all 1 (不存在) or all 5
        if with_c:
            (c0, c1), (_, nc1) = objs["C"], objs["n-C"]
            pinned |= c1 - c0 < EPS or c1 < EPS or nc1 < EPS                  # count of 4–5, rate 0 or 1
        if pinned:
            out.add(u)
    return out


def _unanimous_remainders(pub: Published, kind, level, key) -> set[str]:
    """Hidden cells inside a remainder (published parent − published children) whose ratings are all alike."""
    out = set()
    for parent, kids in pub.relations():
        p = _figure(pub, parent, kind, level, key)
        if p is None or p[2] is None:
            continue
        n, s, q = p[0], p[1], p[2]
        hidden = []
        for k in kids:
            f = _figure(pub, k, kind, level, key)
            if f is None:
                if pub.sheets.get((k, kind), 0) > 0:
                    hidden.append(k)
                continue
            if f[2] is None:
                if f[0] > 0:
                    hidden = []
                    break
                continue
            n, s, q = n - f[0], s - f[1], q - f[2]
        if hidden and n > 0.5 and q - s * s / n < 1e-6 * max(1.0, q):
            out.update(hidden)
    return out


def _composite(pub: Published) -> set[tuple]:
    w = pub.meta.get("view_weights") or {v: 1.0 for v in VIEWS}
    out = set()
    for (u, kind, level, key, stat) in list(pub.rows):
        if kind != "all" or stat != "mean" or level == "evaluation":
            continue
        views = [v for v in VIEWS if float(w.get(v, 0)) > 0 and pub.sheets.get((u, v), 0) > 0]
        hidden = [v for v in views if pub.get(u, v, level, key, "mean") is None]
        if len(hidden) == 1:
            out.add((u, hidden[0], level, key))
    return out


def _across_views_and_rounds(pub: Published) -> set[tuple]:
    out = set()
    for (u, kind, level, key, stat) in list(pub.rows):
        if stat == "gap" and kind in VIEWS:
            sides = [(u, "self"), (u, kind)]
            hid = [s for s in sides if pub.get(s[0], s[1], level, key, "index") is None]
            if len(hid) == 1:
                out.add((*hid[0], level, key))
        if stat == "change" and pub.get(u, kind, level, key, "index") is None:
            out.add((u, kind, level, key))
    return out


def _categories(pub: Published) -> set[tuple]:
    out = set()
    for kind in (*VIEWS, "all"):
        if pub.get("ALL", kind, "overall", "overall", "respondents") is None:
            continue
        hidden = [c for c in CATEGORY_ROWS if pub.get("ALL", kind, "overall", "overall", c) is None
                  and ("ALL", kind, "overall", "overall", c) in pub.hidden]
        if len(hidden) == 1:
            out.add(("ALL", kind, "category", hidden[0]))
    return out


def attack(scores, levels=("item", "dimension", "overall")) -> set[tuple]:
    """Every hidden (unit, kind, level, key) the paths above recover from one round's published table."""
    pub = Published(scores)
    keys = {lv: sorted({k for (_, _, l2, k, _) in (*pub.rows, *pub.hidden) if l2 == lv}) for lv in levels}
    out: set[tuple] = set()
    for level in levels:
        for key in keys[level]:
            for kind in VIEWS:
                for u in _bounds_attack(pub, kind, level, key, integer=(level == "item")):
                    out.add((u, kind, level, key))
                for u in _unanimous_remainders(pub, kind, level, key):
                    out.add((u, kind, level, key))
    out |= {c for c in _composite(pub) if c[2] in levels}
    out |= {c for c in _across_views_and_rounds(pub) if c[2] in levels}
    out |= _categories(pub)
    return out


def under_k(scores, recovered: set[tuple]) -> set[tuple]:
    """The recovered cells whose group has fewer than k sheets."""
    pub = Published(scores)
    k = int(scores.meta["k_min"])
    return {c for c in recovered if c[2] != "category" and 0 < pub.sheets.get((c[0], c[1]), 0) < k}
