"""Reading a roster: one row per department, from CSV (UTF-8, UTF-8 with BOM, GBK) or .xlsx.

Rosters come from real spreadsheets, so the reader accepts what offices make of them: title rows
(merged across the sheet or not) above the header, Chinese column names (部门代码, 部门名称, 单位类型,
人数, 党员人数, 归口, 互评对象), cells merged down several departments (.xlsx: the value fills the
merged range), full-width digits (１２), blank rows, and a 合计 (total) row, which is checked
against the departments' sum and left out. Line numbers in messages are the file's own.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import InputFileError

REQUIRED = ("code", "name", "unit_type", "headcount")
OPTIONAL = ("party_members", "division", "peer_targets", "paper", "name_en")
MAX_BYTES = 5 * 1024 * 1024
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
ALIASES = {
    "code": ("代码", "部门代码", "单位代码", "编码", "部门编码", "编号"),
    "name": ("名称", "部门", "部门名称", "单位", "单位名称"),
    "unit_type": ("类型", "单位类型", "部门类型", "单位性质"),
    "headcount": ("人数", "总人数", "在职人数", "职工人数", "编制人数", "干部职工人数"),
    "party_members": ("党员", "党员人数", "党员数"),
    "division": ("归口", "分组", "条线", "系统"),
    "peer_targets": ("互评对象", "外部互评", "互评部门"),
    "paper": ("纸质", "纸质测评", "纸质投票", "纸质票"),
    "name_en": ("英文名称", "英文名"),
}
PAPER_YES = ("1", "是", "y", "yes", "true", "纸质")
PAPER_NO = ("", "0", "否", "n", "no", "false")
TOTAL_WORDS = ("合计", "总计", "共计", "小计")
HEADER_SEARCH = 20  # rows looked at for the header, below any title rows
MAX_UNZIPPED = 64 * 1024 * 1024


@dataclass(frozen=True)
class RosterRow:
    code: str
    name: str
    unit_type: str
    headcount: int
    party_members: int | None = None
    division: str | None = None
    peer_targets: tuple[str, ...] = ()
    paper: bool = False
    name_en: str | None = None


def decode_bytes(data: bytes, what: str | tuple[str, str]) -> str:
    """UTF-8 (with or without BOM), else GBK; anything else is refused.

    ``what`` names the file in the error: one text, or ``(zh, en)``."""
    for enc in ("utf-8-sig", "gbk"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    zh, en = (what, what) if isinstance(what, str) else what
    raise InputFileError(f"{zh}：无法识别的编码（请用 UTF-8、带 BOM 的 UTF-8 或 GBK）",
                         f"{en}: unreadable encoding (use UTF-8, UTF-8 with BOM or GBK)")


def _rows_from_csv(path: Path) -> list[list[str]]:
    text = decode_bytes(path.read_bytes(), str(path))
    if "\x00" in text:
        raise InputFileError(f"{path}：不是文本文件", f"{path}: not a text file")
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as e:
        raise InputFileError(f"{path}：无法读取的 CSV 文件（{e}）", f"{path}: not a readable CSV file ({e})") from None


def _xlsx_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNZIPPED:
                mb = MAX_UNZIPPED // 1024 // 1024
                raise InputFileError(f"{path}：工作簿解压后超过 {mb} MB",
                                     f"{path}: the workbook unpacks to more than {mb} MB")
        # Not read-only: merged ranges are needed to fill cells merged down several departments.
        wb = load_workbook(path, data_only=True)
    except InputFileError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged workbook fails inside openpyxl in many ways
        raise InputFileError(f"{path}：无法读取的 .xlsx 文件（{type(e).__name__}）",
                             f"{path}: not a readable .xlsx file ({type(e).__name__})") from None
    try:
        ws = wb.worksheets[0]
        rows = [[_xlsx_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:
            top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else ""
            for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if c - 1 < len(rows[r - 1]):
                        rows[r - 1][c - 1] = top
        return rows
    finally:
        wb.close()


def _column_name(h: str) -> str:
    h = unicodedata.normalize("NFKC", h).strip()
    low = h.lower()
    if low in REQUIRED or low in OPTIONAL:
        return low
    bare = re.sub(r"[\s（(][^)）]*[)）]$|\s+", "", h)  # 人数（人） → 人数
    for name, words in ALIASES.items():
        if bare in words:
            return name
    return low


def _digits(v: str) -> str:
    return unicodedata.normalize("NFKC", v).strip()


def _int(value: str, line: int, column: str, path: Path) -> int:
    v = _digits(value)
    v = v.removesuffix(".0")  # spreadsheets store whole numbers as floats
    if not v.isdigit():
        raise InputFileError(f"{path} 第 {line} 行：{column} 必须是整数，而不是 {value!r}",
                             f"{path}, line {line}: {column} must be a whole number, not {value!r}")
    return int(v)


def read_roster(path: str | Path) -> list[RosterRow]:
    """Read and validate a roster; raise InputFileError naming the line and column of the first problem."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"找不到名册文件：{path}", f"roster file not found: {path}")
    if path.stat().st_size > MAX_BYTES:
        mb = MAX_BYTES // 1024 // 1024
        raise InputFileError(f"{path}：名册超过 {mb} MB", f"{path}: roster larger than {mb} MB")
    rows = _rows_from_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_from_csv(path)
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise InputFileError(f"{path}：名册是空的", f"{path}: roster is empty")
    # The header: the first row naming every required column (title rows above it are skipped);
    # failing that, the row naming most of them, so that the message lists what is really missing.
    found = [sum(c in {_column_name(h) for h in r} for c in REQUIRED) for _n, r in numbered[:HEADER_SEARCH]]
    at = found.index(max(found))
    header = [_column_name(h) for h in numbered[at][1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        lacks, needs = ", ".join(missing), ", ".join(REQUIRED)
        raise InputFileError(f"{path}：名册缺少列 {lacks}；必须有 {needs}",
                             f"{path}: roster lacks column(s) {lacks}; needs {needs}")
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise InputFileError(f"{path}：列 {', '.join(dup)} 重复", f"{path}: duplicate column(s) {', '.join(dup)}")
    idx = {h: i for i, h in enumerate(header)}
    out: list[RosterRow] = []
    seen: dict[str, int] = {}
    totals: list[tuple[int, str, str, str]] = []
    for line, raw in numbered[at + 1:]:
        def cell(c: str, raw: list[str] = raw) -> str:
            return raw[idx[c]].strip() if c in idx and idx[c] < len(raw) else ""
        if any(_digits(cell(c)).replace(" ", "").startswith(TOTAL_WORDS) for c in ("code", "name")):
            totals.append((line, cell("headcount"), cell("party_members"), _digits(cell("code") or cell("name"))))
            continue
        code = _digits(cell("code"))
        if not CODE_RE.match(code):
            raise InputFileError(f"{path} 第 {line} 行：部门代码 {code!r} 必须由 1-40 个字母、数字、- 或 _ 组成",
                                 f"{path}, line {line}: code {code!r} must be 1-40 letters, digits, - or _")
        if code in seen:
            raise InputFileError(f"{path} 第 {line} 行：部门代码 {code!r} 重复（首次出现在第 {seen[code]} 行）",
                                 f"{path}, line {line}: duplicate department code {code!r} (first on line {seen[code]})")
        seen[code] = line
        name, unit_type = cell("name"), cell("unit_type")
        if not name:
            raise InputFileError(f"{path} 第 {line} 行：name（名称）为空", f"{path}, line {line}: name is empty")
        if not unit_type:
            raise InputFileError(f"{path} 第 {line} 行：unit_type（单位类型）为空", f"{path}, line {line}: unit_type is empty")
        headcount = _int(cell("headcount"), line, "headcount", path)
        if headcount < 1:
            raise InputFileError(f"{path} 第 {line} 行：headcount（人数）至少为 1",
                                 f"{path}, line {line}: headcount must be at least 1")
        party = cell("party_members")
        party_n = _int(party, line, "party_members", path) if party else None
        if party_n is not None and party_n > headcount:
            raise InputFileError(f"{path} 第 {line} 行：party_members（党员人数）{party_n} 超过 headcount（人数）{headcount}",
                                 f"{path}, line {line}: party_members {party_n} exceeds headcount {headcount}")
        targets = tuple(t for t in re.split(r"[\s,;，；、]+", _digits(cell("peer_targets"))) if t)
        paper = _digits(cell("paper")).lower()
        if paper not in PAPER_YES + PAPER_NO:
            raise InputFileError(f"{path} 第 {line} 行：paper 必须是 1/是（用纸质答卷投票）或 0/否/空白，"
                                 f"而不是 {cell('paper')!r}",
                                 f"{path}, line {line}: paper must be 1/是 (votes on paper ballots) or 0/否/blank, "
                                 f"not {cell('paper')!r}")
        out.append(RosterRow(code, name, unit_type, headcount, party_n, cell("division") or None, targets,
                             paper in PAPER_YES, cell("name_en") or None))
    if not out:
        raise InputFileError(f"{path}：名册只有表头，没有部门", f"{path}: roster has a header but no departments")
    _check_totals(path, totals, out)
    for r in out:
        for t in r.peer_targets:
            if t not in seen:
                raise InputFileError(f"{path} 第 {seen[r.code]} 行：peer_targets 中的部门 {t!r} 不在名册中",
                                     f"{path}, line {seen[r.code]}: peer_targets names unknown department {t!r}")
            if t == r.code:
                raise InputFileError(f"{path} 第 {seen[r.code]} 行：peer_targets 列出了本部门自己",
                                     f"{path}, line {seen[r.code]}: peer_targets names the department itself")
    return out


def _check_totals(path: Path, totals: list[tuple[int, str, str, str]], rows: list[RosterRow]) -> None:
    """A 合计 row is left out, but only when its numbers agree with the departments above it."""
    for line, head, party, word in totals:
        if word.startswith("小计"):
            continue  # subtotals of a group: not checked against the whole
        if head:
            n = _int(head, line, "headcount", path)
            total = sum(r.headcount for r in rows)
            if n != total:
                raise InputFileError(f"{path} 第 {line} 行：{word}行的 headcount（人数）为 {n}，但各部门合计为 {total}；"
                                     "请检查名册",
                                     f"{path}, line {line}: the {word} row says headcount {n}, but the departments "
                                     f"add up to {total}; check the roster")
        if party and all(r.party_members is not None for r in rows):
            n = _int(party, line, "party_members", path)
            total = sum(r.party_members for r in rows)
            if n != total:
                raise InputFileError(f"{path} 第 {line} 行：{word}行的 party_members（党员人数）为 {n}，"
                                     f"但各部门合计为 {total}；请检查名册",
                                     f"{path}, line {line}: the {word} row says party_members {n}, but the "
                                     f"departments add up to {total}; check the roster")
