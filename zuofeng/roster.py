"""Reading a roster: one row per department, from CSV (UTF-8, UTF-8 with BOM, GBK) or .xlsx."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputFileError

REQUIRED = ("code", "name", "unit_type", "headcount")
OPTIONAL = ("party_members", "division", "peer_targets")
MAX_BYTES = 5 * 1024 * 1024
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class RosterRow:
    code: str
    name: str
    unit_type: str
    headcount: int
    party_members: int | None = None
    division: str | None = None
    peer_targets: tuple[str, ...] = ()


def decode_bytes(data: bytes, what: str) -> str:
    """UTF-8 (with or without BOM), else GBK; anything else is refused."""
    for enc in ("utf-8-sig", "gbk"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{what}: unreadable encoding (use UTF-8, UTF-8 with BOM or GBK)")


def _rows_from_csv(path: Path) -> list[list[str]]:
    text = decode_bytes(path.read_bytes(), str(path))
    if "\x00" in text:
        raise InputFileError(f"{path}: not a text file")
    return [row for row in csv.reader(io.StringIO(text))]


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        raise InputFileError(f"{path}: not a readable .xlsx file ({type(e).__name__})") from None
    try:
        ws = wb.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _int(value: str, line: int, column: str, path: Path) -> int:
    v = value.strip()
    if v.endswith(".0"):  # spreadsheets store whole numbers as floats
        v = v[:-2]
    if not v.isdigit():
        raise InputFileError(f"{path}, line {line}: {column} must be a whole number, not {value!r}")
    return int(v)


def read_roster(path: str | Path) -> list[RosterRow]:
    """Read and validate a roster; raise InputFileError naming the line and column of the first problem."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"roster file not found: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise InputFileError(f"{path}: roster larger than {MAX_BYTES // 1024 // 1024} MB")
    rows = _rows_from_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_from_csv(path)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputFileError(f"{path}: roster is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputFileError(f"{path}: roster lacks column(s) {', '.join(missing)}; needs {', '.join(REQUIRED)}")
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise InputFileError(f"{path}: duplicate column(s) {', '.join(dup)}")
    idx = {h: i for i, h in enumerate(header)}
    out: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        cell = lambda c: raw[idx[c]].strip() if c in idx and idx[c] < len(raw) else ""  # noqa: E731
        code = cell("code")
        if not CODE_RE.match(code):
            raise InputFileError(f"{path}, line {line}: code {code!r} must be 1-40 letters, digits, - or _")
        if code in seen:
            raise InputFileError(f"{path}, line {line}: duplicate department code {code!r} (first on line {seen[code]})")
        seen[code] = line
        name, unit_type = cell("name"), cell("unit_type")
        if not name:
            raise InputFileError(f"{path}, line {line}: name is empty")
        if not unit_type:
            raise InputFileError(f"{path}, line {line}: unit_type is empty")
        headcount = _int(cell("headcount"), line, "headcount", path)
        if headcount < 1:
            raise InputFileError(f"{path}, line {line}: headcount must be at least 1")
        party = cell("party_members")
        party_n = _int(party, line, "party_members", path) if party else None
        if party_n is not None and party_n > headcount:
            raise InputFileError(f"{path}, line {line}: party_members {party_n} exceeds headcount {headcount}")
        targets = tuple(t for t in re.split(r"[\s,;，；、]+", cell("peer_targets")) if t)
        out.append(RosterRow(code, name, unit_type, headcount, party_n, cell("division") or None, targets))
    if not out:
        raise InputFileError(f"{path}: roster has a header but no departments")
    for r in out:
        for t in r.peer_targets:
            if t not in seen:
                raise InputFileError(f"{path}, line {seen[r.code]}: peer_targets names unknown department {t!r}")
            if t == r.code:
                raise InputFileError(f"{path}, line {seen[r.code]}: peer_targets names the department itself")
    return out
