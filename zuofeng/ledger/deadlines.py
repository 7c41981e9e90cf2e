"""Deadlines as departments write them in their ledger workbook (完成时限).

Read: an Excel date cell; ``2027-03-31``, ``2027.3.31``, ``2027/3/31``, ``2027年3月31日`` (or 号);
``2027年3月底`` / ``2027年3月末`` (the last day of that month); ``2027年底`` (31 December); the same
without a year (``3月31日``, ``3月底``), which take the round's year; any of them followed by 前, 之前 or
以前 (``3月31日前``); full-width digits. ``长期坚持`` (or ``长期``, ``常态化``) is a standing measure, which
has no deadline. Anything else is refused: a guessed deadline is worse than a question back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from typing import NamedTuple

#: what a department writes for a standing measure (a measure kept up without an end date)
STANDING = ("长期坚持", "长期", "常态化", "持续推进")
STANDING_TEXT = STANDING[0]
EXAMPLES = "2027-03-31、2027年3月31日、2027年3月底、3月31日 或 长期坚持"

_NUMERIC = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$")
_CHINESE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:(\d{1,2})[日号]|(底|末))$")
_YEAR_END = re.compile(r"^(\d{4})年(?:底|末)$")
_BEFORE = re.compile(r"(?:之前|以前|前)$")


class Deadline(NamedTuple):
    """A read deadline: a date, or none with ``standing`` for 长期坚持 (both empty: no deadline)."""

    date: dt.date | None
    standing: bool = False


def read_deadline(value, year: int) -> Deadline:
    """Read one 完成时限 cell; ``year`` is the round's year, for dates written without one.

    >>> read_deadline("2027年3月底", 2026)
    Deadline(date=datetime.date(2027, 3, 31), standing=False)
    >>> read_deadline("3月31日前", 2027).date, read_deadline("长期坚持", 2027)
    (datetime.date(2027, 3, 31), Deadline(date=None, standing=True))

    Raises ``ValueError`` for what is not a deadline (``下个月``, ``2027-02-30``, a time of day).
    """
    if value is None:
        return Deadline(None)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return Deadline(value.date())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return Deadline(value)
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)) if isinstance(value, str) else "?"
    if not s:
        return Deadline(None)
    if s in STANDING:
        return Deadline(None, standing=True)
    s = _BEFORE.sub("", s)
    if m := _NUMERIC.match(s):
        return Deadline(dt.date(int(m[1]), int(m[2]), int(m[3])))
    if m := _YEAR_END.match(s):
        return Deadline(dt.date(int(m[1]), 12, 31))
    if m := _CHINESE.match(s):
        y, month = int(m[1] or year), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(value)
        day = calendar.monthrange(y, month)[1] if m[4] else int(m[3])
        return Deadline(dt.date(y, month, day))
    raise ValueError(value)
