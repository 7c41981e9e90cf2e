"""问卷星 (wjx.cn) answer downloads, 按选项文本 or 按选项序号, as .xlsx or .csv (often GBK).

The first columns are metadata — 序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP. They are never
stored: only 所用时间 (``125秒``) is read, to flag sheets answered implausibly fast. Question columns
are headed ``N、题目``; a matrix question has one column per row, ``第N题(行标题)``; some downloads
use ``QN``. Items are found by their text or label in the title (or, when no title matches any
item, by the question number); the department, rated department, category, overall rating and
comment questions by keywords in their titles. A mapping file overrides any of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .columns import Plan, apply_mapping, check_plan, header_of, match_item, read_rows, text_key
from .files import Grid
from .mapping import Mapping
from .parsed import Parsed
from .problems import Collector
from .values import ValueReader, norm

META = frozenset({"序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "答题序号",
                  "开始答题时间", "结束答题时间", "用户ID", "昵称", "微信昵称", "填写设备", "操作系统",
                  "浏览器", "IP", "IP地址", "省份", "城市", "自定义字段", "答卷编号"})
KEYWORDS = {
    "target": ("被评", "测评对象", "评价对象", "评议对象", "所评部门", "评价的部门", "对哪个部门"),
    "department": ("所在部门", "所在的部门", "所在单位", "所在的单位", "所在处室", "您的部门", "您的单位",
                   "所属部门", "工作部门"),
    "category": ("政治面貌", "是否党员", "是否为党员", "是否中共党员"),
    "overall": ("总体评价", "民主测评", "总体满意", "总体印象"),
    "comment": ("意见", "建议"),
}
HINT = "name the columns in a mapping file (--mapping)"
_NUMBERED = re.compile(r"^(\d{1,3})\s*[、.．:：]\s*(.*)$", re.DOTALL)
_MATRIX = re.compile(r"^第(\d{1,3})题\s*[(（](.*)[)）]$", re.DOTALL)
_Q = re.compile(r"^[Qq](\d{1,3})(?:\s*[._、:：\s]\s*(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Question:
    """A question column: its number, its title, and for a matrix row the row's title."""

    number: int
    title: str
    row: str | None = None

    @property
    def text(self) -> str:
        return self.row if self.row is not None else self.title

    @property
    def is_fill_in(self) -> bool:
        """The text box of an option such as 其他（请注明）: ``N、(其他)``."""
        return self.row is None and self.title.startswith(("(", "（"))


def parse_header(h: str) -> Question | None:
    """The question a column header names, or None for metadata and other columns.

    >>> parse_header("3、您所在的部门：")
    Question(number=3, title='您所在的部门：', row=None)
    >>> parse_header("第4题(理论学习流于形式)")
    Question(number=4, title='', row='理论学习流于形式')
    >>> parse_header("Q12"), parse_header("来自IP")
    (Question(number=12, title='', row=None), None)
    """
    h = h.strip()
    if h in META:
        return None
    m = _MATRIX.match(h)
    if m:
        return Question(int(m.group(1)), "", m.group(2).strip())
    m = _NUMBERED.match(h) or _Q.match(h)
    if m:
        return Question(int(m.group(1)), (m.group(2) or "").strip())
    return None


def is_wjx_header(cells: tuple[str, ...]) -> bool:
    names = set(cells)
    questions = sum(1 for c in cells if parse_header(c) is not None)
    return bool(names & {"提交答卷时间", "所用时间", "来自IP"}) or ("序号" in names and questions >= 3)


def parse_wjx(grid: Grid, reader: ValueReader, mapping: Mapping, problems: Collector) -> Parsed:
    """Build the plan for a 问卷星 download and read its rows."""
    out = Parsed("wjx")
    head = header_of(grid, problems)
    if problems:
        return out
    head_no, header = head
    questions = {i: q for i, h in enumerate(header) if (q := parse_header(h)) is not None}
    plan = Plan()
    if "所用时间" in header:
        plan.duration = header.index("所用时间")

    def resolve(ref, role: str) -> int | None:
        if isinstance(ref, int):
            cols = [i for i, q in questions.items() if q.number == ref and q.row is None and not q.is_fill_in]
            if len(cols) == 1:
                return cols[0]
            if any(q.number == ref and q.row is not None for q in questions.values()):
                problems.add(head_no, None, f"mapping file: {role}: question {ref} is a matrix; name its column")
            else:
                problems.add(head_no, None, f"mapping file: {role}: no question {ref} in the file")
            return None
        cols = [i for i, h in enumerate(header) if norm(h) == norm(ref)] or \
               [i for i, h in enumerate(header) if text_key(h) == text_key(ref)]
        if len(cols) != 1:
            problems.add(head_no, None, f"mapping file: {role}: {'no' if not cols else 'more than one'} column "
                                        f"named {ref!r}")
            return None
        return cols[0]

    def resolve_items(ref) -> dict[int, int]:
        if isinstance(ref, dict):
            found = {n: resolve(r, f"items.{n}") for n, r in ref.items()}
            return {n: i for n, i in found.items() if i is not None}
        if isinstance(ref, int):
            rows = [i for i, q in sorted(questions.items()) if q.number == ref and q.row is not None]
            if len(rows) != len(reader.inst.items):
                problems.add(head_no, None, f"mapping file: items: question {ref} has {len(rows)} matrix rows, "
                                            f"not {len(reader.inst.items)}")
                return {}
            return {it.number: i for it, i in zip(reader.inst.items, rows)}
        if isinstance(ref, str) and "{n" in ref:
            found = {it.number: resolve(ref.format(n=it.number), f"items.{it.number}") for it in reader.inst.items}
            return {n: i for n, i in found.items() if i is not None}
        problems.add(head_no, None, "mapping file: columns.items must be a matrix question number, a list, "
                                    "a table of item: column, or a pattern with {n}")
        return {}

    apply_mapping(plan, mapping, resolve, resolve_items, problems, reader)
    if "items" not in mapping.columns:
        plan.items = _items_by_text(questions, header, head_no, reader, problems)
    taken = set(plan.used())
    for role, words in KEYWORDS.items():
        if role in mapping.columns or (role == "department" and plan.department_fixed):
            continue
        if role == "target" and plan.target_fixed:
            continue
        cols = [i for i, q in questions.items()
                if i not in taken and not q.is_fill_in and q.row is None and any(w in q.title for w in words)]
        if len(cols) > 1 and role != "comment":
            problems.add(head_no, None, f"several questions could give the {role} "
                                        f"({', '.join(header[i] for i in cols)}); {HINT}")
        elif cols:
            setattr(plan, role, cols[0])
            taken.add(cols[0])
    if "items" not in mapping.columns and not plan.items:
        plan.items = _items_by_number(questions, set(plan.used()), reader)
    if mapping.kind is None:
        plan.kind = "peer" if (plan.target is not None or plan.target_fixed) else "self"
    check_plan(plan, header, head_no, reader, problems, HINT)
    if problems:
        return out
    read_rows(grid, 0, plan, reader, problems, out)
    return out


def _items_by_text(questions: dict[int, Question], header: tuple[str, ...], head_no: int,
                   reader: ValueReader, problems: Collector) -> dict[int, int]:
    by_item: dict[int, list[int]] = {}
    for i, q in questions.items():
        if q.is_fill_in:
            continue
        for n in match_item(q.text, reader):
            by_item.setdefault(n, []).append(i)
    items = {}
    for n, cols in sorted(by_item.items()):
        if len(cols) == 1:
            items[n] = cols[0]
        else:
            problems.add(head_no, None, f"item {n} could be any of the columns "
                                        f"{', '.join(repr(header[i][:30]) for i in cols)}; {HINT}")
    return items


def _items_by_number(questions: dict[int, Question], taken: set[int], reader: ValueReader) -> dict[int, int]:
    """When no title names an item: question N is item N (columns of other roles left out)."""
    items = {}
    for it in reader.inst.items:
        cols = [i for i, q in questions.items()
                if q.number == it.number and q.row is None and not q.is_fill_in and i not in taken]
        if len(cols) == 1:
            items[it.number] = cols[0]
    return items
