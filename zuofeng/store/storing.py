"""The one function that stores answer sheets (survey pages, imports, the simulator), consuming tokens."""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from ..axes import NO_DEPARTMENT, TABLE_FORM, outside_mode, table_targets
from ..errors import RoundError, TokenError, ZuofengError
from ..messages import word
from ..sheet import CATEGORIES, COMMENT_MAX, FORMS, KINDS, Sheet
from .connection import writing
from .lookup import get_departments, get_round
from .schema import answers, responses, tokens
from .unlinking import _after_commit_errors, _checkpoint, _kind, _step, _unlink_after_arrival

log = logging.getLogger(__name__)

def _validate(sheet: Sheet, depts: Mapping[str, dict], n_items: int, overall_values: Iterable[str],
              groups: Iterable[str] = (), n_dims: int = 0,
              table_of: Callable[[str], list[str]] | None = None) -> None:
    if sheet.kind not in KINDS:
        raise ZuofengError(f"问卷类型应为 {'、'.join(KINDS)} 之一，而不是 {sheet.kind!r}",
                           f"kind must be one of {', '.join(KINDS)}, not {sheet.kind!r}")
    for role, code in (("rater", sheet.rater), ("target", sheet.target)):
        if code not in depts and not (role == "rater" and code == NO_DEPARTMENT and sheet.group):
            raise ZuofengError(f"{'评价部门' if role == 'rater' else '被评部门'} {code!r} 不存在",
                               f"unknown {role} department {code!r}")
    if sheet.rater == NO_DEPARTMENT and sheet.kind != "peer":
        raise ZuofengError("不属于任何部门的测评人员只能评价其他部门（互评）",
                           "a rater of no department rates other departments only (a peer survey)")
    if sheet.group is not None and sheet.group not in groups:
        allowed = f"one of {', '.join(groups)}" if groups else "none (the round declares no rater groups)"
        allowed_zh = f"应为 {'、'.join(groups)} 之一" if groups else "应为空（本轮次没有设测评人员类别）"
        raise ZuofengError(f"测评人员类别{allowed_zh}，而不是 {sheet.group!r}",
                           f"rater group must be {allowed}, not {sheet.group!r}")
    if sheet.kind == "self" and sheet.rater != sheet.target:
        raise ZuofengError("自评只能评价本部门", "a self survey rates the rater's own department")
    if sheet.form not in FORMS:
        raise ZuofengError(f"答卷形式应为 {'、'.join(FORMS)} 之一，而不是 {sheet.form!r}",
                           f"form must be one of {', '.join(FORMS)}, not {sheet.form!r}")
    if sheet.form == TABLE_FORM:
        if sheet.kind != "peer" or sheet.rater == sheet.target:
            raise ZuofengError("民主测评表的一行只能在互评中评价其他部门",
                               "a 民主测评 table row rates another department in the peer survey")
        if table_of is None or sheet.target not in table_of(sheet.rater):
            raise ZuofengError(f"本轮次 {sheet.rater!r} 的民主测评表上没有部门 {sheet.target!r}",
                               f"department {sheet.target!r} is not on the 民主测评 table of {sheet.rater!r} "
                               "in this round")
        if sheet.comment is not None or sheet.token_hash is not None:
            raise ZuofengError("民主测评表的一行不带意见建议，也没有自己的答题码",
                               "a 民主测评 table row carries no suggestion and no 答题码 of its own")
        expected, what, what_zh = set(range(1, n_dims + 1)), "dimensions", "维度"
    else:
        expected, what, what_zh = set(range(1, n_items + 1)), "items", "题"
    if set(sheet.answers) != expected:
        missing = sorted(expected - set(sheet.answers))
        extra = sorted(set(sheet.answers) - expected)
        raise ZuofengError(f"回答应正好覆盖{what_zh} 1..{len(expected)}（缺 {missing}，多 {extra}）",
                           f"answers must cover {what} 1..{len(expected)} exactly (missing {missing}, extra {extra})")
    for item, v in sheet.answers.items():
        if v is not None and (isinstance(v, bool) or v not in (1, 2, 3, 4, 5)):
            raise ZuofengError(f"第 {item} 题：回答应为 1..5 或 不了解，而不是 {v!r}",
                               f"item {item}: answer must be 1..5 or 不了解, not {v!r}")
    if sheet.category is not None and sheet.category not in CATEGORIES:
        raise ZuofengError(f"类别应为 {'、'.join(CATEGORIES)} 之一或留空，而不是 {sheet.category!r}",
                           f"category must be one of {', '.join(CATEGORIES)} or blank, not {sheet.category!r}")
    if sheet.overall is not None:
        if sheet.kind != "peer":
            raise ZuofengError("只有互评带总体评价", "only a peer survey carries the overall rating")
        if sheet.overall not in overall_values:
            raise ZuofengError(f"总体评价应为 {'、'.join(overall_values)} 之一或留空，而不是 {sheet.overall!r}",
                               f"overall rating must be one of {', '.join(overall_values)} or blank, not {sheet.overall!r}")
    if sheet.comment is not None and len(sheet.comment) > COMMENT_MAX:
        raise ZuofengError(f"意见建议超过 {COMMENT_MAX} 字", f"suggestion is longer than {COMMENT_MAX} characters")


def _check_tables_ride_on_tokens(sheets: list[Sheet]) -> None:
    """A survey page stores 民主测评 table rows only with the inside-view peer sheet whose token opened
    the table: at most one row per department rated for each such sheet of the same rater."""
    tokened: dict[str, int] = {}
    for s in sheets:
        if s.token_hash is not None and s.kind == "peer" and s.rater == s.target and s.form != TABLE_FORM:
            tokened[s.rater] = tokened.get(s.rater, 0) + 1
    rows: dict[tuple[str, str], int] = {}
    for s in sheets:
        if s.form == TABLE_FORM:
            rows[(s.rater, s.target)] = rows.get((s.rater, s.target), 0) + 1
    for (rater, _), n in rows.items():
        if n > tokened.get(rater, 0):
            raise TokenError("民主测评表只能与其答题码的互评答卷一起存入",
                             "a 民主测评 table is stored only with the 互评 answer sheet of its 答题码")


def store_sheets(engine: Engine, round_code: str, sheets: list[Sheet], *, source: str = "survey",
                 also=None) -> int:
    """Store answer sheets in one transaction: all of them or none.

    The one storage function for survey pages, imports and the simulator. A sheet that carries a
    token hash consumes that token in the same transaction; a used, unknown or other-round token
    raises TokenError and nothing is stored. Rows are written in random order under random ids.
    ``also(conn)``, when given, runs inside the same transaction (an import records its file's
    fingerprint there); if it raises, nothing is stored.
    """
    from ..instrument import load_instrument

    if not sheets:
        return 0
    order = list(sheets)
    random.SystemRandom().shuffle(order)
    today = dt.date.today()
    with writing(engine) as conn:
        rnd = get_round(conn, round_code)
        if rnd["status"] != "open":
            raise RoundError(f"轮次 {round_code} 状态为{word(rnd['status'])}，未开放：不接受答卷",
                             f"round {round_code} is {rnd['status']}, not open: no answers are accepted")
        inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
        overall_values = [o.value for o in inst.overall_scale.options]
        depts = get_departments(conn, round_code)
        groups = [g["name"] for g in rnd.get("rater_groups") or ()]
        mode = outside_mode(rnd)
        tables: dict[str, list[str]] = {}

        def table_of(rater: str) -> list[str]:
            if rater not in tables:
                tables[rater] = table_targets(mode, rater, depts)
            return tables[rater]

        if source == "survey":
            _check_tables_ride_on_tokens(order)
        resp_rows, ans_rows = [], []
        for s in order:
            group = s.group
            if s.token_hash is not None:
                group = _consume_token(conn, round_code, s)  # the group is the token's, never typed
                _step("token consumed")
            _validate(replace(s, group=group), depts, len(inst.items), overall_values, groups,
                      n_dims=len(inst.dimensions), table_of=table_of)
            rid = uuid.UUID(bytes=secrets.token_bytes(16), version=4).hex
            resp_rows.append({
                "id": rid, "round": round_code, "kind": s.kind, "rater": s.rater, "target": s.target,
                "category": s.category, "overall": s.overall,
                "comment": (s.comment.strip() or None) if s.comment else None,
                "submitted_on": today, "source": source, "too_fast": s.too_fast, "rater_group": group,
                "form": TABLE_FORM if s.form == TABLE_FORM else None,
            })
            ans_rows.extend({"response_id": rid, "item": i, "value": v} for i, v in sorted(s.answers.items()))
        conn.execute(responses.insert(), resp_rows)
        conn.execute(answers.insert(), ans_rows)
        if also is not None:
            also(conn)
    _step("stored")
    # The sheets are committed from here on: whatever the clean-up meets, they are reported as stored.
    if source == "survey" or any(s.token_hash is not None for s in order):  # paper ballots carry tokens too
        _unlink_after_arrival(engine, round_code)
    else:
        try:
            _checkpoint(engine)
        except _after_commit_errors(engine) as e:
            log.warning("store: write-ahead log not emptied after storing (%s)", _kind(e))
    return len(order)


def _consume_token(conn, round_code: str, s: Sheet) -> str | None:
    """Mark the sheet's token used; return the rater group bound to it (None: no group)."""
    # never select the hash itself: DEBUG logging prints fetched rows
    row = conn.execute(select(tokens.c.round, tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group)
                       .where(tokens.c.hash == s.token_hash)).mappings().first()
    if row is None or row["round"] != round_code:
        raise TokenError("该答题码对本问卷无效", "this token is not valid for this survey")
    if (row["kind"], row["rater"], row["target"]) != (s.kind, s.rater, s.target):
        raise TokenError("此答题码属于另一份问卷", "this token belongs to another survey")
    done = conn.execute(
        update(tokens).where(tokens.c.hash == s.token_hash, tokens.c.used.is_(False)).values(used=True)
    )
    if done.rowcount != 1:
        raise TokenError("该答题码已经使用过", "this token has already been used")
    return row["rater_group"]
