"""The project's own template for paper ballots typed in: one row per ballot, CSV or .xlsx.

Columns ``token, kind, department, target, category, overall, comment, q01 … q22``. ``token`` is
the token of the ballot's slip: it says the survey, the department and the rated department, and
the import consumes it like a survey page does (``kind``, ``department`` and ``target`` may then be
left blank; if typed, they must agree with it). Without a token, ``kind`` is ``self`` or ``peer``
(自评 / 互评), ``department`` is the department of whoever filled in the ballot and ``target`` the
department rated (blank: the same department); the importer accepts such a ballot only for a
department that votes on paper. Items take 1–5, or blank / 不了解 for don't know; ``overall`` takes
好 / 较好 / 一般 / 差 or blank and only on peer ballots. A second header row with the item labels, as
:func:`write_template` writes it, is skipped. Files without the ``token`` column are read as
ballots without tokens.

The 民主测评 table printed on an inside-view peer ballot (互评 · 本部门) is typed into the same row: for
each department ``X`` of the round, the columns ``X·总体评价`` (好 / 较好 / 一般 / 差, or blank / 不了解)
and ``X·一`` … ``X·五`` (one per dimension heading: 1–5, or blank / 不了解), after the items. They are
written for a round whose outside mode gives a table (:func:`zuofeng.axes.table_targets`). On the row of
an inside-view peer ballot, every department on the rater's table with a cell typed becomes one table
row, as on the survey page (a blank cell next to typed ones, or 不了解, is don't know; a department with
all its cells blank gives no row); a cell filled for a department the rater does not rate on the table,
or on any other ballot, is refused with its row and column.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from ..axes import TABLE_FORM
from ..errors import InputFileError, ZuofengError
from ..instrument import Instrument
from ..messages import both
from ..sheet import Sheet, TokenScope
from .excel import safe_cell
from .files import Grid
from .import_problems import Collector
from .parsed import Parsed
from .values import BadValue, ValueReader, norm

FIELDS = ("token", "kind", "department", "target", "category", "overall", "comment")
REQUIRED = ("kind", "department")  # unless the file has a token column
FIELD_LABELS = {
    "token": "答题码（照抄纸条上的答题码）",
    "kind": "类型：self 自评 / peer 互评",
    "department": "填表人所在部门（代码）",
    "target": "被评部门（代码；自评留空）",
    "category": "党员 / 非党员（可空）",
    "overall": "总体评价：好/较好/一般/差（仅互评，可空）",
    "comment": "意见建议（可空）",
}


#: The heading of a department's overall rating in the 民主测评 table's columns (``BGS·总体评价``).
TABLE_OVERALL = "总体评价"
TABLE_SEP = "·"


def table_columns(instrument: Instrument, departments: Mapping[str, dict] | None) -> list[tuple[str, str, int]]:
    """The 民主测评 table's columns, ``(header, department, answer)``: per department its overall rating
    (answer 0) and one rating per dimension heading (answer 1 = the first dimension); none without departments."""
    out = []
    for code in departments or ():
        out.append((f"{code}{TABLE_SEP}{TABLE_OVERALL}", code, 0))
        out += [(f"{code}{TABLE_SEP}{d.id}", code, j) for j, d in enumerate(instrument.dimensions, start=1)]
    return out


def columns(instrument: Instrument, departments: Mapping[str, dict] | None = None) -> list[str]:
    """The template's header: the fields, one column per item, then the 民主测评 table's columns of
    ``departments`` (a round whose outside mode gives a table)."""
    return list(FIELDS) + list(instrument.item_keys) + [h for h, _, _ in table_columns(instrument, departments)]


def labels(instrument: Instrument, departments: Mapping[str, dict] | None = None) -> list[str]:
    """The second header row: what goes in each column, in Chinese."""
    overall = "/".join(o.value for o in instrument.overall_scale.options)
    dims = {j: d for j, d in enumerate(instrument.dimensions, start=1)}
    table = [f"民主测评表 {departments[code]['name']}：" + (f"总体评价（{overall}/不了解）" if j == 0 else
             f"{dims[j].id}、{dims[j].label.zh}（1–5/不了解）")
             for _, code, j in table_columns(instrument, departments)]
    return [FIELD_LABELS[f] for f in FIELDS] + [f"{i.number}. {i.label.zh}" for i in instrument.items] + table


def is_template_header(cells: tuple[str, ...]) -> bool:
    names = {c.strip().lower() for c in cells}
    return {"kind", "department", "q01"} <= names


def parse_template(grid: Grid, reader: ValueReader, problems: Collector,
                   check_token: Callable[[str], tuple[TokenScope, str]] | None = None,
                   table_of: Callable[[str], list[str]] | None = None) -> Parsed:
    """Read template rows into answer sheets, adding every problem found to ``problems``.

    ``check_token(text)`` gives a token's scope and keyed hash, or raises ZuofengError when the token
    is unknown, used, of another round or the round is not open; without it a token is a problem.
    ``table_of(department)`` lists the departments on that department's 民主测评 table in the round
    (none without it). Rows without a token are listed in ``Parsed.tokenless`` for the importer's paper check.
    """
    inst = reader.inst
    out = Parsed("template")
    if not grid.rows:
        problems.add(None, None, "文件没有表头行", "the file has no header row")
        return out
    head_no, header = grid.rows[0]
    names = [h.strip().lower() for h in header]
    table_cols = {h.lower(): (code, j) for h, code, j in table_columns(inst, reader.depts)}
    allowed = columns(inst) + list(table_cols)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            problems.add(head_no, f"#{i + 1}", f"没有表头的列；模板的列为 {'、'.join(FIELDS)}、q01…",
                         f"a column without a header; the template has {', '.join(FIELDS)}, q01…")
        elif name in seen:
            problems.add(head_no, name, f"重复的列（与第 {seen[name] + 1} 列相同）",
                         f"duplicate column (also column #{seen[name] + 1})")
        elif name not in allowed:
            problems.add(head_no, name, f"未知的列；模板的列为 {'、'.join(FIELDS)} 和 "
                                        f"{inst.item_keys[0]}…{inst.item_keys[-1]}",
                         f"unknown column; the template has {', '.join(FIELDS)} and "
                                        f"{inst.item_keys[0]}…{inst.item_keys[-1]}")
        else:
            seen[name] = i
    required = [] if "token" in seen else list(REQUIRED)
    typed_table = [c for c in table_cols if c in seen]
    missing = [c for c in required + list(inst.item_keys) + (list(table_cols) if typed_table else []) if c not in seen]
    if missing:
        problems.add(head_no, None, f"缺少列 {'、'.join(missing)}", f"missing column(s) {', '.join(missing)}")
    if problems:
        return out
    idx = seen
    out.columns = [(it.number, header[idx[it.key]].strip(), "column name") for it in inst.items]
    label_row = labels(inst)
    table_heads = {name: header[idx[name]].strip() for name in typed_table}
    body = list(grid.rows[1:])
    if body and _is_label_row(body[0][1], idx, label_row):
        out.notes.append(both("label_row_skipped"))
        body = body[1:]
    n_items = len(inst.items)
    seen_tokens: dict[str, int] = {}
    for row_no, cells in body:
        if len(cells) > len(names):
            problems.add(row_no, None, f"有 {len(cells)} 个单元格，但表头只有 {len(names)} 列",
                         f"{len(cells)} cells but the header has {len(names)} columns")
            continue
        cell = functools.partial(_cell, cells, idx)
        out.rows.append(tuple(cell(c) for c in allowed))
        before = len(problems.problems)
        scope, hashed = _token(row_no, cell("token"), check_token, seen_tokens, problems)
        typed = bool(cell("token").strip())
        values: dict[str, object] = {}
        for f, read in (("kind", reader.kind), ("department", reader.department), ("category", reader.category),
                        ("overall", reader.overall), ("comment", reader.comment)):
            if (f not in idx and f not in REQUIRED) or (typed and f in REQUIRED and not cell(f).strip()):
                values[f] = None
                continue
            try:
                values[f] = read(cell(f))
            except BadValue as e:
                problems.add(row_no, f, e.message, e.en)
        target_text = cell("target")
        values["target"] = values.get("department")
        if target_text:
            try:
                values["target"] = reader.department(target_text)
            except BadValue as e:
                problems.add(row_no, "target", e.message, e.en)
        if scope is not None:
            for f, own in (("kind", scope.kind), ("department", scope.rater), ("target", scope.target)):
                if values.get(f) is not None and values[f] != own and (f != "target" or target_text):
                    problems.add(row_no, f, f"这个答题码属于 {scope.kind} {scope.rater} → {scope.target}，"
                                            f"而不是 {values[f]}：请让 {f} 留空，或核对答题码",
                                 f"the token is for {scope.kind} {scope.rater} → {scope.target}, "
                                            f"not {values[f]}: leave {f} blank or check the token")
            values.update(kind=scope.kind, department=scope.rater, target=scope.target)
        if values.get("kind") == "self":
            if values.get("target") != values.get("department") and target_text and "department" in values:
                problems.add(row_no, "target", "自评测评表评价的是填表人所在部门：target 应留空",
                             "a self ballot rates the filler's own department: leave target blank")
            if values.get("overall") is not None:
                problems.add(row_no, "overall", "只有互评测评表带总体评价：此格应留空",
                             "only a peer ballot carries the overall rating: leave it blank")
        answers = {}
        for item in inst.items:
            try:
                answers[item.number] = reader.item(cell(item.key))
            except BadValue as e:
                problems.add(row_no, item.key, e.message, e.en)
        rows = _table_rows(row_no, cell, values, table_cols, table_heads, table_of, reader, problems)
        if len(problems.problems) == before and len(answers) == n_items:
            out.sheets.append(Sheet(values["kind"], values["department"], values["target"], answers,
                                    category=values["category"], overall=values["overall"],
                                    comment=values["comment"], token_hash=hashed))
            out.sheets.extend(rows)
            out.table_rows += len(rows)
            if hashed is None:
                out.tokenless.append((row_no, values["department"]))
    if not body:
        problems.add(None, None, "文件有表头，但没有测评表", "the file has a header but no ballots")
    return out


def _table_rows(row_no: int, cell: Callable[[str], str], values: dict, table_cols: Mapping[str, tuple[str, int]],
                heads: Mapping[str, str], table_of: Callable[[str], list[str]] | None, reader: ValueReader,
                problems: Collector) -> list[Sheet]:
    """The 民主测评 table rows typed on one ballot's row: one per department on the rater's table with a cell
    typed, when the ballot is an inside-view peer ballot (blanks as 不了解); a filled cell anywhere else is a problem."""
    if not heads:
        return []
    rater = values.get("department")
    inside = values.get("kind") == "peer" and rater is not None and values.get("target") == rater
    on = (table_of(rater) if table_of is not None else []) if inside else []
    for name in heads:
        code, _ = table_cols[name]
        if not cell(name).strip() or code in on:
            continue
        if not inside:
            problems.add(row_no, heads[name], "只有“互评 · 本部门”测评表带民主测评表：这张测评表的民主测评表各列应留空",
                         "only a peer ballot on the rater's own department carries the democratic-rating table: "
                         "leave this ballot's table columns blank")
        else:
            problems.add(row_no, heads[name], f"部门 {code} 不在 {rater} 的民主测评表上（本轮不由 {rater} 在表上评价）："
                                              "此格应留空，或核对填表人所在部门",
                         f"department {code} is not on {rater}'s democratic-rating table (this round {rater} does "
                         "not rate it on the table): leave the cell blank or check the filler's department")
    out = []
    for code in on:
        if not any(cell(name).strip() for name, (c, _) in table_cols.items() if c == code):
            continue  # nothing typed for it: a part one not returned or left blank is no answer at all
        answers: dict[int, int | None] = {}
        overall = None
        for name, (c, j) in table_cols.items():
            if c != code:
                continue
            try:
                if j == 0:
                    overall = reader.overall(cell(name))
                else:
                    answers[j] = reader.item(cell(name))
            except BadValue as e:
                problems.add(row_no, heads[name], e.message, e.en)
        out.append(Sheet("peer", rater, code, answers, category=values.get("category"), overall=overall,
                         form=TABLE_FORM))
    return out


def _token(row_no: int, text: str, check, seen: dict[str, int],
           problems: Collector) -> tuple[TokenScope | None, str | None]:
    """The scope and hash of a row's token (None, None without one or when it is refused)."""
    if not text.strip():
        return None, None
    if check is None:
        problems.add(row_no, "token", "答题码只在导入到某个轮次时核对",
                     "a token is checked only when importing into a round")
        return None, None
    try:
        scope, hashed = check(text)
    except ZuofengError as e:
        problems.add(row_no, "token", e.message, e.en)
        return None, None
    if hashed in seen:
        problems.add(row_no, "token", f"与第 {seen[hashed]} 行的答题码相同：一个答题码只能打开一张测评表",
                     f"the same token as row {seen[hashed]}: a token opens one ballot")
        return None, None
    seen[hashed] = row_no
    return scope, hashed


def _cell(cells: tuple[str, ...], idx: Mapping[str, int], name: str) -> str:
    i = idx.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def _is_label_row(cells: tuple[str, ...], idx: Mapping[str, int], label_row: list[str]) -> bool:
    def at(name: str) -> str:
        i = idx.get(name)
        return cells[i] if i is not None and i < len(cells) else ""
    first_item = label_row[len(FIELDS)]
    return norm(at("kind")) == norm(FIELD_LABELS["kind"]) or norm(at("q01")) in (
        norm(first_item), norm(first_item.split(". ", 1)[1]))


def write_template(path: str | Path, instrument: Instrument, departments: Mapping[str, dict] | None = None,
                   table: bool = False) -> Path:
    """Write an empty template, .xlsx or .csv by the file name, with the item labels on a second row.

    The .xlsx version lists the allowed values in drop-downs, freezes both header rows and, when
    ``departments`` is given, lists their codes and names on a second sheet. With ``table`` (a round
    whose outside mode gives a 民主测评 table) the table's columns of ``departments`` follow the items.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputFileError(f"模板文件应以 .xlsx 或 .csv 结尾，而不是 {path.name!r}",
                             f"template file must end in .xlsx or .csv, not {path.name!r}")
    if not path.parent.exists():
        raise InputFileError(f"文件夹 {path.parent} 不存在",
                             f"folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if suffix == ".csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                tdepts = departments if table else None
                w.writerow([safe_cell(c) for c in columns(instrument, tdepts)])
                w.writerow([safe_cell(c) for c in labels(instrument, tdepts)])
        else:
            _write_xlsx(tmp, instrument, departments, table)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_xlsx(path: Path, inst: Instrument, departments: Mapping[str, dict] | None, table: bool = False) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "答卷"
    tdepts = departments if table else None
    ws.append([safe_cell(c) for c in columns(inst, tdepts)])  # table headers hold roster codes and names
    ws.append([safe_cell(c) for c in labels(inst, tdepts)])
    grey = PatternFill("solid", fgColor="EEEEEE")
    for c in ws[1]:
        c.font = Font(bold=True)
    for c in ws[2]:
        c.font = Font(italic=True, color="555555")
        c.fill = grey
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "D3"
    widths = {"token": 22, "kind": 10, "department": 12, "target": 12, "category": 10, "overall": 10, "comment": 30}
    for i, name in enumerate(columns(inst, tdepts), start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 9)
    ws.row_dimensions[2].height = 60
    last = 2000

    def rng(col: int) -> str:
        letter = get_column_letter(col)
        return f"{letter}3:{letter}{last}"

    lists = {
        "kind": '"self,peer"',
        "category": '"党员,非党员"',
        "overall": '"' + ",".join(o.value for o in inst.overall_scale.options) + '"',
    }
    for name, formula in lists.items():
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.add(rng(FIELDS.index(name) + 1))
        ws.add_data_validation(dv)
    item_values = f'"1,2,3,4,5,{inst.item_scale.missing.zh}"'
    dv = DataValidation(type="list", formula1=item_values, allow_blank=True)
    first, end = len(FIELDS) + 1, len(FIELDS) + len(inst.items)
    dv.add(f"{get_column_letter(first)}3:{get_column_letter(end)}{last}")
    ws.add_data_validation(dv)
    tcols = table_columns(inst, tdepts)
    if tcols:
        start = end + 1
        ov = DataValidation(type="list", formula1='"' + ",".join(
            [o.value for o in inst.overall_scale.options] + [inst.overall_scale.missing.zh]) + '"', allow_blank=True)
        dims = DataValidation(type="list", formula1=item_values, allow_blank=True)
        for i, (_, _, j) in enumerate(tcols):
            (ov if j == 0 else dims).add(rng(start + i))
        ws.add_data_validation(ov)
        ws.add_data_validation(dims)
    about = wb.create_sheet("说明")
    for line in (
        "每行录入一张纸质测评表；第 1 行是列名，第 2 行是说明，导入时跳过。",
        "token：照抄选票所附纸条上的答题码；有答题码时 kind、department、target 可留空（由答题码确定）。",
        "没有答题码的选票只接受标为纸质测评（名单 paper 列）且未发放答题码的部门。",
        "kind：self（自评）或 peer（互评）；department：填表人所在部门代码；target：被评部门代码（自评留空）。",
        "q01…q22：1 不存在，2 个别存在，3 一定程度存在，4 比较突出，5 非常突出；留空或“不了解”表示不了解。",
        "overall：好 / 较好 / 一般 / 差，仅互评填写；category：党员 / 非党员，可空。",
        ("“部门代码·总体评价”和“部门代码·一”…“部门代码·五”：“互评 · 本部门”测评表第一部分（民主测评表）中该部门一行"
         "的勾选：总体评价 好 / 较好 / 一般 / 差，五个方面 1–5；留空或“不了解”表示不了解。其他测评表这些列留空。"),
        "不要录入姓名或任何能识别填表人的信息。",
    ):
        about.append([line])
    about.column_dimensions["A"].width = 100
    if departments:
        ds = wb.create_sheet("部门")
        ds.append(["code", "name"])
        for code, d in departments.items():
            ds.append([safe_cell(code), safe_cell(d["name"])])  # names come from the roster: user text
        ds.column_dimensions["B"].width = 24
    wb.save(path)


def template_for(path: str | Path, engine=None, round_code: str | None = None) -> Path:
    """Write an empty template for a round (its instrument and departments) or for the default instrument."""
    from ..axes import outside_mode
    from ..instrument import load_instrument
    from ..store import get_departments, get_round

    if engine is None or round_code is None:
        return write_template(path, load_instrument())
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    return write_template(path, load_instrument(rnd["instrument_id"], rnd["instrument_version"]), depts,
                          table=outside_mode(rnd) != "targets")
