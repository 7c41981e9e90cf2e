"""The scoring entry points: ``score_frames`` (pure, over tidy frames) and ``score_round`` (reads the store).

One call produces every number a report shows, as a :class:`Scores` bundle of tidy frames. Suppressed
figures never enter it: a suppressed row keeps its key with ``suppressed=True`` and an empty value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import __version__
from ..axes import kind_label, outside_mode
from ..instrument import Instrument, load_instrument
from . import compare, stats
from . import groups as groups_mod
from .intervals import INTERVALS
from .prepare import OVERALL, GroupSums, Prepared, ScoreError, leaf_counts, prepare, vote_leaf_counts
from .quality import Rules, find_jumps, problem_list, published_comments, quality_flags
from .rowkeys import category_codes, distinct_rows
from .suppress import (
    ALL,
    COMPLEMENTARY,
    KINDS,
    N_LT_K,
    PUBLIC_COUNTS,
    TOTAL,
    FigureSuppression,
    Suppression,
    division_pools,
    figure_notes,
    hidden_text,
    is_pool,
    pooled_text,
    resting_text,
    suppress_figures,
    suppress_round,
)
from .table import COLUMNS, LEVELS, assemble, block, cell_of_row, group_blocks
from .views import ViewCombiner

STATISTICS = (
    "respondents", "headcount", "coverage", "respondents_party", "respondents_non_party", "respondents_no_category",
    "respondents_table",
    "mean", "sd", "index", "problem_rate", "red_line_share", "red_line_alert", "alpha", "rwg_j", "icc1", "icc2",
    "icc_p", "gap", "gap_p", "gap_q", "gap_flag", "satisfaction", "eval_score", "composite", "change", "change_p",
    "change_q",
    "satisfaction_change", "rank", "rank_low", "rank_high", "bottom",
)
RANK_BUDGET = 120_000_000   # automatic n_boot = RANK_BUDGET / departments², within 10,000 … 2,000,000
TEXT = pd.StringDtype(na_value=np.nan)   # text columns of the output frames


@dataclass(frozen=True, eq=False)
class Scores:
    """Everything a round's reports show; see the README (scoring) for every column and statistic."""

    table: pd.DataFrame
    problems: pd.DataFrame
    quality: pd.DataFrame
    comments: pd.DataFrame
    suppression: pd.DataFrame
    departments: pd.DataFrame
    meta: dict = field(default_factory=dict)
    #: figures per rater group and their composite (:mod:`zuofeng.score.groups`); empty without groups
    groups: pd.DataFrame = field(default_factory=groups_mod.empty_frame)

    FRAMES = ("table", "problems", "quality", "comments", "suppression", "departments", "groups")

    def rows(self, **where) -> pd.DataFrame:
        """Rows of the long table matching every ``column=value`` given, e.g. ``rows(statistic="index")``."""
        t = self.table
        mask = np.ones(len(t), bool)
        for col, val in where.items():
            mask &= t[col].eq(val).to_numpy()
        return t[mask]


@dataclass(frozen=True)
class RoundData:
    """The frames of one round, e.g. the previous round handed to :func:`score_frames`."""

    responses: pd.DataFrame
    departments: pd.DataFrame
    round_info: dict
    instrument: Instrument | None = None


@dataclass
class _Scored:
    prep: Prepared
    supp: Suppression        # answer sheets
    votes: Suppression       # evaluation votes (seeded with the suppressed groups)
    figs: FigureSuppression  # score figures on their own answer counts (seeded with the suppressed groups)
    sums: GroupSums
    blocks: list
    shared: dict
    pools: pd.DataFrame | None = None   # the rows of the division pools (归口), before suppression


def _check_round_info(info: dict) -> dict:
    need = ("k_min", "eval_scores")
    missing = [k for k in need if k not in info]
    if missing:
        raise ScoreError(f"round_info 缺少 {'、'.join(missing)}",
                         f"round_info lacks {', '.join(missing)}")
    k = info["k_min"]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 3:
        raise ScoreError(f"k_min 不能为 {k!r}：应为 ≥ 3 的整数",
                         f"k_min {k!r} is not allowed; allowed: a whole number ≥ 3")
    kc = info.get("k_comment") or max(10, int(k))
    if not isinstance(kc, (int, np.integer)) or kc < k:
        raise ScoreError(f"k_comment 不能为 {kc!r}：应为 ≥ k_min（{k}）的整数",
                         f"k_comment {kc!r} is not allowed; allowed: a whole number ≥ k_min ({k})")
    weights = info.get("group_weights")
    if weights is not None:
        bad = [v for v in weights if v not in KINDS[:3]]
        if bad or any(not isinstance(w, (int, float)) or w < 0 for w in weights.values()) or not sum(weights.values()):
            raise ScoreError(f"group_weights 不能为 {weights!r}：{'、'.join(KINDS[:3])} 的权重应非负且不全为 0",
                             f"group_weights {weights!r} are not allowed; allowed: non-negative weights, not all 0, "
                             f"for {', '.join(KINDS[:3])}")
    return {**info, "k_min": int(k), "k_comment": int(kc)}


def _score_round_data(responses, departments, info, instrument, rules, items: bool = True) -> _Scored:
    """Check and score one round's frames; ``items=False`` for a previous round, whose item and reliability
    rows no statistic reads (:func:`zuofeng.score.table.group_blocks`)."""
    prep = prepare(responses, departments, instrument, info["eval_scores"])
    supp = suppress_round(leaf_counts(prep), prep.departments, info["k_min"])
    hidden_groups = {c: r for c, r in supp.reasons.items() if c[2] == TOTAL}
    votes = suppress_round(vote_leaf_counts(prep), prep.departments, info["k_min"], categories=False,
                           initial=hidden_groups)
    sums = GroupSums(prep)
    figs = suppress_figures(answer_counts(prep, sums), prep.departments, info["k_min"], supp,
                            {**{d: tuple(items) for d, items in prep.dims.items()}, OVERALL: tuple(prep.dims)},
                            info.get("group_weights"), answer_contents(prep, sums))
    combine = ViewCombiner(sums.groups.get_level_values(0).to_numpy(object), info.get("group_weights"),
                           supp.published, sums.sum("sheets", np.ones(len(prep.sheets))))

    def published(unit, view, key) -> bool:   # the departments' figures the organisation's interval may use
        return supp.published(unit, view) and (votes.published(unit, view) if key is None
                                               else figs.published(unit, view, key))

    blocks, shared = group_blocks(prep, sums, instrument, info["eval_scores"], rules.red_line_min_count, combine,
                                  items, published=published)
    shared["view_weights"] = combine.as_dict()
    pools = _pool_rows(responses, prep, supp, info, instrument, rules) if items else None
    return _Scored(prep, supp, votes, figs, sums, blocks, shared, pools)


def _pool_rows(responses, prep: Prepared, supp: Suppression, info, instrument, rules) -> pd.DataFrame | None:
    """The group rows (counts, scores, shares, evaluation) of every division pool (归口), scored as if each
    pool were one department of its member departments' sheets; their publication is decided with the
    departments' (the pools are cells of the same suppression)."""
    pools = division_pools(prep.departments)
    if not pools:
        return None
    unit_of = {code: unit for unit, (_, members) in pools.items() for code in members}
    dept = pd.Series(responses["department"], dtype=object).map(unit_of)
    keep = dept.notna().to_numpy()
    if not keep.any():
        return None
    pooled = responses.loc[keep].copy()
    pooled["department"] = dept[keep].to_numpy()
    d = prep.departments.set_index("code")
    frame = pd.DataFrame([{"code": unit, "name": name, "unit_type": "归口",
                           "headcount": int(d.loc[list(members), "headcount"].sum()),
                           "party_members": None, "division": None} for unit, (name, members) in pools.items()])
    pprep = prepare(pooled, frame, instrument, info["eval_scores"])
    psums = GroupSums(pprep)
    combine = ViewCombiner(psums.groups.get_level_values(0).to_numpy(object), info.get("group_weights"),
                           supp.published, psums.sum("sheets", np.ones(len(pprep.sheets))))
    blocks, _ = group_blocks(pprep, psums, instrument, info["eval_scores"], rules.red_line_min_count, combine)
    rows = assemble(blocks)
    rows = rows[rows["department"].map(is_pool).astype(bool)]
    return rows.drop(columns=[c for c in ("_needs",) if c in rows and rows[c].isna().all()]).reset_index(drop=True)


def score_frames(responses: pd.DataFrame, departments: pd.DataFrame, round_info: dict, instrument: Instrument,
                 previous: RoundData | tuple | None = None, seed: int = 1, *, n_boot: int | None = None,
                 rules: Rules | None = None) -> Scores:
    """Score one round from its frames (pure: no store, no files).

    Parameters
    ----------
    responses : DataFrame
        One row per answer sheet, as :func:`zuofeng.frames.responses_frame` returns it.
    departments : DataFrame
        The roster: code, name, unit_type, headcount[, party_members, division].
    round_info : dict
        The round's row: code, title, k_min, k_comment, previous, eval_scores, group_weights, …
    instrument : Instrument
        The round's instrument.
    previous : RoundData or (responses, departments, round_info), optional
        The previous round, for change and jump statistics.
    seed : int
        Seed of the simulated league tables behind the rank ranges: same data and seed, same scores.
    n_boot : int, optional
        Simulated league tables for the rank ranges (Monte Carlo error: see :func:`compare.rank_blocks`);
        by default ``120,000,000 / departments²`` within 10,000 … 2,000,000, recorded in ``meta["n_boot"]``.
    rules : Rules, optional
        Thresholds of the problem list and quality flags.

    Returns
    -------
    Scores
    """
    if n_boot is not None and (not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 100):
        raise ScoreError(f"n_boot 不能为 {n_boot!r}：应为 ≥ 100 的整数，或 None（自动）",
                         f"n_boot {n_boot!r} is not allowed; allowed: a whole number ≥ 100, or None (automatic)")
    rules = rules or Rules()
    info = _check_round_info(dict(round_info))
    _check_answers(responses, info)
    low, high = 1.0, float(len(instrument.item_scale.options))
    scale = 100.0 / (high - low)
    cur = _score_round_data(responses, departments, info, instrument, rules)
    groups = cur.sums.groups
    blocks = list(cur.blocks)
    score = cur.shared["score"]
    honest = cur.shared["honest"]
    blocks += compare.gap_blocks(groups, score, honest, scale, rules.min_answers)
    blocks += compare.icc_blocks(groups, cur.sums, cur.prep, _Published(cur))
    blocks += compare.composite_blocks(groups, score, honest, cur.shared["eval_score"], info.get("group_weights"),
                                       low, high)

    prev_code = None
    if previous is not None:
        if isinstance(previous, tuple):
            previous = RoundData(*previous)
        p_info = _check_round_info(dict(previous.round_info))
        _check_answers(previous.responses, p_info, previous=True)
        prev_code = p_info.get("code") or p_info.get("round")
        p_inst = previous.instrument or instrument
        prev = _score_round_data(previous.responses, previous.departments, p_info, p_inst, rules, items=False)
        blocks += compare.change_blocks(groups, score, honest, prev.shared["score"], prev.shared["honest"],
                                        prev.sums.groups, prev.supp, scale)
        blocks.append(_satisfaction_change(groups, cur, prev))

    table = assemble(blocks)
    index_ci = table[(table["statistic"] == "index") & (table["key"] == OVERALL)].set_index(["department", "kind"])
    n = score[OVERALL][2]
    with np.errstate(invalid="ignore", divide="ignore"):
        se = scale * np.sqrt(honest[OVERALL][0] / n)
    if n_boot is None:  # fewer departments: cheaper tables, and rank shares sit closer to the cuts, so more
        n_boot = int(np.clip(-(-RANK_BUDGET // max(1, len(cur.prep.codes)) ** 2), 10_000, 2_000_000))
    ranks = compare.rank_blocks(groups, _Published(cur), index_ci[["value", "ci_low", "ci_high"]], se,
                                honest[OVERALL][1], n, seed, n_boot)
    if ranks:
        table = pd.concat([table, assemble(ranks)], ignore_index=True)
    if cur.pools is not None and len(cur.pools):
        table = pd.concat([table, cur.pools], ignore_index=True)
    for col in ("department", "kind", "level", "key", "statistic"):  # factorised once for every later step
        table[col] = pd.Categorical(table[col])
    table = _apply_suppression(table, cur.supp, cur.votes, cur.figs, prev.figs if previous is not None else None)
    table = _pooled_notes(table, cur.prep)
    table = compare.add_qvalues(table)
    code = info.get("code") or info.get("round") or ""
    table = _order(table, cur.prep, instrument, code)

    units = table[~table["department"].map(is_pool).astype(bool)]   # pools are no department of their own
    jumps = find_jumps(units, rules) if previous is not None else None
    quality = quality_flags(cur.prep, cur.sums, cur.supp, info["k_min"], rules, jumps, cur.votes, cur.figs)
    problems = problem_list(units, instrument, rules)
    comments = published_comments(cur.prep, cur.supp, info["k_comment"])
    whole = cur.supp.published(ALL, "all")
    meta = {
        "round": code, "title": info.get("title", ""), "previous": prev_code,
        "k_min": info["k_min"], "k_comment": info["k_comment"],
        "instrument_id": instrument.id, "instrument_version": instrument.version,
        "eval_scores": {k: float(v) for k, v in info["eval_scores"].items()},
        "group_weights": info.get("group_weights"), "view_weights": cur.shared["view_weights"],
        "rater_groups": info.get("rater_groups"),
        "n_responses": int(cur.sums.sum("sheets", np.ones(len(cur.prep.sheets)))[3]) if whole else None,
        "n_departments": len(cur.prep.codes),
        "scored_on": dt.date.today().isoformat(), "scored_at": dt.datetime.now().isoformat(timespec="minutes"),
        "status": info.get("status"), "outside": outside_mode(info), "seed": int(seed), "n_boot": n_boot,
        "rules": rules.as_dict(), "intervals": dict(INTERVALS), "zuofeng_version": __version__,
    }
    frames = {"table": table, "problems": problems, "quality": quality, "comments": comments,
              "suppression": _suppression_frame(cur), "departments": cur.prep.departments.copy(),
              "groups": _group_frame(responses, info, cur, table, code)}
    return Scores(**{k: text_columns(v) for k, v in frames.items()}, meta=meta)


PRELIMINARY = ("初步结果：本轮测评仍在进行，以下是 {at} 计分时的结果；测评结束后重新计分的结果为准。",
               ("Preliminary results: this round is still open; these are the scores as of {at}. The scores taken "
                "after it closes are the final ones."))


def preliminary_note(meta: dict, lang: str = "zh") -> str:
    """The 初步结果 (preliminary) line for scores taken while their round was open, with the time of
    scoring; empty for a closed round. Every report page and ``zuofeng score`` show it.

    >>> preliminary_note({"status": "open", "scored_at": "2022-06-30T09:15"})
    '初步结果：本轮测评仍在进行，以下是 2022-06-30 09:15 计分时的结果；测评结束后重新计分的结果为准。'
    >>> preliminary_note({"status": "closed", "scored_at": "2022-06-30T09:15"})
    ''
    """
    if meta.get("status") != "open":
        return ""
    at = str(meta.get("scored_at") or meta.get("scored_on") or "").replace("T", " ")
    return PRELIMINARY[1 if lang == "en" else 0].format(at=at)


def _check_answers(responses: pd.DataFrame, info: dict, previous: bool = False) -> None:
    """Refuse a round without answer sheets (nothing to score) in one line that says what to do."""
    if len(responses):
        return
    code = info.get("code") or info.get("round") or "?"
    if previous:
        raise ScoreError(f"上一轮 {code} 没有答卷，本轮无法与其比较：请先收集上一轮的答卷",
                         f"the previous round {code} has no answer sheets, so this round cannot be compared "
                         "with it; collect its answers first")
    raise ScoreError(f"轮次 {code} 还没有答卷，无可计分：请先收集答卷（zuofeng serve、zuofeng import 或 zuofeng simulate {code}）",
                     f"round {code} has no answer sheets yet: nothing to score; collect answers first "
                     f"(zuofeng serve, zuofeng import or zuofeng simulate {code})")


def text_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Give every text column pandas' string dtype (missing = NaN, :data:`TEXT`), the dtype Parquet reads back."""
    df = df.reset_index(drop=True)
    for col in df.columns:
        if df[col].dtype == object:
            vals = df[col].dropna()
            if vals.empty or pd.api.types.infer_dtype(vals, skipna=True) == "string":
                df[col] = df[col].astype(TEXT)
    return df


def _group_frame(responses: pd.DataFrame, info: dict, cur: _Scored, table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The figures per rater group, below the parents the long table hides (:mod:`zuofeng.score.groups`)."""
    if not groups_mod.has_groups(responses, info):
        return groups_mod.empty_frame()
    idx = table[(table["statistic"] == "index") & (table["key"] == OVERALL) & table["suppressed"].astype(bool)]
    hidden = set(zip(idx["department"].astype(str), idx["kind"].astype(str)))
    return groups_mod.group_frame(cur.prep, responses["rater_group"].reset_index(drop=True), info["rater_groups"],
                                  info["k_min"], hidden, code)


def _suppression_frame(cur: _Scored) -> pd.DataFrame:
    """Suppressed answer cells, then the evaluation cells hidden on top of them (scope ``votes``)."""
    answers = cur.supp.frame()
    votes = cur.votes.frame(skip=set(cur.supp.reasons))
    return pd.concat([answers, votes], ignore_index=True) if len(votes) else answers


def _satisfaction_change(groups, cur: _Scored, prev: _Scored) -> pd.DataFrame:
    """Change of satisfaction since the previous round with Newcombe's interval (evaluation level)."""
    pos = prev.sums.groups.get_indexer(groups)
    known = pos >= 0
    p1, l1, u1, n1 = cur.shared["satisfaction"]
    p2, l2, u2, pn = (np.where(known, np.asarray(a)[np.maximum(pos, 0)], np.nan) for a in prev.shared["satisfaction"])
    pn = np.nan_to_num(pn)
    d, lo, hi = stats.difference_from_limits(p1, l1, u1, p2, l2, u2)
    note = np.where(~known, "上一轮无此组", np.where((n1 == 0) | (pn == 0), "两轮均需有效票", None))
    df = block(groups, "evaluation", OVERALL, "satisfaction_change", d, lo, hi, n1, note=note,
               keep=groups.get_level_values(1) != "self")
    hidden = np.array([known[i] and not prev.votes.published(dd, kk) for i, (dd, kk) in enumerate(groups)])
    df["_prev_hidden"] = hidden[groups.get_level_values(1) != "self"]
    return df


def _reasons(table: pd.DataFrame, supp: Suppression) -> np.ndarray:
    """The suppression reason of each row's cell (None where published)."""
    hidden = {(u, k, c): r for (u, k, c), r in supp.reasons.items() if (u, k, c) not in supp.internal}
    if not hidden:
        return np.full(len(table), None, dtype=object)
    # one lookup per distinct (department, kind, cell), not per row
    inverse, cells = distinct_rows(table["department"], table["kind"], cell_of_row(table))
    return np.array([hidden.get(c) for c in cells], dtype=object)[inverse]


def _texts(values: np.ndarray, texts: dict) -> np.ndarray:
    """``texts[value]`` for each value (None where missing or not a key), one lookup per distinct value."""
    codes, uniq = pd.factorize(values)   # missing: code −1, the appended None
    return np.array([texts.get(u) for u in uniq] + [None], dtype=object)[codes]


def answer_counts(prep: Prepared, sums: GroupSums) -> dict[str, dict[tuple[str, str], int]]:
    """The answers behind each score figure per (department, view): for an item its answers other than
    不了解, for a dimension or ``overall`` the respondents with a score there."""
    cols = {**{k: k for k in prep.item_keys}, **{k: f"s:{k}" for k in prep.score_keys}}
    n = sums.leaf_sums(prep.sheets[list(cols.values())].notna().to_numpy()).astype(np.int64)
    leaves = [(d, v) for d in prep.codes for v in KINDS[:3]]   # the leaf order of GroupSums
    return {key: dict(zip(leaves, n[:, j].tolist())) for j, key in enumerate(cols)}


def answer_contents(prep: Prepared, sums: GroupSums) -> dict[str, dict[tuple[str, str], tuple]]:
    """The sums a published figure gives away, per key and (department, view): answers, sum, sum of
    squares and, for an item, the count of 4–5 ratings (None for a dimension or the overall, whose
    respondent scores are means)."""
    cols = {**{k: k for k in prep.item_keys}, **{k: f"s:{k}" for k in prep.score_keys}}
    x = prep.sheets[list(cols.values())].to_numpy(dtype="float64")
    ok = ~np.isnan(x)
    v = np.where(ok, x, 0.0)
    n, s, q, c = (sums.leaf_sums(a) for a in (ok.astype("float64"), v, v * v, (v >= 4).astype("float64")))
    leaves = [(d, view) for d in prep.codes for view in KINDS[:3]]   # the leaf order of GroupSums
    items = set(prep.item_keys)
    return {key: {leaf: (n[i, j], s[i, j], q[i, j], c[i, j] if key in items else None)
                  for i, leaf in enumerate(leaves)} for j, key in enumerate(cols)}


class _Published:
    """The groups whose every dimension and overall figure is published: the departments that ranks and
    ICCs may use (a department hidden on answers must not shift the others' ranks or the ICC)."""

    def __init__(self, cur: _Scored):
        self.cur = cur

    def published(self, unit: str, kind: str) -> bool:
        return self.cur.supp.published(unit, kind) and self.cur.figs.group_published(unit, kind)


def _apply_suppression(table: pd.DataFrame, supp: Suppression, votes: Suppression, figs: FigureSuppression,
                       prev_figs: FigureSuppression | None = None) -> pd.DataFrame:
    """Blank every figure of a suppressed cell, of a row that needs a suppressed cell, of a change
    whose previous group was suppressed, or of a row resting on a figure hidden on its answer counts
    (:func:`zuofeng.score.suppress.figure_notes`); say why in ``note``. Evaluation rows follow the vote
    cells."""
    is_eval = (table["level"] == "evaluation").to_numpy()
    answers, by_votes = _reasons(table, supp), _reasons(table, votes)
    # the vote cells decide evaluation rows (they start from the suppressed groups with votes; a group
    # without votes is a published zero there); the answer cells decide every other row
    reason = np.where(is_eval, by_votes, answers)
    # one wording for a group under k and a group hidden beside one (which side of k it lies is no one's business)
    texts = {r: hidden_text(supp.k, "答卷") for r in (N_LT_K, COMPLEMENTARY)}
    vote_texts = {r: hidden_text(supp.k, "有效票") for r in (N_LT_K, COMPLEMENTARY)}
    note = np.where(is_eval & pd.isna(answers), _texts(by_votes, vote_texts), _texts(answers, texts))
    note[pd.isna(reason)] = None
    if "_needs" in table:
        needs = table["_needs"].to_numpy(object)
        rows = np.flatnonzero(pd.notna(needs) & pd.isna(reason))
        if len(rows):  # decide once per distinct (department, needed kinds, scope), not per row
            inverse, keys = distinct_rows(table["department"].to_numpy(object)[rows], needs[rows], is_eval[rows])
            text = []
            for d, need, ev in keys:
                s = votes if ev else supp
                bad = [kind_label(kk) for kk in need.split() if not s.published(d, kk)]
                text.append(resting_text("、".join(bad) + "结果") if bad else None)
            hit = np.array(text, dtype=object)[inverse]
            ok = pd.notna(hit)
            note[rows[ok]] = hit[ok]
    if "_prev_hidden" in table:
        ph = (table["_prev_hidden"].to_numpy(object) == True) & pd.isna(note)  # True, False or None
        note[ph] = resting_text("上一轮该组结果")
    open_rows = np.flatnonzero(pd.isna(note))
    if len(open_rows):
        by_answers = figure_notes(table.iloc[open_rows], figs, prev_figs).to_numpy(object)
        hit = pd.notna(by_answers)
        note[open_rows[hit]] = by_answers[hit]
    note[table["statistic"].isin(PUBLIC_COUNTS).to_numpy()] = None   # counts are public, answers protected
    sup = pd.notna(note)
    table = table.drop(columns=[c for c in ("_needs", "_prev_hidden") if c in table])
    table.loc[sup, ["value", "ci_low", "ci_high", "n"]] = np.nan
    table["note"] = pd.Series(np.where(sup, note, table["note"].to_numpy(object)), index=table.index, dtype=object)
    table["suppressed"] = sup
    return table


def _pooled_notes(table: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """A department's hidden row whose division pool (归口) publishes the same figure says so, naming the
    pool and its departments (the reports show the pooled figure there)."""
    pools = division_pools(prep.departments)
    if not pools:
        return table
    unit_of = {code: unit for unit, (_, members) in pools.items() for code in members}
    names = dict(zip(prep.departments["code"], prep.departments["name"].astype(str)))
    keys = ["kind", "level", "key", "statistic"]
    dept = table["department"].astype(object)
    pooled = table[dept.map(is_pool).astype(bool).to_numpy() & ~table["suppressed"].to_numpy(bool)]
    published = pd.MultiIndex.from_arrays([pooled["department"].astype(object), *(pooled[c].astype(object) for c in keys)])
    rows = np.flatnonzero(table["suppressed"].to_numpy(bool) & dept.isin(unit_of).to_numpy()
                          & ~table["statistic"].astype(object).isin(PUBLIC_COUNTS).to_numpy())
    if not len(rows):
        return table
    sub = table.iloc[rows]
    want = pd.MultiIndex.from_arrays([sub["department"].astype(object).map(unit_of), *(sub[c].astype(object) for c in keys)])
    hit = want.isin(published)
    if not hit.any():
        return table
    note = table["note"].to_numpy(object).copy()
    for i, unit, kind in zip(rows[hit], want.get_level_values(0)[hit], sub["kind"].astype(object).to_numpy()[hit]):
        name, members = pools[unit]
        note[i] = pooled_text(kind_label(kind), name, [names[c] for c in members])
    table["note"] = pd.Series(note, index=table.index, dtype=object)
    return table


def _order(table: pd.DataFrame, prep: Prepared, instrument: Instrument, code: str) -> pd.DataFrame:
    orders = [
        ("department", [ALL, *prep.codes, *division_pools(prep.departments)]), ("kind", list(KINDS)), ("level", list(LEVELS)),
        ("key", [OVERALL, *prep.dims, *prep.item_keys]), ("statistic", list(STATISTICS)),
    ]
    ranks = [category_codes(table[col], cats) for col, cats in orders]
    order = np.lexsort(ranks[::-1])   # lexsort is stable; the last key is the primary
    table = table.iloc[order].copy()
    for (col, cats), rank in zip(orders, ranks):  # the key columns as text, taken from their categories
        if (rank >= 0).all():
            table[col] = pd.array(np.array(cats, dtype=object), dtype=TEXT).take(rank[order])
    table["round"] = pd.Series(code, index=table.index, dtype=TEXT)
    table["n"] = table["n"].round().astype("Int64")
    table["note"] = table["note"].astype(object).where(table["note"].notna(), None)
    return table[COLUMNS].reset_index(drop=True)


def refuse_draft(info: dict) -> None:
    """Refuse a draft round (no answers yet) in one line that says what to do: every path that scores."""
    from ..errors import RoundError

    if info.get("status") == "draft":
        code = info.get("code")
        raise RoundError(f"轮次 {code} 是草稿，还没有答卷，无可计分：请先开放（zuofeng round open {code}）并收集答卷",
                         f"round {code} is a draft and has no answers yet: nothing to score; open it "
                         f"(zuofeng round open {code}) and collect answers first")


def refuse_unscorable(info: dict, responses: pd.DataFrame) -> None:
    """Refuse a round already read that is a draft or has no answer sheets, before any work starts (a report
    batch calls it before it locks its folder and starts workers)."""
    refuse_draft(info)
    _check_answers(responses, info)


def score_round(engine, round_code: str, seed: int = 1, *, n_boot: int | None = None, rules: Rules | None = None) -> Scores:
    """Read a round (and its previous round, if it names one) from the store and score it.

    Usage (``engine`` from :func:`zuofeng.store.open_engine`)::

        scores = score_round(engine, "R2", seed=1)
        scores.rows(kind="peer_inside", statistic="index", key="overall")
    """
    from ..frames import departments_frame, responses_frame
    from ..store import get_round

    with engine.connect() as conn:
        info = get_round(conn, round_code)
        prev_info = get_round(conn, info["previous"]) if info["previous"] else None
    refuse_draft(info)
    inst = load_instrument(info["instrument_id"], info["instrument_version"])
    previous = None
    if prev_info is not None:
        p_inst = load_instrument(prev_info["instrument_id"], prev_info["instrument_version"])
        previous = RoundData(responses_frame(engine, prev_info["code"]), departments_frame(engine, prev_info["code"]),
                             prev_info, p_inst)
    return score_frames(responses_frame(engine, round_code), departments_frame(engine, round_code), info, inst,
                        previous, seed, n_boot=n_boot, rules=rules)
