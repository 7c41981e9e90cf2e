"""Writing worksheets safely: no cell a spreadsheet would run, frozen headers, readable widths."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import InputFileError
from ..textfmt import formula_safe, width

MAX_WIDTH = 60


def safe_cell(v):
    """A value ready for a worksheet: text that could run as a formula gets a leading ``'``.

    >>> [safe_cell(v) for v in ("=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\\t=1", " =1", "办公室", -2.5)]
    ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\\t=1", "' =1", '办公室', -2.5]
    """
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    if isinstance(v, str):
        return formula_safe(v)
    return v


def write_rows(ws, header: Sequence[str], rows: Iterable[Sequence], *, first_row: int = 1,
               number_formats: dict[str, str] | None = None) -> None:
    """Write a header row (bold, frozen) and data rows below it; every cell passes :func:`safe_cell`."""
    from openpyxl.styles import Font

    for j, h in enumerate(header, start=1):
        c = ws.cell(row=first_row, column=j, value=safe_cell(h))
        c.font = Font(bold=True)
    formats = {header.index(k) + 1: f for k, f in (number_formats or {}).items() if k in header}
    r = first_row
    for r, row in enumerate(rows, start=first_row + 1):
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=r, column=j, value=safe_cell(v))
            if j in formats:
                c.number_format = formats[j]
    ws.freeze_panes = ws.cell(row=first_row + 1, column=1).coordinate
    if header:
        from openpyxl.utils import get_column_letter
        ws.auto_filter.ref = f"A{first_row}:{get_column_letter(len(header))}{max(r, first_row)}"
    autosize(ws)


def autosize(ws) -> None:
    """Column widths from the longest cell (Chinese characters count double), within bounds."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            text = f"{c.value:.3f}" if isinstance(c.value, float) else str(c.value)
            widths[c.column] = max(widths.get(c.column, 0), width(text.splitlines()[0] if text else ""))
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(6, min(MAX_WIDTH, w + 2))


def atomic_save(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook under a temporary name beside ``path`` and rename it: never half-written."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputFileError(f"{path}：工作簿应为 .xlsx 文件",
                             f"{path}: the workbook must be an .xlsx file")
    if not path.parent.exists():
        raise InputFileError(f"{path}：文件夹 {path.parent} 不存在",
                             f"{path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
