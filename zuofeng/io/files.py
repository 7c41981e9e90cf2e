"""Reading an imported file into plain grids of text, treating it as hostile.

A file is read whole, within limits: its size, the size it unzips to, its rows, columns and cell
length. Its kind is told by its content, not its name: an .xlsx workbook (a zip), an old .xls
workbook or an HTML page (refused with a hint), or delimited text in UTF-8, UTF-8 with BOM or GBK.
A text file mixing two encodings is refused, naming a line of each.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputFileError

MAX_BYTES = 16 * 1024 * 1024  # an export of several thousand answer sheets is well below this
MAX_UNZIPPED = 256 * 1024 * 1024  # what an .xlsx may expand to: stops zip bombs
MAX_ROWS = 100_000
MAX_COLUMNS = 1_000
MAX_CELL = 10_000  # characters

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Grid:
    """One table of a file: rows of stripped text cells, blank rows left out.

    ``rows`` holds ``(number, cells)`` pairs, ``number`` being the 1-based row of the file (a CSV
    record or a worksheet row), so that problems can name it.
    """

    name: str
    rows: tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True)
class FileContent:
    """What :func:`read_file` found: the kind (``csv`` or ``xlsx``) and its grids (one per sheet)."""

    path: Path
    kind: str
    grids: tuple[Grid, ...]


def read_file(path: str | Path, kinds: tuple[str, ...] = ("xlsx", "csv")) -> FileContent:
    """Read ``path`` into grids; raise :class:`InputFileError` with one line if it cannot be used.

    ``kinds`` are the kinds the caller takes: the advice for an old .xls names only those.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"找不到文件：{path}",
                             f"file not found: {path}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputFileError(f"{path}：{size / 1024 / 1024:.1f} MB，超过导入文件 {MAX_BYTES // 1024 // 1024} MB 的上限",
                             f"{path}: {size / 1024 / 1024:.1f} MB is larger than the limit of "
                             f"{MAX_BYTES // 1024 // 1024} MB for an imported file")
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(f"{path}：文件是空的",
                             f"{path}: the file is empty")
    if data.startswith(XLSX_MAGIC):
        return FileContent(path, "xlsx", _read_xlsx(data, path))
    if data.startswith(OLE_MAGIC):
        raise InputFileError(f"{path}：这是旧版 Excel .xls（或 WPS .et）工作簿：请先另存为 {' 或 '.join('.' + k for k in kinds)}",
                             f"{path}: an old Excel .xls (or WPS .et) workbook; save it as "
                             f"{' or '.join('.' + k for k in kinds)} first")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(f"{path}：UTF-16 文本：请另存为 UTF-8 或 GBK 编码的 CSV",
                             f"{path}: UTF-16 text; save it as CSV in UTF-8 or GBK")
    if b"\x00" in data:
        raise InputFileError(f"{path}：二进制数据，不是 CSV 或 .xlsx 文件",
                             f"{path}: binary data, not a CSV or .xlsx file")
    text = decode_text(data, str(path))
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<table")):
        raise InputFileError(f"{path}：这是 HTML 或 XML 网页，不是数据文件（下载完整吗？）",
                             f"{path}: an HTML or XML page, not a data file (was the download complete?)")
    return FileContent(path, "csv", (_read_csv(text, path),))


# --- text -------------------------------------------------------------------------------------

def _looks_chinese_utf8(line: bytes) -> bool:
    """A line that is valid UTF-8 *and* reads as Chinese text (not GBK bytes that happen to fit)."""
    try:
        s = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in s if ord(ch) > 127]
    return len(wide) >= 2 and all("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in wide)


def decode_text(data: bytes, what: str) -> str:
    """Decode UTF-8 (with or without BOM) or GBK; refuse anything else, and files mixing the two."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")  # GBK trail bytes are >= 0x40: a newline byte is always a newline
    utf8_line = next((n for n, ln in enumerate(lines, 1) if _looks_chinese_utf8(ln)), None)
    if utf8_line is None:
        try:
            return body.decode("gbk")
        except UnicodeDecodeError as e:
            line = body[: e.start].count(b"\n") + 1
            raise InputFileError(f"{what}：第 {line} 行编码无法识别（请用 UTF-8、带 BOM 的 UTF-8 或 GBK）",
                                 f"{what}: unreadable encoding at line {line} "
                                 "(use UTF-8, UTF-8 with BOM or GBK)") from None
    other = [n for n, ln in enumerate(lines, 1) if not _utf8_ok(ln)]
    neither = next((n for n in other if not _gbk_ok(lines[n - 1])), None)
    if neither is not None:
        raise InputFileError(f"{what}：第 {neither} 行编码无法识别，既不是 UTF-8 也不是 GBK（第 {utf8_line} 行是 UTF-8）：请整个文件用同一种编码保存",
                             f"{what}: unreadable encoding at line {neither}: neither UTF-8 nor GBK "
                             f"(line {utf8_line} is UTF-8); save the whole file in one encoding")
    raise InputFileError(f"{what}：编码混杂，第 {utf8_line} 行是 UTF-8，第 {other[0]} 行却是 GBK：请整个文件用同一种编码保存",
                         f"{what}: mixed encodings: line {utf8_line} is UTF-8 but line {other[0]} is GBK; "
                         "save the whole file in one encoding")


def _gbk_ok(b: bytes) -> bool:
    try:
        b.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


def _utf8_ok(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _read_csv(text: str, path: Path) -> Grid:
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    if not first.count(delimiter):
        delimiter = ","
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for raw in reader:
            _check_row(raw, len(rows) + 1, path)  # the record number, the header being 1
            rows.append(raw)
    except csv.Error as e:
        raise InputFileError(f"{path}：第 {len(rows) + 1} 行不是可读的 CSV（{e}）",
                             f"{path}: not a readable CSV file at row {len(rows) + 1} ({e})") from None
    _check_widths(rows, path)
    return Grid("", _keep(rows))


def _check_widths(rows: list[list[str]], path: Path) -> None:
    """Every record of a CSV export has as many fields as its header; a short one means a cut file."""
    filled = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not filled:
        return
    width = len(filled[0][1])
    short = [(n, len(r)) for n, r in filled[1:] if len(r) < width]
    if short:
        shown = ", ".join(f"row {n} ({k} fields)" for n, k in short[:5])
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        shown_zh = "、".join(f"第 {n} 行（{k} 个）" for n, k in short[:5])
        more_zh = f"等 {len(short)} 行" if len(short) > 5 else ""
        raise InputFileError(f"{path}：表头有 {width} 个字段，但{shown_zh}{more_zh}字段更少；文件是否不完整？",
                             f"{path}: the header has {width} fields but {shown}{more} have fewer; "
                             "is the file cut short?")


def _check_row(raw: list, n: int, path: Path) -> None:
    if n > MAX_ROWS:
        raise InputFileError(f"{path}：超过 {MAX_ROWS} 行",
                             f"{path}: more than {MAX_ROWS} rows")
    if len(raw) > MAX_COLUMNS:
        raise InputFileError(f"{path}，第 {n} 行：超过 {MAX_COLUMNS} 列",
                             f"{path}, row {n}: more than {MAX_COLUMNS} columns")
    for c in raw:
        if isinstance(c, str) and len(c) > MAX_CELL:
            raise InputFileError(f"{path}，第 {n} 行：有单元格超过 {MAX_CELL} 字",
                                 f"{path}, row {n}: a cell longer than {MAX_CELL} characters")


def _keep(rows: list[list[str]]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Strip cells, drop trailing empty cells and blank rows, keep each row's number."""
    out = []
    for n, raw in enumerate(rows, start=1):
        cells = [c.strip() for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            out.append((n, tuple(cells)))
    return tuple(out)


# --- xlsx -------------------------------------------------------------------------------------

def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time, dt.timedelta)):
        return str(v)
    return str(v)


def _read_xlsx(data: bytes, path: Path) -> tuple[Grid, ...]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(i.file_size for i in z.infolist())
            if total > MAX_UNZIPPED:
                raise InputFileError(f"{path}：工作簿解压后为 {total // 1024 // 1024} MB，超过 {MAX_UNZIPPED // 1024 // 1024} MB 的上限",
                                     f"{path}: the workbook unpacks to {total // 1024 // 1024} MB, more than "
                                     f"the limit of {MAX_UNZIPPED // 1024 // 1024} MB")
            if "xl/workbook.xml" not in z.namelist():
                raise InputFileError(f"{path}：这是 zip 文件，但不是 .xlsx 工作簿",
                                     f"{path}: a zip file, but not an .xlsx workbook")
    except zipfile.BadZipFile:
        raise InputFileError(f"{path}：不是可读的 .xlsx 文件（已损坏或不完整）",
                             f"{path}: not a readable .xlsx file (damaged or cut short)") from None
    grids = []
    try:
        # A hostile workbook can fail anywhere inside openpyxl and the XML parser, with many
        # exception types; every one of them means the same thing to the user.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            for ws in wb.worksheets:
                ws.reset_dimensions()  # trust the cells, not a declared (possibly huge) sheet size
                rows = []
                for raw in ws.iter_rows(values_only=True):
                    rows.append(raw)
                    _check_row(raw, len(rows), path)
                grids.append(Grid(ws.title, _keep([[_cell_text(v) for v in r] for r in rows])))
        finally:
            wb.close()
    except InputFileError:
        raise
    except Exception as e:  # noqa: BLE001 - see comment above
        raise InputFileError(f"{path}：不是可读的 .xlsx 文件（{type(e).__name__}）",
                             f"{path}: not a readable .xlsx file ({type(e).__name__})") from None
    if not grids:
        raise InputFileError(f"{path}：工作簿里没有工作表",
                             f"{path}: the workbook has no worksheet")
    return tuple(grids)


# --- fingerprint ------------------------------------------------------------------------------

def fingerprint(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """sha256 of the normalised content: header and data rows as stripped text, blank rows left out.

    The same answers give the same fingerprint whether saved as CSV (in any accepted encoding) or
    .xlsx, so a file converted and imported again is still recognised.
    """
    norm = [list(header)] + [list(r) for r in rows]
    return hashlib.sha256(json.dumps(norm, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


_FORMULA_RE = re.compile(r"^[=+\-@]\s*[A-Za-z_]+\s*[(|!]|^[=+\-@].*\|")


def looks_like_formula(cell: str) -> bool:
    """True for a cell a spreadsheet would run: ``=…``, or ``+ - @`` followed by a function or a DDE call.

    >>> [looks_like_formula(s) for s in ("=1+1", "=cmd|' /C calc'!A0", "@SUM(A1)", "-建议多下基层", "+1")]
    [True, True, True, False, False]
    """
    s = cell.lstrip()
    return s.startswith("=") or bool(_FORMULA_RE.match(s))
