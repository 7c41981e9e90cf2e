"""Data-quality flags (never deletions), the problem list, and the comments that may be shown.

Each works on published groups only: a suppressed group gets no flag, no problem and no comment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..axes import VIEWS
from .prepare import GroupSums, Prepared, row_nanmean, variance
from .suppress import ALL, FigureSuppression, Suppression

QUALITY_COLUMNS = ["department", "kind", "flag", "count", "detail"]
PROBLEM_COLUMNS = ["department", "kind", "key", "label", "rule", "value", "note"]
COMMENT_COLUMNS = ["department", "kind", "comment"]


@dataclass(frozen=True)
class Rules:
    """Thresholds of the problem list and the quality flags (recorded in ``Scores.meta['rules']``)."""

    problem_rate: float = 0.25       # an item is a problem when the Wilson lower bound of its 4–5 share is ≥ this
    red_line_min_count: int = 3      # a red-line alert needs at least this many serious ratings (and the bound)
    min_answers: int = 10            # below_organisation and gap flags need at least this many answers per group
    uniform_pattern_share: float = 0.5   # ≥ this share of a department's sheets are the same answer pattern
    uniform_item_sd: float = 0.3     # mean within-department item SD below this (1–5 scale)
    jump_index: float = 15.0         # |change of the overall index| at least this many points
    jump_satisfaction: float = 0.3   # |change of satisfaction| at least this

    def as_dict(self) -> dict:
        return asdict(self)


def _published_views(supp: Suppression, units) -> list[tuple[str, str]]:
    return [(u, v) for u in units for v in VIEWS if supp.published(u, v)]


def quality_flags(prep: Prepared, sums: GroupSums, supp: Suppression, k_min: int, rules: Rules,
                  jumps: pd.DataFrame | None = None, votes_supp: Suppression | None = None,
                  figs: FigureSuppression | None = None) -> pd.DataFrame:
    """Flags per published department × view (and the organisation for sheet-level flags).

    - ``straight_lined``: sheets whose answered items (at least half of them) all carry one value;
    - ``too_fast``: sheets an import marked as implausibly fast (duration known);
    - ``uniform_department``: at least k sheets and either ≥ ``uniform_pattern_share`` of them share
      one answer pattern, or the mean item SD is below ``uniform_item_sd``, or every valid vote is
      the same option (e.g. 100% 好) — count is the size of the largest identical block; the mean item
      SD is taken over the items whose figures are published (``figs``), so the flag's detail never
      carries a hidden item's spread;
    - ``jump``: the overall index or the satisfaction moved by at least the rule's amount since the
      previous round (both rounds published).
    """
    pos = {g: i for i, g in enumerate(sums.groups)}
    rows = []
    straight = sums.sum("straight", prep.sheets["straight"].to_numpy())
    fast = sums.sum("too_fast", prep.sheets["too_fast"].to_numpy())
    for unit, view in _published_views(supp, [ALL, *prep.codes]):
        i = pos[(unit, view)]
        if straight[i] > 0:
            rows.append((unit, view, "straight_lined", int(straight[i]), "所答条目（至少一半）全部同一选项"))
        if fast[i] > 0:
            rows.append((unit, view, "too_fast", int(fast[i]), "导入数据记录的答题时长过短"))

    sh = prep.sheets
    pattern = pd.util.hash_pandas_object(sh[prep.item_keys].fillna(0), index=False).to_numpy()
    blocks = pd.DataFrame({"leaf": prep.leaf, "p": pattern}).groupby(["leaf", "p"]).size()
    modal = blocks.groupby(level=0).max().reindex(range(prep.n_leaf), fill_value=0).to_numpy()
    modal = sums.rollup(modal.astype(float))  # only the department × view entries are used below
    n = sums.sum("sheets", np.ones(len(sh)))
    item_sd = np.column_stack([np.sqrt(v) for v in sums_item_var(sums, prep)])
    if figs is not None:
        col = {key: j for j, key in enumerate(prep.item_keys)}
        hidden = np.zeros(item_sd.shape, dtype=bool)
        for u, kd, key in figs.reasons:   # the item figures not published
            if (u, kd) in pos and key in col:
                hidden[pos[(u, kd)], col[key]] = True
        item_sd = np.where(hidden, np.nan, item_sd)
    item_sd = row_nanmean(item_sd)
    votes = sums.sum("vote:n", sh["vote_score"].notna().to_numpy())
    top_vote = np.max(np.column_stack([sums.sum(f"vote={o}", (sh["vote"] == o).to_numpy())
                                       for o in prep.vote_options]), axis=1)
    for unit, view in _published_views(supp, prep.codes):
        i = pos[(unit, view)]
        if n[i] < k_min:
            continue
        why = []
        if modal[i] / n[i] >= rules.uniform_pattern_share and modal[i] > 1:
            why.append(f"{int(modal[i])}/{int(n[i])}份答卷完全相同")
        if item_sd[i] < rules.uniform_item_sd:
            why.append(f"条目平均标准差{item_sd[i]:.2f}")
        if votes[i] >= k_min and top_vote[i] == votes[i] and (votes_supp is None or votes_supp.published(unit, view)):
            why.append(f"{int(votes[i])}票全部同一评价")
        if why:
            rows.append((unit, view, "uniform_department", int(modal[i]), "；".join(why)))
    if jumps is not None:
        for r in jumps.itertuples(index=False):
            rows.append((r.department, r.kind, "jump", int(r.count), r.detail))
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS).astype({"count": "int64"})


def sums_item_var(sums: GroupSums, prep: Prepared) -> list[np.ndarray]:
    return [variance(*sums.moments(k, prep.sheets[k].to_numpy())) for k in prep.item_keys]


def find_jumps(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Published department × view groups whose overall index or satisfaction jumped since last round."""
    t = table[(table["department"] != ALL) & table["kind"].isin(VIEWS) & ~table["suppressed"]]
    idx = t[(t["statistic"] == "change") & (t["key"] == "overall") & (t["level"] == "overall")]
    rows = []
    for r in idx.itertuples(index=False):
        if r.value == r.value and abs(r.value) >= rules.jump_index and (r.ci_low > 0 or r.ci_high < 0):
            rows.append((r.department, r.kind, r.n, f"总体作风指数变化{r.value:+.1f}分（阈值{rules.jump_index:g}）"))
    sat = t[(t["statistic"] == "satisfaction_change")]
    for r in sat.itertuples(index=False):
        if r.value == r.value and abs(r.value) >= rules.jump_satisfaction:
            rows.append((r.department, r.kind, r.n, f"满意度变化{r.value:+.2f}（阈值{rules.jump_satisfaction:g}）"))
    return pd.DataFrame(rows, columns=["department", "kind", "count", "detail"])


def problem_list(table: pd.DataFrame, instrument, rules: Rules) -> pd.DataFrame:
    """Department × item flags with the rule that fired, from published rows of the long table.

    Rules, none on a point estimate alone: ``red_line`` (a red-line item's alert fired: the one-sided
    exact lower bound of the share of serious ratings lies above the instrument's ``red_line.min_share``
    and at least ``rules.red_line_min_count`` of them are serious, :mod:`zuofeng.score.alerts`; the note
    says how many of how many, and the bound), ``problem_rate`` (the 95% Wilson lower bound of the share of
    4–5 answers ≥ ``rules.problem_rate``: the share is credibly that high, Wilson 1927),
    ``below_organisation`` (the item's index interval lies wholly below the organisation's for the same
    kind, and the item has at least ``rules.min_answers`` answers).
    """
    labels = {it.key: it.label.zh for it in instrument.items}
    t = table[(table["level"] == "item") & table["kind"].isin(VIEWS) & ~table["suppressed"]]
    rows = []
    share = t[t["statistic"] == "red_line_share"].set_index(["department", "kind", "key"])["value"]
    for r in t[(t["statistic"] == "red_line_alert") & (t["value"] == 1)].itertuples(index=False):
        v = share.get((r.department, r.kind, r.key), np.nan)
        rows.append((r.department, r.kind, r.key, labels[r.key], "red_line", v,
                     (f"红线条目：{round(v * r.n)}/{r.n}份评分为“比较突出”或“非常突出”（{v:.1%}，单侧95%精确下限"
                      f"{r.ci_low:.1%}高于报告阈值{instrument.red_line_share:.0%}，且至少{rules.red_line_min_count}份）")))
    for r in t[(t["statistic"] == "problem_rate") & (t["ci_low"] >= rules.problem_rate)].itertuples(index=False):
        rows.append((r.department, r.kind, r.key, labels[r.key], "problem_rate", r.value,
                     f"问题率{r.value:.1%}，95%区间下限{r.ci_low:.1%}≥{rules.problem_rate:.0%}（{round(r.value * r.n)}/{r.n}）"))
    idx = t[t["statistic"] == "index"]
    org = idx.loc[idx["department"] == ALL, ["kind", "key", "ci_low"]].rename(columns={"ci_low": "org_low"})
    below = idx[idx["department"] != ALL].merge(org, on=["kind", "key"])
    below = below[(below["ci_high"] < below["org_low"]) & (below["n"] >= rules.min_answers)]  # NaN compares False
    for r in below.itertuples(index=False):
        rows.append((r.department, r.kind, r.key, labels[r.key], "below_organisation", r.value,
                     f"指数{r.value:.1f}，区间上限{r.ci_high:.1f}低于全组织区间下限{r.org_low:.1f}"))
    df = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    order = {"red_line": 0, "problem_rate": 1, "below_organisation": 2}
    return (df.assign(_o=df["rule"].map(order), _a=df["department"] != ALL)
            .sort_values(["_a", "department", "kind", "key", "_o"]).drop(columns=["_o", "_a"]).reset_index(drop=True))


def published_comments(prep: Prepared, supp: Suppression, k_comment: int) -> pd.DataFrame:
    """Comments of every published department × view with at least ``k_comment`` sheets, sorted by text
    (never by arrival)."""
    sh = prep.sheets
    n = sh.groupby(["department", "view"]).size()
    ok = [g for g, c in n.items() if c >= k_comment and supp.published(*g)]
    c = sh[sh["comment"].notna()]
    c = c[pd.MultiIndex.from_arrays([c["department"], c["view"]]).isin(ok)]
    df = pd.DataFrame({"department": c["department"].to_numpy(), "kind": c["view"].to_numpy(),
                       "comment": c["comment"].to_numpy()}, columns=COMMENT_COLUMNS)
    return df.sort_values(["department", "kind", "comment"]).reset_index(drop=True)
