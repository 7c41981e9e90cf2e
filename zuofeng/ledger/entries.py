"""Ledger entries in the store, and their append-only history.

Every write goes through :func:`_apply` (one transaction, one history row per changed field). Text
fields are checked on every path into the store: none may be longer than :data:`MAX_TEXT` or look
like a spreadsheet formula, so an exported workbook never carries one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from ..errors import ZuofengError
from ..io.files import looks_like_formula
from ..store import get_departments, get_round, ledger_entries, ledger_history, writing

STATUSES = ("未启动", "整改中", "已完成", "已销号")
DONE = ("已完成", "已销号")
#: fields a department or the analyst may change; the rest (round, department, item, problem) are keys
EDITABLE = ("measure", "leader", "person", "deadline", "standing", "status", "evidence", "evidence_file", "review_note")
MAX_TEXT = 2000
MAX_SHORT = 100
SHORT = ("leader", "person")
ENTRY_COLUMNS = ["id", "round", "department", "item", "problem", *EDITABLE, "created_on"]


class LedgerError(ZuofengError):
    """A ledger operation that cannot be done: unknown entry, bad status move, bad value."""


def check_text(field: str, value) -> str | None:
    """A text field as stored: stripped, empty → None; refuses formulas and overlong text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise LedgerError(f"{field} 应为文字，而不是 {type(value).__name__}",
                          f"{field} must be text, not {type(value).__name__}")
    v = value.strip()
    if not v:
        return None
    limit = MAX_SHORT if field in SHORT else (255 if field == "evidence_file" else MAX_TEXT)
    if len(v) > limit:
        raise LedgerError(f"{field} 超过 {limit} 字",
                          f"{field} is longer than {limit} characters")
    if looks_like_formula(v):
        raise LedgerError(f"{field} 像是电子表格公式（{v[:20]!r}）：不接受公式",
                          f"{field} looks like a spreadsheet formula ({v[:20]!r}); formulas are not accepted")
    return v


def check_move(old: str, new: str, *, reopen: bool = False) -> None:
    """Status moves forward only (未启动 → 整改中 → 已完成 → 已销号), skipping allowed; back only with reopen."""
    if new not in STATUSES:
        raise LedgerError(f"状态不能为 {new!r}；可用：{' / '.join(STATUSES)}",
                          f"status {new!r} is not allowed; allowed: {' / '.join(STATUSES)}")
    if STATUSES.index(new) < STATUSES.index(old) and not reopen:
        raise LedgerError(f"状态不能从 {old} 退回到 {new}（请用 --reopen）",
                          f"status may not move back from {old} to {new} (use --reopen)")


def _text(v) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _apply(conn, entry: dict, changes: dict, by: str, today: dt.date) -> int:
    """Write the changed fields of one entry and one history row each; return how many changed."""
    diff = {k: v for k, v in changes.items() if v != entry[k]}
    if not diff:
        return 0
    conn.execute(update(ledger_entries).where(ledger_entries.c.id == entry["id"]).values(**diff))
    conn.execute(ledger_history.insert(), [
        {"entry_id": entry["id"], "changed_on": today, "recorded_by": by, "field": k,
         "old_value": _text(entry[k]), "new_value": _text(v)} for k, v in diff.items()])
    return len(diff)


def validate_changes(entry: dict, changes: dict, *, reopen: bool = False) -> dict:
    """Checked, normalised changes for one entry; raises LedgerError naming the first bad field."""
    bad = set(changes) - set(EDITABLE)
    if bad:
        raise LedgerError(f"不能修改 {'、'.join(sorted(bad))}；可修改：{'、'.join(EDITABLE)}",
                          f"cannot change {', '.join(sorted(bad))}; changeable: {', '.join(EDITABLE)}")
    out = {}
    for k, v in changes.items():
        if k == "status":
            check_move(entry["status"], v, reopen=reopen)
            out[k] = v
        elif k == "deadline":
            if v is not None and not isinstance(v, dt.date):
                raise LedgerError(f"deadline 应为日期，而不是 {v!r}",
                                  f"deadline must be a date, not {v!r}")
            out[k] = v.date() if isinstance(v, dt.datetime) else v
        elif k == "standing":
            if v is not None and not isinstance(v, bool):
                raise LedgerError(f"standing 应为 true 或 false，而不是 {v!r}",
                                  f"standing must be true or false, not {v!r}")
            out[k] = v or None
        else:
            out[k] = check_text(k, v)
    final = {**entry, **out}
    if final["status"] == "已销号" and not final["evidence"]:
        raise LedgerError("已销号需要佐证材料",
                          "已销号 (closed) needs evidence (佐证材料)")
    return out


def get_entry(conn, entry_id: int) -> dict:
    row = conn.execute(select(ledger_entries).where(ledger_entries.c.id == entry_id)).mappings().first()
    if row is None:
        raise LedgerError(f"台账中没有条目 {entry_id}",
                          f"no ledger entry {entry_id}")
    return dict(row)


def update_entry(engine: Engine, entry_id: int, *, by: str, reopen: bool = False, today: dt.date | None = None,
                 **changes) -> int:
    """Change fields of one entry (measure, leader, person, deadline, status, evidence, evidence_file,
    review_note) and record each change in the history; return how many fields changed."""
    by = _who(by)
    with writing(engine) as conn:
        entry = get_entry(conn, entry_id)
        return _apply(conn, entry, validate_changes(entry, changes, reopen=reopen), by, today or dt.date.today())


def _who(by) -> str:
    if not isinstance(by, str) or not by.strip() or len(by.strip()) > MAX_SHORT:
        raise LedgerError("请写明由谁记录这次修改（姓名，最多 100 字）",
                          "say who records the change (a name of at most 100 characters)")
    return by.strip()


def add_entry(engine: Engine, round_code: str, department: str, problem: str, *, item: int | None = None,
              by: str, today: dt.date | None = None, **fields) -> int:
    """Add an entry for an item (1–22) or a topic of the department's own (``item=None``); return its id."""
    by = _who(by)
    today = today or dt.date.today()
    with writing(engine) as conn:
        get_round(conn, round_code)
        if department not in get_departments(conn, round_code):
            raise LedgerError(f"轮次 {round_code} 中没有部门 {department!r}",
                              f"unknown department {department!r} in round {round_code}")
        if item is not None and (isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 22):
            raise LedgerError(f"item 应为 1–22 或留空（单列的问题），而不是 {item!r}",
                              f"item must be 1–22 or empty (a topic of its own), not {item!r}")
        text = check_text("problem", problem)
        if not text:
            raise LedgerError("条目需要写明问题",
                              "an entry needs a problem")
        blank = {k: None for k in EDITABLE} | {"status": "未启动"}
        row = {"round": round_code, "department": department, "item": item, "problem": text, **blank,
               "created_on": today}
        changes = validate_changes({**row, "id": None}, fields)
        eid = insert_entry(conn, row, by, today)
        _apply(conn, {**row, "id": eid}, changes, by, today)
    return eid


def insert_entry(conn, row: dict, by: str, today: dt.date) -> int:
    """Store a new entry as it is (checked already) with its history row ``created``; return its id."""
    eid = conn.execute(ledger_entries.insert().values(**row)).inserted_primary_key[0]
    conn.execute(ledger_history.insert().values(entry_id=eid, changed_on=today, recorded_by=by, field="created",
                                                old_value=None, new_value=row["problem"]))
    return int(eid)


def init_ledger(engine: Engine, round_code: str, scores=None, *, by: str = "zuofeng ledger init",
                seed: int = 1, today: dt.date | None = None) -> int:
    """Seed one entry (status 未启动) per department × flagged item of the round's problem list; return
    how many were added. Idempotent: an item that already has an entry is left alone."""
    from ..score import score_round
    from .problems import department_problems

    with engine.connect() as conn:
        get_round(conn, round_code)
    scores = scores if scores is not None else score_round(engine, round_code, seed=seed)
    if scores.meta.get("round") != round_code:
        raise LedgerError(f"这些分数属于轮次 {scores.meta.get('round')!r}，而不是 {round_code}",
                          f"these scores are of round {scores.meta.get('round')!r}, not {round_code}")
    plist = department_problems(scores, "zh")
    today = today or dt.date.today()
    by = _who(by)
    added = 0
    with writing(engine) as conn:
        have = {(r.department, r.item) for r in conn.execute(
            select(ledger_entries.c.department, ledger_entries.c.item).where(ledger_entries.c.round == round_code))}
        for r in plist.itertuples(index=False):
            if (r.department, int(r.item)) in have:
                continue
            problem = f"{r.item}. {r.label}（{r.rules}；{r.detail}）"
            eid = conn.execute(ledger_entries.insert().values(
                round=round_code, department=r.department, item=int(r.item), problem=problem[:MAX_TEXT],
                status="未启动", created_on=today)).inserted_primary_key[0]
            conn.execute(ledger_history.insert().values(entry_id=eid, changed_on=today, recorded_by=by,
                                                        field="created", old_value=None, new_value=problem))
            added += 1
    return added


def entries_frame(engine: Engine, round_code: str, department: str | None = None, *, known: bool = False) -> pd.DataFrame:
    """The round's ledger entries (ordered by department, item, id) as a frame of ENTRY_COLUMNS.
    ``known``: the caller has read the round already (an unknown round is not looked for again)."""
    q = select(ledger_entries).where(ledger_entries.c.round == round_code)
    if department is not None:
        q = q.where(ledger_entries.c.department == department)
    with engine.connect() as conn:
        if not known:
            get_round(conn, round_code)
        rows = [dict(r) for r in conn.execute(q).mappings()]
    df = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
    df["item"] = df["item"].astype("Int64")
    df = df.assign(_i=df["item"].fillna(99)).sort_values(["department", "_i", "id"]).drop(columns="_i")
    return _nones(df.reset_index(drop=True), [*EDITABLE, "problem"])


def history_frame(engine: Engine, round_code: str) -> pd.DataFrame:
    """Every recorded change of the round's entries, oldest first."""
    q = (select(ledger_history, ledger_entries.c.department)
         .join(ledger_entries, ledger_entries.c.id == ledger_history.c.entry_id)
         .where(ledger_entries.c.round == round_code).order_by(ledger_history.c.id))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    df = pd.DataFrame(rows, columns=["id", "entry_id", "department", "changed_on", "recorded_by", "field",
                                     "old_value", "new_value"])
    return _nones(df, ["old_value", "new_value"])


def _nones(df: pd.DataFrame, cols) -> pd.DataFrame:
    """Missing text as None (never NaN), so values compare as they were stored."""
    for c in cols:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df
