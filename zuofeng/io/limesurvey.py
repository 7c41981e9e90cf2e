"""LimeSurvey response exports: CSV (UTF-8 with BOM, quoted fields), headed by question codes.

Headers are question codes — ``G01Q01``, and ``G02Q03[SQ001]`` for the rows of an array question —
optionally followed by the question text (``G01Q01. 您所在的部门``). The metadata columns (``id``,
``token``, ``submitdate``, ``ipaddr``, ``refurl``, timings…) are never stored; ``interviewtime``
only flags sheets answered implausibly fast, and a response without ``submitdate`` (not
submitted) is left out. Answer codes ``A1``…``A5`` / ``AO01``… and plain ``1``…``5`` are the item
scale in the instrument's order (6 is 不了解) unless the mapping file's ``values`` say otherwise.
A mapping file names the department question (there is no way to guess it from a code); the
items are found without one when a single array question has one row per item.
"""

from __future__ import annotations

import re

from .columns import Plan, apply_mapping, check_plan, header_of, match_item, read_rows
from .files import Grid
from .mapping import Mapping
from .parsed import Parsed
from .problems import Collector
from .values import ValueReader, norm

META = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp",
                  "ipaddr", "refurl", "interviewtime", "firstname", "lastname", "email", "attribute_1"})
HINT = "name the columns in a mapping file (--mapping), e.g. columns: {department: G01Q01, items: 'G02Q01[SQ{n:03d}]'}"
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


def clean_code(s: str) -> str:
    """An answer code as the plain option number: ``A3`` → ``3``, ``AO03`` → ``3``; texts unchanged."""
    m = _CODE.match(s.strip())
    return m.group(1) if m else s


def is_limesurvey_header(cells: tuple[str, ...]) -> bool:
    lower = {c.strip().lower() for c in cells}
    arrays = sum(1 for c in cells if re.match(r"^[A-Za-z][A-Za-z0-9_]*\[[A-Za-z0-9_]+\]", c.strip()))
    return bool(lower & {"submitdate", "startlanguage", "lastpage"}) or arrays >= 3


def parse_limesurvey(grid: Grid, reader: ValueReader, mapping: Mapping, problems: Collector) -> Parsed:
    """Build the plan for a LimeSurvey export and read its submitted responses."""
    out = Parsed("limesurvey")
    head = header_of(grid, problems)
    if problems:
        return out
    head_no, header = head
    parts = {i: p for i, h in enumerate(header) if (p := split_header(h)) is not None}
    lower = [h.strip().lower() for h in header]
    plan = Plan(cell=clean_code)
    if "interviewtime" in lower:
        plan.duration = lower.index("interviewtime")

    def resolve(ref, role: str) -> int | None:
        r = norm(str(ref))
        cols = [i for i, h in enumerate(header) if norm(h) == r] or \
               [i for i, p in parts.items() if norm(p[0] + p[1]) == r]
        if len(cols) != 1:
            problems.add(head_no, None, f"mapping file: {role}: {'no' if not cols else 'more than one'} column {ref!r}")
            return None
        return cols[0]

    def resolve_items(ref) -> dict[int, int]:
        if isinstance(ref, dict):
            found = {n: resolve(r, f"items.{n}") for n, r in ref.items()}
        elif isinstance(ref, str) and "{n" in ref:
            found = {it.number: resolve(ref.format(n=it.number), f"items.{it.number}") for it in reader.inst.items}
        elif isinstance(ref, str):  # an array question: its rows in order
            rows = [i for i, p in sorted(parts.items()) if p[0] == ref and p[1]]
            if len(rows) != len(reader.inst.items):
                problems.add(head_no, None, f"mapping file: items: question {ref} has {len(rows)} rows, "
                                            f"not {len(reader.inst.items)}")
                return {}
            return {it.number: i for it, i in zip(reader.inst.items, rows)}
        else:
            problems.add(head_no, None, "mapping file: columns.items must be an array question code, a list, "
                                        "a table of item: column, or a pattern with {n}")
            return {}
        return {n: i for n, i in found.items() if i is not None}

    apply_mapping(plan, mapping, resolve, resolve_items, problems, reader)
    if "items" not in mapping.columns:
        plan.items = _items_without_mapping(parts, reader)
    if mapping.kind is None:
        plan.kind = "peer" if (plan.target is not None or plan.target_fixed) else "self"
    check_plan(plan, header, head_no, reader, problems, HINT)
    if problems:
        return out
    submitted = lower.index("submitdate") if "submitdate" in lower else None
    keep = None if submitted is None else (lambda cells: submitted < len(cells) and bool(cells[submitted]))
    read_rows(grid, 0, plan, reader, problems, out, keep_row=keep)
    return out


def _items_without_mapping(parts: dict[int, tuple[str, str, str]], reader: ValueReader) -> dict[int, int]:
    """Items by their text in code-and-text headings, else the one array with a row per item."""
    by_text: dict[int, list[int]] = {}
    for i, (_code, sub, text) in parts.items():
        row_text = re.findall(r"\[([^\]]+)\]\s*$", text)
        for n in match_item(row_text[0] if (sub and row_text) else text, reader) if text else []:
            by_text.setdefault(n, []).append(i)
    if by_text:
        return {n: cols[0] for n, cols in by_text.items() if len(cols) == 1}
    arrays: dict[str, list[int]] = {}
    for i, (code, sub, _t) in sorted(parts.items()):
        if sub:
            arrays.setdefault(code, []).append(i)
    fits = [cols for cols in arrays.values() if len(cols) == len(reader.inst.items)]
    if len(fits) == 1:
        return {it.number: i for it, i in zip(reader.inst.items, fits[0])}
    return {}
