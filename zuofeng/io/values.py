"""Turning the text of one cell into a stored value: items, the overall rating, category, department.

Every format (the template, 问卷星, LimeSurvey) goes through these, so a value means the same thing
wherever it was typed. A value that cannot be read raises :class:`BadValue` with a message saying
what is allowed; the caller adds the row and the column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ..instrument import Instrument
from ..store import CATEGORIES, COMMENT_MAX, KINDS
from .files import looks_like_formula

#: Cell texts that mean "don't know" in any format.
MISSING_TEXTS = frozenset({"不了解", "不清楚", "不知道"})
#: The marks survey tools write for skipped or hidden questions (问卷星: -3 skipped, -2 not shown).
TOOL_MISSING = frozenset({"(跳过)", "跳过", "(空)", "N/A", "NA", "-2", "-3"})
PARTY_TEXTS = frozenset({"党员", "中共党员", "中共预备党员", "预备党员", "中共党员(含预备党员)"})
NON_PARTY_TEXTS = frozenset({"非党员", "群众", "共青团员", "团员", "民主党派", "民主党派成员", "无党派人士",
                             "无党派", "其他", "非中共党员"})
KIND_TEXTS = {"self": "self", "自评": "self", "peer": "peer", "互评": "peer"}


class BadValue(Exception):
    """A cell whose text is not an allowed value; ``message`` (Chinese) and ``en`` say what is allowed."""

    def __init__(self, message: str, en: str | None = None):
        super().__init__(message)
        self.message = message
        self.en = message if en is None else en


def norm(s: str) -> str:
    """Compare texts as people mean them: NFKC (full-width digits and brackets), no spaces.

    >>> norm(" ３ "), norm("（跳过）"), norm("中共党员（含预备党员）")
    ('3', '(跳过)', '中共党员(含预备党员)')
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def as_int(s: str) -> int | None:
    """A whole number written as ``3``, ``３``, ``3.0`` or ``-3``; None for anything else."""
    t = norm(s)
    t = t.removesuffix(".0")
    return int(t) if re.fullmatch(r"-?\d{1,9}", t) else None


def _codes(key: object) -> str:
    return norm(str(key))


class ValueReader:
    """Reads cells for one round: its instrument's scales and its departments.

    Parameters
    ----------
    instrument : Instrument
        The round's instrument.
    departments : mapping of str to dict
        The round's departments by code (as :func:`zuofeng.store.get_departments` returns them).
    option_codes : bool
        Whether option numbers as survey tools write them are accepted: for items 1–5 in the scale's
        order and 6 for 不了解; for the overall rating 1–4 and 5 for 不了解; for the category 1 党员
        and 2 非党员. The template takes item numbers 1–5 only.
    """

    def __init__(self, instrument: Instrument, departments: Mapping[str, dict], *, option_codes: bool = False):
        self.inst = instrument
        self.depts = dict(departments)
        scale = instrument.item_scale
        self.item_texts = {norm(o.text.zh): o.value for o in scale.options}
        self.item_texts |= {norm(o.text.en).lower(): o.value for o in scale.options}
        self.item_missing = MISSING_TEXTS | {norm(scale.missing.zh), norm(scale.missing.en).lower()}
        if option_codes:
            self.item_missing |= TOOL_MISSING
        self.overall_values = [o.value for o in instrument.overall_scale.options]
        self.option_codes = option_codes
        by_name: dict[str, list[str]] = {}
        for code, d in self.depts.items():
            by_name.setdefault(norm(d["name"]), []).append(code)
        self.dept_by_name = by_name
        self.dept_by_code = {norm(c).upper(): c for c in self.depts}

    # --- items and ratings --------------------------------------------------------------

    def item(self, s: str, codes: Mapping | None = None) -> int | None:
        """1–5, or None for 不了解 / blank / skipped."""
        if not s:
            return None
        t = norm(s)
        if codes is not None and t in codes:
            return codes[t]
        if t in self.item_missing or t.lower() in self.item_missing:
            return None
        if t in self.item_texts or t.lower() in self.item_texts:
            return self.item_texts.get(t, self.item_texts.get(t.lower()))
        n = as_int(t) if codes is None else None
        if n is not None and 1 <= n <= 5:
            return n
        if n == len(self.inst.item_scale.options) + 1 and self.option_codes:
            return None  # the option after the scale: 不了解
        allowed = "1–5, " + "/".join(o.text.zh for o in self.inst.item_scale.options)
        allowed_zh = "1–5、" + "/".join(o.text.zh for o in self.inst.item_scale.options)
        if codes is not None:
            allowed = ", ".join(sorted(codes)) + " (from the mapping file), or the option texts"
            allowed_zh = "、".join(sorted(codes)) + "（映射文件中的代码）或选项文字"
        raise BadValue(f"{s!r} 不是答案；请用 {allowed_zh}、不了解，或留空",
                       f"{s!r} is not an answer; use {allowed}, 不了解 or leave it blank")

    def overall(self, s: str, codes: Mapping | None = None) -> str | None:
        """好 / 较好 / 一般 / 差, or None for 不了解 / blank."""
        if not s:
            return None
        t = norm(s)
        if codes is not None and t in codes:
            return codes[t]
        if t in self.item_missing:
            return None
        for o in self.inst.overall_scale.options:
            if t in (norm(o.value), norm(o.text.zh)) or t.lower() == norm(o.text.en).lower():
                return o.value
        n = as_int(t) if self.option_codes and codes is None else None
        if n is not None and 1 <= n <= len(self.overall_values):
            return self.overall_values[n - 1]
        if n == len(self.overall_values) + 1:
            return None
        raise BadValue(f"{s!r} 不是总体评价；请用 {' / '.join(self.overall_values)}、不了解，或留空",
                       f"{s!r} is not an overall rating; use {' / '.join(self.overall_values)}, 不了解 or blank")

    def category(self, s: str, codes: Mapping | None = None) -> str | None:
        """党员 / 非党员, or None for blank."""
        if not s:
            return None
        t = norm(s)
        if codes is not None and t in codes:
            return codes[t]
        if t in PARTY_TEXTS:
            return CATEGORIES[0]
        if t in NON_PARTY_TEXTS:
            return CATEGORIES[1]
        if t in self.item_missing:
            return None
        n = as_int(t) if self.option_codes and codes is None else None
        if n in (1, 2):
            return CATEGORIES[n - 1]
        raise BadValue(f"{s!r} 不是类别；请用 {' / '.join(CATEGORIES)}（或 中共党员 / 群众…），或留空",
                       f"{s!r} is not a category; use {' / '.join(CATEGORIES)} (or 中共党员 / 群众…) or blank")

    def kind(self, s: str) -> str:
        t = norm(s).lower()
        if t in KIND_TEXTS:
            return KIND_TEXTS[t]
        raise BadValue(f"{s!r} 不是测评类型；请用 {' 或 '.join(KINDS)}（自评 / 互评）",
                       f"{s!r} is not a survey kind; use {' or '.join(KINDS)} (自评 / 互评)")

    # --- departments and text ---------------------------------------------------------

    def department(self, s: str, codes: Mapping | None = None) -> str:
        """A department code of the round, given its code or its (unique) name."""
        t = norm(s)
        if codes is not None and t in codes:
            return codes[t]
        if not t:
            raise BadValue("部门为空", "department is blank")
        if t.upper() in self.dept_by_code:
            return self.dept_by_code[t.upper()]
        named = self.dept_by_name.get(t, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise BadValue(f"{s!r} 对应多个部门（{'、'.join(named)}）；请用部门代码",
                           f"{s!r} names several departments ({', '.join(named)}); use the code")
        if self.option_codes and as_int(t) is not None:
            raise BadValue(f"{s!r} 是选项序号，不是部门；请下载答案文本（问卷星：按选项文本），"
                           "或在映射文件中把序号对应到部门代码（values: department:）",
                           f"{s!r} is an option number, not a department; download the answer texts "
                           "(问卷星: 按选项文本) or map the numbers to department codes in a mapping file "
                           "(values: department:)")
        known = sorted(self.depts)
        shown = ", ".join(known[:12]) + (f", … ({len(known)} in all)" if len(known) > 12 else "")
        shown_zh = "、".join(known[:12]) + (f"……（共 {len(known)} 个）" if len(known) > 12 else "")
        raise BadValue(f"未知部门 {s!r}；本轮次的部门为 {shown_zh}",
                       f"unknown department {s!r}; the round's departments are {shown}")

    def comment(self, s: str) -> str | None:
        """Free text, at most COMMENT_MAX characters, never a formula; a tool's (空) is no comment."""
        if not s or (self.option_codes and norm(s) in TOOL_MISSING):
            return None
        if looks_like_formula(s):
            raise BadValue("看起来是电子表格公式（以 = 开头或调用函数）；电子表格会执行的内容一律不导入",
                           "looks like a spreadsheet formula (starts with = or calls a function); "
                           "nothing that a spreadsheet would run is imported")
        if len(s) > COMMENT_MAX:
            raise BadValue(f"意见建议有 {len(s)} 个字符；最多保留 {COMMENT_MAX} 个",
                           f"suggestion has {len(s)} characters; at most {COMMENT_MAX} are kept")
        return s


def duration_seconds(s: str) -> float | None:
    """Seconds from a duration as survey tools write it: ``125秒``, ``2分5秒``, ``0:02:05`` or ``125``.

    >>> [duration_seconds(s) for s in ("125秒", "2分5秒", "1小时2分", "0:02:05", "125", "--", "")]
    [125.0, 125.0, 3720.0, 125.0, 125.0, None, None]
    """
    t = norm(s)
    if not t:
        return None
    m = re.fullmatch(r"(?:(\d+)(?:小时|时))?(?:(\d+)分(?:钟)?)?(?:(\d+(?:\.\d+)?)秒)?", t)
    if m and any(m.groups()):
        h, mi, se = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + se
    m = re.fullmatch(r"(\d+):(\d{1,2}):(\d{1,2})", t) or re.fullmatch(r"()(\d+):(\d{1,2})", t)
    if m:
        h, mi, se = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + se
    try:
        v = float(t)
    except ValueError:
        return None
    return v if v >= 0 else None


def code_table(raw: Mapping | None, convert) -> dict | None:
    """Normalise a mapping file's ``values`` table: keys as normalised text, values converted."""
    if raw is None:
        return None
    return {_codes(k): convert(v) for k, v in raw.items()}
