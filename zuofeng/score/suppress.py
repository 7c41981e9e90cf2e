"""Small-group suppression: which cells of the department × kind × category table may be published.

A *cell* is ``(unit, kind, category)``: unit a department code, ``ALL`` (the organisation) or a
division (internal, ``div:<name>``); kind ``self``, ``peer_inside``, ``peer_outside`` or ``all``
(their sum); category ``党员``, ``非党员``, ``未填`` (left blank) or ``*`` (their sum; category counts
are published for the organisation only). Every parent is the sum of its children along one
dimension, so published counts and sums can be subtracted from each other. The rule (the round's k):

1. suppress every cell with 0 < n < k (a cell with n = 0 describes nobody and is published as 0);
2. within every published parent — the organisation, a division (when the roster has them), a
   department's or the organisation's kind total, the organisation's category total — the
   suppressed children (n > 0) must be none, or at least two with a combined n ≥ k; otherwise also
   suppress the smallest unsuppressed child and repeat;
3. a suppressed parent needs at least one suppressed child, or it could be rebuilt from them; and a
   suppressed organisation × kind hides its category counts too;
4. finally an audit solves the whole system of sums: any suppressed
   cell that the published cells still determine exactly (possible in multi-way tables even when
   every line obeys 2.) gets a neighbour suppressed as well, and the rule runs again.

The same cell set protects every figure derived from a cell (counts, sums, means, variances),
because each of them adds up along the same relations. But k counts the answers behind a figure, not
just the sheets: an item that most of a group left at 不了解 rests on fewer answers than the group has
sheets. So every score figure (item, dimension, overall) also gets its own cells, counting its own
answers, and the same rule within each group across items and dimensions
(:func:`suppress_figures`); :func:`figure_notes` then decides, row by row of the long table, what may
be published. Every output (reports, ``zuofeng score``, the snapshot, the export) reads that table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import ThreadpoolController

from ..axes import BLANK_CATEGORY, KINDS, VIEWS, kind_label
from ..axes import CATEGORIES as _CATEGORIES
from . import disclosure, integer_audit
from .rowkeys import distinct_rows

CATEGORIES = (*_CATEGORIES, BLANK_CATEGORY)
TOTAL = "*"
ALL = "ALL"
N_LT_K = "n<k"
COMPLEMENTARY = "complementary"
#: The one reason the published suppression frame gives: whether a cell was under k or hidden beside
#: one is not said (a reason that told them apart would say on which side of k a hidden count lies).
PROTECTED = "protected"
#: Rows of the long table that are counts about ballots and staff, not answers: the sheets returned
#: (respondents), the headcount and their ratio. They are public for every group, however small, as
#: ballots issued and returned are counted in public in 民主测评; what k protects is the answers.
PUBLIC_COUNTS = ("respondents", "headcount", "coverage")

Cell = tuple[str, str, str]


class Relation(NamedTuple):   # a plain tuple: a round builds tens of thousands of them
    """A parent cell that is the sum of its children."""

    parent: Cell
    children: tuple[Cell, ...]
    cascade: bool = False  # a suppressed parent hides every child (department × kind → its categories)


@dataclass
class Suppression:
    """The outcome: counts of every cell, the reasons of the suppressed ones, the internal cells."""

    k: int
    counts: dict[Cell, int]
    reasons: dict[Cell, str] = field(default_factory=dict)
    internal: frozenset = frozenset()
    scope: str = "answers"  # what the counts count: answer sheets, or valid evaluation votes ("votes")

    def suppressed(self, unit: str, kind: str, category: str = TOTAL) -> bool:
        return (unit, kind, category) in self.reasons

    def reason(self, unit: str, kind: str, category: str = TOTAL) -> str | None:
        return self.reasons.get((unit, kind, category))

    def published(self, unit: str, kind: str, category: str = TOTAL) -> bool:
        return (unit, kind, category) not in self.reasons

    def frame(self, skip: set | frozenset = frozenset()) -> pd.DataFrame:
        """One row per suppressed public cell (minus ``skip``): department, kind, category (None = the
        whole group), n (always empty here: the sheet counts are in the table), reason (always
        :data:`PROTECTED`: n<k and complementary are not told apart), scope."""
        rows = [
            {"department": u, "kind": v, "category": None if c == TOTAL else c, "n": pd.NA, "reason": PROTECTED,
             "scope": self.scope}
            for (u, v, c) in self.reasons if (u, v, c) not in self.internal and (u, v, c) not in skip
        ]
        df = pd.DataFrame(rows, columns=["department", "kind", "category", "n", "reason", "scope"])
        df["n"] = df["n"].astype("Int64")
        order = {v: i for i, v in enumerate(KINDS)}
        df["_u"] = df["department"].eq(ALL)
        df["_k"] = df["kind"].map(order)
        df["_c"] = df["category"].isna()
        return (df.sort_values(["_u", "department", "_k", "_c", "category"], ascending=[False, True, True, False, True])
                .drop(columns=["_u", "_k", "_c"]).reset_index(drop=True))


def division_unit(name: str) -> str:
    return f"div:{name}"


POOL_PREFIX = "div:"


def is_pool(unit) -> bool:
    """Whether a unit code of the long table is a division pool (归口), ``div:<name>``."""
    return isinstance(unit, str) and unit.startswith(POOL_PREFIX)


def division_pools(departments: pd.DataFrame) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The division pools (归口) a round publishes: unit ``div:<name>`` → (name, its department codes).

    A department's figure hidden below k is reported as part of its division's pool, which is itself a
    group under the same rule (suppressed below k, protected by complementary suppression). Only a
    division of at least two departments is a pool: the pool of one department is that department.

    >>> import pandas as pd
    >>> division_pools(pd.DataFrame({"code": ["A", "B", "C"], "division": ["x", "x", "y"]}))
    {'div:x': ('x', ('A', 'B'))}
    """
    members: dict[str, list[str]] = {}
    for code, div in zip(departments["code"].tolist(), departments["division"].tolist()):
        if isinstance(div, str) and div.strip():
            members.setdefault(div, []).append(str(code))
    return {division_unit(d): (d, tuple(m)) for d, m in sorted(members.items()) if len(m) >= 2}


@dataclass(frozen=True)
class Cells:
    """The cell system: counts, the sum relations, and the internal cells (divisions) that the rule
    treats as parents but that are never published themselves; ``by_cell`` lists each cell's relations."""

    counts: dict[Cell, int]
    relations: list[Relation]
    internal: frozenset
    by_cell: dict[Cell, list[Relation]]


class CellLayout:
    """The cells of a roster and the sum relations between them, without counts.

    Every count that splits like the answer sheets (the sheets, the evaluation votes, the answers
    behind each score figure) shares one layout: :meth:`cells` only adds its counts. Parameters as for
    :func:`build_cells`.
    """

    def __init__(self, departments: pd.DataFrame, categories: bool = True):
        codes = departments["code"].tolist()
        div_of = {c: d for c, d in zip(codes, departments["division"].tolist()) if isinstance(d, str) and d}
        divisions = sorted(set(div_of.values()))
        div_units = [division_unit(d) for d in divisions]
        units = [ALL, *div_units, *codes]
        cats = CATEGORIES if categories else ()
        members = {division_unit(d): [c for c in codes if div_of.get(c) == d] for d in divisions}
        top = div_units + [c for c in codes if c not in div_of]

        # the cells, in a fixed order: department × view, the organisation's and divisions' views (with
        # the organisation's categories), then every unit's kind total
        def split(u):
            return (*cats, TOTAL) if u == ALL else (TOTAL,)
        self.keys: list[Cell] = [(code, v, TOTAL) for code in codes for v in VIEWS]
        self.keys += [(u, v, c) for u in [ALL, *div_units] for v in VIEWS for c in split(u)]
        self.keys += [(u, "all", c) for u in units for c in split(u)]
        # a cell's count is the sum of its unit's departments' leaf counts over its kind's views and its
        # category (or all categories): unit × department sums, then a (kind, category) column
        unit_row = {u: i for i, u in enumerate(units)}
        rows = [0] * len(codes) + [unit_row[u] for u in div_units for _ in members[u]] + [unit_row[c] for c in codes]
        cols = [*range(len(codes)), *(codes.index(c) for u in div_units for c in members[u]), *range(len(codes))]
        self._unit_sums = sparse.csr_matrix((np.ones(len(rows), np.int64), (rows, cols)),
                                            shape=(len(units), len(codes)))
        column = {(kd, c): i * 4 + j for i, kd in enumerate(KINDS) for j, c in enumerate((*CATEGORIES, TOTAL))}
        self._rows = np.array([unit_row[u] for u, _, _ in self.keys], dtype=np.intp)
        self._cols = np.array([column[(kd, c)] for _, kd, c in self.keys], dtype=np.intp)
        self._leaf = {(code, v, c): (i * len(VIEWS) + j) * len(CATEGORIES) + m for i, code in enumerate(codes)
                      for j, v in enumerate(VIEWS) for m, c in enumerate(CATEGORIES)}
        self._n_codes = len(codes)

        rel: list[Relation] = []
        for u in units:  # kinds within each unit
            rel.append(Relation((u, "all", TOTAL), ((u, VIEWS[0], TOTAL), (u, VIEWS[1], TOTAL), (u, VIEWS[2], TOTAL))))
        for v in KINDS:  # units: organisation → divisions (or departments) → departments
            rel.append(Relation((ALL, v, TOTAL), tuple((t, v, TOTAL) for t in top)))
            for du in div_units:
                rel.append(Relation((du, v, TOTAL), tuple((d, v, TOTAL) for d in members[du])))
            if div_units:  # the organisation is also the sum of its departments: a hidden division alone
                rel.append(Relation((ALL, v, TOTAL), tuple((d, v, TOTAL) for d in codes)))  # does not protect
        if cats:
            for v in KINDS:  # the organisation's categories
                rel.append(Relation((ALL, v, TOTAL), tuple((ALL, v, c) for c in cats), cascade=True))
            for c in cats:
                rel.append(Relation((ALL, "all", c), tuple((ALL, v, c) for v in VIEWS)))
        self.relations = rel
        # a division of one department is no pool (it is that department): it stays internal
        self.internal = frozenset(cell for cell in self.keys if cell[0] in div_units and len(members[cell[0]]) < 2)
        self.by_cell: dict[Cell, list[Relation]] = {}
        for r in rel:
            for c in (r.parent, *r.children):
                self.by_cell.setdefault(c, []).append(r)

    def cells(self, leaf_counts: dict[tuple[str, str, str], int]) -> Cells:
        """The cell system with the counts of ``leaf_counts`` ((department, view, category) → count)."""
        leaves = np.zeros(len(self._leaf), dtype=np.int64)
        at = [(self._leaf.get(key), n) for key, n in leaf_counts.items()]
        leaves[[i for i, _ in at if i is not None]] = [int(n) for i, n in at if i is not None]
        per = leaves.reshape(self._n_codes, len(VIEWS), len(CATEGORIES))
        per = np.concatenate([per, per.sum(axis=2, keepdims=True)], axis=2)   # + the category total
        per = np.concatenate([per, per.sum(axis=1, keepdims=True)], axis=1)   # + the kind total (all)
        sums = self._unit_sums @ per.reshape(self._n_codes, -1)
        counts = dict(zip(self.keys, sums[self._rows, self._cols].tolist()))
        return Cells(counts, self.relations, self.internal, self.by_cell)


def build_cells(leaf_counts: dict[tuple[str, str, str], int], departments: pd.DataFrame,
                categories: bool = True) -> Cells:
    """All cells with their counts, and the sum relations between them.

    ``leaf_counts`` maps (department, view, category) to a count; ``departments`` has ``code`` and
    ``division`` (None where the roster has no divisions). Category counts are published for the
    organisation only: per department they would be groups far below k whose protection would hide
    whole departments. The unpublished department × category counts need no cells: as free unknowns
    between published row and column totals they imply nothing beyond ``Σ rows = Σ columns``, which
    its relations already state. With ``categories=False`` there are no category cells at all
    (the evaluation votes, which are not split by category). Several counts over one roster share a
    :class:`CellLayout` instead.
    """
    return CellLayout(departments, categories).cells(leaf_counts)


def _apply_rule(counts: dict[Cell, int], relations: list[Relation], k: int, reasons: dict[Cell, str]) -> None:
    changed = True
    while changed:
        changed = False
        for rel in relations:
            kids = rel.children
            if rel.parent not in reasons and reasons.keys().isdisjoint(kids):
                continue   # nothing hidden here: the rule has nothing to do
            hidden = [c for c in kids if c in reasons and counts[c] > 0]
            live = [c for c in kids if c not in reasons and counts[c] > 0]
            if rel.parent in reasons:
                if rel.cascade:
                    for c in kids:
                        if c not in reasons:
                            reasons[c] = reasons[rel.parent] if counts[c] < k else COMPLEMENTARY
                            changed = True
                elif not hidden and live:
                    reasons[min(live, key=lambda c: counts[c])] = COMPLEMENTARY
                    changed = True
                continue
            if hidden and (len(hidden) < 2 or sum(counts[c] for c in hidden) < k):
                if live:
                    reasons[min(live, key=lambda c: counts[c])] = COMPLEMENTARY
                else:
                    reasons[rel.parent] = COMPLEMENTARY
                changed = True


def _least_loss(counts: dict[Cell, int], relations: list[Relation], k: int, reasons: dict[Cell, str],
                never: frozenset | set, free_totals: bool = True, memo: Memo | None = None) -> None:
    """Complementary suppression with the least information loss: the set of extra cells to hide that
    satisfies the rule (step 2 and 3 of the module docstring) in every relation at once and hides the
    fewest answers (then the fewest cells), as τ-ARGUS and sdcTable choose them, instead of the smallest
    child of one relation after another. A mixed-integer programme (HiGHS through
    ``scipy.optimize.milp``); the chosen cells are added to ``reasons`` as complementary.

    Variables: y_c = 1 when cell c is hidden (fixed to 1 for the cells already hidden; cells of count 0
    are published zeros; an internal cell, a division of one department, stands for that department's
    cell), z_R = 1 when relation R has a
    hidden child. For each relation with parent p and children C (count > 0): y_c ≤ z_R;
    Σ y_c ≥ 2 z_R − 2 y_p and Σ n_c y_c ≥ k z_R − k y_p (a published parent has no hidden child, or at
    least two holding k answers together); Σ y_c ≥ y_p (a hidden parent takes a child with it); and for
    a cascading relation y_c ≥ y_p. Objective: Σ (n_c + 1/(1 + N)) y_c, N the total count, where n_c is 0
    for a unit's kind total (``all``) once one of the unit's views is hidden: its figures are then
    hidden anyway (a weighted mean of the views, published only when every view is,
    :func:`suppress_figures` step 3) and its count is public, so hiding it loses nothing, whereas hiding a
    view instead (often the unit's outside view, the headline figure of 互评) would. With
    ``free_totals=False`` every cell costs its count. ``memo`` keeps the programmes solved before
    (:class:`Memo`).
    """
    # an internal cell (a division of one department) is that department's cell under another name:
    # its own relation is an identity, and elsewhere it stands for the department
    alias = {rel.parent: rel.children[0] for rel in relations if rel.parent in never and len(rel.children) == 1}
    live = [c for c, n in counts.items() if n > 0 and c not in never]
    if not any(c in reasons for c in live):
        return
    index = {c: i for i, c in enumerate(live)}
    rels = []
    for rel in relations:
        if rel.parent in alias:
            continue
        kids = [index[alias.get(c, c)] for c in rel.children if alias.get(c, c) in index]
        if kids:
            rels.append((index.get(alias.get(rel.parent, rel.parent)), kids, rel.cascade))
    fixed = [c in reasons for c in live]
    n = [counts[c] for c in live]
    total = float(sum(n))
    lost = _view_hidden(reasons) if free_totals else set()
    loss = [0 if _free(c, lost) else counts[c] for c in live]
    # A relation whose hidden children are two or more with k answers together, or whose hidden parent
    # has a hidden child, holds whatever else is hidden (unless it cascades): it is left out. A relation
    # without a hidden cell holds too, and it matters only once the programme hides one of its cells:
    # so the programme starts from the relations that touch a hidden cell and takes in the relations of
    # every cell it chooses to hide, until it hides no cell outside them. Its optimum is then the
    # optimum of the whole (the whole optimum, cut to these relations, obeys them and costs no more).
    active = [i for i, (p, kids, cascade) in enumerate(rels) if cascade or not _holds_anyway(p, kids, fixed, n, k)]
    of_cell: dict[int, list[int]] = {}
    for i in active:
        p, kids, _ = rels[i]
        for c in (*kids, *(() if p is None else (p,))):
            of_cell.setdefault(c, []).append(i)
    chosen = {c for c, f in enumerate(fixed) if f}
    taken = {i for c in chosen for i in of_cell.get(c, ())}
    if all(_holds(rels[i], fixed, n, k) for i in taken):
        return   # the cells hidden already obey every relation: the least loss adds nothing (costs are > 0)
    while True:
        x = (memo or Memo()).programme([rels[i] for i in sorted(taken)], fixed, n, loss, k, total)
        if x is None:   # cannot happen (hiding every cell is feasible); keep the greedy rule then
            _apply_rule(counts, relations, k, reasons)
            return
        more = {i for c in x for i in of_cell.get(c, ())} - taken
        if not more:
            break
        taken |= more
    for c in sorted(x):
        cell = live[c]
        if cell not in reasons and cell not in never:
            reasons[cell] = COMPLEMENTARY


def _holds_anyway(p, kids, fixed, n, k) -> bool:
    h = [c for c in kids if fixed[c]]
    return (len(h) >= 2 and sum(n[c] for c in h) >= k) or (p is not None and fixed[p] and bool(h))


def _holds(rel, hidden, n, k) -> bool:
    """Whether a relation obeys the rule with exactly the cells ``hidden`` hidden."""
    p, kids, cascade = rel
    yp = p is not None and hidden[p]
    h = [c for c in kids if hidden[c]]
    if not h:
        return not yp
    if yp:
        return not cascade or len(h) == len(kids)
    return len(h) >= 2 and sum(n[c] for c in h) >= k


def _least_loss_programme(rels, fixed, n, loss, k, total) -> set[int] | None:
    """The programme of :func:`_least_loss` over these relations and their cells (``n`` their counts, ``loss``
    what hiding each costs); the cells it hides."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    used = sorted({c for p, kids, _ in rels for c in (*kids, *(() if p is None else (p,)))})
    at = {c: j for j, c in enumerate(used)}
    nv = len(used) + len(rels)
    rows, cols, vals, lo = [], [], [], []

    def add(terms):
        r = len(lo)
        for j, x in terms:
            rows.append(r)
            cols.append(j)
            vals.append(x)
        lo.append(0.0)

    for i, (p, kids, cascade) in enumerate(rels):
        z = len(used) + i
        kids = [at[c] for c in kids]
        p = None if p is None else at[p]
        for c in kids:
            add([(z, 1.0), (c, -1.0)])                                       # z ≥ y_c
        par = [] if p is None else [(p, 2.0)]
        add([(c, 1.0) for c in kids] + [(z, -2.0)] + par)                     # Σ y ≥ 2z − 2y_p
        par = [] if p is None else [(p, float(k))]
        add([(c, float(n[used[c]])) for c in kids] + [(z, -float(k))] + par)  # Σ n y ≥ kz − k y_p
        if p is not None:
            add([(c, 1.0) for c in kids] + [(p, -1.0)])                       # Σ y ≥ y_p
            if cascade:
                for c in kids:
                    add([(c, 1.0), (p, -1.0)])                                # y_c ≥ y_p
    cost = np.zeros(nv)
    cost[:len(used)] = [loss[c] + 1.0 / (1.0 + total) for c in used]
    lower = np.zeros(nv)
    lower[[j for j, c in enumerate(used) if fixed[c]]] = 1.0
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(lo), nv))
    res = milp(cost, constraints=LinearConstraint(a, lo, np.inf), integrality=np.ones(nv), bounds=Bounds(lower, 1.0))
    if res.x is None:
        return None
    return {c for j, c in enumerate(used) if res.x[j] > 0.5}


class Memo:
    """Solutions already found, for the many suppressions of one round (:func:`suppress_figures` runs one
    per score key, and again for the keys that gain hidden figures), which meet the same programmes and
    audits again: the same answer counts of a key in both passes of :func:`suppress`, and the same hidden
    cells of one layout for several keys. A solution is reused only for the same problem, so the outcome
    is the one solving it again would give.

    - :meth:`programme`: a least-loss programme (:func:`_least_loss_programme`) depends on its relations,
      the counts, costs and hidden state of their cells, k and the total: with all of them equal the
      model handed to HiGHS is the same, and so is its solution.
    - :meth:`determined`: :func:`determined_cells` depends on the relations and the unknown cells only.
    """

    def __init__(self):
        self._programmes: dict = {}
        self._determined: dict = {}

    def programme(self, rels, fixed, n, loss, k, total) -> set[int] | None:
        used = sorted({c for p, kids, _ in rels for c in (*kids, *(() if p is None else (p,)))})
        key = (tuple((p, tuple(kids), cascade) for p, kids, cascade in rels),
               tuple((c, fixed[c], n[c], loss[c]) for c in used), k, total)
        if key not in self._programmes:
            self._programmes[key] = _least_loss_programme(rels, fixed, n, loss, k, total)
        x = self._programmes[key]
        return None if x is None else set(x)

    def determined(self, counts, relations: list[Relation], unknown: set[Cell]) -> set[Cell]:
        key = (id(relations), frozenset(unknown))
        if key not in self._determined:   # the relations are kept with the key: their id stays theirs
            self._determined[key] = (relations, frozenset(determined_cells(counts, relations, unknown)))
        return set(self._determined[key][1])


def determined_cells(counts: dict[Cell, int], relations: list[Relation], unknown: set[Cell]) -> set[Cell]:
    """The unknown cells whose value the known cells fix exactly through the sum relations.

    Solves ``parent − Σ children = 0`` for the unknown cells of each connected block: a cell is
    determined when every vector of the null space of the block's coefficient matrix is 0 there.
    """
    parent_of = {c: c for c in unknown}

    def find(c):
        while parent_of[c] != c:
            parent_of[c] = parent_of[parent_of[c]]
            c = parent_of[c]
        return c

    rows = []
    for rel in relations:
        cells = [rel.parent, *rel.children]
        unk = [c for c in cells if c in unknown]
        if not unk:
            continue
        rows.append(rel)
        for c in unk[1:]:
            a, b = find(unk[0]), find(c)
            if a != b:
                parent_of[a] = b
    blocks: dict[Cell, list[Cell]] = {}
    for c in unknown:
        blocks.setdefault(find(c), []).append(c)
    rel_of_block: dict[Cell, list[Relation]] = {}
    for rel in rows:
        first = next(c for c in (rel.parent, *rel.children) if c in unknown)
        rel_of_block.setdefault(find(first), []).append(rel)
    out: set[Cell] = set()
    # the blocks are small (tens of cells): a BLAS that splits them over threads spends more time waking
    # and waiting for its threads than computing, several times more on a busy machine, so one thread
    with _one_blas_thread():
        for root, cells in blocks.items():
            rels = rel_of_block.get(root, [])
            if not rels:
                continue
            col = {c: i for i, c in enumerate(cells)}
            a = np.zeros((len(rels), len(cells)))
            for i, rel in enumerate(rels):
                if rel.parent in col:
                    a[i, col[rel.parent]] -= 1
                for c in rel.children:
                    if c in col:
                        a[i, col[c]] += 1
            _, s, vt = np.linalg.svd(a)
            rank = int((s > 1e-9 * max(a.shape)).sum())
            null = vt[rank:]
            for c, i in col.items():
                if null.shape[0] == 0 or np.abs(null[:, i]).max() < 1e-9:
                    out.add(c)
    return out


_BLAS: list[ThreadpoolController] = []


def _one_blas_thread():
    """A context that runs BLAS on one thread. The controller is made once: making one reads the process's
    loaded libraries (several ms), limiting with it does not."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def suppress(cells: Cells, k: int, initial: dict[Cell, str] | None = None, memo: Memo | None = None) -> Suppression:
    """Apply the rule and the audit until no suppressed cell can be recovered; see the module docstring.

    ``initial`` holds cells that must be suppressed anyway (with their reasons), e.g. the evaluation
    cells of groups whose answers are suppressed. ``memo`` (:class:`Memo`) shares solutions between
    the suppressions of one round.
    """
    memo = Memo() if memo is None else memo
    counts = cells.counts
    reasons: dict[Cell, str] = {c: r for c, r in (initial or {}).items() if c in counts and counts[c] > 0}
    reasons.update({c: N_LT_K for c, n in counts.items() if 0 < n < k})
    chosen, patched = _suppress_pass(cells, k, dict(reasons), free_totals=True, memo=memo)
    if patched:   # the audit had to hide more than the programme chose: the free totals may have misled it
        other, _ = _suppress_pass(cells, k, dict(reasons), free_totals=False, memo=memo)
        if _loss(counts, other) < _loss(counts, chosen):
            chosen = other
    return Suppression(k=k, counts=counts, reasons=chosen, internal=cells.internal)


def _suppress_pass(cells: Cells, k: int, reasons: dict[Cell, str], free_totals: bool,
                   memo: Memo | None = None) -> tuple[dict[Cell, str], bool]:
    """The least-loss programme and the audit, until no hidden cell can be recovered; whether the audit
    had to hide cells the programme had not chosen.

    A kind total (``all``) that the programme may hide for free (:func:`_least_loss`) is not a linear
    combination the audit ignores: the organisation's total is the sum of its departments and the sum of
    its divisions at once, so a free total can be recovered through the other sum, and the audit then
    hides its smallest neighbour, often a department's view. :func:`suppress` runs the programme with
    free totals first and, when the audit had to add cells, once more with every cell at its count, and
    keeps the one that hides fewer answers (:func:`_loss`)."""
    counts, never = cells.counts, cells.internal
    every, by_cell = cells.relations, cells.by_cell
    memo = Memo() if memo is None else memo
    patched = False
    while True:
        _least_loss(counts, cells.relations, k, reasons, never, free_totals, memo)
        leaks = sorted(memo.determined(counts, every, set(reasons) | set(never)) & set(reasons))
        if not leaks:
            break
        cell = leaks[0]
        near = {c for rel in by_cell[cell] for c in (rel.parent, *rel.children)
                if c not in reasons and c not in never and counts[c] > 0}
        if not near:  # everything next to it is hidden already: widen to every live cell
            near = {c for c in counts if c not in reasons and c not in never and counts[c] > 0}
            if not near:
                break
        reasons[min(near, key=lambda c: (counts[c], c))] = COMPLEMENTARY
        patched = True
    return reasons, patched


def _view_hidden(reasons: dict[Cell, str]) -> set[str]:
    """The units with one of their views hidden: their kind totals (``all``) cost nothing to hide."""
    return {u for (u, v, c) in reasons if v in VIEWS and c == TOTAL}


def _free(cell: Cell, lost: set[str]) -> bool:
    """Whether hiding this cell loses nothing: a kind total (``all``) of a unit in ``lost``."""
    return cell[1] == "all" and cell[0] in lost


def _loss(counts: dict[Cell, int], reasons: dict[Cell, str]) -> tuple[int, int]:
    """The answers a suppression hides, then the cells: a unit's kind total (``all``) costs nothing once one
    of its views is hidden (its figures go with that view and its count is public)."""
    lost = _view_hidden(reasons)
    hidden = [c for c in reasons if counts.get(c, 0) > 0 and not _free(c, lost)]
    return sum(counts[c] for c in hidden), len(hidden)


def suppress_round(leaf_counts: dict[tuple[str, str, str], int], departments: pd.DataFrame, k: int, *,
                   categories: bool = True, initial: dict[Cell, str] | None = None) -> Suppression:
    """Build the cells of a round's departments and suppress them with threshold k.

    Examples
    --------
    >>> import pandas as pd
    >>> depts = pd.DataFrame({"code": ["A", "B", "C"], "division": [None, None, None]})
    >>> s = suppress_round({("A", "self", "党员"): 3, ("B", "self", "党员"): 9, ("C", "self", "党员"): 12}, depts, 5)
    >>> s.reason("A", "self"), s.reason("B", "self"), s.published("C", "self")
    ('n<k', 'complementary', True)
    """
    out = suppress(build_cells(leaf_counts, departments, categories), k, initial)
    out.scope = "answers" if categories else "votes"
    return out


# --- figures: every score figure counts its own answers ---------------------------------------------

Figure = tuple[str, str, str]  # (unit, kind, key): key an item, a dimension or "overall"


def hidden_text(k: int, what: str = "回答") -> str:
    """The note of a hidden figure, in plain Chinese: one wording whether its group had fewer than k
    answers or was hidden so that such a group cannot be got by subtraction (a reason that told the two
    apart would say on which side of k a hidden count lies).

    >>> hidden_text(5, "答卷")
    '已抑制：为保护匿名，不足5份答卷的数字，以及可据以推算出这类数字的数字，均不公布'
    """
    return f"已抑制：为保护匿名，不足{k}份{what}的数字，以及可据以推算出这类数字的数字，均不公布"


def resting_text(what: str) -> str:
    """The note of a row hidden because a figure it rests on is hidden (``what`` names that figure)."""
    return f"已抑制：所依据的{what}未公布（保护匿名）"


def pooled_text(kind_label: str, pool_name: str, members: list[str]) -> str:
    """The note of a department's hidden figure whose division pool (归口) is published.

    >>> pooled_text("自评", "机关", ["办公室", "机关党委"])
    '已抑制：为保护匿名，本部门自评结果不单独公布，并入“机关”归口统计（含办公室、机关党委）'
    """
    return f"已抑制：为保护匿名，本部门{kind_label}结果不单独公布，并入“{pool_name}”归口统计（含{'、'.join(members)}）"


@dataclass
class FigureSuppression:
    """Score figures hidden on their own answer counts, on top of the hidden groups.

    ``counts`` holds the answers behind each figure (unit, kind, key): for an item the answers other
    than 不了解, for a dimension or ``overall`` the respondents with a score there. ``reasons`` holds
    the hidden figures of published units (ALL and the departments) with their reason.
    """

    k: int
    counts: dict[Figure, int]
    reasons: dict[Figure, str]
    scales: dict[str, tuple[str, ...]]   # parent key → child keys (dimension → items, overall → dimensions)
    weights: dict[str, float] | None = None  # the views' weights in ``all`` (None: equal)
    #: published item figures of the organisation whose count of 4–5 (problem rate, red-line share and
    #: alert) is withheld: their mean and SD are published (step 4 of :func:`suppress_figures`)
    rates: set[Figure] = field(default_factory=set)

    def published(self, unit: str, kind: str, key: str) -> bool:
        return (unit, kind, key) not in self.reasons

    def items_of(self, key: str) -> tuple[str, ...]:
        """The item keys under ``key`` (itself for an item)."""
        kids = self.scales.get(key)
        return (key,) if kids is None else tuple(i for k in kids for i in self.items_of(k))

    def group_published(self, unit: str, kind: str) -> bool:
        """Every dimension and the overall figure of the group published (used for ranks and ICCs)."""
        return all(self.published(unit, kind, key) for key in self.scales)


def _pair_hidden_scales(counts, rels, reasons) -> None:
    """A hidden dimension (or overall) with exactly one hidden item (dimension) is one equation in two
    unknowns, which the sums of another key across departments can close: hide one more child."""
    for rel in rels:
        if rel.parent not in reasons:
            continue
        hidden = [c for c in rel.children if c in reasons and counts[c] > 0]
        live = [c for c in rel.children if c not in reasons and counts[c] > 0]
        if len(hidden) == 1 and live:
            reasons[min(live, key=lambda c: (counts[c], c))] = COMPLEMENTARY


def _content_leaks(contents, departments: pd.DataFrame, reasons, groups: Suppression | None = None,
                   cache: dict | None = None, rates: set[Figure] | None = None) -> set[Figure]:
    """Figures to hide so that no remainder of hidden figures is unanimous (:mod:`.disclosure`) and, with
    the ``groups`` (their public sheet counts), every hidden figure is wide (:mod:`.integer_audit`), for
    every key and view; a few at a time (one per key and view), since the rule runs again after them.

    With ``rates``, a remainder unanimous only in its count of 4–5 adds the organisation's item figure to
    ``rates`` (its problem rate is withheld) instead of hiding it, where that is enough."""
    codes = [str(c) for c in departments["code"]]
    pools = division_pools(departments)
    in_pool = {c for _, members in pools.values() for c in members}
    rels = [(ALL, tuple(codes)), *((u, m) for u, (_, m) in pools.items())]
    if pools:
        rels.append((ALL, (*pools, *(c for c in codes if c not in in_pool))))
    out: set[Figure] = set()
    for key, by_leaf in contents.items():
        for v in VIEWS:
            leaf = {c: by_leaf.get((c, v), (0.0, 0.0, 0.0, 0.0)) for c in codes}
            units = {**leaf, **{u: _add(leaf[c] for c in m) for u, (_, m) in pools.items()}, ALL: _add(leaf.values())}
            hidden = {u for u in units if (u, v, key) in reasons}
            withheld = {u for u in units if (u, v, key) in rates and u not in hidden} if rates is not None else set()
            item = units[ALL][3] is not None   # a count of 4–5 exists for items only
            withhold: set = set()
            found = disclosure.leaks(rels, units, hidden, withheld, ALL if rates is not None and item else None,
                                     withhold)
            if withhold:
                rates.update((u, v, key) for u in withhold)
                continue
            if not found and groups is not None and hidden:
                sheets = {u: groups.counts.get((u, v, TOTAL), 0) for u in units}
                memo = (key, v, frozenset(hidden), frozenset(withheld))   # the rule runs again: audit once
                if cache is None or memo not in cache:
                    narrow = integer_audit.narrow_cells(rels, units, hidden, sheets, cache, withheld)
                    if cache is not None:
                        cache[memo] = narrow
                for cell in narrow if cache is None else cache[memo]:
                    more = integer_audit.to_hide(rels, units, hidden, cell)
                    if more is not None:
                        found = [more]
                        break
            out.update((u, v, key) for u in found)
    return out


def _add(parts):
    parts = list(parts)
    return (sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts),
            None if any(p[3] is None for p in parts) else sum(p[3] for p in parts))


def suppress_figures(answer_counts: dict[str, dict[tuple[str, str], int]], departments: pd.DataFrame, k: int,
                     groups: Suppression, scales: dict[str, tuple[str, ...]],
                     weights: dict[str, float] | None = None, contents: dict | None = None) -> FigureSuppression:
    """Decide which score figures may be published: each needs at least k answers of its own.

    Two kinds of sums link the figures, and the rule of :func:`suppress` runs on both until neither
    hides anything more:

    1. *Across groups*, for one key: a key's answers add up over departments, divisions and kinds
       exactly as sheets do, so each key gets the cell system of :func:`build_cells` with its answer
       counts, starts from the hidden groups (and from the figures step 2 hid) and goes through the
       rule and the audit.
    2. *Within a group*, across keys: a dimension's figure is built from its items' answers, and
       ``overall`` from every dimension. Each (unit, kind) gets the relations dimension → items and
       overall → dimensions, with the same rule: the hidden items of a dimension must be none, or at
       least two with a combined answer count ≥ k, otherwise the item with the fewest answers still
       published is hidden too (or, when none is left, the dimension); and a hidden dimension takes
       its smallest item with it. A respondent's score averages the items they answered, so the
       relation is not an exact sum, but with complete answers it is one (the dimension mean is the
       mean of its item means), and protecting it as a sum covers that case.
    3. *Kind* ``all``: it is the weighted mean of the unit's view figures (:mod:`zuofeng.score.views`),
       not their sum, so it is published only when every view figure it combines (weight > 0, answers
       > 0) is published; otherwise it is hidden as complementary.
    4. *Answers, not only counts*: with ``contents``, a set of hidden figures whose sums the published
       ones fix (a remainder) must not be unanimous — all alike, or none or all rated 4–5 — or every
       one of them is known; otherwise a published sibling that breaks it (or the parent) is hidden too
       and steps 1–2 run again (:mod:`zuofeng.score.disclosure`). Where only its count of 4–5 gives it
       away and withholding the organisation's count is enough, the organisation's item figure stays
       published and only its rates are withheld (``rates``; its ``all`` figure's rates with them).

    Parameters
    ----------
    answer_counts : dict
        key → {(department, view): answers}.
    departments : DataFrame
        ``code`` and ``division``, as for :func:`build_cells`.
    k : int
        The round's threshold.
    groups : Suppression
        The hidden groups (answer sheets).
    scales : dict
        parent key → its child keys: every dimension → its items, ``overall`` → the dimensions.
    weights : dict, optional
        The round's view weights of ``all`` (None: equal weights).
    contents : dict, optional
        key → {(department, view): (answers, sum, sum of squares, count of 4–5 or None)}: with them,
        step 4 hides more until no remainder of hidden figures is unanimous (:mod:`.disclosure`).

    Examples
    --------
    >>> import pandas as pd
    >>> depts = pd.DataFrame({"code": ["A", "B"], "division": [None, None]})
    >>> counts = {"q1": {("A", "self"): 9, ("B", "self"): 9}, "q2": {("A", "self"): 2, ("B", "self"): 9},
    ...           "d": {("A", "self"): 9, ("B", "self"): 9}}
    >>> groups = suppress_round({("A", "self", "未填"): 9, ("B", "self", "未填"): 9}, depts, 5)
    >>> f = suppress_figures(counts, depts, 5, groups, {"d": ("q1", "q2")})
    >>> f.reasons[("A", "self", "q2")], f.published("A", "self", "q1"), f.published("B", "self", "q2")
    ('n<k', False, False)
    """
    public_units = [ALL, *division_pools(departments), *map(str, departments["code"].tolist())]
    public = set(public_units)
    start = {c: r for c, r in groups.reasons.items() if c[2] == TOTAL}
    extra: dict[str, dict[Cell, str]] = {key: {} for key in answer_counts}
    per_key: dict[str, Suppression] = {}
    rels = [Relation((u, kd, parent), tuple([(u, kd, c) for c in kids]))
            for u in public_units for kd in KINDS for parent, kids in scales.items()]
    layout = CellLayout(departments, categories=False)  # every key splits like the votes
    cells = {key: layout.cells({(d, v, CATEGORIES[2]): n for (d, v), n in answer_counts[key].items()})
             for key in sorted(answer_counts)}
    counts = {(u, kd, key): c.counts[(u, kd, TOTAL)] for key, c in cells.items() for u in public_units for kd in KINDS}
    todo = set(answer_counts)
    audit_cache: dict = {}
    rates: set[Figure] = set()
    memo = Memo()   # the keys share one layout: their suppressions meet the same programmes and audits
    while todo:
        for key in sorted(todo):
            per_key[key] = suppress(cells[key], k, {**start, **extra[key]}, memo)
        reasons = {(u, kd, key): r for key, s in per_key.items() for (u, kd, _), r in s.reasons.items()
                   if u in public}
        reasons.update({(u, kd, key): r for (u, kd, _), r in start.items() if u in public
                        for key in answer_counts})  # a hidden group hides all its figures
        reasons.update({(u, kd, key): r for key, ex in extra.items() for (u, kd, _), r in ex.items()})
        before = set(reasons)
        _apply_rule(counts, rels, k, reasons)
        _pair_hidden_scales(counts, rels, reasons)
        new = set(reasons) - before
        while not new and contents is not None:   # 4. no remainder of hidden cells may be unanimous
            withheld = len(rates)
            new = _content_leaks(contents, departments, reasons, groups, audit_cache, rates)
            reasons.update({f: COMPLEMENTARY for f in new})
            if len(rates) == withheld:
                break
        for u, kd, key in new:
            extra[key][(u, kd, TOTAL)] = reasons[(u, kd, key)]
        todo = {key for _, _, key in new}
    # 3. ``all`` is no sum of its views but their weighted mean with fixed weights (zuofeng.score.views),
    #    which the sum relations above do not protect: with those weights, a unit's ``all`` and the
    #    organisation's pooled views are independent equations, and two departments with the same two
    #    views hidden (a rectangle that sums protect) give back all four. So an ``all`` figure is
    #    published only when every view it combines (weight > 0, answers > 0) is published: then it
    #    tells nothing the published views do not.
    entering = [v for v in VIEWS if weights is None or float(weights.get(v, 0.0)) > 0]
    for u in public_units:
        for key in answer_counts:
            if (u, "all", key) not in reasons and any((u, v, key) in reasons and counts[(u, v, key)] > 0
                                                      for v in entering):
                reasons[(u, "all", key)] = COMPLEMENTARY
    # the same for a withheld rate: ``all``'s rate would give the view's back
    rates = {f for f in rates if f not in reasons}
    rates |= {(u, "all", key) for u, v, key in rates if (u, "all", key) not in reasons}
    return FigureSuppression(k, counts, reasons, {p: tuple(c) for p, c in scales.items()},
                             None if weights is None else dict(weights), rates)


SCORE_STATISTICS = ("mean", "sd", "index", "problem_rate", "red_line_share", "red_line_alert", "alpha", "rwg_j",
                    "gap", "gap_flag", "gap_p", "gap_q", "change", "change_p", "change_q", "composite", "rank", "rank_low",
                    "rank_high", "bottom")


#: the statistics a count of 4–5 gives (withheld with it, :attr:`FigureSuppression.rates`)
RATE_STATISTICS = ("problem_rate", "red_line_share", "red_line_alert")


def figures_needed(department: str, kind: str, level: str, key: str, statistic: str, needs: str | None,
                   figs: FigureSuppression) -> list[tuple[Figure, bool]]:
    """The figures a row of the long table rests on, each marked True when it is of the previous round.

    Item, dimension and overall rows rest on their own figure; ``rwg_j`` also on every item of its
    scale (it is an invertible function of their mean variance); ``gap`` (and its p and q) also on the self
    figure; ``change``, ``change_p`` and ``change_q`` also on the previous round's figure; ``composite`` on
    the overall figure of each weighted view (``needs``, space-separated views); ``bottom`` also on
    the organisation's. Counts and evaluation rows rest on groups and votes only (empty list).
    """
    if level == "evaluation" or statistic not in SCORE_STATISTICS:
        return []
    views = str(needs).split() if isinstance(needs, str) else []
    if statistic == "composite":
        return [((department, v, key), False) for v in views]
    out = [((department, kind, key), False)]
    if statistic == "rwg_j":
        out += [((department, kind, i), False) for i in figs.items_of(key) if i != key]
    elif statistic in ("gap", "gap_flag", "gap_p", "gap_q"):
        out += [((department, v, key), False) for v in views]
    elif statistic in ("change", "change_p", "change_q"):
        out.append(((department, kind, key), True))
    elif statistic == "bottom":
        out.append(((ALL, kind, key), False))
    return out


def figure_notes(table: pd.DataFrame, figs: FigureSuppression, prev: FigureSuppression | None = None) -> pd.Series:
    """Why each row of the long table may not be published on its answer counts (None where it may).

    This is the one publication rule on answers: a row is published only when every figure it rests
    on (:func:`figures_needed`) is published, in this round and, for a change, in the previous round.
    ``alpha`` needs in addition at least k complete answer sets (its ``n``).
    """
    cols = [table[c].to_numpy(object) for c in ("department", "kind", "level", "key")]
    needs = table["_needs"].to_numpy(object) if "_needs" in table else np.full(len(table), None, object)
    n = pd.to_numeric(table["n"], errors="coerce").to_numpy("float64")
    notes = np.full(len(table), None, dtype=object)
    stat_codes, stat_names = pd.factorize(table["statistic"])
    scored = np.isin(np.asarray(stat_names, dtype=object), SCORE_STATISTICS)[stat_codes] & (table["level"] != "evaluation").to_numpy()
    # most rows rest on their own figure only: look each distinct (department, kind, key) up once
    if figs.reasons:
        inverse, keys = distinct_rows(table["department"], table["kind"], table["key"])
        text = hidden_text(figs.k)
        found = np.array([text if f in figs.reasons else None for f in keys], dtype=object)[inverse]
        own = scored & pd.notna(found) & (table["statistic"] != "composite").to_numpy()
        notes[own] = found[own]
    if figs.rates:   # the organisation's withheld counts of 4–5: its rates hidden, its mean and SD not
        rate_rows = scored & np.isin(table["statistic"].to_numpy(object), RATE_STATISTICS) & pd.isna(notes)
        keys = list(zip(*(c[rate_rows] for c in (cols[0], cols[1], cols[3]))))
        notes[np.flatnonzero(rate_rows)[[f in figs.rates for f in keys]]] = hidden_text(figs.k)
    alpha = scored & (table["statistic"] == "alpha").to_numpy() & (n > 0) & (n < figs.k)
    notes[alpha & pd.isna(notes)] = f"已抑制：完整作答的答卷不足{figs.k}份，不计算信度"
    # the rest also rest on other figures (figures_needed): decide once per distinct row key, with the
    # statistics that need the same figures taken together
    same = {"gap_flag": "gap", "gap_p": "gap", "gap_q": "gap", "change_p": "change", "change_q": "change"}
    more = np.isin(np.asarray(stat_names, dtype=object), ("rwg_j", "gap", "gap_flag", "gap_p", "gap_q", "change",
                                                          "change_p", "change_q", "composite", "bottom"))[stat_codes]
    others = np.flatnonzero(scored & pd.isna(notes) & more)
    if len(others):
        stat = np.array([same.get(x, x) for x in stat_names], dtype=object)[stat_codes[others]]
        inverse, keys = distinct_rows(*(c[others] for c in cols), stat, needs[others])
        # figures_needed names figures of the row's own department (and, for bottom, of the organisation):
        # a department without any hidden figure needs no look
        units = {f[0] for f in figs.reasons} | ({f[0] for f in prev.reasons} if prev is not None else set())
        text = []
        for department, kind, level, key, statistic, need in keys:
            text.append(None)
            if department not in units and not (statistic == "bottom" and ALL in units):
                continue
            for fig, before in figures_needed(department, kind, level, key, statistic, need, figs):
                src = prev if before else figs
                if src is not None and fig in src.reasons:
                    unit = "全组织" if fig[0] == ALL else "本部门" if fig[0] == department else fig[0]
                    text[-1] = resting_text(f"{'上一轮' if before else ''}{unit}{kind_label(fig[1])}{fig[2]}")
                    break
        notes[others] = np.array(text, dtype=object)[inverse]
    return pd.Series(notes, index=table.index, dtype=object)
