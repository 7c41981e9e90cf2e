"""Coverage (全员参与、不留盲区): responses against headcount per department and survey kind."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from .axes import BLANK_CATEGORY, CATEGORIES, COVERAGE_VIEWS, view_of
from .store import get_departments, get_round, responses, tokens

VIEWS = COVERAGE_VIEWS


def _blank() -> dict:
    return {"n": 0, **{c: 0 for c in (*CATEGORIES, BLANK_CATEGORY)}}


def coverage(engine: Engine, round_code: str) -> dict:
    """Per department: self and inside-view peer responses against headcount, the 党员/非党员 split
    where the roster gives party_members, outside-view peer responses received, and every gap flagged.

    Flags: ``盲区`` no responses at all in that kind; ``低于k`` fewer than k (will be suppressed);
    ``未全覆盖`` fewer responses than staff; ``党员未覆盖`` / ``非党员未覆盖`` a category with staff but
    no responses.

    ``outside_gaps`` lists the outside views (rater department → rated department, from the roster's
    ``peer_targets`` or from outside-view tokens issued) that received no answer at all (``盲区``).
    """
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
        rows = conn.execute(
            select(responses.c.kind, responses.c.rater, responses.c.target, responses.c.category,
                   func.count().label("n"))
            .where(responses.c.round == round_code)
            .group_by(responses.c.kind, responses.c.rater, responses.c.target, responses.c.category)
        ).all()
        issued = conn.execute(
            select(tokens.c.rater, tokens.c.target, func.count())
            .where(tokens.c.round == round_code, tokens.c.kind == "peer", tokens.c.rater != tokens.c.target)
            .group_by(tokens.c.rater, tokens.c.target)
        ).all()
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
            flags = []
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
                "headcount": d["headcount"], "responses": c["n"],
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
    expected = {(r, t): n for r, t, n in issued}
    for code, d in depts.items():
        for target in (d.get("peer_targets") or "").split():
            expected.setdefault((code, target), 0)
    outside_gaps = [{"rater": r, "target": t, "issued": n, "responses": 0, "flags": ["盲区"]}
                    for (r, t), n in sorted(expected.items()) if t in depts and not pairs_answered.get((r, t))]
    return {
        "round": round_code, "status": rnd["status"], "k_min": k, "departments": out, "summary": summary,
        "peer_outside_received": dict(sorted(outside_received.items())),
        "gaps": [r for r in out if r["flags"]], "outside_gaps": outside_gaps,
    }
