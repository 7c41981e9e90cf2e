"""Rounds: create from a roster, open, close, list. A round is bound to one instrument version for life."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from .axes import DEFAULT_OUTSIDE, OUTSIDE_MODES, VIEWS
from .errors import RoundError
from .instrument import DEFAULT_ID, DEFAULT_VERSION, instrument_text, load_instrument
from .messages import word
from .rater_groups import check_rater_groups
from .roster import read_roster
from .store import departments, get_round, instruments, rounds, unlink_round, writing

ROUND_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
K_FLOOR = 3
CLOSE_LOCK_TIMEOUT_MS = 60000  # closing waits up to a minute for sessions reading the tables (PostgreSQL)


#: the forms of --weights and --eval-points, as their errors show them: (zh, en)
WEIGHTS_FORM = (",".join(f"{v}=W" for v in VIEWS) + "（例如 self=0.2,peer_inside=0.4,peer_outside=0.4）",
                ",".join(f"{v}=W" for v in VIEWS) + " (e.g. self=0.2,peer_inside=0.4,peer_outside=0.4)")
EVAL_POINTS_FORM = ("好=P,较好=P,一般=P,差=P（例如 好=100,较好=80,一般=60,差=40）",
                    "好=P,较好=P,一般=P,差=P (e.g. 好=100,较好=80,一般=60,差=40)")
PAIRS_FORM = ("以逗号分隔的 名称=数值", "NAME=NUMBER pairs separated by commas")


def parse_pairs(text: str, option: str, expected: tuple[str, str] = PAIRS_FORM) -> dict[str, float]:
    """``self=0.2,peer_inside=0.5`` → ``{"self": 0.2, "peer_inside": 0.5}``; a malformed pair is a RoundError.

    ``expected`` is the form the error shows, ``(zh, en)``.

    >>> parse_pairs("好=100, 较好=80,一般=60,差=40", "--eval-points")
    {'好': 100.0, '较好': 80.0, '一般': 60.0, '差': 40.0}
    """
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            number = float(value) if sep and name.strip() else float("nan")
        except ValueError:
            number = float("nan")
        if not math.isfinite(number) or name.strip() in out:
            raise RoundError(f"{option} 中的 {part!r} 无效：应为 {expected[0]}，每个名称只写一次",
                             f"{option} {part!r} is not allowed; expected {expected[1]}, each name once")
        out[name.strip()] = number
    if not out:
        raise RoundError(f"{option} 为空：应为 {expected[0]}", f"{option} is empty; expected {expected[1]}")
    return out


def roster_warnings(rows, k_min: int) -> list[str]:
    """What a roster means for the roll-up into divisions (归口), in plain Chinese, one line each: a
    division of one department (no pool to report it in), a division whose headcount can never give k
    sheets (its pool is always hidden), a department under k by headcount in no division.

    >>> from types import SimpleNamespace as R
    >>> for w in roster_warnings([R(code="A", name="甲", headcount=3, division="x"), R(code="B", name="乙",
    ...                           headcount=4, division=None)], 5):
    ...     print(w)
    归口“x”只有一个部门（甲）：它的结果不足5份时无处合并，只能隐藏
    归口“x”编制人数合计3人，少于k=5：合并后也永远达不到公布门槛，结果总是隐藏
    乙编制人数4人，少于k=5，且不属于任何归口：它的自评和本部门互评结果永远无法公布
    """
    out: list[str] = []
    members: dict[str, list] = {}
    for r in rows:
        if r.division:
            members.setdefault(r.division, []).append(r)
    for div, rs in members.items():
        if len(rs) == 1:
            out.append(f"归口“{div}”只有一个部门（{rs[0].name}）：它的结果不足{k_min}份时无处合并，只能隐藏")
        head = sum(r.headcount for r in rs)
        if head < k_min:
            out.append(f"归口“{div}”编制人数合计{head}人，少于k={k_min}：合并后也永远达不到公布门槛，结果总是隐藏")
    for r in rows:
        if not r.division and r.headcount < k_min:
            out.append(f"{r.name}编制人数{r.headcount}人，少于k={k_min}，且不属于任何归口：它的自评和本部门互评结果永远无法公布")
    return out


def create_round(
    engine: Engine,
    code: str,
    *,
    title: str,
    roster: str | Path,
    k_min: int = 5,
    k_comment: int | None = None,
    previous: str | None = None,
    instrument_id: str = DEFAULT_ID,
    instrument_version: int = DEFAULT_VERSION,
    eval_scores: dict[str, float] | None = None,
    group_weights: dict[str, float] | None = None,
    title_en: str | None = None,
    rater_groups: list[dict] | None = None,
    outside: str = DEFAULT_OUTSIDE,
) -> dict:
    """Create a draft round with its departments; all or nothing. The returned row carries
    ``warnings`` (:func:`roster_warnings`): what the roster means for the roll-up into divisions.

    ``title_en`` (and the roster's optional ``name_en`` column) are used by English reports.
    ``eval_scores`` (the points of 好/较好/一般/差, default the instrument's) and ``group_weights`` (the
    weights of self, peer_inside and peer_outside in the ``all`` and ``composite`` figures, default equal)
    are stored with the round and cannot change afterwards; every score carries them in its meta.
    ``rater_groups`` (``[{"name": "领导班子", "weight": 0.2}, …]``, see :mod:`zuofeng.rater_groups`) are
    the round's rater groups and the weights of their composite; default none.
    ``outside`` (``zuofeng.axes.OUTSIDE_MODES``) says who rates a department from outside: ``all`` (every
    respondent of the peer survey rates every other department on the 民主测评 table), ``division`` (the
    departments of the rater's own division) or ``targets`` (only the roster's ``peer_targets``, on the
    22 items); it is stored with the round too.
    """
    if outside not in OUTSIDE_MODES:
        modes = ", ".join(OUTSIDE_MODES)
        raise RoundError(f"--outside {outside!r} 无效，可选：{modes}",
                         f"--outside {outside!r} is not allowed; allowed: {modes}")
    if not ROUND_RE.match(code):
        raise RoundError(f"轮次代码 {code!r} 必须由 1-40 个字母、数字、'.'、'-' 或 '_' 组成",
                         f"round code {code!r} must be 1-40 letters, digits, '.', '-' or '_'")
    if not title.strip():
        raise RoundError("轮次标题为空", "round title is empty")
    if k_min < K_FLOOR:
        raise RoundError(f"--k-min {k_min} 低于下限 {K_FLOOR}", f"--k-min {k_min} is below the floor of {K_FLOOR}")
    k_comment = max(10, k_min) if k_comment is None else k_comment
    if k_comment < k_min:
        raise RoundError(f"--k-comment {k_comment} 不能小于 --k-min {k_min}",
                         f"--k-comment {k_comment} must be at least --k-min {k_min}")
    inst = load_instrument(instrument_id, instrument_version)
    scores = eval_scores or {o.value: o.score for o in inst.overall_scale.options}
    if set(scores) != {o.value for o in inst.overall_scale.options}:
        names = ", ".join(o.value for o in inst.overall_scale.options)
        raise RoundError(f"民主测评分值必须逐一给出 {names}", f"evaluation scores must name {names}")
    if group_weights is not None:
        allowed = set(VIEWS)
        unknown = sorted(set(group_weights) - allowed)
        if unknown or any(w < 0 for w in group_weights.values()) or not sum(group_weights.values()):
            if unknown:
                why = (f"没有视角 {', '.join(unknown)}", f"unknown view {', '.join(unknown)}")
            else:
                why = ("权重不能为负，也不能全为零", "weights must be non-negative and not all zero")
            raise RoundError(f"--weights：{why[0]}；应为 {WEIGHTS_FORM[0]}",
                             f"--weights: {why[1]}; expected {WEIGHTS_FORM[1]}")
    rater_groups = check_rater_groups(rater_groups)
    rows = read_roster(roster)
    with writing(engine) as conn:
        if conn.execute(select(rounds.c.code).where(rounds.c.code == code)).first():
            raise RoundError(f"轮次 {code} 已存在", f"round {code} already exists")
        if previous is not None:
            get_round(conn, previous)
        if not conn.execute(select(instruments.c.id).where(
                instruments.c.id == inst.id, instruments.c.version == inst.version)).first():
            conn.execute(instruments.insert().values(
                id=inst.id, version=inst.version, sha256=inst.sha256,
                content=instrument_text(inst.id, inst.version)))
        conn.execute(rounds.insert().values(
            code=code, title=title.strip(), instrument_id=inst.id, instrument_version=inst.version,
            status="draft", k_min=k_min, k_comment=k_comment, previous=previous,
            eval_scores=scores, group_weights=group_weights, created_on=dt.date.today(),
            title_en=(title_en or "").strip() or None, rater_groups=rater_groups, outside=outside))
        conn.execute(departments.insert(), [
            {"round": code, "code": r.code, "name": r.name, "unit_type": r.unit_type, "headcount": r.headcount,
             "party_members": r.party_members, "division": r.division,
             "peer_targets": " ".join(r.peer_targets) or None, "paper": r.paper, "name_en": r.name_en}
            for r in rows])
        return {**get_round(conn, code), "warnings": roster_warnings(rows, k_min)}


def set_status(engine: Engine, code: str, status: str, *, force: bool = False) -> dict:
    """open: from draft or closed (thresholds were fixed at the first opening); close: from open.

    Reopening a closed round that a later, no longer draft round names as its ``previous`` is refused
    unless ``force``: new answers would change the baseline that the later round's reports, change
    labels and ledger verification were computed against.
    """
    allowed_from = {"open": ("draft", "closed"), "closed": ("open",)}[status]
    with writing(engine) as conn:
        rnd = get_round(conn, code)
        if rnd["status"] not in allowed_from:
            verb = ("开放", "open") if status == "open" else ("关闭", "close")
            raise RoundError(f"轮次 {code} 状态为{word(rnd['status'])}，不能{verb[0]}",
                             f"round {code} is {rnd['status']}; cannot {verb[1]} it")
        if status == "open" and rnd["status"] == "closed" and not force:
            later = conn.execute(select(rounds.c.code, rounds.c.status).where(
                rounds.c.previous == code, rounds.c.status != "draft").order_by(rounds.c.code)).first()
            if later is not None:
                raise RoundError(f"轮次 {code} 是轮次 {later.code}（{word(later.status)}）的 --previous：重新开放会改变 "
                                 f"{later.code} 的报告和台账比较的对象；只有为了纠正错误才用 --force 重新开放，"
                                 "之后两个轮次都要重新评分、重新生成报告",
                                 f"round {code} is the --previous of round {later.code} ({later.status}): reopening "
                                 f"it would change what {later.code}'s reports and ledger compare with; "
                                 "reopen with --force only to correct a mistake, then score and report both again")
        values = {"status": status}
        if status == "open" and rnd["opened_on"] is None:
            values["opened_on"] = dt.date.today()
        if status == "closed":
            values["closed_on"] = dt.date.today()
        conn.execute(update(rounds).where(rounds.c.code == code).values(**values))
        rnd = get_round(conn, code)
    if status == "closed":
        # nothing physical may tell which token gave which sheet: wait for readers longer than a submission does
        unlink_round(engine, code, lock_timeout_ms=CLOSE_LOCK_TIMEOUT_MS)
    return rnd


def list_rounds(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(rounds).order_by(rounds.c.created_on, rounds.c.code)).mappings()]
