"""The Excel export for leaders: anonymous answer sheets, coverage and scores on separate sheets.

What the answer-sheet tab holds, and why. Row-level answers defeat small-group suppression: anyone
can average the rows of a group the reports hide, or subtract the published rows from a published
total. So the tab publishes exactly what the scorer publishes:

* a sheet appears only when its group (rated department × view: self, peer_inside, peer_outside)
  has at least k sheets *and* the scorer did not suppress that group, directly or as a
  complementary cell (``Scores.suppression``);
* the overall rating is blanked for a whole group when the scorer suppressed the group's
  evaluation votes;
* an answer is blanked where the scorer hid the figure it feeds on its answer count (k counts the
  answers behind each figure, not just the sheets): an item's answers where the item's figure is
  hidden, every item of a dimension whose figure is hidden, and the whole group where its overall
  figure is hidden — so the rows never give back a figure the scorer withholds;
* the category (党员 / 非党员), the rater's department, the comment, dates, the source and every id
  are left out. The scorer publishes category counts for the whole organisation only — per
  department they are groups far below k, left unpublished on purpose — so a category column
  would publish exactly what the scorer withholds; the rater department splits outside views into
  small groups; comments are listed, from groups that reach ``k_comment`` only, on their own tab,
  not next to the answers they came with;
* rows are sorted by their content, never by arrival.

The first row of the tab states k and how many sheets were held back. The coverage tab is read
from the scorer's table too: answer sheets, headcount and coverage per department and view where the
scorer publishes them (已抑制 where it does not), and the 党员 / 非党员 / blank split for the whole
organisation only. Every text cell is neutralised against formula injection
(:func:`zuofeng.io.excel.safe_cell`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from ..axes import COVERAGE_VIEWS, VIEWS, kind_label
from ..errors import InputFileError
from ..private import owner_only
from .excel import write_rows

VIEW_ZH = {v: kind_label(v) for v in VIEWS}

#: The column headers of the tabs that copy the scorer's frames (long table, problem list, comments,
#: quality flags): Chinese for the leading group, English with ``lang="en"`` (the frames' own names).
#: The long table written by ``zuofeng score --out`` keeps the frames' names, for analysts' scripts.
FRAME_COLUMNS_ZH = {
    "round": "轮次", "department": "部门", "kind": "视角", "level": "层级", "key": "项目", "statistic": "统计量",
    "value": "数值", "ci_low": "95%区间下限", "ci_high": "95%区间上限", "n": "回答数", "suppressed": "已抑制",
    "note": "说明", "label": "问题", "rule": "规则", "comment": "意见建议", "flag": "标记", "count": "数量",
    "detail": "详情",
}
#: The other tabs' headers in English (``lang="en"``).
HEADERS_EN = {
    "项目": "field", "内容": "content", "被评部门": "rated department", "视角": "view", "总体评价": "overall rating",
    "答题过快": "too fast", "部门": "department", "名称": "name", "人数": "headcount", "答卷": "answer sheets",
    "覆盖率": "coverage", "标记": "flags",
}


def frame_header(columns, lang: str = "zh") -> list[str]:
    """Headers of a scorer frame's tab: Chinese (an unknown column keeps its name), or the frame's own names."""
    return [str(c) if lang == "en" else FRAME_COLUMNS_ZH.get(str(c), str(c)) for c in columns]


def tab_header(header: list[str], lang: str = "zh") -> list[str]:
    return [HEADERS_EN.get(h, h) for h in header] if lang == "en" else list(header)


@dataclass(frozen=True)
class ExportResult:
    """Where the workbook went and what its answer-sheet tab holds (``held_back``: sheets left out)."""

    path: Path
    sheets_exported: int
    held_back: int
    groups_held_back: int
    k_min: int


def _groups_touched(sizes_index, dept: str, kind: str) -> list:
    """The (department, view) groups a suppressed cell covers: ALL and ``all`` cover several."""
    return [g for g in sizes_index if dept in (g[0], "ALL") and kind in (g[1], "all")]


def _hidden_groups(frame: pd.DataFrame, suppression: pd.DataFrame | None, k: int) -> tuple[set, set]:
    """Groups (department, view) to leave out, and groups whose overall rating to blank.

    ``suppression`` is the scorer's frame: ``department`` (a code or ALL), ``kind`` (a view or
    ``all``), ``category`` (missing for the whole group) and ``scope`` (``answers``, or ``votes``
    for the evaluation votes). Suppressed category cells need nothing here: the tab has no category.
    """
    sizes = frame.groupby(["department", "view"]).size()
    hidden = {g for g, n in sizes.items() if n < k}  # a safety net: the scorer suppresses these too
    blank_overall = set()
    if suppression is not None and len(suppression):
        scope = suppression["scope"] if "scope" in suppression else pd.Series(["answers"] * len(suppression))
        for dept, kind, cat, sc in zip(suppression["department"], suppression["kind"], suppression["category"], scope):
            groups = _groups_touched(sizes.index, dept, kind)
            if sc == "votes":
                blank_overall.update(groups)
            elif pd.isna(cat):
                hidden.update(groups)
    return hidden, blank_overall


def hidden_answers(frame: pd.DataFrame, table: pd.DataFrame | None, dims: dict[str, list[str]]) -> tuple[set, dict]:
    """From the scorer's long table: the groups (department, view) whose overall figure is hidden, and
    per group the item answers to blank (items whose figure is hidden, every item of a hidden dimension)."""
    if table is None or not len(table):
        return set(), {}
    t = table[(table["statistic"] == "mean") & table["level"].isin(["item", "dimension", "overall"])
              & table["suppressed"].astype(bool)]
    sizes = frame.groupby(["department", "view"]).size()
    drop, blank = set(), {}
    for dept, kind, level, key in zip(t["department"], t["kind"], t["level"], t["key"]):
        groups = _groups_touched(sizes.index, dept, kind)
        if level == "overall":
            drop.update(groups)
            continue
        for g in groups:
            blank.setdefault(g, set()).update(dims.get(key, []) if level == "dimension" else [key])
    return drop, blank


def answer_rows(frame: pd.DataFrame, item_keys: list[str], suppression: pd.DataFrame | None,
                k: int, table: pd.DataFrame | None = None,
                dims: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, int, int]:
    """The publishable answer sheets, sorted by content; also the number of sheets and groups held back.

    ``table`` is the scorer's long table: answers feeding a figure it hides on its answer count are
    blanked (see :func:`hidden_answers`; ``dims`` maps dimension ids to their item keys).
    """
    hidden, blank_overall = _hidden_groups(frame, suppression, k)
    drop, blank = hidden_answers(frame, table, dims or {})
    hidden |= drop
    key = list(zip(frame["department"], frame["view"]))
    keep = pd.Series([g not in hidden for g in key], index=frame.index, dtype=bool)
    out = frame.loc[keep, ["department", "view", "overall", "too_fast", *item_keys]].copy()
    out = out.astype({"overall": "object", "too_fast": "object"})
    groups = list(zip(out["department"], out["view"]))
    out.loc[[g in blank_overall for g in groups], "overall"] = None
    for g, keys in blank.items():
        out.loc[[x == g for x in groups], sorted(keys)] = np.nan
    out = out.sort_values(["department", "view", "overall", *item_keys], na_position="last",
                          ignore_index=True, kind="mergesort")
    return out, int((~keep).sum()), len({g for g in key if g in hidden})


def export_round(engine: Engine, round_code: str, out: str | Path, *, scores=None, seed: int = 1,
                 lang: str = "zh") -> ExportResult:
    """Write ``out`` (.xlsx): 说明, 答卷 (anonymous answer sheets), 覆盖率, 得分, 问题清单, 意见建议.

    Parameters
    ----------
    engine : Engine
        The store.
    round_code : str
        The round to export.
    out : str or Path
        The workbook to write (replaced atomically; never left half-written).
    scores : Scores, optional
        Scores already computed for the round; by default :func:`zuofeng.score.score_round`.
    seed : int
        Seed for the scorer's resampling, when it is called here.
    lang : {"zh", "en"}
        Language of the column headers (Chinese by default).
    """
    from openpyxl import Workbook

    from ..frames import responses_frame
    from ..instrument import load_instrument
    from ..store import get_round

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise InputFileError(f"导出文件是 .xlsx 工作簿：{out.name!r} 不以 .xlsx 结尾",
                             f"the export is an .xlsx workbook; {out.name!r} does not end in .xlsx")
    if not out.parent.exists():
        raise InputFileError(f"文件夹 {out.parent} 不存在",
                             f"folder {out.parent} does not exist")
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
    inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
    keys = list(inst.item_keys)
    if scores is None:
        from ..score import score_round
        scores = score_round(engine, round_code, seed=seed)
    k = int(rnd["k_min"])
    frame = responses_frame(engine, round_code)
    dims = {d.id: [it.key for it in d.items] for d in inst.dimensions}
    rows, held, groups_held = answer_rows(frame, keys, scores.suppression, k, scores.table, dims)

    wb = Workbook()
    about = wb.active
    about.title = "说明"
    lines = [
        ("轮次", f"{round_code} {rnd['title']}"),
        ("问卷", f"{inst.id} v{inst.version}"),
        ("状态", rnd["status"]),
        ("导出日期", dt.date.today().isoformat()),
        ("最小公布组 k", k),
        ("意见建议公布门槛", int(rnd["k_comment"])),
        ("答卷", f"导出 {len(rows)} 份；少于 k 份或被互补抑制的组（被评部门×视角）共 {groups_held} 组 {held} 份未导出"),
        ("匿名", "不含答卷编号、提交时间、来源、政治面貌和评价人部门；按内容排序，不按提交先后。"),
        ("得分", "得分表即评分引擎的完整结果；suppressed 为 TRUE 的行不公布数值。"),
    ]
    if len(getattr(scores, "groups", ())):
        lines.append(("测评人员类别", ("“测评人员类别”表：各类别的作风指数（答卷不足 k 份的类别不单独列出）和按类别权重"
                                      "加权的综合结果（只用达到 k 份的类别，权重重新归一）。答卷表不含测评人员类别。")))
    from ..score.core import preliminary_note

    if note := preliminary_note(scores.meta):
        lines.insert(0, ("初步结果", note))
    write_rows(about, tab_header(["项目", "内容"], lang), lines)

    ws = wb.create_sheet("答卷")
    header = tab_header(["被评部门", "视角", "总体评价", "答题过快"], lang) + keys
    data = [[r.department, VIEW_ZH.get(r.view, r.view), r.overall,
             None if pd.isna(r.too_fast) else bool(r.too_fast),
             *[None if pd.isna(v) else int(v) for v in (getattr(r, c) for c in keys)]]
            for r in rows.itertuples(index=False)]
    write_rows(ws, header, data, first_row=2)
    ws.cell(row=1, column=1, value=(
        f"k = {k}：少于 {k} 份答卷或被互补抑制的组未列出（{groups_held} 组 {held} 份）；"
        "请勿据此推算被抑制组的结果。空白题目 = 不了解，或该题（该方面）回答少于 k 份、依评分引擎被隐去。"))

    cs = wb.create_sheet("覆盖率")
    cov_header, cov_rows = coverage_rows(scores)
    write_rows(cs, tab_header(cov_header, lang), cov_rows,
               number_formats={tab_header(["覆盖率"], lang)[0]: "0.0%"})

    _frame_sheet(wb, "得分", scores.table, lang)
    groups = getattr(scores, "groups", None)
    if groups is not None and len(groups):
        write_rows(wb.create_sheet("测评人员类别"), GROUP_HEADER, group_rows(scores))
    _frame_sheet(wb, "问题清单", getattr(scores, "problems", None), lang)
    _frame_sheet(wb, "意见建议", getattr(scores, "comments", None), lang)
    _frame_sheet(wb, "数据质量", getattr(scores, "quality", None), lang)

    tmp = out.with_name(f".{out.name}.partial")
    try:
        with owner_only():
            wb.save(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(out, len(rows), held, groups_held, k)


COVERAGE_HEADER = ["部门", "名称", "视角", "人数", "答卷", "覆盖率", "标记"]
GROUP_HEADER = ["部门", "名称", "视角", "测评人员类别", "统计量", "数值", "答卷", "权重", "说明"]


def group_rows(scores) -> list[list]:
    """The 测评人员类别 tab: each group's 作风指数 and the weighted composite per unit and view, read from
    ``Scores.groups``; a hidden figure shows as 已抑制 with its reason, never its count."""
    from ..axes import GROUP_COMPOSITE

    names = dict(zip(scores.departments["code"], scores.departments["name"]))
    rows = []
    for r in scores.groups.itertuples(index=False):
        composite = r.statistic == "group_composite"
        value = "已抑制" if r.suppressed else round(float(r.value), 1)
        rows.append([r.department, names.get(r.department, "全组织"), kind_label(r.kind),
                     GROUP_COMPOSITE[0] if composite else r.group, "加权综合" if composite else "作风指数", value,
                     None if _missing(r.n) else int(r.n), None if composite or _missing(r.weight) else float(r.weight),
                     None if _missing(r.note) else r.note])
    return rows
CATEGORY_ROWS = (("respondents_party", "党员答卷"), ("respondents_non_party", "非党员答卷"),
                 ("respondents_no_category", "未填政治面貌答卷"))


def coverage_rows(scores) -> tuple[list[str], list[list]]:
    """The coverage tab, from the scorer's long table only: answer sheets, headcount and coverage per
    department × view (self and inside view: the views with a headcount) and for the organisation,
    then the organisation's 党员 / 非党员 / blank sheet counts. A figure the scorer suppresses shows
    as 已抑制; no department is split by category."""
    t = scores.table[scores.table["level"] == "overall"].set_index(["department", "kind", "statistic"])
    names = dict(zip(scores.departments["code"], scores.departments["name"]))

    def cell(unit, view, stat):
        if (unit, view, stat) not in t.index:
            return None
        r = t.loc[(unit, view, stat)]
        r = r.iloc[0] if isinstance(r, pd.DataFrame) else r
        return "已抑制" if bool(r["suppressed"]) else (None if pd.isna(r["value"]) else r["value"])

    rows = []
    for unit in ["ALL", *scores.departments["code"]]:
        for view in COVERAGE_VIEWS:
            n, head, cov = (cell(unit, view, s) for s in ("respondents", "headcount", "coverage"))
            flags = []
            if n == "已抑制":
                flags.append("少于k份或互补抑制，不公布")
            elif n == 0:
                flags.append("盲区")
            elif isinstance(n, (int, float)) and isinstance(head, (int, float)) and n < head:
                flags.append("未全覆盖")
            rows.append([unit, names.get(unit, "全组织"), VIEW_ZH[view], head,
                         int(n) if isinstance(n, float) else n, cov, " ".join(flags)])
    for stat, label in CATEGORY_ROWS:
        for view in VIEWS:
            n = cell("ALL", view, stat)
            rows.append(["ALL", "全组织", f"{VIEW_ZH[view]} · {label}", None,
                         int(n) if isinstance(n, float) else n, None, "政治面貌只按全组织公布"])
    return COVERAGE_HEADER, rows


def _frame_sheet(wb, title: str, df: pd.DataFrame | None, lang: str = "zh") -> None:
    ws = wb.create_sheet(title)
    if df is None:
        return
    df = df.reset_index(drop=True)
    rows = ([None if _missing(v) else v for v in rec] for rec in df.itertuples(index=False, name=None))
    write_rows(ws, frame_header(df.columns, lang), rows)


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
