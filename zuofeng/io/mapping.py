"""The mapping file: which column of a survey tool's export is which, and what its codes mean.

A small YAML file, validated on load; every key is optional::

    format: wjx                 # template | wjx | limesurvey
    sheet: Sheet1               # the worksheet of an .xlsx file
    kind: peer                  # self | peer: the survey kind of every answer sheet in the file
    department: BGS             # a fixed rater department (one survey link per department) ...
    target: XHB                 # ... and a fixed rated department
    columns:                    # a question number (问卷星), a column header or a LimeSurvey code
      department: 1             # the question giving the rater's department
      target: 2                 # the question giving the rated department
      category: 3               # 党员 / 非党员
      overall: 26               # 好 / 较好 / 一般 / 差
      comment: 27
      duration: 所用时间
      items: 3                  # a matrix question whose rows are items 1..22 in order, or
      # items: [3, 4, 5, 6, 7]  # matrix questions whose rows, one after the other, are the items, or
      # items: [4, 5, 6, …]     # one column per item, in item order, or
      # items: {1: 4, 2: 5, …}  # item number → column, or
      # items: "G02Q01[SQ{n:03d}]"   # a pattern: {n} is the item number
      # items: "G{g:02d}Q01[SQ{n:03d}]"  # any placeholder names: the matching columns in order
    values:                     # answer text or option code → value (null = 不了解)
      department: {1: BGS, 2: XHB}
      target: {1: BGS, 2: XHB}
      category: {1: 党员, 2: 非党员}
      overall: {A1: 好, A2: 较好, A3: 一般, A4: 差, A5: null}
      items: {A1: 1, A2: 2, A3: 3, A4: 4, A5: 5, A6: null}
    too_fast_seconds: 60        # sheets answered faster are flagged (never dropped)
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputFileError
from ..store import CATEGORIES, KINDS

FORMATS = ("template", "wjx", "limesurvey")
TOP_KEYS = ("format", "sheet", "kind", "department", "target", "columns", "values", "too_fast_seconds")
COLUMN_KEYS = ("department", "target", "category", "overall", "comment", "duration", "items")
VALUE_KEYS = ("department", "target", "category", "overall", "items")
MAX_MAPPING_BYTES = 256 * 1024


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file (or the empty mapping: everything detected from the headers)."""

    format: str | None = None
    sheet: str | None = None
    kind: str | None = None
    department: str | None = None
    target: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict] = field(default_factory=dict)
    too_fast_seconds: float | None = None
    source: str = ""


@dataclass(frozen=True)
class ItemPattern:
    """A column-name pattern for the items, such as ``G{g:02d}Q01[SQ{n:03d}]``.

    Every ``{name}`` or ``{name:03d}`` stands for a whole number. The columns whose names match are
    the items: by the number in ``{n}`` when those numbers are exactly the item numbers, else in the
    order of their numbers (the first placeholder first), which must give one column per item.
    """

    text: str
    regex: re.Pattern
    names: tuple[str, ...]

    @classmethod
    def compile(cls, text: str, where: str) -> ItemPattern:
        """Validate ``text``; InputFileError (one line) when it is not a pattern of named placeholders."""
        out, names = [], []
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as e:
            raise InputFileError(f"{where}：模式 {text!r} 有误（{e}）；占位符写作 {{n}} 或 {{n:03d}}，花括号本身写作 {{{{ 或 }}}}",
                                 f"{where}: bad pattern {text!r} ({e}); write placeholders as {{n}} or {{n:03d}}, "
                                 "and a literal brace as {{ or }}") from None
        for literal, name, spec, conv in parts:
            out.append(re.escape(literal))
            if name is None:
                continue
            if not name.isidentifier() or conv is not None or not re.fullmatch(r"0?\d*d?", spec or ""):
                raise InputFileError(f"{where}：模式 {text!r} 中的占位符 {{{name}{'!' + conv if conv else ''}"
                                     f"{':' + spec if spec else ''}}} 有误；请用名称加可选宽度，如 {{n}} 或 {{g:02d}}",
                                     f"{where}: bad placeholder {{{name}{'!' + conv if conv else ''}"
                                     f"{':' + spec if spec else ''}}} in pattern {text!r}; "
                                     "use a name with an optional width, like {n} or {g:02d}")
            if name in names:
                raise InputFileError(f"{where}：占位符 {{{name}}} 在模式 {text!r} 中出现两次",
                                     f"{where}: placeholder {{{name}}} appears twice in pattern {text!r}")
            names.append(name)
            out.append(r"(\d{1,6})")
        if not names:
            raise InputFileError(f"{where}：模式 {text!r} 中没有 {{n}} 这样的占位符",
                                 f"{where}: pattern {text!r} has no placeholder such as {{n}}")
        return cls(text, re.compile("".join(out)), tuple(names))

    def columns(self, names: list[tuple[int, str]], n_items: int) -> tuple[dict[int, int], tuple[str, str] | None]:
        """(item → column index, None), or ({}, what is wrong in Chinese and English) for the columns
        ``names`` (index, name)."""
        hits = []
        for i, name in names:
            m = self.regex.fullmatch(name)
            if m:
                hits.append((tuple(int(g) for g in m.groups()), i))
        if "n" in self.names:
            k = self.names.index("n")
            by_n: dict[int, list[int]] = {}
            for vals, i in hits:
                by_n.setdefault(vals[k], []).append(i)
            if set(by_n) == set(range(1, n_items + 1)) and all(len(v) == 1 for v in by_n.values()):
                return {n: cols[0] for n, cols in by_n.items()}, None
        if len(hits) == n_items and len({v for v, _ in hits}) == n_items:
            return {n: i for n, (_v, i) in enumerate(sorted(hits), start=1)}, None
        return {}, (f"模式 {self.text!r} 匹配了 {len(hits)} 列，而不是每个条目一列（共 {n_items} 个条目）",
                    f"pattern {self.text!r} matches {len(hits)} column(s), not one per item ({n_items})")


def _ref(v: Any, where: str) -> int | str:
    if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v.strip()):
        raise InputFileError(f"{where} 应为题号或列名，而不是 {v!r}",
                             f"{where} must be a question number or a column name, not {v!r}")
    return v if isinstance(v, int) else v.strip()


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and validate a mapping file; ``None`` gives the empty mapping."""
    if path is None:
        return Mapping()
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"找不到映射文件：{path}",
                             f"mapping file not found: {path}")
    if path.stat().st_size > MAX_MAPPING_BYTES:
        raise InputFileError(f"{path}：映射文件超过 {MAX_MAPPING_BYTES // 1024} KB",
                             f"{path}: a mapping file larger than {MAX_MAPPING_BYTES // 1024} KB")
    try:
        doc = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path}：映射文件应为 UTF-8 编码",
                             f"{path}: a mapping file must be UTF-8") from None
    except yaml.YAMLError as e:
        raise InputFileError(f"{path}：不是有效的 YAML（{str(e).splitlines()[0]}）",
                             f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    w = str(path)
    if doc is None:
        return Mapping(source=w)
    if not isinstance(doc, dict):
        raise InputFileError(f"{w}：映射文件应为 YAML 映射，键为 {'、'.join(TOP_KEYS)}",
                             f"{w}: a mapping file must be a YAML mapping of {', '.join(TOP_KEYS)}")
    unknown = sorted(str(k) for k in doc if k not in TOP_KEYS)
    if unknown:
        raise InputFileError(f"{w}：未知的键 {'、'.join(unknown)}；可用：{'、'.join(TOP_KEYS)}",
                             f"{w}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(TOP_KEYS)}")
    fmt = doc.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise InputFileError(f"{w}：format 应为 {'、'.join(FORMATS)} 之一，而不是 {fmt!r}",
                             f"{w}: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    kind = doc.get("kind")
    if kind is not None and kind not in KINDS:
        raise InputFileError(f"{w}：kind 应为 {'、'.join(KINDS)} 之一，而不是 {kind!r}",
                             f"{w}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    for key in ("sheet", "department", "target"):
        if doc.get(key) is not None and not isinstance(doc[key], (str, int)):
            raise InputFileError(f"{w}：{key} 应为名称或代码，而不是 {doc[key]!r}",
                                 f"{w}: {key} must be a name or code, not {doc[key]!r}")
    columns = doc.get("columns") or {}
    if not isinstance(columns, dict):
        raise InputFileError(f"{w}：columns 应为映射，键为 {'、'.join(COLUMN_KEYS)}",
                             f"{w}: columns must be a mapping of {', '.join(COLUMN_KEYS)}")
    bad = sorted(str(k) for k in columns if k not in COLUMN_KEYS)
    if bad:
        raise InputFileError(f"{w}：未知的列角色 {'、'.join(bad)}；可用：{'、'.join(COLUMN_KEYS)}",
                             f"{w}: unknown column role(s) {', '.join(bad)}; allowed: {', '.join(COLUMN_KEYS)}")
    cols: dict[str, Any] = {}
    for role, v in columns.items():
        if role != "items":
            cols[role] = _ref(v, f"{w}: columns.{role}")
        elif isinstance(v, list):
            cols[role] = {n: _ref(r, f"{w}: columns.items[{n - 1}]") for n, r in enumerate(v, 1)}
        elif isinstance(v, dict):
            if not all(isinstance(k, int) and not isinstance(k, bool) for k in v):
                raise InputFileError(f"{w}：columns.items 的键应为题号",
                                     f"{w}: columns.items keys must be item numbers")
            cols[role] = {k: _ref(r, f"{w}: columns.items[{k}]") for k, r in v.items()}
        elif isinstance(v, str) and ("{" in v or "}" in v):
            cols[role] = ItemPattern.compile(v, f"{w}: columns.items")
        else:
            cols[role] = _ref(v, f"{w}: columns.items")
    values = doc.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(t, dict) for t in values.values()):
        raise InputFileError(f"{w}：values 应把 {'、'.join(VALUE_KEYS)} 映射到“代码: 值”的表",
                             f"{w}: values must map {', '.join(VALUE_KEYS)} to tables of code: value")
    bad = sorted(str(k) for k in values if k not in VALUE_KEYS)
    if bad:
        raise InputFileError(f"{w}：未知的值表 {'、'.join(bad)}；可用：{'、'.join(VALUE_KEYS)}",
                             f"{w}: unknown value table(s) {', '.join(bad)}; allowed: {', '.join(VALUE_KEYS)}")
    for code, v in (values.get("items") or {}).items():
        if v is not None and (isinstance(v, bool) or v not in (1, 2, 3, 4, 5)):
            raise InputFileError(f"{w}：values.items.{code} 应为 1..5 或 null（不了解），而不是 {v!r}",
                                 f"{w}: values.items.{code} must be 1..5 or null (不了解), not {v!r}")
    for code, v in (values.get("category") or {}).items():
        if v is not None and v not in CATEGORIES:
            raise InputFileError(f"{w}：values.category.{code} 应为 {' 或 '.join(CATEGORIES)}，而不是 {v!r}",
                                 f"{w}: values.category.{code} must be {' or '.join(CATEGORIES)}, not {v!r}")
    for role in ("department", "target"):
        for code, v in (values.get(role) or {}).items():
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                raise InputFileError(f"{w}：values.{role}.{code} 应为部门代码，而不是 {v!r}",
                                     f"{w}: values.{role}.{code} must be a department code, not {v!r}")
    fast = doc.get("too_fast_seconds")
    if fast is not None and (isinstance(fast, bool) or not isinstance(fast, (int, float)) or fast < 0):
        raise InputFileError(f"{w}：too_fast_seconds 应为秒数，而不是 {fast!r}",
                             f"{w}: too_fast_seconds must be a number of seconds, not {fast!r}")
    return Mapping(
        format=fmt, sheet=None if doc.get("sheet") is None else str(doc["sheet"]), kind=kind,
        department=None if doc.get("department") is None else str(doc["department"]),
        target=None if doc.get("target") is None else str(doc["target"]),
        columns=cols, values={k: dict(v) for k, v in values.items()},
        too_fast_seconds=None if fast is None else float(fast), source=w,
    )
