"""Coverage (全员参与、不留盲区): responses against headcount per department and survey kind."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from .axes import BLANK_CATEGORY, CATEGORIES, COVERAGE_VIEWS, outside_mode, view_of
from .store import get_departments, get_round, responses, token_usage

VIEWS = COVERAGE_VIEWS


def _blank() -> dict:
    return {"n": 0, **{c: 0 for c in (*CATEGORIES, BLANK_CATEGORY)}}


def sheet_counts(conn, round_code: str) -> list[tuple[str, str, str, str | None, int]]:
    """The sheets stored per (kind, rater, target, category): counts only."""
    return [tuple(r) for r in conn.execute(
        select(responses.c.kind, responses.c.rater, responses.c.target, responses.c.category, func.count())
        .where(responses.c.round == round_code)
        .group_by(responses.c.kind, responses.c.rater, responses.c.target, responses.c.category)).all()]


def coverage(engine: Engine, round_code: str, *, info: dict | None = None, roster: dict | None = None) -> dict:
    """Per department: self and inside-view peer responses against headcount, the 党员/非党员 split
    where the roster gives party_members, outside-view peer responses received, and every gap flagged.

    Ballot accounting, as on paper: ``issued`` (发出) is the tokens issued to the department for that
    survey, or its headcount where none were (paper ballots without tokens, a survey tool's file);
    ``responses`` (收回) the sheets stored; ``valid`` (有效) the same, or 0 when more came back than were
    issued (the count is void, flag ``收回多于发出``). These counts are never suppressed.

    Flags: ``收回多于发出`` see above; ``盲区`` no responses at all in that kind; ``低于k`` fewer than k (will be suppressed);
    ``未全覆盖`` fewer responses than staff; ``党员未覆盖`` / ``非党员未覆盖`` a category with staff but
    no responses.

    ``outside_gaps`` lists the outside views (rater department → rated department, from the roster's
    ``peer_targets`` or from outside-view tokens issued) that received no answer at all (``盲区``).
    """
    with engine.connect() as conn:  # info, roster: the round's row and departments when the caller has them
        rnd = info if info is not None else get_round(conn, round_code)
        depts = roster if roster is not None else get_departments(conn, round_code)
        rows = sheet_counts(conn, round_code)
        usage = token_usage(conn, round_code)  # counts only: readable by a role that may not read tokens
    issued: dict[tuple[str, str], int] = {}  # outside-view peer tokens per (rater, target)
    tokens_of: dict[tuple[str, str], int] = {}  # self and inside-view peer tokens per (rater, view)
    for (kd, r, t, _g), (n, _used) in usage.items():
        if r == t:
            key = (r, "self" if kd == "self" else "peer_inside")
            tokens_of[key] = tokens_of.get(key, 0) + n
        elif kd == "peer":
            issued[(r, t)] = issued.get((r, t), 0) + n
    k = rnd["k_min"]
    pairs_answered: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], dict] = {}
    outside_received: dict[str, int] = {}
    for kind, rater, target, category, n in rows:
        if kind == "peer" and rater != target:
            outside_received[target] = outside_received.get(target, 0) + n
            pairs_answered[(rater, target)] = pairs_answered.get((rater, target), 0) + n
            continue
        c = counts.setdefault((rater, view_of(kind, rater, target)), _blank())
        c["n"] += n
        c[category or BLANK_CATEGORY] += n
    out = []
    for code, d in depts.items():
        for view in VIEWS:
            c = counts.get((code, view), _blank())
            # 发出: the tokens issued, or the headcount where none were (paper ballots, a survey tool)
            issued_n = tokens_of.get((code, view)) or d["headcount"]
            over = c["n"] > issued_n
            flags = []
            if over:
                flags.append("收回多于发出")
            if c["n"] == 0:
                flags.append("盲区")
            elif c["n"] < k:
                flags.append("低于k")
            if c["n"] < d["headcount"]:
                flags.append("未全覆盖")
            pm = d["party_members"]
            if pm is not None:
                if pm > 0 and c["党员"] == 0:
                    flags.append("党员未覆盖")
                if d["headcount"] - pm > 0 and c["非党员"] == 0:
                    flags.append("非党员未覆盖")
            out.append({
                "department": code, "name": d["name"], "unit_type": d["unit_type"], "view": view,
                "headcount": d["headcount"], "issued": issued_n, "responses": c["n"],
                "valid": 0 if over else c["n"],
                "coverage": c["n"] / d["headcount"],
                "party_members": pm, "party_responses": c["党员"], "non_party_responses": c["非党员"],
                "category_blank": c[BLANK_CATEGORY], "flags": flags,
            })
    total_head = sum(d["headcount"] for d in depts.values())
    summary = {
        view: {"responses": sum(r["responses"] for r in out if r["view"] == view), "headcount": total_head}
        for view in VIEWS
    }
    for s in summary.values():
        s["coverage"] = s["responses"] / total_head if total_head else 0.0
    expected = dict(issued)
    for code, d in depts.items():
        for target in (d.get("peer_targets") or "").split():
            expected.setdefault((code, target), 0)
    outside_gaps = [{"rater": r, "target": t, "issued": n, "responses": 0, "flags": ["盲区"]}
                    for (r, t), n in sorted(expected.items()) if t in depts and not pairs_answered.get((r, t))]
    return {
        "round": round_code, "status": rnd["status"], "k_min": k, "outside": outside_mode(rnd), "departments": out, "summary": summary,
        "peer_outside_received": dict(sorted(outside_received.items())),
        "gaps": [r for r in out if r["flags"]], "outside_gaps": outside_gaps,
    }
