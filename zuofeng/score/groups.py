"""Figures per rater group (测评人员类别) and their weighted composite, the way 民主测评 weights who rates.

A round that declares rater groups (:mod:`zuofeng.rater_groups`) gets, next to the long table, the
frame ``Scores.groups``: for every unit (the organisation ``ALL`` and each department) and view (and
``peer``, the two peer views pooled: everyone of a group who rated the department), one
``index`` row per rater group (the 作风指数 of the sheets of that group's raters: ``100 × (5 − m) / 4``
with m the mean of the respondents' overall scores, :func:`zuofeng.score.stats.index_from_mean`), and
one ``group_composite`` row, the weighted composite of the published group figures::

    composite = Σ_g w_g x_g / Σ_g w_g   over the groups g whose figure is published,

so that the weights of the groups used are renormalised to 1; the row's ``groups_used`` and ``note``
say which groups it used, with their renormalised weights, and which it left out and why.

Protection: the group cells ``(unit, view, group)`` are suppressed by the same rule as every other cell
(:func:`zuofeng.score.suppress.suppress`), in a cell system where a unit × view is the sum of its groups
(plus the sheets without a group, never published), the organisation × view × group the sum of the
departments' cells and a group's peer pool the sum of its two peer views. A unit × view whose overall index the long table hides starts hidden, so a group
figure is never published below a hidden parent without protection, and a parent minus its published
groups never gives a group below k. The composite is a function of published group figures only, so it
reveals nothing more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes import GROUP_COMPOSITE, GROUP_KINDS, PEER_POOL, PEER_VIEWS
from .prepare import OVERALL, Prepared
from .stats import index_from_mean
from .suppress import ALL, COMPLEMENTARY, N_LT_K, TOTAL, Cells, Relation, suppress

COLUMNS = ["round", "department", "kind", "group", "statistic", "value", "n", "weight", "suppressed",
           "groups_used", "reason", "note"]
UNGROUPED = ""  # the sheets without a rater group (paper ballots, imports): a cell that is never published
REASON_TEXT = {N_LT_K: ("本类别答卷不足{k}份，不单独列出", "fewer than {k} answer sheets in this group: not shown on its own"),
               COMPLEMENTARY: ("为防止由其他数字推算出答卷不足{k}份的类别，不单独列出",
                               "hidden so that a group under {k} answer sheets cannot be recovered by subtraction")}
COMPOSITE_TEXT = {
    "none": ("{label}：没有答卷达到{k}份的测评人员类别，不计算", "{label}: no group reaches {k} answer sheets; not computed"),
    "used": ("{label}：按{parts}加权（所用类别的权重重新归一）",
             "{label}: weighted {parts} (the weights of the groups used renormalised)"),
    "left_out": ("；未计入：{groups}（答卷不足{k}份或不单独列出）",
                 "; left out: {groups} (under {k} answer sheets, or not shown on their own)"),
}


def note_text(reason: str | None, used: list[tuple[str, float]] | None, left_out: list[str], k: int,
              lang: str = "zh") -> str | None:
    """The note of a group row (``used`` None: its reason, or None when published) or of a composite
    (``used``: the groups it used with their weights, ``left_out`` the others), in ``lang``.

    >>> note_text(None, [("一般干部", 0.3), ("服务对象", 0.2)], ["领导班子"], 5)
    '加权综合：按一般干部 60%、服务对象 40%加权（所用类别的权重重新归一）；未计入：领导班子（答卷不足5份或不单独列出）'
    >>> note_text("n<k", None, [], 5, "en")
    'fewer than 5 answer sheets in this group: not shown on its own'
    """
    en = lang == "en"
    if used is None:
        return REASON_TEXT[reason][en].format(k=k) if reason is not None else None
    label = GROUP_COMPOSITE[en]
    if not used:
        return COMPOSITE_TEXT["none"][en].format(label=label, k=k)
    total = sum(w for _, w in used)
    parts = ("、" if not en else ", ").join(f"{g} {w / total:.0%}" for g, w in used)
    note = COMPOSITE_TEXT["used"][en].format(label=label, parts=parts)
    if left_out:
        note += COMPOSITE_TEXT["left_out"][en].format(groups=("、" if not en else ", ").join(left_out), k=k)
    return note


def empty_frame() -> pd.DataFrame:
    """The group frame of a round without rater groups."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "n", "weight") else
                                      "bool" if c == "suppressed" else object) for c in COLUMNS})


def group_frame(prep: Prepared, groups: pd.Series, rater_groups: list[dict], k: int,
                hidden_parents: set[tuple[str, str]], round_code: str = "") -> pd.DataFrame:
    """The group figures and composites of a round; see the module docstring.

    Parameters
    ----------
    prep
        The round's prepared sheets (:func:`zuofeng.score.prepare.prepare`).
    groups
        The rater group of each sheet, aligned with ``prep.sheets`` (None/NaN: no group).
    rater_groups
        The round's groups and weights, ``[{"name": …, "weight": …}, …]``.
    k
        The round's k.
    hidden_parents
        The (unit, view) whose overall index the long table does not publish.
    """
    names = [g["name"] for g in rater_groups]
    weights = {g["name"]: float(g["weight"]) for g in rater_groups}
    score = prep.sheets[f"s:{OVERALL}"].to_numpy(dtype="float64")
    scored = ~np.isnan(score)
    grp = pd.Series(groups, dtype=object).reset_index(drop=True).where(lambda s: s.isin(names), UNGROUPED)
    frame = pd.DataFrame({"department": prep.sheets["department"].astype(object).to_numpy(),
                          "view": prep.sheets["view"].astype(object).to_numpy(),
                          "group": grp.to_numpy(object), "score": score})[scored]
    agg = frame.groupby(["department", "view", "group"], observed=True)["score"].agg(["count", "sum"])
    cells_n: dict = {}
    cells_s: dict = {}
    for (d, v, g), row in agg.iterrows():
        for unit in (d, ALL):
            for kind in (v, PEER_POOL) if v in PEER_VIEWS else (v,):
                cells_n[(unit, kind, g)] = cells_n.get((unit, kind, g), 0) + int(row["count"])
                cells_s[(unit, kind, g)] = cells_s.get((unit, kind, g), 0.0) + float(row["sum"])
    members = [*names, UNGROUPED]
    units = [ALL, *prep.codes]
    counts: dict = {}
    relations: list[Relation] = []
    for v in GROUP_KINDS:
        for u in units:
            kids = tuple((u, v, g) for g in members)
            for c in kids:
                counts[c] = cells_n.get(c, 0)
            counts[(u, v, TOTAL)] = sum(counts[c] for c in kids)
            relations.append(Relation((u, v, TOTAL), kids))
        for g in (*members, TOTAL):
            relations.append(Relation((ALL, v, g), tuple((d, v, g) for d in prep.codes)))
    for u in units:  # the peer pool of a group is the sum of its peer views
        for g in (*members, TOTAL):
            relations.append(Relation((u, PEER_POOL, g), tuple((u, v, g) for v in PEER_VIEWS)))
    # never published: the sheets without a group, and the peer pool of all raters (the long table has
    # no such figure; it is the sum of the two peer views, which may be hidden)
    internal = frozenset(c for c in counts if c[2] == UNGROUPED or (c[1] == PEER_POOL and c[2] == TOTAL))
    by_cell: dict = {}
    for r in relations:
        for c in (r.parent, *r.children):
            by_cell.setdefault(c, []).append(r)
    initial = {(u, v, TOTAL): N_LT_K for u, v in hidden_parents}
    supp = suppress(Cells(counts, relations, internal, by_cell), k, initial)

    rows = []
    for u in units:
        for v in GROUP_KINDS:
            if not any(counts[(u, v, g)] for g in names):
                continue  # nobody of a group rated here
            used: list[tuple[str, float, float, int]] = []
            left_out: list[str] = []
            for g in names:
                n = counts[(u, v, g)]
                if not n:
                    continue
                reason = supp.reasons.get((u, v, g))
                value = float(index_from_mean(cells_s[(u, v, g)] / n)) if reason is None else np.nan
                note = note_text(reason, None, [], k)
                rows.append({"department": u, "kind": v, "group": g, "statistic": "index", "value": value,
                             "n": np.nan if reason else float(n), "weight": weights[g], "suppressed": reason is not None,
                             "groups_used": None, "reason": reason, "note": note})
                if reason is None and weights[g] > 0:
                    used.append((g, weights[g], value, n))
                else:
                    left_out.append(g)
            rows.append(_composite(u, v, used, left_out, k))
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "round"])
    out.insert(0, "round", round_code)
    return out


def _composite(unit: str, view: str, used, left_out, k: int) -> dict:
    """The weighted composite row of one unit × view over the groups ``used`` (name, weight, value, n)."""
    note = note_text(None, [(g, w) for g, w, _, _ in used], left_out, k)
    if not used:
        return {"department": unit, "kind": view, "group": None, "statistic": "group_composite", "value": np.nan,
                "n": np.nan, "weight": np.nan, "suppressed": True, "groups_used": None, "reason": None,
                "note": note}
    value = sum(w * x for _, w, x, _ in used) / sum(w for _, w, _, _ in used)
    return {"department": unit, "kind": view, "group": None, "statistic": "group_composite", "value": value,
            "n": float(sum(n for *_, n in used)), "weight": 1.0, "suppressed": False,
            "groups_used": "、".join(g for g, *_ in used), "reason": None, "note": note}


def has_groups(responses: pd.DataFrame, info: dict) -> bool:
    """Whether a round's frames carry rater groups to split by."""
    return bool(info.get("rater_groups")) and "rater_group" in responses.columns
