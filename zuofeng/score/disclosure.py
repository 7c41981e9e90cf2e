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
    return _closure(relations, hidden, answered, frozenset())[0]


def _closure(relations, hidden: set[Unit], answered: set[Unit], withheld: set[Unit] | frozenset):
    """:func:`remainders`, and for each remainder the coefficient of the ``withheld`` parents' count of 4–5
    in its own count (None for all of them when that count follows anyway).

    A relation whose parent's count is withheld gives its remainder that count only up to the parent's
    unknown one (coefficient 1, else 0); a difference of two remainders subtracts the coefficients, so the
    difference of two remainders of the same withheld parent is known again. Only a unit that is no
    child (the organisation) may be withheld, so there is one unknown: two ways to one remainder with
    different coefficients pin it, and then every count follows.
    """
    parents: dict[frozenset, tuple[Unit, tuple[Unit, ...]]] = {}
    coef: dict[frozenset, int] = {}
    pinned = False
    for parent, kids in relations:
        if parent in hidden:
            continue
        h = frozenset(c for c in kids if c in hidden and c in answered)
        if h:
            parents.setdefault(h, (parent, kids))
            pinned |= coef.setdefault(h, int(parent in withheld)) != int(parent in withheld)
    grew = True
    while grew:
        grew = False
        for a in list(parents):
            for b in list(parents):
                if a < b:
                    d, c = b - a, coef[b] - coef[a]
                    if d not in parents:
                        parents[d], coef[d] = parents[b], c
                        grew = True
                    else:
                        pinned |= coef[d] != c
    return parents, None if pinned else coef


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
    trying = (not rate_withheld and top is not None and withhold is not None and top not in hidden)
    found, coef = _closure(relations, hidden, answered, set(rate_withheld) or ({top} if trying else set()))

    def count_follows(cells) -> bool:   # the remainder's count of 4–5, with the count(s) above withheld
        return coef is None or coef[cells] == 0

    out: list[Unit] = []
    for cells, (parent, kids) in sorted(found.items(), key=lambda x: sorted(x[0])):
        total = _sum(contents[u] for u in cells)
        if rate_withheld and not count_follows(cells):
            total = (*total[:3], None)
        if len(cells) >= 2 and not unanimous(total):
            continue
        if (len(cells) >= 2 and trying and not count_follows(cells)
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


def _sum(parts: Iterable[Content]) -> Content:
    n = s = q = 0.0
    c: float | None = 0.0
    for p in parts:
        n, s, q = n + p[0], s + p[1], q + p[2]
        c = None if c is None or p[3] is None else c + p[3]
    return n, s, q, c
