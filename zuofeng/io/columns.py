"""Survey-tool exports: from a plan saying which column is which, to answer sheets.

问卷星 and LimeSurvey exports differ in their headers and codes, not in what a row is: one answer
sheet, with columns for the department, perhaps the rated department, the category, the items,
the overall rating, a comment and tool metadata. Their modules build a :class:`Plan` (from a
mapping file or the headers) and :func:`read_rows` does the rest. Metadata columns are never read
except the duration, which only sets ``too_fast``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..messages import both
from ..store import Sheet
from .files import Grid, looks_like_formula
from .import_problems import Collector
from .mapping import Mapping
from .parsed import Parsed
from .values import TOOL_MISSING, BadValue, ValueReader, code_table, duration_seconds, norm

KEYWORDS = {
    "target": ("被评", "测评对象", "评价对象", "评议对象", "所评部门", "评价的部门", "对哪个部门"),
    "department": ("所在部门", "所在的部门", "所在单位", "所在的单位", "所在处室", "您的部门", "您的单位",
                   "所属部门", "工作部门"),
    "category": ("政治面貌", "是否党员", "是否为党员", "是否中共党员"),
    "overall": ("总体评价", "民主测评", "总体满意", "总体印象"),
    "comment": ("意见", "建议"),
}
DEFAULT_TOO_FAST = 60.0  # seconds for 22 items and the overall rating: under 3 s an answer


@dataclass
class Plan:
    """Column indexes (into the header) for every role, and the code tables that apply."""

    kind: str = "self"
    department: int | None = None
    department_fixed: str | None = None
    target: int | None = None
    target_fixed: str | None = None
    category: int | None = None
    overall: int | None = None
    comment: int | None = None
    duration: int | None = None
    items: dict[int, int] = field(default_factory=dict)
    matched: dict[int, str] = field(default_factory=dict)  # item → how its column was found (text, position…)
    kind_fixed: bool = False  # the mapping said the kind; otherwise each row's cells decide it
    codes: dict[str, dict | None] = field(default_factory=dict)
    too_fast_seconds: float = DEFAULT_TOO_FAST
    cell: Callable[[str], str] = field(default=lambda s: s)  # per-format code clean-up (LimeSurvey A1 → 1)

    def used(self) -> list[int]:
        roles = [self.department, self.target, self.category, self.overall, self.comment, self.duration]
        return [i for i in roles if i is not None] + list(self.items.values())


def text_key(s: str) -> str:
    """Text for matching titles: NFKC, without spaces, punctuation and a leading question number."""
    t = norm(s)
    t = re.sub(r"^\d+[、.．:：)]", "", t)
    return re.sub(r"[\W_]+", "", t)


def _wildcard(text: str) -> re.Pattern | None:
    """The official text as a pattern where its ``*`` (a name left out of the plan) may be any short text."""
    parts = [text_key(p) for p in re.split(r"\*+", text)]
    if len(parts) < 2:
        return None
    return re.compile(".{0,12}".join(re.escape(p) for p in parts))


def match_item(title: str, reader: ValueReader) -> list[int]:
    """Items whose text or label a column title gives (whole, cut short, or quoted inside it).

    Texts are compared after NFKC (full-width punctuation and digits), without spaces, punctuation
    and a leading question number; a ``*`` in the official text (a place left out of the plan) matches
    whatever a unit wrote there, or nothing.
    """
    t = text_key(title)
    if len(t) < 4:
        return []
    found = []
    for it in reader.inst.items:
        full, label = text_key(it.text.zh), text_key(it.label.zh)
        wild = _wildcard(it.text.zh)
        if t in (full, label) or (len(t) >= 10 and full.startswith(t)) or (len(full) >= 10 and full in t) \
                or (wild is not None and wild.fullmatch(t)):
            found.append(it.number)
    if not found:
        found = [it.number for it in reader.inst.items if text_key(it.label.zh) in t]
    return found


def apply_mapping(plan: Plan, m: Mapping, resolve: Callable[[object, str], int | None],
                  resolve_items: Callable[[object], dict[int, int]], problems: Collector,
                  reader: ValueReader) -> None:
    """Put a mapping file's columns, fixed departments, codes and threshold into ``plan``."""
    for role in ("department", "target", "category", "overall", "comment", "duration"):
        if role in m.columns:
            setattr(plan, role, resolve(m.columns[role], role))
    if "items" in m.columns:
        plan.items = resolve_items(m.columns["items"])
    for role, attr in (("department", "department_fixed"), ("target", "target_fixed")):
        fixed = getattr(m, role)
        if fixed is not None:
            try:
                setattr(plan, attr, reader.department(fixed))
            except BadValue as e:
                problems.add(None, None, f"映射文件 {m.source}：{role}：{e.message}",
                             f"mapping file {m.source}: {role}: {e.en}")
    plan.codes["items"] = code_table(m.values.get("items"), lambda v: v)
    plan.codes["overall"] = code_table(m.values.get("overall"), lambda v: v)
    plan.codes["category"] = code_table(m.values.get("category"), lambda v: v)
    for role in ("department", "target"):
        table = m.values.get(role)
        if table is not None:
            converted = {}
            for k, v in table.items():
                try:
                    converted[norm(str(k))] = reader.department(str(v))
                except BadValue as e:
                    problems.add(None, None, f"映射文件 {m.source}：values.{role}.{k}：{e.message}",
                                 f"mapping file {m.source}: values.{role}.{k}: {e.en}")
            plan.codes[role] = converted
    if m.kind:
        plan.kind, plan.kind_fixed = m.kind, True
    if m.too_fast_seconds is not None:
        plan.too_fast_seconds = m.too_fast_seconds


def find_roles(plan: Plan, titles: dict[int, str], m: Mapping, header: tuple[str, ...], head_no: int,
               problems: Collector, hint: tuple[str, str]) -> None:
    """The department, rated department, category, overall and comment columns by keywords in their
    titles (``titles``: column → question text), for every role the mapping file leaves open."""
    taken = set(plan.used())
    for role, words in KEYWORDS.items():
        if role in m.columns or (role == "department" and plan.department_fixed):
            continue
        if role == "target" and plan.target_fixed:
            continue
        cols = [i for i, t in titles.items() if i not in taken and any(w in t for w in words)]
        if len(cols) > 1 and role != "comment":
            problems.add(head_no, None, f"有多道题都可能是 {role}（{'、'.join(header[i] for i in cols)}）；{hint[0]}",
                         f"several questions could give the {role} "
                         f"({', '.join(header[i] for i in cols)}); {hint[1]}")
        elif cols:
            setattr(plan, role, cols[0])
            taken.add(cols[0])


def header_of(grid: Grid, problems: Collector) -> tuple[int, tuple[str, ...]] | None:
    """An export's header row (line number, cells), each duplicate column reported; None without one."""
    if not grid.rows:
        problems.add(None, None, "文件没有表头行", "the file has no header row")
        return None
    head_no, header = grid.rows[0]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            problems.add(head_no, h, f"重复的列（与第 {seen[h] + 1} 列相同）", f"duplicate column (also column #{seen[h] + 1})")
        seen.setdefault(h, i)
    return head_no, header


def check_plan(plan: Plan, header: tuple[str, ...], head_no: int, reader: ValueReader,
               problems: Collector, hint: tuple[str, str]) -> None:
    """Every item and the department must have a column; a column may serve one role only."""
    missing = [it for it in reader.inst.items if it.number not in plan.items]
    if missing:
        shown = ", ".join(f"{it.number} ({it.label.zh})" for it in missing[:6])
        more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        shown_zh = "、".join(f"{it.number}（{it.label.zh}）" for it in missing[:6])
        more_zh = f"等（另有 {len(missing) - 6} 个）" if len(missing) > 6 else ""
        problems.add(head_no, None, f"找不到条目 {shown_zh}{more_zh} 的列；{hint[0]}",
                     f"no column found for item(s) {shown}{more}; {hint[1]}")
    if plan.department is None and plan.department_fixed is None:
        problems.add(head_no, None, f"没有一列给出填写人的部门；{hint[0]}"
                                    "（columns: department:，或整个文件写 department: 部门代码）",
                     f"no column gives the rater's department; {hint[1]} "
                                    "(columns: department:, or department: CODE for the whole file)")
    seen: dict[int, int] = {}
    for i in plan.used():
        seen[i] = seen.get(i, 0) + 1
    for i, n in seen.items():
        if n > 1:
            problems.add(head_no, header[i], "这一列被映射到多个用途", "this column is mapped to more than one role")


def read_rows(grid: Grid, head: int, plan: Plan, reader: ValueReader, problems: Collector,
              out: Parsed, keep_row: Callable[[tuple[str, ...]], bool] | None = None) -> None:
    """Turn every data row below the header into an answer sheet (or problems)."""
    header = grid.rows[head][1]
    used = sorted(set(plan.used()))
    out.columns = [(n, header[i], plan.matched.get(n, "mapping")) for n, i in sorted(plan.items.items())]
    skipped = 0
    cache: dict[tuple[str, str], tuple[object, str | None]] = {}  # answers repeat: read each text once
    kinds: dict[str, list[int]] = {}
    for row_no, cells in grid.rows[head + 1:]:
        if keep_row is not None and not keep_row(cells):
            skipped += 1
            continue
        row = _Row(row_no, cells, header, plan, problems, cache)
        out.rows.append(tuple(row.cell(i) for i in used))
        kinds.setdefault(row.kind(), []).append(row_no)
        sheet = row.sheet(reader)
        if sheet is not None:
            out.sheets.append(sheet)
    if skipped:
        out.notes.append(both("incomplete_left_out", n=skipped))
    if not out.rows:
        problems.add(None, None, "文件有表头，但没有答卷", "the file has a header but no answer sheets")
    if len(kinds) > 1:
        def rows(k: str) -> str:
            shown = ", ".join(map(str, kinds[k][:5]))
            return f"row{'s' if len(kinds[k]) > 1 else ''} {shown}{', …' if len(kinds[k]) > 5 else ''}"

        def rows_zh(k: str) -> str:
            return f"第 {'、'.join(map(str, kinds[k][:5]))}{'……' if len(kinds[k]) > 5 else ''} 行"
        problems.add(None, None, f"文件混有自评和互评答卷：{len(kinds['peer'])} 份评价某个部门或给出总体评价"
                                 f"（{rows_zh('peer')}），{len(kinds['self'])} 份两者都没有（{rows_zh('self')}）；"
                                 "请把每项测评从各自的文件导入，或在映射文件中写 kind: self 或 kind: peer",
                     f"the file mixes self and peer answer sheets: {len(kinds['peer'])} rate a "
                                 f"department or give an overall rating ({rows('peer')}), {len(kinds['self'])} do "
                                 f"neither ({rows('self')}); import each survey from its own file, or say "
                                 "kind: self or kind: peer in a mapping file")


class _Row:
    """One data row read by a plan; every problem goes to the collector with its row and column."""

    def __init__(self, row_no: int, cells: tuple[str, ...], header: tuple[str, ...], plan: Plan,
                 problems: Collector, cache: dict):
        self.row_no, self.cells, self.header, self.plan, self.problems = row_no, cells, header, plan, problems
        self.cache = cache

    def cell(self, i: int | None) -> str:
        return self.cells[i] if i is not None and i < len(self.cells) else ""

    def kind(self) -> str:
        """The mapping's kind, else ``peer`` when the row names a rated department or gives an
        overall rating (any answer, 不了解 included; a skipped question gives none), else ``self``."""
        plan = self.plan
        if plan.kind_fixed:
            return plan.kind
        if plan.target_fixed:
            return "peer"
        given = [norm(self.cell(i)) for i in (plan.target, plan.overall) if i is not None]
        return "peer" if any(t and t not in TOOL_MISSING for t in given) else "self"

    def read(self, role: str, i: int | None, fn):
        if i is None:
            return None
        raw = self.cell(i)
        key = (role, raw)
        hit = self.cache.get(key)
        if hit is None:
            hit = self._read(role, raw, fn)
            if role != "comment":
                self.cache[key] = hit
        value, error = hit
        if error is not None:
            self.problems.add(self.row_no, self.header[i], *error)
        return value

    def _read(self, role: str, raw: str, fn) -> tuple[object, tuple[str, str] | None]:
        if looks_like_formula(raw) and role != "comment":
            return None, ("看起来是电子表格公式；电子表格会执行的内容一律不导入",
                          "looks like a spreadsheet formula; nothing a spreadsheet would run is imported")
        codes = self.plan.codes.get(role)
        try:
            if role == "comment":
                return fn(raw), None
            coded = codes is None and role in ("items", "overall", "category")
            return fn(self.plan.cell(raw) if coded else raw, codes), None
        except BadValue as e:
            return None, (e.message, e.en)

    def sheet(self, reader: ValueReader) -> Sheet | None:
        plan, before = self.plan, len(self.problems.problems)
        kind = self.kind()
        rater = plan.department_fixed if plan.department is None else \
            self.read("department", plan.department, reader.department)
        skipped = plan.target is None or norm(self.cell(plan.target)) in TOOL_MISSING or not self.cell(plan.target)
        target = plan.target_fixed or rater if skipped else self.read("target", plan.target, reader.department)
        category = self.read("category", plan.category, reader.category)
        overall = self.read("overall", plan.overall, reader.overall)
        comment = self.read("comment", plan.comment, reader.comment)
        answers = {n: self.read("items", i, reader.item) for n, i in sorted(plan.items.items())}
        if kind == "self":
            if plan.target is not None and target is not None and rater is not None and target != rater:
                self.problems.add(self.row_no, self.header[plan.target], "自评问卷评价的是填写人所在部门",
                                  "a self survey rates the rater's own department")
            if overall is not None:
                self.problems.add(self.row_no, self.header[plan.overall],
                                  "自评问卷没有总体评价（这是互评问卷吗？请在映射文件中写 kind: peer）",
                                  "a self survey carries no overall rating "
                                  "(is this a peer survey? say kind: peer in the mapping file)")
        secs = duration_seconds(self.cell(plan.duration)) if plan.duration is not None else None
        too_fast = None if secs is None else secs < plan.too_fast_seconds
        if len(self.problems.problems) != before:
            return None
        return Sheet(kind, rater, target, answers, category=category, overall=overall, comment=comment,
                     too_fast=too_fast)
