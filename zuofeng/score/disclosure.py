"""What the published answers give away about the hidden ones, beyond their counts.

Sheet counts are public and every published mean, SD and problem rate carries its n, so each published
figure gives the sums of its answers: the sum of the ratings (mean × n), their sum of squares (from the
SD) and the count of 4–5 ratings (problem rate × n). Wherever a published parent (the organisation, a
division pool) minus its published children leaves a set of hidden cells — a *remainder* — the sums of
that set are known exactly. The rule and the audit of :mod:`zuofeng.score.suppress` make every
remainder hold at least two cells with k answers together, so no single hidden cell's sums follow from
the equations; but a remainder whose raters all answered alike gives every one of its cells away: "all
hidden raters said 不存在", or none of them rated the item 4–5.

A hidden cell is *protected* here when, for each of its sums (answers, sum of ratings, count of 4–5),
the values consistent with everything published — whole ratings 1–5, 0 ≤ answers ≤ sheets, the sums of
every remainder — are more than one: its remainder holds two or more cells with k answers together and
is not unanimous (its ratings are not all alike, and its count of 4–5 is neither 0 nor all of them).
With two or more cells of at least one answer each, such a remainder leaves every cell a range of at
least two values for each sum (a remainder's total t of n answers spread over cells of n₁, n₂, …
answers leaves cell i anything in [max(0, t − (n − nᵢ)), min(nᵢ, t)]), which is one value only when t is
0 or n. Remainders are found as the hidden children of each published parent, closed under differences
(a remainder inside another leaves the rest as a remainder too). ``tests/attack_support.py`` checks the
result independently with an integer programme over all relations at once.
"""

from __future__ import annotations

from collections.abc import Iterable

Unit = str
Content = tuple[float, float, float, float | None]   # answers n, sum S, sum of squares Q, count of 4–5 C
TOLERANCE = 1e-9


def unanimous(c: Content) -> bool:
    """Whether a set of answers with these sums was all alike (or all 4–5, or none 4–5).

    >>> unanimous((3, 3, 3, None)), unanimous((3, 4, 6, None)), unanimous((4, 9, 27, 1)), unanimous((4, 9, 27, 0))
    (True, False, False, True)
    """
    n, s, q, c45 = c
    if n <= 0:
        return False
    if c45 is not None and (c45 <= TOLERANCE or c45 >= n - TOLERANCE):
        return True
    return q - s * s / n <= TOLERANCE * max(1.0, q)


def remainders(relations: Iterable[tuple[Unit, tuple[Unit, ...]]], hidden: set[Unit], answered: set[Unit]
               ) -> dict[frozenset, tuple[Unit, tuple[Unit, ...]]]:
    """The sets of hidden units whose sums the published figures fix, each with the relation it came
    from (parent, children): the hidden, answered children of every published parent, closed under
    differences."""
    out: dict[frozenset, tuple[Unit, tuple[Unit, ...]]] = {}
    for parent, kids in relations:
        if parent in hidden:
            continue
        h = frozenset(c for c in kids if c in hidden and c in answered)
        if h:
            out.setdefault(h, (parent, kids))
    grew = True
    while grew:
        grew = False
        for a in list(out):
            for b in list(out):
                if a < b and (b - a) not in out:
                    out[b - a] = out[b]
                    grew = True
    return out


def leaks(relations, contents: dict[Unit, Content], hidden: set[Unit], rate_withheld: set[Unit] | frozenset = frozenset(),
          top: Unit | None = None, withhold: set[Unit] | None = None) -> list[Unit]:
    """The published units to hide next so that no remainder is a single cell or unanimous: for each
    offending remainder its parent (the organisation's or the pool's figure), else the published
    sibling with the fewest answers whose own answers break it.

    ``rate_withheld`` are published units whose count of 4–5 is not published (their problem rates are
    withheld): a remainder whose count of 4–5 follows only through one of them has no known count. With
    ``top`` (the organisation, which is no unit's child) and a set ``withhold``, a remainder that is
    unanimous only in its count of 4–5 ("none of them rated it 4–5", or "all did"), and would not be once
    the organisation's rate is withheld, adds ``top`` to ``withhold`` instead: the organisation's mean and
    SD stay published and only its problem rate is not.
    """
    answered = {u for u, c in contents.items() if c[0] > 0}
    known = _count_known(relations, hidden, answered, set(rate_withheld))
    if_withheld = (_count_known(relations, hidden, answered, {*rate_withheld, top})
                   if top is not None and withhold is not None and top not in hidden and top not in rate_withheld
                   else None)
    out: list[Unit] = []
    for cells, (parent, kids) in sorted(remainders(relations, hidden, answered).items(),
                                        key=lambda x: sorted(x[0])):
        total = _sum(contents[u] for u in cells)
        if not known.get(cells, True):
            total = (*total[:3], None)
        if len(cells) >= 2 and not unanimous(total):
            continue
        if (len(cells) >= 2 and if_withheld is not None and not if_withheld.get(cells, True)
                and not unanimous((*total[:3], None))):
            withhold.add(top)   # only its count of 4–5 gave the remainder away
            return out
        # hide the parent (the organisation's or the pool's figure), never a department's own figure:
        # the departments' figures carry the problem lists and red-line alerts; a sibling only where
        # the parent cannot be hidden
        if parent not in out and parent not in hidden:
            out.append(parent)
            return out   # one at a time: the rule runs again before the next
        options = [u for u in kids if u not in hidden and u in answered and u not in out
                   and not unanimous(_sum([total, contents[u]]))]
        if options:
            out.append(min(options, key=lambda u: (contents[u][0], u)))
            return out
    return out


def _count_known(relations, hidden: set[Unit], answered: set[Unit], withheld: set[Unit]) -> dict[frozenset, bool]:
    """For each remainder, whether its count of 4–5 follows from the published counts.

    A relation whose parent's count is withheld gives its remainder that count only up to the parent's
    unknown one (coefficient 1); a difference of two remainders subtracts the coefficients, so the
    difference of two remainders of the same withheld parent is known again. A remainder's count is
    known when some way of getting it has coefficient 0. Only a unit that is no child (the
    organisation) may be withheld, so each relation has at most that one unknown.
    """
    coef: dict[frozenset, set[int]] = {}
    for parent, kids in relations:
        if parent in hidden:
            continue
        h = frozenset(c for c in kids if c in hidden and c in answered)
        if h:
            coef.setdefault(h, set()).add(1 if parent in withheld else 0)
    grew = True
    while grew:
        grew = False
        for a in list(coef):
            for b in list(coef):
                if a < b:
                    d = coef.setdefault(b - a, set())
                    for x in list(coef[a]):
                        for y in list(coef[b]):
                            if abs(y - x) <= 2 and (y - x) not in d:
                                d.add(y - x)
                                grew = True
    if any(len(c) > 1 and 0 not in c for c in coef.values()):
        return {cells: True for cells in coef}   # two ways with different coefficients pin the withheld count
    return {cells: 0 in c for cells, c in coef.items()}


def _sum(parts: Iterable[Content]) -> Content:
    n = s = q = 0.0
    c: float | None = 0.0
    for p in parts:
        n, s, q = n + p[0], s + p[1], q + p[2]
        c = None if c is None or p[3] is None else c + p[3]
    return n, s, q, c
