"""Plain-text helpers: tables that line up with Chinese (double-width) characters, and the one rule
that keeps text from running as a spreadsheet formula."""

from __future__ import annotations

import unicodedata


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table(rows: list[list[object]], header: list[str]) -> str:
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c + " " * (w - width(c)) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


#: A text cell starting with one of these is a formula (or the start of one) to Excel, LibreOffice
#: and WPS (OWASP, "CSV injection"); so is one whose first non-blank character is = + - or @.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe(text: str) -> str:
    """Text that a spreadsheet will show, never run: a leading ``'`` where it could start a formula.

    >>> [formula_safe(s) for s in ("=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\\t=1", " =1", "办公室")]
    ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\\t=1", "' =1", '办公室']
    """
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START[:4]):
        return "'" + text
    return text
