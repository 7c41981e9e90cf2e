"""The department workbook: export the ledger to Excel, take the filled workbook back.

The workbook has an instructions sheet (说明), the ledger sheet (整改台账) and a very hidden sheet
(``_zuofeng``) naming the format, the round and the department. Key columns (编号, 部门代码, 部门, 条目,
问题) are locked under sheet protection; every key is checked against the store on import anyway,
because protection without a password is only a guard against slips. The import treats the file as
hostile: size and row limits of :mod:`zuofeng.io.files`, no formulas, all or nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..errors import InputFileError, RoundError
from ..io.excel import atomic_save
from ..io.files import looks_like_formula, read_file
from ..store import get_departments, get_round, ledger_entries, writing
from .deadlines import EXAMPLES, STANDING_TEXT, read_deadline
from .entries import (
    EDITABLE,
    STATUSES,
    LedgerError,
    _apply,
    _who,
    check_move,
    check_text,
    entries_frame,
    insert_entry,
)

FORMAT = "zuofeng-ledger/1"
LEDGER_SHEET = "整改台账"
INFO_SHEET = "说明"
META_SHEET = "_zuofeng"
#: (header, entry field, is a key column)
COLUMNS = [("编号", "id", True), ("部门代码", "department", True), ("部门", "department_name", True),
           ("条目", "item", True), ("问题", "problem", True), ("整改措施", "measure", False),
           ("责任领导", "leader", False), ("责任人", "person", False), ("完成时限", "deadline", False),
           ("状态", "status", False), ("佐证材料", "evidence", False), ("佐证文件", "evidence_file", False),
           ("审核意见", "review_note", False)]
HEADER = [c[0] for c in COLUMNS]
WIDTHS = [8, 10, 16, 6, 48, 48, 12, 12, 13, 10, 36, 20, 30]
#: empty, unlocked rows below the entries, where a department adds the problems it found itself (自查问题)
SPARE_ROWS = 20

INSTRUCTIONS = [
    "整改台账填写说明",
    "",
    "1. 每一行是一项整改任务，来自本轮测评的问题清单（条目为空的是部门自行查摆的问题）。",
    "2. 灰色的编号、部门代码、部门、条目、问题五列是关键列，已锁定，请勿修改；导入时逐项核对，改动的表格整份退回。",
    "3. 请填写：整改措施（具体做法、责任人、时间节点）、责任领导、责任人、完成时限、状态、佐证材料、佐证文件、审核意见。",
    "   完成时限可写 2027-03-31、2027年3月31日、2027年3月底、3月31日（指本轮测评所在年份）；长期坚持的措施写“长期坚持”。",
    "   自查问题：在表格末尾的空行里填写，编号、条目留空，写明问题及整改措施；导入时作为本部门的新任务。",
    "   合并单元格：整改措施、责任人等可填写列中的合并单元格，导入时其内容填入它跨越的每一行；关键列不得合并。",
    "4. 状态只能依次推进：未启动 → 整改中 → 已完成 → 已销号；回退需要分析人员使用 --reopen 导入。",
    "5. 已销号必须填写佐证材料。",
    "6. 请勿输入公式，不要删除行、增删列、改动工作表名称或复制到其他工作簿；整份表格要么全部导入，要么全部不导入。",
    "7. “加强学习、提高认识”之类没有具体行动、责任人或时间的措施，以及与其他部门相同的措施，会被标记为疑似文字整改。",
]


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_workbook` did (or, with ``dry_run``, would do)."""

    path: Path
    round: str
    department: str | None
    entries: int
    changed_entries: int
    changed_fields: int
    dry_run: bool
    added_entries: int = 0
    #: what the import did that the analyst should know (merged cells filled into the rows they span)
    notes: tuple[str, ...] = ()


class LedgerProblem(str):
    """One problem of a workbook with its cell: the text (``str``) is Chinese, ``en`` the English.

    >>> p = LedgerProblem("整改台账!I3：公式", "整改台账!I3: a formula")
    >>> str(p), p.in_lang("en")
    ('整改台账!I3：公式', '整改台账!I3: a formula')
    """

    en: str

    def __new__(cls, zh: str, en: str | None = None) -> Self:
        self = super().__new__(cls, zh)
        self.en = zh if en is None else en
        return self

    def in_lang(self, lang: str) -> str:
        """The problem in ``lang`` (``"en"``; anything else is Chinese)."""
        return self.en if lang == "en" else str(self)

    def __reduce__(self):
        return (self.__class__, (str(self), self.en))


class LedgerProblems(LedgerError):
    """A workbook that cannot be imported; ``problems`` lists every one with sheet, row and column."""

    def __init__(self, message: str, problems: list[LedgerProblem] | None = None, en: str | None = None):
        super().__init__(message, en)
        self.problems = list(problems or [])

    def __reduce__(self):
        return (self.__class__, (self.message, self.problems, self.en))


def export_workbook(engine: Engine, round_code: str, out: str | Path, department: str | None = None) -> Path:
    """Write the ledger workbook of a round (or of one department) for departments to fill in.

    Instructions sheet; ledger sheet with a frozen header, locked key columns (sheet protection),
    a status dropdown (data validation), date cells for the deadline; a very hidden sheet with the
    round and department that the import checks.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise LedgerError(f"{out}：工作簿应为 .xlsx 文件",
                          f"{out}: the workbook must be an .xlsx file")
    with engine.connect() as conn:
        get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    if department is not None and department not in depts:
        raise LedgerError(f"轮次 {round_code} 中没有部门 {department!r}；已有部门：{'、'.join(depts)}",
                          f"unknown department {department!r} in round {round_code}; known: {', '.join(depts)}")
    df = entries_frame(engine, round_code, department)
    if df.empty:
        if department is not None and not entries_frame(engine, round_code).empty:
            raise LedgerError(f"轮次 {round_code} 中部门 {department} 没有台账条目：问题清单上没有它；请导出其他部门，"
                              "或先为它添加自查问题（zuofeng.ledger_add 或控制台）",
                              f"department {department} has no ledger entries in round {round_code}: nothing of "
                              "it is on the problem list; export the other departments, or add a problem of its own "
                              "first (zuofeng.ledger_add or the console)")
        raise LedgerError(f"轮次 {round_code} 还没有台账条目（请先运行 zuofeng ledger init {round_code}）",
                          f"round {round_code} has no ledger entries yet (zuofeng ledger init {round_code} first)")
    wb = Workbook()
    info = wb.active
    info.title = INFO_SHEET
    for i, line in enumerate(INSTRUCTIONS, start=1):
        _text_cell(info, i, 1, line).font = Font(bold=(i == 1), size=14 if i == 1 else 11)
    n0 = len(INSTRUCTIONS) + 2
    for j, (k, v) in enumerate((("测评轮次", round_code),
                                ("部门", f"{department} {depts[department]['name']}" if department else "全部部门"),
                                ("导出日期", dt.date.today().isoformat()))):
        _text_cell(info, n0 + j, 1, k).font = Font(bold=True)
        _text_cell(info, n0 + j, 2, v)
    info.column_dimensions["A"].width = 110

    ws = wb.create_sheet(LEDGER_SHEET)
    key_fill = PatternFill("solid", fgColor="DDDDDD")
    for j, h in enumerate(HEADER, start=1):
        c = _text_cell(ws, 1, j, h)
        c.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = WIDTHS[j - 1]
    for i, e in enumerate(df.to_dict("records"), start=2):
        e["department_name"] = depts[e["department"]]["name"]
        for j, (_, fld, key) in enumerate(COLUMNS, start=1):
            v = e[fld]
            if fld == "item":
                v = None if v is None or pd.isna(v) else int(v)
            if fld == "id":
                v = int(v)
            if fld == "deadline" and v is None and e["standing"]:
                v = STANDING_TEXT
            c = ws.cell(row=i, column=j)
            if isinstance(v, str):
                c.value, c.data_type = v, "s"  # text stays text, never a formula
            else:
                c.value = v
            if fld == "deadline":
                c.number_format = "yyyy-mm-dd"
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if key:
                c.fill = key_fill
            else:
                c.protection = Protection(locked=False)
    last = len(df) + 1
    for i in range(last + 1, last + SPARE_ROWS + 1):  # room for 自查问题, every cell open to the department
        for j in range(1, len(COLUMNS) + 1):
            c = ws.cell(row=i, column=j)
            c.protection = Protection(locked=False)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if COLUMNS[j - 1][1] == "deadline":
                c.number_format = "yyyy-mm-dd"
    last += SPARE_ROWS
    status_col = get_column_letter(HEADER.index("状态") + 1)
    date_col = get_column_letter(HEADER.index("完成时限") + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=False,
                        showErrorMessage=True, errorTitle="状态", error="请从下拉列表中选择：" + " / ".join(STATUSES))
    dv.add(f"{status_col}2:{status_col}{last}")
    # a hint, not a date check: 长期坚持 and 2027年3月底 are deadlines too (read on import)
    dd = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="完成时限", prompt=EXAMPLES)
    dd.add(f"{date_col}2:{date_col}{last}")
    ws.add_data_validation(dv)
    ws.add_data_validation(dd)
    ws.freeze_panes = "B2"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    wb.active = 1

    meta = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate((("format", FORMAT), ("round", round_code), ("department", department or ""),
                                ("entries", len(df))), start=1):
        _text_cell(meta, i, 1, k)
        if isinstance(v, str):
            _text_cell(meta, i, 2, v)
        else:
            meta.cell(row=i, column=2, value=v)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    return atomic_save(wb, out)


def _text_cell(ws, row: int, col: int, text: str):
    c = ws.cell(row=row, column=col)
    c.value, c.data_type = text, "s"
    return c


# --- import -------------------------------------------------------------------------------------

def _where(sheet: str, row: int, col: int | None = None) -> str:
    """A place in the workbook as a spreadsheet names it: ``整改台账!I3 (完成时限)``, or ``整改台账!3:3``."""
    from openpyxl.utils import get_column_letter
    if col is None:
        return f"{sheet}!{row}:{row}"
    if sheet != LEDGER_SHEET:
        return f"{sheet}!{get_column_letter(col)}{row}"
    return f"{sheet}!{get_column_letter(col)}{row} ({HEADER[col - 1] if col <= len(HEADER) else '?'})"


def _unmerge(ws, problems: list[LedgerProblem]) -> list[str]:
    """Fill every merged range of the ledger sheet's editable columns with its top-left value, for every
    row it spans, and say so; a merged range touching the header or a key column is a problem."""
    notes = []
    editable = {j for j, (_, _, key) in enumerate(COLUMNS, start=1) if not key}
    for rng in list(ws.merged_cells.ranges):
        cols = set(range(rng.min_col, rng.max_col + 1))
        if rng.min_row == 1 or not cols <= editable:
            problems.append(LedgerProblem(
                f"{ws.title}!{rng.coord}：合并单元格覆盖了表头或关键列"
                f"（{'、'.join(HEADER[j - 1] for j in sorted(cols) if j <= len(HEADER))}）；请取消合并",
                f"{ws.title}!{rng.coord}: merged cells over the header or a key column "
                f"({', '.join(HEADER[j - 1] for j in sorted(cols) if j <= len(HEADER))}); unmerge them"))
            continue
        value = ws.cell(row=rng.min_row, column=rng.min_col).value
        ws.unmerge_cells(rng.coord)
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                ws.cell(row=r, column=c).value = value
        if value not in (None, ""):
            rows = rng.max_row - rng.min_row + 1
            notes.append(f"merged cells {ws.title}!{rng.coord}: its value was filled into each of the {rows} rows "
                         "it spans")
    return notes


def _load(path: Path):
    from openpyxl import load_workbook

    content = read_file(path, kinds=("xlsx",))  # size, zip bomb, rows, columns and cell length limits
    if content.kind != "xlsx":
        raise InputFileError(f"{path}：不是 .xlsx 工作簿（请用 zuofeng ledger export 导出）",
                             f"{path}: not an .xlsx workbook (export one with zuofeng ledger export)")
    try:
        return load_workbook(path, data_only=False)
    except Exception as e:  # noqa: BLE001 - a hostile workbook fails in many ways inside openpyxl
        raise InputFileError(f"{path}：不是可读的 .xlsx 文件（{type(e).__name__}）",
                             f"{path}: not a readable .xlsx file ({type(e).__name__})") from None


def _round_year(conn, round_code: str) -> int:
    """The year of a round, for deadlines written without one: the year it closed, opened or was created."""
    r = get_round(conn, round_code)
    return (r["closed_on"] or r["opened_on"] or r["created_on"]).year


def _same_key(fld: str, cell, stored) -> bool:
    if fld in ("id", "item"):
        if stored is None:
            return cell is None or cell == ""
        return not isinstance(cell, bool) and isinstance(cell, (int, float)) and cell == stored
    return (cell if isinstance(cell, str) else None) == stored


def import_workbook(engine: Engine, path: str | Path, *, dry_run: bool = False, reopen: bool = False,
                    by: str | None = None, today: dt.date | None = None) -> ImportResult:
    """Take a filled ledger workbook back into the store: all or nothing.

    A row without 编号 is a problem the department found itself (自查问题): a new entry of that
    department, item empty, with the row's own problem text. Deadlines are read as departments write
    them (:mod:`zuofeng.ledger.deadlines`; 长期坚持 is a standing measure without one). A merged range in
    the editable columns is filled into every row it spans, and said in ``notes``.

    Refused (:class:`LedgerProblems`, listing every problem with its cell, ``整改台账!I3``; the store is
    unchanged) when: the file is too large or not a ledger workbook; it belongs to another round or
    department; a key column (编号, 部门代码, 部门, 条目, 问题) was edited, merged or a row repeated; a
    cell holds a formula; a status moves back (unless ``reopen``) or is unknown; 已销号 lacks evidence; a
    deadline cannot be read; a text is too long.
    """
    path = Path(path)
    by = _who(by or f"import {path.name}")
    wb = _load(path)
    problems: list[LedgerProblem] = []
    if META_SHEET not in wb.sheetnames:
        raise LedgerProblems(f"{path}：不是 zuofeng 的台账工作簿（缺少隐藏工作表 {META_SHEET}；"
                             "请用 zuofeng ledger export 导出）",
                             en=f"{path}: not a zuofeng ledger workbook (its hidden sheet {META_SHEET} is missing; "
                             "export one with zuofeng ledger export)")
    if LEDGER_SHEET not in wb.sheetnames:
        found = ", ".join(n for n in wb.sheetnames if n != META_SHEET) or "none"
        found_zh = "、".join(n for n in wb.sheetnames if n != META_SHEET) or "无"
        raise LedgerProblems(f"{path}：缺少工作表 {LEDGER_SHEET}（现有工作表：{found_zh}）；"
                             f"请把台账工作表的名称改回 {LEDGER_SHEET}",
                             en=f"{path}: the sheet {LEDGER_SHEET} is missing (sheets found: {found}); "
                             f"rename the ledger sheet back to {LEDGER_SHEET}")
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(min_row=1, max_col=2, values_only=True) if r[0]}
    if meta.get("format") != FORMAT:
        raise LedgerProblems(f"{path}：不是格式为 {FORMAT} 的 zuofeng 台账工作簿",
                             en=f"{path}: not a zuofeng ledger workbook of format {FORMAT}")
    round_code, department = meta.get("round"), meta.get("department") or None
    ws = wb[LEDGER_SHEET]
    notes = _unmerge(ws, problems)
    formulas = set()
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and looks_like_formula(c.value)):
                    formulas.add((sheet.title, c.row, c.column))
                    problems.append(LedgerProblem(f"{_where(sheet.title, c.row, c.column)}：公式；不接受公式",
                                                  f"{_where(sheet.title, c.row, c.column)}: a formula; "
                                                  "formulas are not accepted"))
    header = [c.value for c in ws[1]][: len(HEADER) + 5]
    while header and header[-1] is None:
        header.pop()
    if header != HEADER:
        problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, 1)}：表头被改动（应为 {' | '.join(HEADER)}）",
                                      f"{_where(LEDGER_SHEET, 1)}: the header was changed (expected {' | '.join(HEADER)})"))
        raise LedgerProblems(f"{path}：{len(problems)} 处问题；未存入任何内容", problems,
                             en=f"{path}: {len(problems)} problem(s); nothing stored")
    today = today or dt.date.today()
    changed_entries = changed_fields = n_rows = 0
    with writing(engine) as conn:
        try:
            get_round(conn, round_code)
        except RoundError:
            raise LedgerProblems(f"{path}：这是轮次 {round_code!r} 的工作簿，但本数据库中没有这个轮次",
                                 en=f"{path}: a workbook of round {round_code!r}, which is not in this store") from None
        depts = get_departments(conn, round_code)
        year = _round_year(conn, round_code)
        if department is not None and department not in depts:
            raise LedgerProblems(f"{path}：这是部门 {department!r} 的工作簿，但轮次 {round_code} 中没有这个部门",
                                 en=f"{path}: a workbook of department {department!r}, unknown in round {round_code}")
        stored = {r["id"]: dict(r) for r in conn.execute(
            select(ledger_entries).where(ledger_entries.c.round == round_code)).mappings()}
        seen: dict[int, int] = {}
        plan = []
        for row in ws.iter_rows(min_row=2):
            cells = list(row)[: len(COLUMNS)]
            cells += [None] * (len(COLUMNS) - len(cells))
            values = [c.value if c is not None else None for c in cells]
            extra = [c for c in list(row)[len(COLUMNS):] if c.value not in (None, "")]
            if all(v in (None, "") for v in values) and not extra:
                continue
            r = row[0].row
            n_rows += 1
            for c in extra:
                problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, r, c.column)}：这个单元格在台账各列之外",
                                              f"{_where(LEDGER_SHEET, r, c.column)}: a cell outside the ledger's columns"))
            eid = values[0]
            if eid in (None, ""):  # a problem the department found itself (自查问题): a new entry
                entry = _own_problem(values, r, department, depts, problems)
                if entry is None:
                    continue
                eid = None
            else:
                if isinstance(eid, bool) or not isinstance(eid, (int, float)) or eid != int(eid):
                    problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, r, 1)}：不是台账编号：{eid!r}",
                                                  f"{_where(LEDGER_SHEET, r, 1)}: not an entry number: {eid!r}"))
                    continue
                eid = int(eid)
                entry = stored.get(eid)
                if entry is None:
                    problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, r, 1)}：编号 {eid} 不是轮次 {round_code} 的台账条目",
                                                  f"{_where(LEDGER_SHEET, r, 1)}: entry {eid} is not an entry of "
                                                  f"round {round_code}"))
                    continue
                if eid in seen:
                    problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, r, 1)}：编号 {eid} 与第 {seen[eid]} 行重复",
                                                  f"{_where(LEDGER_SHEET, r, 1)}: entry {eid} repeats row {seen[eid]}"))
                    continue
                seen[eid] = r
                if department is not None and entry["department"] != department:
                    problems.append(LedgerProblem(
                        f"{_where(LEDGER_SHEET, r, 2)}：编号 {eid} 属于部门 {entry['department']}，"
                        f"不属于本工作簿的部门 {department}",
                        f"{_where(LEDGER_SHEET, r, 2)}: entry {eid} belongs to {entry['department']}, "
                        f"not to this workbook's department {department}"))
                    continue
            keyed = {**entry, "department_name": depts[entry["department"]]["name"]}
            for j, (_, fld, key) in enumerate(COLUMNS, start=1):
                if key and eid is not None and not _same_key(fld, values[j - 1], keyed[fld]):
                    problems.append(LedgerProblem(
                        f"{_where(LEDGER_SHEET, r, j)}：关键列被改动（数据库中为 {keyed[fld]!r}）；关键列不可修改",
                        f"{_where(LEDGER_SHEET, r, j)}: key column edited (the store has "
                        f"{keyed[fld]!r}); key columns may not be changed"))
            changes, bad = {}, False
            for j, (_, fld, key) in enumerate(COLUMNS, start=1):
                if key or (LEDGER_SHEET, r, j) in formulas:
                    continue
                v = values[j - 1]
                try:
                    if fld == "deadline":
                        try:
                            changes[fld], standing = read_deadline(v, year)
                            changes["standing"] = standing or None  # as stored: true, or nothing
                        except ValueError:
                            raise LedgerError(f"完成时限无法识别：{v!r}（可写 {EXAMPLES}）",
                                              f"deadline not understood: {v!r} (write {EXAMPLES})") from None
                    elif fld == "status":
                        v = (v.strip() if isinstance(v, str) else v) or None
                        if v is None and entry["id"] is None:  # a 自查问题 starts as 未启动
                            v = entry["status"]
                        if v is None:
                            raise LedgerError(f"状态为空；可用：{' / '.join(STATUSES)}",
                                              f"status is empty; allowed: {' / '.join(STATUSES)}")
                        check_move(entry["status"], v, reopen=reopen)
                        changes[fld] = v
                    else:
                        if v is not None and not isinstance(v, str):
                            v = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                        changes[fld] = check_text(fld, v)
                except LedgerError as e:
                    problems.append(LedgerProblem(f"{_where(LEDGER_SHEET, r, j)}：{e.message}",
                                                  f"{_where(LEDGER_SHEET, r, j)}: {e.en}"))
                    bad = True
            if not bad and changes.get("status") == "已销号" and not changes.get("evidence"):
                where = _where(LEDGER_SHEET, r, HEADER.index('佐证材料') + 1)
                problems.append(LedgerProblem(f"{where}：已销号须有佐证材料",
                                              f"{where}: 已销号 (closed) needs evidence (佐证材料)"))
            plan.append((entry, {k: v for k, v in changes.items() if k in EDITABLE}))
        if problems:
            raise LedgerProblems(f"{path}：{len(problems)} 处问题；未存入任何内容", problems,
                                 en=f"{path}: {len(problems)} problem(s); nothing stored")
        added = 0
        for entry, changes in plan:
            if entry["id"] is None:
                added += 1
                if dry_run:
                    continue
                row = {k: v for k, v in entry.items() if k != "id"} | {"round": round_code, "created_on": today}
                entry = {**entry, "id": insert_entry(conn, row, by, today)}
            n = _apply(conn, entry, changes, by, today) if not dry_run else \
                sum(1 for k, v in changes.items() if v != entry[k])
            changed_fields += n
            changed_entries += n > 0
    return ImportResult(path, round_code, department, n_rows, changed_entries, changed_fields, dry_run, added,
                        tuple(notes))


def _own_problem(values: list, r: int, department: str | None, depts: dict, problems: list[LedgerProblem]) -> dict | None:
    """A row without 编号: a problem the department found itself (自查问题), as a new entry (``id`` None),
    or None with the reasons in ``problems``. 条目 stays empty; 部门代码 may be left empty in a
    department's own workbook."""
    col = {fld: j for j, (_, fld, _) in enumerate(COLUMNS, start=1)}
    code = values[col["department"] - 1]
    code = code.strip() if isinstance(code, str) else code
    bad = len(problems)
    if code in (None, ""):
        if department is None:
            where = _where(LEDGER_SHEET, r, col['department'])
            problems.append(LedgerProblem(f"{where}：自查问题须填部门代码", f"{where}: 自查问题 needs the department's code"))
        code = department
    elif code not in depts or (department is not None and code != department):
        where = _where(LEDGER_SHEET, r, col['department'])
        problems.append(LedgerProblem(
            f"{where}：{code!r} 不是" + (f"本工作簿的部门 {department}" if department else "本轮次的部门"),
            f"{where}: {code!r} is not "
            + (f"this workbook's department {department}" if department else "a department of the round")))
    if values[col["item"] - 1] not in (None, ""):
        where = _where(LEDGER_SHEET, r, col['item'])
        problems.append(LedgerProblem(f"{where}：自查问题行没有条目（条目应留空）",
                                      f"{where}: a 自查问题 row has no item (条目 stays empty)"))
    try:
        text = check_text("problem", values[col["problem"] - 1] if isinstance(values[col["problem"] - 1], str)
                          else None)
    except LedgerError as e:
        where = _where(LEDGER_SHEET, r, col['problem'])
        problems.append(LedgerProblem(f"{where}：{e.message}", f"{where}: {e.en}"))
        text = ""
    if text is None:
        where = _where(LEDGER_SHEET, r, col['problem'])
        problems.append(LedgerProblem(f"{where}：没有编号的行是自查问题，须填写问题",
                                      f"{where}: a row without 编号 is a 自查问题 and needs its problem (问题)"))
    if len(problems) > bad:
        return None
    return {"id": None, "department": code, "item": None, "problem": text, "status": "未启动",
            **{k: None for k in EDITABLE if k != "status"}}
