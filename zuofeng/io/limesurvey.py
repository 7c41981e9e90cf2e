"""LimeSurvey response exports: CSV (UTF-8 with BOM, quoted fields, CRLF), headed by codes or texts.

LimeSurvey writes one of these headers: question codes — ``G01Q01``, and ``G02Q03[SQ001]`` for the
rows (subquestions) of an array question; code and text (``G01Q01. 您所在的部门``); or the full
question text (``您所在的部门``, ``请评价下列问题 [理论学习流于形式]`` for an array row). The metadata
columns (``id``, ``token``, ``submitdate``, ``ipaddr``, ``refurl``, timings…, or their English
titles in a text header: ``Response ID``, ``Date submitted``…) are never stored; ``interviewtime``
(``Total time``) only flags sheets answered implausibly fast, and a response without
``submitdate`` (not submitted) is left out. Answer codes ``A1``…``A5`` / ``AO01``… and plain
``1``…``5`` are the item scale in the instrument's order (6 is 不了解) unless the mapping file's
``values`` say otherwise.

Items are found without a mapping file by their text (in a text header), else by subquestion code
(array rows numbered 1…22 across any number of groups: ``G01Q01[SQ001]`` … ``G05Q01[SQ022]``),
else by position (the array rows in the file's order, one per item). The department, rated
department, category, overall and comment questions are found by keywords in a text header; a
code-only header needs them named in a mapping file.
"""

from __future__ import annotations

import re

from .columns import Plan, apply_mapping, check_plan, find_roles, header_of, match_item, read_rows
from .files import Grid
from .import_problems import Collector
from .mapping import ItemPattern, Mapping
from .parsed import Parsed
from .values import ValueReader, norm

META = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp",
                  "ipaddr", "refurl", "interviewtime", "firstname", "lastname", "email", "attribute_1"})
META_TEXT = frozenset({"response id", "date submitted", "last page", "start language", "seed", "token",
                       "date started", "date last action", "ip address", "referrer url", "total time",
                       "first name", "last name", "email address"})
HINT = ("请在映射文件（--mapping）中写明各列，例如 columns: {department: G01Q01, items: 'G02Q01[SQ{n:03d}]'}",
        "name the columns in a mapping file (--mapping), e.g. columns: {department: G01Q01, items: 'G02Q01[SQ{n:03d}]'}")
_TEXT_ROW = re.compile(r"^(?P<text>.*?)\s*\[(?P<row>[^\[\]]+)\]\s*$", re.DOTALL)
_HEAD = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9_]*)(?P<sub>(?:\[[A-Za-z0-9_#-]+\])*)(?:\.\s*(?P<text>.*))?$", re.DOTALL)
_CODE = re.compile(r"^A?O?0*(\d{1,2})$", re.IGNORECASE)


def split_header(h: str) -> tuple[str, str, str] | None:
    """(question code, subquestion part, text) of a column header, or None for metadata.

    >>> split_header("G02Q03[SQ001]"), split_header("G01Q01. 您所在的部门"), split_header("ipaddr")
    (('G02Q03', '[SQ001]', ''), ('G01Q01', '', '您所在的部门'), None)
    """
    h = h.strip()
    m = _HEAD.match(h)
    if not m or h.lower() in META or re.fullmatch(r"groupTime\d+|.+Time", m.group("code")) and not m.group("sub"):
        return None
    return m.group("code"), m.group("sub"), (m.group("text") or "").strip()


def split_text_header(h: str) -> tuple[str, str] | None:
    """(question text, row text) of a full-question-text header, or None for metadata and blanks.

    >>> split_text_header("请评价下列问题 [理论学习流于形式]"), split_text_header("Date submitted")
    (('请评价下列问题', '理论学习流于形式'), None)
    """
    h = h.strip()
    low = h.lower()
    if not h or low in META or low in META_TEXT or low.startswith(("group time", "question time")):
        return None
    m = _TEXT_ROW.match(h)
    return (m.group("text").strip(), m.group("row").strip()) if m else (h, "")


def clean_code(s: str) -> str:
    """An answer code as the plain option number: ``A3`` → ``3``, ``AO03`` → ``3``; texts unchanged."""
    m = _CODE.match(s.strip())
    return m.group(1) if m else s


def is_limesurvey_header(cells: tuple[str, ...]) -> bool:
    lower = {c.strip().lower() for c in cells}
    arrays = sum(1 for c in cells if re.match(r"^[A-Za-z][A-Za-z0-9_]*\[[A-Za-z0-9_]+\]", c.strip()))
    return bool(lower & {"submitdate", "startlanguage", "lastpage", "date submitted", "start language"}) \
        or arrays >= 3


def parse_limesurvey(grid: Grid, reader: ValueReader, mapping: Mapping, problems: Collector) -> Parsed:
    """Build the plan for a LimeSurvey export and read its submitted responses."""
    out = Parsed("limesurvey")
    head = header_of(grid, problems)
    if problems:
        return out
    head_no, header = head
    parts = {i: p for i, h in enumerate(header) if (p := split_header(h)) is not None}
    texts: dict[int, tuple[str, str]] = {}  # column → (question text, row text), for text headers
    for i, h in enumerate(header):
        if i in parts:
            _code, sub, text = parts[i]
            if text:
                row = _TEXT_ROW.match(text) if sub else None
                texts[i] = (row.group("text"), row.group("row")) if row else (text, "")
        elif (t := split_text_header(h)) is not None:
            texts[i] = t
    lower = [h.strip().lower() for h in header]
    plan = Plan(cell=clean_code)
    for name in ("interviewtime", "total time"):
        if name in lower:
            plan.duration = lower.index(name)

    def resolve(ref, role: str) -> int | None:
        r = norm(str(ref))
        cols = [i for i, h in enumerate(header) if norm(h) == r] or \
               [i for i, p in parts.items() if norm(p[0] + p[1]) == r]
        if len(cols) != 1:
            problems.add(head_no, None, f"映射文件：{role}：{'没有' if not cols else '有多于一个'}列 {ref!r}",
                         f"mapping file: {role}: {'no' if not cols else 'more than one'} column {ref!r}")
            return None
        return cols[0]

    def resolve_items(ref) -> dict[int, int]:
        n_items = len(reader.inst.items)
        if isinstance(ref, dict):
            found = {n: resolve(r, f"items.{n}") for n, r in ref.items()}
            plan.matched.update({n: "mapping" for n, i in found.items() if i is not None})
            return {n: i for n, i in found.items() if i is not None}
        if isinstance(ref, ItemPattern):
            found, why = ref.columns([(i, norm(p[0] + p[1])) for i, p in sorted(parts.items())], n_items)
            if why:
                problems.add(head_no, None, f"映射文件：items：{why[0]}", f"mapping file: items: {why[1]}")
            plan.matched.update({n: "pattern" for n in found})
            return found
        if isinstance(ref, str):  # an array question: its rows in order
            rows = [i for i, p in sorted(parts.items()) if p[0] == ref and p[1]]
            if len(rows) != n_items:
                problems.add(head_no, None, f"映射文件：items：题目 {ref} 有 {len(rows)} 行，而不是 {n_items} 行",
                             f"mapping file: items: question {ref} has {len(rows)} rows, not {n_items}")
                return {}
            plan.matched.update({it.number: "mapping (position)" for it in reader.inst.items})
            return {it.number: i for it, i in zip(reader.inst.items, rows)}
        problems.add(head_no, None, "映射文件：columns.items 应为矩阵题代码、列表、条目：列 的对照表，或 {n} 这样的模式",
                     "mapping file: columns.items must be an array question code, a list, "
                                    "a table of item: column, or a pattern such as {n}")
        return {}

    apply_mapping(plan, mapping, resolve, resolve_items, problems, reader)
    if "items" not in mapping.columns:
        plan.items, plan.matched = _items_without_mapping(parts, texts, reader)
    find_roles(plan, {i: t for i, (t, row) in texts.items() if not row}, mapping, header, head_no, problems, HINT)
    check_plan(plan, header, head_no, reader, problems, HINT)
    if problems:
        return out
    submitted = next((lower.index(n) for n in ("submitdate", "date submitted") if n in lower), None)
    keep = None if submitted is None else (lambda cells: submitted < len(cells) and bool(cells[submitted]))
    read_rows(grid, 0, plan, reader, problems, out, keep_row=keep)
    return out


def _items_without_mapping(parts: dict[int, tuple[str, str, str]], texts: dict[int, tuple[str, str]],
                           reader: ValueReader) -> tuple[dict[int, int], dict[int, str]]:
    """Items (and how each was found): by the text in the header, else by subquestion code, else by
    the position of the array rows in the file."""
    n = len(reader.inst.items)
    by_text: dict[int, list[int]] = {}
    for i, (text, row) in texts.items():
        for item in match_item(row or text, reader):
            by_text.setdefault(item, []).append(i)
    items = {k: cols[0] for k, cols in by_text.items() if len(cols) == 1}
    if len(items) == n:
        return items, {k: "text" for k in items}
    rows = [(i, code, sub) for i, (code, sub, _t) in sorted(parts.items()) if sub]
    numbers = [int(m.group(1)) if (m := re.search(r"(\d+)\D*$", sub)) else None for _i, _c, sub in rows]
    if sorted(x for x in numbers if x is not None) == list(range(1, n + 1)) and None not in numbers:
        return {k: i for k, (i, _c, _s) in zip(numbers, rows)}, {k: "subquestion code" for k in numbers}
    arrays: dict[str, list[int]] = {}
    for i, code, _sub in rows:
        arrays.setdefault(code, []).append(i)
    fits = [cols for cols in arrays.values() if len(cols) == n]
    in_order = fits[0] if len(fits) == 1 else [i for i, _c, _s in rows] if len(rows) == n else None
    if in_order is not None and all(in_order[k - 1] == i for k, i in items.items()):
        return {it.number: i for it, i in zip(reader.inst.items, in_order)}, \
            {it.number: "text" if it.number in items else "position" for it in reader.inst.items}
    return items, {k: "text" for k in items}
