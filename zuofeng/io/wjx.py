"""问卷星 (wjx.cn) answer downloads, 按选项文本 or 按选项序号, as .xlsx or .csv (often GBK).

The first columns are metadata — 序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP. They are never
stored: only 所用时间 (``125秒``) is read, to flag sheets answered implausibly fast. Question columns
are headed ``N、题目``. A matrix question (矩阵单选) has one column per row under one number:
``N、(行标题)``, ``N、行标题`` or, in older downloads, ``第N题(行标题)``; some downloads use ``QN``.
A lone ``N、(其他)`` beside its question ``N、题目`` is an option's fill-in box, not a row.

Items are found, in this order: by their text or label in the title or row (spaces, full- or
half-width punctuation and the ``*`` of the official text do not matter); else by position: the
rows of the matrix questions, in the order of the file, are items 1…22 (one matrix, or one per
dimension, however the questions are numbered); else question N is item N. The department, rated
department, category, overall rating and comment questions are found by keywords in their titles.
A mapping file overrides any of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .columns import Plan, apply_mapping, check_plan, find_roles, header_of, match_item, read_rows, text_key
from .files import Grid
from .import_problems import Collector
from .mapping import ItemPattern, Mapping
from .parsed import Parsed
from .values import ValueReader, norm

META = frozenset({"序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "答题序号",
                  "开始答题时间", "结束答题时间", "用户ID", "昵称", "微信昵称", "填写设备", "操作系统",
                  "浏览器", "IP", "IP地址", "省份", "城市", "自定义字段", "答卷编号"})
HINT = ("请在映射文件（--mapping）中写明各列", "name the columns in a mapping file (--mapping)")
_NUMBERED = re.compile(r"^(\d{1,3})\s*[、.．:：]\s*(.*)$", re.DOTALL)
_MATRIX = re.compile(r"^第(\d{1,3})题\s*[(（](.*)[)）]$", re.DOTALL)
_Q = re.compile(r"^[Qq](\d{1,3})(?:\s*[._、:：\s]\s*(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Question:
    """A question column: its number, its title, and for a matrix row the row's title.

    ``is_fill_in`` marks the text box of an option such as 其他（请注明）: ``N、(其他)`` beside ``N、题目``.
    """

    number: int
    title: str
    row: str | None = None
    is_fill_in: bool = False

    @property
    def text(self) -> str:
        return self.row if self.row is not None else self.title


def parse_header(h: str) -> Question | None:
    """The question a column header names, or None for metadata and other columns.

    >>> parse_header("3、您所在的部门：")
    Question(number=3, title='您所在的部门：', row=None, is_fill_in=False)
    >>> parse_header("第4题(理论学习流于形式)")
    Question(number=4, title='', row='理论学习流于形式', is_fill_in=False)
    >>> parse_header("Q12"), parse_header("来自IP")
    (Question(number=12, title='', row=None, is_fill_in=False), None)
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


def _bracketed(title: str) -> str | None:
    m = re.fullmatch(r"[(（](.*)[)）]", title, re.DOTALL)
    return m.group(1).strip() if m else None


def questions_of(header: tuple[str, ...]) -> dict[int, Question]:
    """Every question column of a header, with matrix rows and fill-in boxes told apart.

    Several columns under one number are the rows of a matrix question (``N、(行标题)`` or
    ``N、行标题``), except that bracketed columns beside a single plain ``N、题目`` are its fill-ins.

    >>> qs = questions_of(("序号", "3、(学习不深)", "3、(执行走样)", "4、政治面貌", "4、(其他)"))
    >>> [(q.number, q.title, q.row, q.is_fill_in) for q in qs.values()]
    [(3, '', '学习不深', False), (3, '', '执行走样', False), (4, '政治面貌', None, False), (4, '(其他)', None, True)]
    """
    found = {i: q for i, h in enumerate(header) if (q := parse_header(h)) is not None}
    groups: dict[int, list[int]] = {}
    for i, q in found.items():
        if q.row is None:
            groups.setdefault(q.number, []).append(i)
    for cols in groups.values():
        if len(cols) < 2:
            continue
        plain = [i for i in cols if _bracketed(found[i].title) is None]
        if len(plain) == 1:
            for i in cols:
                if i not in plain:
                    found[i] = Question(found[i].number, found[i].title, is_fill_in=True)
            continue
        for i in cols:
            q = found[i]
            inner = _bracketed(q.title)
            found[i] = Question(q.number, "", q.title if inner is None else inner)
    return found


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
    questions = questions_of(header)
    plan = Plan()
    if "所用时间" in header:
        plan.duration = header.index("所用时间")

    def resolve(ref, role: str) -> int | None:
        if isinstance(ref, int):
            cols = [i for i, q in questions.items() if q.number == ref and q.row is None and not q.is_fill_in]
            if len(cols) == 1:
                return cols[0]
            if any(q.number == ref and q.row is not None for q in questions.values()):
                problems.add(head_no, None, f"映射文件：{role}：第 {ref} 题是矩阵题；请写明它的列",
                             f"mapping file: {role}: question {ref} is a matrix; name its column")
            else:
                problems.add(head_no, None, f"映射文件：{role}：文件中没有第 {ref} 题",
                             f"mapping file: {role}: no question {ref} in the file")
            return None
        cols = [i for i, h in enumerate(header) if norm(h) == norm(ref)] or \
               [i for i, h in enumerate(header) if text_key(h) == text_key(ref)]
        if len(cols) != 1:
            problems.add(head_no, None, f"映射文件：{role}：{'没有' if not cols else '有多于一个'}名为 {ref!r} 的列",
                         f"mapping file: {role}: {'no' if not cols else 'more than one'} column "
                                        f"named {ref!r}")
            return None
        return cols[0]

    def resolve_items(ref) -> dict[int, int]:
        n_items = len(reader.inst.items)
        if isinstance(ref, dict):
            refs = list(ref.values())
            if len(refs) < n_items and list(ref) == list(range(1, len(refs) + 1)) and \
                    all(isinstance(r, int) and _rows(r) for r in refs):  # matrix questions, their rows in order
                return _in_order([i for r in refs for i in _rows(r)],
                                 (f"第 {'、'.join(map(str, refs))} 题", f"questions {', '.join(map(str, refs))}"))
            found = {n: resolve(r, f"items.{n}") for n, r in ref.items()}
            plan.matched.update({n: "mapping" for n, i in found.items() if i is not None})
            return {n: i for n, i in found.items() if i is not None}
        if isinstance(ref, int):
            return _in_order(_rows(ref), (f"第 {ref} 题", f"question {ref}"))
        if isinstance(ref, ItemPattern):
            found, why = ref.columns(list(enumerate(norm(h) for h in header)), n_items)
            if why:
                problems.add(head_no, None, f"映射文件：items：{why[0]}", f"mapping file: items: {why[1]}")
            plan.matched.update({n: "pattern" for n in found})
            return found
        problems.add(head_no, None, "映射文件：columns.items 应为矩阵题题号、列表、条目：列 的对照表，或 {n} 这样的模式",
                     "mapping file: columns.items must be a matrix question number, a list, "
                                    "a table of item: column, or a pattern such as {n}")
        return {}

    def _rows(number: int) -> list[int]:
        return [i for i, q in sorted(questions.items()) if q.number == number and q.row is not None]

    def _in_order(rows: list[int], what: tuple[str, str]) -> dict[int, int]:
        if len(rows) != len(reader.inst.items):
            problems.add(head_no, None, f"映射文件：items：{what[0]} 有 {len(rows)} 个矩阵行，而不是 {len(reader.inst.items)} 个",
                         f"mapping file: items: {what[1]} has {len(rows)} matrix rows, "
                                        f"not {len(reader.inst.items)}")
            return {}
        plan.matched.update({it.number: "mapping (position)" for it in reader.inst.items})
        return {it.number: i for it, i in zip(reader.inst.items, rows)}

    apply_mapping(plan, mapping, resolve, resolve_items, problems, reader)
    if "items" not in mapping.columns:
        plan.items = _items_by_text(questions, header, head_no, reader, problems)
        plan.matched = {n: "text" for n in plan.items}
        if len(plan.items) < len(reader.inst.items):
            by_position = _items_by_position(questions, plan.items, reader)
            if by_position is not None:
                plan.matched.update({n: "position" for n in by_position if n not in plan.items})
                plan.items = by_position
    find_roles(plan, {i: q.title for i, q in questions.items() if not q.is_fill_in and q.row is None},
               mapping, header, head_no, problems, HINT)
    if "items" not in mapping.columns and not plan.items:
        plan.items = _items_by_number(questions, set(plan.used()), reader)
        plan.matched = {n: "question number" for n in plan.items}
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
            problems.add(head_no, None, f"条目 {n} 可能是其中任一列：{'、'.join(repr(header[i][:30]) for i in cols)}；{HINT[0]}",
                         f"item {n} could be any of the columns "
                         f"{', '.join(repr(header[i][:30]) for i in cols)}; {HINT[1]}")
    return items


def _items_by_position(questions: dict[int, Question], by_text: dict[int, int],
                       reader: ValueReader) -> dict[int, int] | None:
    """The rows of the file's matrix questions, in order, as items 1…N; None when they do not fit.

    All matrix rows together, or else those of the matrix questions with a row matched by text,
    must be one per item, and every row matched by text must sit at its own item's place.
    """
    groups: dict[int, list[int]] = {}
    for i, q in sorted(questions.items()):
        if q.row is not None:
            groups.setdefault(q.number, []).append(i)
    n = len(reader.inst.items)
    texted = set(by_text.values())
    for chosen in (list(groups), [g for g in groups if texted & set(groups[g])]):
        rows = [i for g in chosen for i in groups[g]]
        if len(rows) == n:
            items = {it.number: i for it, i in zip(reader.inst.items, rows)}
            if all(items[k] == i for k, i in by_text.items()):
                return items
    return None


def _items_by_number(questions: dict[int, Question], taken: set[int], reader: ValueReader) -> dict[int, int]:
    """When no title names an item: question N is item N (columns of other roles left out)."""
    items = {}
    for it in reader.inst.items:
        cols = [i for i, q in questions.items()
                if q.number == it.number and q.row is None and not q.is_fill_in and i not in taken]
        if len(cols) == 1:
            items[it.number] = cols[0]
    return items
