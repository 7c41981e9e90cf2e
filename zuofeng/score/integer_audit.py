"""The exact disclosure audit: what the published integers leave of each hidden cell's answers.

For one view and one key (an item, a dimension or the overall), every unit (a department, a division
pool, the organisation) has its answers n, the sum S of their ratings and, for an item, the count C of
4–5 ratings. A published unit gives all three away (mean × n, problem rate × n); its sheet count is
public anyway. What an attacker knows of a hidden unit is the set of integer solutions of

- the sum relations: the organisation is the sum of its departments, and of its pools and the
  departments outside a pool; a pool is the sum of its departments;
- the bounds: 0 ≤ n ≤ sheets (public), n ≤ S ≤ 5n, 0 ≤ C ≤ n, n + 3C ≤ S ≤ 3n + 2C (ratings are
  whole numbers 1–5, and a 4–5 rating adds at least 4, the others at most 3).

A hidden cell is **wide** when, over those solutions,

1. its sum S takes more than one value, and so does its mean S / n;
2. for an item, its count of 4–5 takes more than one value;
3. it is not pinned to unanimity: some solution has a rating above 1 (not "all said 不存在"), some a
   rating below 5, and for an item some a 4–5 rating and some a rating under 4 (not "none rated it 4–5"
   or "all did").

Its answer count n alone is not required to vary: where every rater of a group answered, n equals the
group's public sheet count, and no suppression short of hiding the organisation could make it vary.

The audit works per connected component of hidden units (units joined by a relation): the true
answers are one solution, and each further solution, found by maximising or minimising one quantity
of one cell (its linear relaxation first, :func:`scipy.optimize.linprog`; the integer programme,
:func:`scipy.optimize.milp`, only where the relaxation's optimum is not whole), shows values of every
cell at once. A cell whose every requirement some solution meets is wide; a cell for which an exact
optimum shows a requirement cannot be met is not. Both solvers are HiGHS. The constraint matrix of a
component depends only on which units are hidden, so items with the same hidden units share it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Unit = str
Content = tuple[float, float, float, float | None]   # answers n, sum S, sum of squares Q, count of 4–5 C
EPS = 1e-6

_N, _S, _C = 0, 1, 2   # the parts of a unit's variables: answers, sum of ratings, count of 4–5


class _Component:
    """The integer programme of one set of hidden units: variables (n, S[, C]) per unit, its rows."""

    def __init__(self, units: tuple[Unit, ...], rels: list[tuple[Unit, tuple[Unit, ...]]], caps: dict[Unit, float],
                 with_c: bool, rate_withheld: frozenset = frozenset()):
        self.units, self.with_c, self.rate_withheld = units, with_c, rate_withheld
        self.parts = 3 if with_c else 2
        nh = len(units)
        self.col = {u: i for i, u in enumerate(units)}
        self.nvar = nh * self.parts
        eq = []
        for parent, kids in rels:
            for part in self.parts_of(parent):
                row = np.zeros(self.nvar)
                for u, sign in [(parent, -1.0), *((c, 1.0) for c in kids)]:
                    if u in self.col:
                        row[self.idx(u, part)] += sign
                eq.append(row)
        self.a_eq = np.array(eq)
        ub = []
        hi = np.full(self.nvar, np.inf)
        for u in units:
            cap = caps.get(u, 0.0)
            hi[self.idx(u, _N)] = cap
            hi[self.idx(u, _S)] = 5 * cap
            ub.append({self.idx(u, _N): 1.0, self.idx(u, _S): -1.0})                        # n ≤ S
            ub.append({self.idx(u, _S): 1.0, self.idx(u, _N): -5.0})                        # S ≤ 5n
            if with_c:
                hi[self.idx(u, _C)] = cap
                ub.append({self.idx(u, _C): 1.0, self.idx(u, _N): -1.0})                    # C ≤ n
                ub.append({self.idx(u, _N): 1.0, self.idx(u, _C): 3.0, self.idx(u, _S): -1.0})   # n + 3C ≤ S
                ub.append({self.idx(u, _S): 1.0, self.idx(u, _N): -3.0, self.idx(u, _C): -2.0})  # S ≤ 3n + 2C
        self.a_ub = np.zeros((len(ub), self.nvar))
        for i, terms in enumerate(ub):
            for j, x in terms.items():
                self.a_ub[i, j] = x
        self.lo, self.hi = np.zeros(self.nvar), hi

    def parts_of(self, parent: Unit) -> range:
        """The sums a relation fixes: not the count of 4–5 where the parent's problem rate is withheld."""
        return range(2) if parent in self.rate_withheld else range(self.parts)

    def idx(self, u: Unit, part: int) -> int:
        return self.col[u] + len(self.units) * part

    def extreme(self, obj: np.ndarray, b_eq: np.ndarray) -> tuple[float, np.ndarray]:
        """The maximum of ``obj`` over the solutions (whole where :attr:`integral`) and one that reaches it:
        the relaxation's when it is whole already, else the integer programme's."""
        res = linprog(-obj, A_ub=self.a_ub, b_ub=np.zeros(len(self.a_ub)), A_eq=self.a_eq, b_eq=b_eq,
                      bounds=list(zip(self.lo, self.hi)), method="highs")
        if res.status != 0:
            raise RuntimeError(f"disclosure audit: the published sums have no solution ({res.message})")
        x = res.x
        whole = np.abs(x - np.round(x)) <= EPS
        if whole[self.integral].all():
            return -res.fun, x
        r2 = milp(-obj, constraints=[LinearConstraint(self.a_eq, b_eq, b_eq), LinearConstraint(self.a_ub, -np.inf, 0)],
                  integrality=self.integral.astype(int), bounds=Bounds(self.lo, self.hi))
        if r2.status != 0 or r2.x is None:
            raise RuntimeError(f"disclosure audit: the integer programme failed ({r2.message})")
        x = r2.x.copy()
        x[self.integral] = np.round(x[self.integral])
        return -r2.fun, x

    @property
    def integral(self) -> np.ndarray:
        mask = np.zeros(self.nvar, dtype=bool)
        mask[:len(self.units)] = True                  # answers are whole
        if self.with_c:
            mask[:] = True                             # an item's sum and count of 4–5 are whole too
        return mask


def components(relations: Iterable[tuple[Unit, tuple[Unit, ...]]], hidden: set[Unit]
               ) -> list[tuple[tuple[Unit, ...], list[tuple[Unit, tuple[Unit, ...]]]]]:
    """The connected sets of hidden units (joined by a relation that holds both), each with its relations."""
    root = {u: u for u in hidden}

    def find(u):
        while root[u] != u:
            root[u] = root[root[u]]
            u = root[u]
        return u

    rels = [(p, tuple(kids)) for p, kids in relations]
    touching = []
    for p, kids in rels:
        h = [u for u in (p, *kids) if u in hidden]
        if not h:
            continue
        touching.append((p, kids, h[0]))
        for u in h[1:]:
            root[find(u)] = find(h[0])
    out: dict[Unit, tuple[list[Unit], list]] = {}
    for u in sorted(hidden):
        out.setdefault(find(u), ([], []))[0].append(u)
    for p, kids, first in touching:
        out[find(first)][1].append((p, kids))
    return [(tuple(us), rs) for us, rs in out.values() if rs]


def narrow_cells(relations: Iterable[tuple[Unit, tuple[Unit, ...]]], contents: dict[Unit, Content],
                 hidden: set[Unit], sheets: dict[Unit, float], cache: dict | None = None,
                 rate_withheld: set[Unit] | frozenset = frozenset()) -> list[Unit]:
    """The hidden units with answers that are not wide (module docstring), in a fixed order.

    ``contents`` holds every unit's true (n, S, Q, C) (C None for a dimension or the overall: then S
    need not be whole and no count of 4–5 is audited); ``sheets`` the public sheet counts that cap n.
    ``cache`` (a dict kept across calls) holds the constraint matrices by component. ``rate_withheld``
    are published parents (the organisation) whose count of 4–5 is not published: their relations fix
    the answers and the sums of ratings only.
    """
    rate_withheld = frozenset(rate_withheld)
    cache = {} if cache is None else cache
    out: list[Unit] = []
    with_c = all(contents[u][3] is not None for u in contents)
    for units, rels in components(relations, hidden):
        if not any(contents[u][0] > 0 for u in units):
            continue
        key = (units, tuple(rels), with_c, tuple(sheets.get(u, 0) for u in units), rate_withheld)
        comp = cache.get(key)
        if comp is None:
            comp = cache[key] = _Component(units, rels, sheets, with_c, rate_withheld)
        out += _audit_component(comp, rels, contents)
    return sorted(out)


def _audit_component(comp: _Component, rels, contents) -> list[Unit]:
    b = []
    for parent, kids in rels:
        for part in comp.parts_of(parent):
            rhs = 0.0
            for u, sign in [(parent, -1.0), *((c, 1.0) for c in kids)]:
                if u not in comp.col:
                    rhs -= sign * float(contents[u][(0, 1, 3)[part]])
            b.append(rhs)
    b_eq = np.array(b)
    truth = np.zeros(comp.nvar)
    for u in comp.units:
        for part in range(comp.parts):
            truth[comp.idx(u, part)] = float(contents[u][(0, 1, 3)[part]])
    seen = [truth]

    def met(u, goal, x) -> bool:
        n, s = x[comp.idx(u, _N)], x[comp.idx(u, _S)]
        c = x[comp.idx(u, _C)] if comp.with_c else None
        t = truth
        if goal == "S":
            return abs(s - t[comp.idx(u, _S)]) > EPS
        if goal == "mean":
            tn, ts = t[comp.idx(u, _N)], t[comp.idx(u, _S)]
            return n > EPS and abs(s / n - ts / tn) > EPS
        if goal == "C":
            return abs(c - t[comp.idx(u, _C)]) > EPS
        return {"S-n": s - n, "5n-S": 5 * n - s, "C>0": c, "n-C": (n - c) if c is not None else 0.0}[goal] > EPS

    narrow = []
    for u in comp.units:
        if contents[u][0] <= 0:
            continue
        goals = ["S", "mean", "S-n", "5n-S"] + (["C", "C>0", "n-C"] if comp.with_c else [])
        ok = True
        for goal in goals:
            if any(met(u, goal, x) for x in seen):
                continue
            if not _push(comp, u, goal, b_eq, seen, met):
                ok = False
                break
        if not ok:
            narrow.append(u)
    return narrow


def _push(comp: _Component, u, goal, b_eq, seen, met) -> bool:
    """Look for a solution meeting ``goal`` for ``u`` by pushing its quantities both ways; record every
    solution found. False when the exact optima show none exists."""
    terms = {"S": [((_S, 1.0),), ((_S, -1.0),)], "mean": [((_S, 1.0),), ((_S, -1.0),), ((_N, 1.0),), ((_N, -1.0),)],
             "S-n": [((_S, 1.0), (_N, -1.0))], "5n-S": [((_N, 5.0), (_S, -1.0))],
             "C": [((_C, 1.0),), ((_C, -1.0),)], "C>0": [((_C, 1.0),)], "n-C": [((_N, 1.0), (_C, -1.0))]}[goal]
    for t in terms:
        obj = np.zeros(comp.nvar)
        for part, x in t:
            obj[comp.idx(u, part)] += x
        _, x = comp.extreme(obj, b_eq)
        seen.append(x)
        if met(u, goal, x):
            return True
    if goal == "mean":   # S and n at their extremes keep the mean: try the ratio's own extremes
        return _mean_moves(comp, u, b_eq, seen, met)
    return False


def _mean_moves(comp: _Component, u, b_eq, seen, met) -> bool:
    """Whether the mean S / n of ``u`` can leave its true value: maximise S − m·n and m·n − S (m the true
    mean), each > 0 exactly when a solution with another mean exists."""
    tn, ts = (float(seen[0][comp.idx(u, p)]) for p in (_N, _S))
    m = ts / tn
    for sign in (1.0, -1.0):
        obj = np.zeros(comp.nvar)
        obj[comp.idx(u, _S)] = sign
        obj[comp.idx(u, _N)] = -sign * m
        _, x = comp.extreme(obj, b_eq)
        seen.append(x)
        if met(u, "mean", x):
            return True
    return False


def to_hide(relations: Iterable[tuple[Unit, tuple[Unit, ...]]], contents: dict[Unit, Content], hidden: set[Unit],
            cell: Unit) -> Unit | None:
    """The published unit to hide next for a narrow hidden ``cell``, as :func:`.disclosure.leaks` chooses:
    the published parent of a relation that holds it, else the published unit with answers and the
    fewest of them among the relations that hold it."""
    rels = [(p, tuple(kids)) for p, kids in relations if cell == p or cell in kids]
    for p, kids in rels:
        if cell in kids and p not in hidden:
            return p
    options = {u for p, kids in rels for u in (p, *kids) if u not in hidden and contents[u][0] > 0}
    return min(options, key=lambda u: (contents[u][0], u)) if options else None
