"""Checking the input frames and turning answer sheets into respondent scores and group sums.

Input frames are treated as hostile: every column, value and code is checked, and a bad one is a
``ScoreError`` naming it. Group statistics are built from additive sums (counts, sums, sums of
squares) per department × view, then rolled up to department × all, ALL × view and ALL × all, so one
pass over the sheets feeds every group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..axes import KINDS, OUTSIDE, TABLE_FORM, VIEWS, table_column
from ..errors import ZuofengError
from ..instrument import Instrument
from .rowkeys import category_codes
from .suppress import ALL, CATEGORIES

OVERALL = "overall"
NEEDED = ("department", "view", "category", "overall", "comment", "too_fast")


class ScoreError(ZuofengError):
    """The frames handed to the scorer are malformed; the message names the bad column or value."""


@dataclass
class Prepared:
    """One round's sheets, checked, with respondent scores and the leaf group sums."""

    sheets: pd.DataFrame          # one row per sheet: department, view, category, items, s:<key>, table, votes
    departments: pd.DataFrame     # code, name, unit_type, headcount, party_members, division
    codes: list[str]
    item_keys: list[str]
    dims: dict[str, list[str]]    # dimension id → its item keys
    score_keys: list[str]         # dimension ids then "overall"
    vote_options: list[str]
    leaf: np.ndarray              # per sheet: index of its department × view leaf group

    @property
    def n_leaf(self) -> int:
        return len(self.codes) * len(VIEWS)


def shown(value) -> str:
    """A value as an error message shows it: numpy scalars as plain numbers, strings quoted."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def check_departments(departments: pd.DataFrame) -> pd.DataFrame:
    need = ("code", "name", "unit_type", "headcount")
    missing = [c for c in need if c not in departments.columns]
    if missing:
        raise ScoreError(f"departments 表缺少列 {'、'.join(missing)}；需要 {'、'.join(need)}",
                         f"departments frame lacks column(s) {', '.join(missing)}; needs {', '.join(need)}")
    d = departments.copy()
    for c in ("party_members", "division"):
        if c not in d.columns:
            d[c] = None
    codes = [str(c) for c in d["code"]]
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise ScoreError(f"部门代码 {dup[0]!r} 在 departments 表中出现不止一次",
                         f"department code {dup[0]!r} appears more than once in the departments frame")
    if ALL in codes:
        raise ScoreError(f"部门代码 {ALL!r} 留作全单位使用：请改名",
                         f"department code {ALL!r} is reserved for the whole organisation; rename it")
    head = pd.to_numeric(d["headcount"], errors="coerce")
    bad = d.loc[head.isna() | (head < 0) | (head != head.round()), "code"]
    if len(bad):
        raise ScoreError(f"部门 {bad.iloc[0]!r} 的人数为 {shown(d.loc[bad.index[0], 'headcount'])}：应为 ≥ 0 的整数",
                         f"department {bad.iloc[0]!r} has headcount {shown(d.loc[bad.index[0], 'headcount'])}; "
                         "allowed: a whole number ≥ 0")
    d["code"] = codes
    d["headcount"] = head.astype("int64")
    d["party_members"] = pd.to_numeric(d["party_members"], errors="coerce").astype("Int64")
    d["division"] = [x if isinstance(x, str) and x.strip() else None for x in d["division"]]
    return d[["code", "name", "unit_type", "headcount", "party_members", "division"]].reset_index(drop=True)


def prepare(responses: pd.DataFrame, departments: pd.DataFrame, instrument: Instrument,
            eval_scores: dict[str, float]) -> Prepared:
    """Check the frames and compute respondent scores.

    A respondent's dimension score is the mean of the items of that dimension they answered, when
    they answered at least half of them (rounded up); the overall score likewise over all items.
    不了解 (NaN) is missing, never a score.

    A row of the 民主测评 table (``form`` = ``table``, outside view only; optional columns ``form`` and
    ``t:<dimension>``) has no item answers: its dimension score is its rating of that dimension heading
    (1–5, the item scale), and its overall score the mean of the dimension ratings it gave, when it gave
    at least half of them (rounded up). So a department's outside dimension mean pools, one score per
    rater, the 22-item sheets' dimension means and the table's dimension ratings.
    """
    depts = check_departments(departments)
    codes = list(depts["code"])
    item_keys = list(instrument.item_keys)
    missing = [c for c in (*NEEDED, *item_keys) if c not in responses.columns]
    if missing:
        raise ScoreError(f"responses 表缺少列 {'、'.join(missing[:5])}",
                         f"responses frame lacks column(s) {', '.join(missing[:5])}")
    r = responses
    # string columns become integer codes once (-1: not an allowed value); no per-value string work
    view_codes = category_codes(r["view"], VIEWS)
    bad = view_codes < 0
    if bad.any():
        raise ScoreError(f"视角不能为 {shown(pd.Series(r['view'], dtype='object')[bad].iloc[0])}：应为 {'、'.join(VIEWS)} 之一",
                         f"view {shown(pd.Series(r['view'], dtype='object')[bad].iloc[0])} is not allowed; "
                         f"allowed: {', '.join(VIEWS)}")
    dept_codes = category_codes(r["department"], codes)
    bad = dept_codes < 0
    if bad.any():
        raise ScoreError(f"部门 {shown(pd.Series(r['department'], dtype='object')[bad].iloc[0])} 不在本轮次的名册中",
                         f"department {shown(pd.Series(r['department'], dtype='object')[bad].iloc[0])} is not in "
                         "the roster of this round")
    cat_codes = category_codes(r["category"], CATEGORIES[:2])
    no_cat = pd.isna(r["category"]).to_numpy()
    bad = (cat_codes < 0) & ~no_cat
    if bad.any():
        raise ScoreError(f"类别不能为 {shown(pd.Series(r['category'], dtype='object')[bad].iloc[0])}：应为 {'、'.join(CATEGORIES[:2])} 或留空",
                         f"category {shown(pd.Series(r['category'], dtype='object')[bad].iloc[0])} is not allowed; "
                         f"allowed: {', '.join(CATEGORIES[:2])} or empty")
    values = [o.value for o in instrument.item_scale.options]
    raw = r[item_keys]
    dont_know = {instrument.item_scale.missing.zh, instrument.item_scale.missing.en}
    if all(pd.api.types.is_numeric_dtype(raw[c]) and not pd.api.types.is_bool_dtype(raw[c]) for c in item_keys):
        items = pd.DataFrame(raw.to_numpy(dtype="float64"), columns=item_keys)   # no text to check
        raw_bad = np.zeros(items.shape, dtype=bool)
    else:
        items = raw.apply(pd.to_numeric, errors="coerce").astype("float64")
        raw_bad = (items.isna() & raw.notna() & ~raw.isin(dont_know)).to_numpy()
    arr = items.to_numpy()
    bad = raw_bad | ~(np.isnan(arr) | np.isin(arr, np.asarray(values, dtype="float64")))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ScoreError(f"{item_keys[j]} 的回答不能为 {shown(r[item_keys].iat[i, j])}：应为 {min(values)}..{max(values)} 或留空（不了解）",
                         f"answer {shown(r[item_keys].iat[i, j])} to {item_keys[j]} is not allowed; "
                         f"allowed: {min(values)}..{max(values)} or empty (不了解)")
    missing = [instrument.overall_scale.missing.zh, instrument.overall_scale.missing.en]
    no_vote = pd.isna(r["overall"]).to_numpy() | (category_codes(r["overall"], missing) >= 0)  # 不了解 is not a vote
    options = [o.value for o in instrument.overall_scale.options]
    vote_codes = np.where(no_vote, -1, category_codes(r["overall"], options))
    bad = (vote_codes < 0) & ~no_vote
    if bad.any():
        raise ScoreError(f"总体评价不能为 {shown(pd.Series(r['overall'], dtype='object')[bad].iloc[0])}：应为 {'、'.join(options)} 之一或留空",
                         f"overall rating {shown(pd.Series(r['overall'], dtype='object')[bad].iloc[0])} is not allowed; "
                         f"allowed: {', '.join(options)} or empty")
    bad = ~no_vote & (view_codes == 0)
    if bad.any():
        raise ScoreError("自评答卷带有总体评价：只有互评答卷才有",
                         "a self-survey sheet carries an overall rating; only peer sheets do")
    if set(eval_scores) != set(options):
        raise ScoreError(f"测评分值给的是 {'、'.join(map(str, eval_scores))}；应为 {'、'.join(options)}",
                         f"evaluation scores name {', '.join(map(str, eval_scores))}; allowed: {', '.join(options)}")

    sheets = pd.DataFrame({"department": pd.Categorical.from_codes(dept_codes, categories=codes),
                           "view": pd.Categorical.from_codes(view_codes, categories=list(VIEWS)),
                           "category": pd.Categorical.from_codes(np.where(no_cat, 2, cat_codes),
                                                                 categories=list(CATEGORIES))})
    sheets = pd.concat([sheets, items.reset_index(drop=True)], axis=1)
    dims = {d.id: [it.key for it in d.items] for d in instrument.dimensions}
    answered = ~np.isnan(arr)
    filled = np.where(answered, arr, 0.0)
    cols = {}
    for did, keys in [*dims.items(), (OVERALL, item_keys)]:
        idx = [item_keys.index(k) for k in keys]
        cnt = answered[:, idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):   # the mean of the answered items (row_nanmean)
            mean = np.where(cnt > 0, filled[:, idx].sum(axis=1) / cnt, np.nan)
        cols[f"s:{did}"] = np.where(cnt >= math.ceil(len(keys) / 2), mean, np.nan)
    _table_scores(r, view_codes, dims, cols, values, answered)
    n_ans = answered.sum(axis=1)
    with np.errstate(invalid="ignore"):
        hi = np.where(answered, arr, -np.inf).max(axis=1, initial=-np.inf)
        lo = np.where(answered, arr, np.inf).min(axis=1, initial=np.inf)
    cols["straight"] = (n_ans >= math.ceil(len(item_keys) / 2)) & (hi == lo)
    cols["table"] = table_rows(r)
    fast = pd.Series(r["too_fast"], dtype="object")
    cols["too_fast"] = (fast.eq(True) | fast.eq(1)).to_numpy(bool)
    cols["vote"] = pd.Categorical.from_codes(vote_codes, categories=options)   # −1: no vote
    has_vote = vote_codes >= 0
    points = np.array([float(eval_scores[o.value]) for o in instrument.overall_scale.options])
    satisfied = np.array([float(bool(o.satisfied)) for o in instrument.overall_scale.options])
    cols["vote_score"] = np.where(has_vote, points[vote_codes], np.nan)
    cols["vote_sat"] = np.where(has_vote, satisfied[vote_codes], np.nan)
    comments = r["comment"]
    if not isinstance(comments.dtype, pd.StringDtype):   # keep only text
        comments = pd.Series(comments, dtype="object")
        comments = comments.where(comments.map(type).eq(str), None)
    text = comments.str.strip()
    text = text.where(text.fillna("").ne(""), None).to_numpy(dtype=object)
    cols["comment"] = pd.Series(np.where(pd.isna(text), None, text), dtype=object)
    sheets = pd.concat([sheets, pd.DataFrame(cols)], axis=1)
    leaf = dept_codes.astype(np.int64) * len(VIEWS) + view_codes.astype(np.int64)
    return Prepared(sheets, depts, codes, item_keys, dims, [*dims, OVERALL], options, leaf)


def table_rows(responses: pd.DataFrame) -> np.ndarray:
    """Which sheets are rows of the 民主测评 table (``form`` = ``table``); none without a ``form`` column."""
    if "form" not in responses.columns:
        return np.zeros(len(responses), bool)
    return pd.Series(responses["form"], dtype="object").eq(TABLE_FORM).to_numpy(bool)


def _table_scores(r: pd.DataFrame, view_codes: np.ndarray, dims: dict, cols: dict, values: list,
                  answered: np.ndarray) -> None:
    """Put the table rows' dimension ratings and their mean into the respondent scores ``cols``."""
    table = table_rows(r)
    if not table.any():
        return
    if (view_codes[table] != VIEWS.index(OUTSIDE)).any():
        raise ScoreError("民主测评表的一行评价的是本部门：表中各行只属于外部门互评",
                         "a 民主测评 table row rates the rater's own department; table rows are outside-view only")
    if answered[table].any():
        raise ScoreError("民主测评表的一行带有题目回答：其评分应在 t: 列中",
                         "a 民主测评 table row carries item answers; its ratings belong in the t: columns")
    names = [table_column(d) for d in dims]
    missing = [c for c in names if c not in r.columns]
    if missing:
        raise ScoreError(f"responses 表有民主测评表的行，但缺少列 {'、'.join(missing)}",
                         f"responses frame has 民主测评 table rows but lacks column(s) {', '.join(missing)}")
    rated = r.loc[table, names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    raw = r.loc[table, names]
    bad = (np.isnan(rated) & raw.notna().to_numpy()) | ~(np.isnan(rated) | np.isin(rated, np.asarray(values, float)))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ScoreError(f"{names[j]} 的评分不能为 {shown(raw.iat[i, j])}：应为 {min(values)}..{max(values)} 或留空（不了解）",
                         f"table rating {shown(raw.iat[i, j])} of {names[j]} is not allowed; "
                         f"allowed: {min(values)}..{max(values)} or empty (不了解)")
    for j, did in enumerate(dims):
        cols[f"s:{did}"][table] = rated[:, j]
    cnt = (~np.isnan(rated)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, np.nansum(rated, axis=1) / np.maximum(cnt, 1), np.nan)
    cols[f"s:{OVERALL}"][table] = np.where(cnt >= math.ceil(len(dims) / 2), mean, np.nan)


def leaf_counts(prep: Prepared) -> dict[tuple[str, str, str], int]:
    """Number of sheets per (department, view, category) — the input of the suppression rule."""
    cat = prep.sheets["category"].cat.codes.to_numpy().astype(np.int64)   # CATEGORIES order
    n = np.bincount(prep.leaf * len(CATEGORIES) + cat, minlength=prep.n_leaf * len(CATEGORIES))
    cells = [(d, v, c) for d in prep.codes for v in VIEWS for c in CATEGORIES]   # leaf order, then category
    return {cell: count for cell, count in zip(cells, n.tolist()) if count}


def vote_leaf_counts(prep: Prepared) -> dict[tuple[str, str, str], int]:
    """Number of valid evaluation votes per (department, view) (filed under one category): the
    evaluation is suppressed on its own counts, since self sheets structurally carry no vote."""
    n = np.bincount(prep.leaf[prep.sheets["vote_score"].notna().to_numpy()], minlength=prep.n_leaf)
    cells = [(d, v, CATEGORIES[2]) for d in prep.codes for v in VIEWS]   # leaf order
    return {cell: count for cell, count in zip(cells, n.tolist()) if count}


class GroupSums:
    """Additive sums per group; groups are (unit, kind) with unit ALL first, then the departments.

    ``sum(name, values)`` returns one value per group, in the order of ``groups``, cached under ``name``
    so that every stage reuses it; ``moments_of`` computes many columns in one pass.
    """

    def __init__(self, prep: Prepared):
        self.prep = prep
        self.groups = pd.MultiIndex.from_product([[ALL, *prep.codes], list(KINDS)], names=["department", "kind"])
        self._cache: dict[str, np.ndarray] = {}
        # leaf × sheet indicator: one sparse product sums every column per leaf, adding each leaf's
        # sheets in sheet order (the same sums, to the last bit, as np.bincount)
        n = len(prep.leaf)
        self._leaf_of = sparse.csr_matrix((np.ones(n), (prep.leaf, np.arange(n))), shape=(prep.n_leaf, n))

    def rollup(self, leaf_values: np.ndarray) -> np.ndarray:
        """Sum per leaf (departments × views) → every group (ALL and departments × views and all); a
        leaves × m matrix gives groups × m."""
        x = np.asarray(leaf_values, dtype="float64")
        cols = x.reshape(len(x), -1).T.reshape(-1, len(self.prep.codes), len(VIEWS))   # column, department, view
        dept = np.concatenate([cols, cols.sum(axis=2, keepdims=True)], axis=2).reshape(len(cols), -1)
        org = np.concatenate([cols.sum(axis=1), cols.reshape(len(cols), -1).sum(axis=1, keepdims=True)], axis=1)
        out = np.concatenate([org, dept], axis=1).T
        return out[:, 0] if x.ndim == 1 else out

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Group sums of each column of a per-sheet matrix (sheets × m, NaN counts as 0): groups × m."""
        v = np.ascontiguousarray(values, dtype="float64").reshape(len(self.prep.leaf), -1)
        return self._rollup_leaves(np.where(np.isnan(v), 0.0, v))

    def leaf_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums per leaf (department × view, ``Prepared.leaf`` order) of each column of a per-sheet matrix
        without missing values."""
        return self._leaf_of @ np.ascontiguousarray(values, dtype="float64").reshape(len(self.prep.leaf), -1)

    def _rollup_leaves(self, values: np.ndarray) -> np.ndarray:
        return self.rollup(self.leaf_sums(values))

    def sum(self, name: str, values: np.ndarray) -> np.ndarray:
        """Group sums of a per-sheet array (NaN counts as 0), cached under ``name``."""
        if name not in self._cache:
            self._cache[name] = self.sums(values)[:, 0]
        return self._cache[name]

    def moments_of(self, names: list[str], values: np.ndarray, mask: np.ndarray | None = None):
        """Count, sum and sum of squares (each groups × m) of the non-missing values of each column of a
        per-sheet matrix (within ``mask`` if given), cached under the column names as :meth:`moments` does."""
        v = np.asarray(values, dtype="float64").reshape(len(self.prep.leaf), -1)
        leaf_of = self._leaf_of
        if mask is not None:  # sum over the masked sheets only (in the same order: the same sums)
            rows = np.flatnonzero(mask)
            v = v[rows]
            leaf_of = sparse.csr_matrix((np.ones(len(rows)), (self.prep.leaf[rows], np.arange(len(rows)))),
                                        shape=(self.prep.n_leaf, len(rows)))
        v = np.ascontiguousarray(v)
        ok = ~np.isnan(v)
        w = np.where(ok, v, 0.0)
        n, s, ss = (self.rollup(leaf_of @ x) for x in (ok.astype("float64"), w, w * w))
        for j, name in enumerate(names):
            for part, arr in ((":n", n), (":s", s), (":ss", ss)):
                self._cache.setdefault(name + part, np.ascontiguousarray(arr[:, j]))
        return n, s, ss

    def moments(self, name: str, values: np.ndarray, mask: np.ndarray | None = None):
        """Count, sum and sum of squares of the non-missing values (within ``mask`` if given)."""
        if f"{name}:ss" not in self._cache:
            self.moments_of([name], values, mask)
        return self._cache[f"{name}:n"], self._cache[f"{name}:s"], self._cache[f"{name}:ss"]


ROUNDING = 1e-12  # relative size below which a variance from sums is rounding noise, i.e. 0


def variance(n, s, ss):
    """Sample variance (ddof = 1) from count, sum and sum of squares; NaN where n < 2.

    ``(Σx² − (Σx)²/n) / (n − 1)`` cancels badly when every value is the same: a result below
    ``ROUNDING`` times the mean square is set to exactly 0, so that a degenerate group gives the same
    answer whatever the order of its sheets.
    """
    n, s, ss = (np.asarray(a, dtype="float64") for a in (n, s, ss))
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, (ss - s * s / n) / (n - 1), np.nan)
        noise = ROUNDING * np.where(n > 0, ss / n, 0.0)
    return np.where(var <= noise, np.where(np.isnan(var), np.nan, 0.0), var)


def mean_sd(n, s, ss):
    """Mean and sample SD (ddof = 1) from count, sum and sum of squares; NaN where undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(np.asarray(n) > 0, s / np.asarray(n, dtype="float64"), np.nan)
    return mean, np.sqrt(variance(n, s, ss))


def row_nanmean(mat: np.ndarray) -> np.ndarray:
    """Mean of each row over its non-missing entries; NaN for a row with none (no warning)."""
    mat = np.asarray(mat, dtype="float64")
    ok = ~np.isnan(mat)
    cnt = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, np.where(ok, mat, 0.0).sum(axis=1) / cnt, np.nan)
