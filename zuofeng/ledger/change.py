"""Item-level change between rounds, the trend over a chain of rounds, and the "bottom twice" alert.

Only published figures are used: an item's mean, SD and n (answers) come from the scored round's long
table, where a suppressed group has no value. Groups are independent samples (answers are anonymous),
so each change is a Welch comparison of the two rounds' item means on the scorer's honest (moderated)
variances (:func:`zuofeng.score.table.honest_variance`), like the scorer's own change of the overall and
dimension indices: a group that answered all alike never gets a zero-width interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes import VIEWS
from ..score import power
from ..score.compare import FINDING_Q
from ..score.stats import bh_qvalues, welch_difference
from ..score.table import honest_variance

CLASSES = ("resolved", "improved", "unchanged", "worse", "new", "not_measurable")
CLASS_TEXT = {"zh": {"resolved": "已解决", "improved": "改善", "unchanged": "无明显变化", "worse": "变差",
                     "new": "新问题", "not_measurable": "无法测量"},
              "en": {c: c.replace("_", " ") for c in CLASSES}}
CHANGE_COLUMNS = ["department", "kind", "item", "key", "n_before", "index_before", "n_now", "index_now", "change",
                  "ci_low", "ci_high", "p", "q", "mdc", "flagged_before", "flagged_now", "change_class"]


def _item_figures(scores) -> pd.DataFrame:
    t = scores.table
    t = t[(t["level"] == "item") & t["kind"].isin(VIEWS) & t["department"].isin(scores.departments["code"])
          & t["statistic"].isin(["mean", "sd", "index"])]
    wide = t.pivot_table(index=["department", "kind", "key"], columns="statistic", values="value", aggfunc="first",
                         dropna=False)
    n = t[t["statistic"] == "mean"].set_index(["department", "kind", "key"])["n"].astype("float64")
    wide = wide.reindex(columns=["mean", "sd", "index"])
    wide["n"] = n.reindex(wide.index)
    wide["var"], wide["df"] = np.nan, np.nan
    for _key, g in wide.groupby(level="key", sort=False):  # the prior of an item pools its own groups, per view
        known = g["sd"].notna() & g["n"].notna()
        vm, df = honest_variance(g.index.get_level_values("department").to_numpy(),
                                 g.index.get_level_values("kind").to_numpy(), g["sd"].to_numpy() ** 2,
                                 np.where(known, g["n"].fillna(0), 0.0), 1.0)
        wide.loc[g.index, "var"], wide.loc[g.index, "df"] = vm, df
    k = scores.meta.get("k_min", 5)
    small = wide["n"].isna() | (wide["n"] < k)
    wide.loc[small, ["mean", "sd", "index", "var", "df"]] = np.nan  # published figures only: n ≥ k answers
    return wide


def _flags(scores) -> set:
    """(department, view, item) on the departments' problem lists (never a red-line alert alone)."""
    from .problems import department_rows

    p = department_rows(scores.problems)
    return set(zip(p["department"], p["kind"], p["key"]))


def item_change(now, before) -> pd.DataFrame:
    """Change of every department × view × item since the previous round, classified.

    Parameters
    ----------
    now, before : Scores
        The scored round and the round it follows (``before`` may be ``None``: everything is then
        ``not_measurable``).

    Returns
    -------
    DataFrame of CHANGE_COLUMNS
        ``change`` = index now − index before (作风指数 points, > 0 is better) with the 95% Welch interval
        ``ci_low``–``ci_high`` and Welch's two-sided ``p`` (:func:`zuofeng.score.stats.welch_difference`
        of the item means on the moderated variances and their degrees of freedom of
        :func:`zuofeng.score.table.honest_variance`, the prior pooling the item's department groups of the
        same view in the same round: the index is 25 × (5 − mean)). ``q``: the Benjamini–Hochberg q-value
        of ``p`` within the department × view (its measurable items form one family), the criterion of
        the labels; ``mdc``: the smallest change the comparison could have detected
        (:func:`zuofeng.score.power.from_change`, 80% power). ``change_class``, first that applies:
        ``not_measurable`` (either round suppressed, fewer than k answers, or fewer than 2),
        ``resolved`` (on the previous round's problem list for this view, not on this one, and
        improved: q < 0.05 and change > 0, so the interval lies wholly above 0 too), ``improved``
        (q < 0.05, change > 0), ``worse`` (q < 0.05, change < 0), ``new`` (on this round's list, not the
        previous one's), else ``unchanged`` (within noise, or not beyond the family's chance findings).
    """
    cur = _item_figures(now)
    if before is None:
        prev = cur.iloc[0:0]
    else:
        prev = _item_figures(before)
    idx = cur.index
    p = prev.reindex(idx)
    diff, lo, hi, pv = welch_difference(p["n"], p["mean"], p["var"], cur["n"], cur["mean"], cur["var"],
                                        df1=p["df"], df2=cur["df"])
    scale = 100.0 / 4.0
    f_now, f_before = _flags(now), (_flags(before) if before is not None else set())
    df = pd.DataFrame({
        "department": idx.get_level_values(0), "kind": idx.get_level_values(1), "key": idx.get_level_values(2),
        "n_before": p["n"].to_numpy(), "index_before": p["index"].to_numpy(), "n_now": cur["n"].to_numpy(),
        "index_now": cur["index"].to_numpy(), "change": scale * diff, "ci_low": scale * lo, "ci_high": scale * hi,
        "p": pv})
    df["q"] = bh_qvalues(df["p"].to_numpy(float), df["department"].astype(str) + "|" + df["kind"].astype(str))
    df["mdc"] = power.from_change(df["ci_low"].to_numpy(float), df["ci_high"].to_numpy(float))
    df["item"] = df["key"].str[1:].astype(int)
    keys = list(zip(df["department"], df["kind"], df["key"]))
    df["flagged_before"] = [k in f_before for k in keys]
    df["flagged_now"] = [k in f_now for k in keys]
    measurable = df["ci_low"].notna().to_numpy()
    found = (df["q"] < FINDING_Q).to_numpy()
    up, down = found & (df["change"] > 0).to_numpy(), found & (df["change"] < 0).to_numpy()
    fb, fn = df["flagged_before"].to_numpy(), df["flagged_now"].to_numpy()
    df["change_class"] = np.select(
        [~measurable, up & fb & ~fn, up, down, fn & ~fb],
        ["not_measurable", "resolved", "improved", "worse", "new"], "unchanged")
    order = {v: i for i, v in enumerate(VIEWS)}
    df = df.assign(_k=df["kind"].map(order)).sort_values(["department", "item", "_k"]).drop(columns="_k")
    return df[CHANGE_COLUMNS].reset_index(drop=True)


def round_chain(engine, round_code: str) -> list[str]:
    """The round and its predecessors through ``previous``, oldest first (a loop is cut)."""
    from ..store import get_round

    chain: list[str] = []
    code = round_code
    with engine.connect() as conn:
        while code and code not in chain:
            chain.append(code)
            code = get_round(conn, code)["previous"]
    return chain[::-1]


def chain_scores(engine, round_code: str, seed: int = 1) -> list:
    """Scores of every round of the chain ending at ``round_code``, oldest first."""
    from ..score import score_round
    return [score_round(engine, c, seed=seed) for c in round_chain(engine, round_code)]


def trend(scores_chain: list) -> pd.DataFrame:
    """Trend over a chain of rounds (oldest first): every department × view's overall and dimension index,
    and the index of every item that was on some round's problem list, with interval and n.

    Columns: ``round, department, kind, level, key, index, ci_low, ci_high, n, suppressed``.
    """
    from .problems import department_rows

    flagged = set()
    for s in scores_chain:
        p = department_rows(s.problems)
        flagged |= set(zip(p["department"], p["key"]))
    parts = []
    for s in scores_chain:
        t = s.table
        t = t[(t["statistic"] == "index") & t["kind"].isin(VIEWS)]
        items = t[t["level"] == "item"]
        keep = [(d, k) in flagged for d, k in zip(items["department"], items["key"])]
        parts.append(pd.concat([t[t["level"].isin(["overall", "dimension"])], items[keep]]))
    if not parts:
        return pd.DataFrame(columns=["round", "department", "kind", "level", "key", "index", "ci_low", "ci_high",
                                     "n", "suppressed"])
    out = pd.concat(parts, ignore_index=True).rename(columns={"value": "index"})
    return out[["round", "department", "kind", "level", "key", "index", "ci_low", "ci_high", "n", "suppressed"]]


def bottom_alerts(scores_chain: list) -> pd.DataFrame:
    """Departments at the bottom in the last two rounds running, for the same view.

    "Bottom" is the scorer's ``bottom`` statistic: the department's index interval lies wholly below the
    organisation's, the only case where rank ranges allow calling it 末位. A department × view is listed
    only where ``bottom`` is 1 in both of the last two rounds of the chain (oldest first).
    Columns: ``department, kind, rounds``.
    """
    cols = ["department", "kind", "rounds"]
    if len(scores_chain) < 2:
        return pd.DataFrame(columns=cols)
    sets = []
    for s in scores_chain[-2:]:
        b = s.rows(statistic="bottom")
        b = b[(b["value"] == 1) & ~b["suppressed"].astype(bool)]
        sets.append(set(zip(b["department"], b["kind"])))
    both = sorted(sets[0] & sets[1])
    rounds = f"{scores_chain[-2].meta['round']}、{scores_chain[-1].meta['round']}"
    return pd.DataFrame([(d, k, rounds) for d, k in both], columns=cols)
