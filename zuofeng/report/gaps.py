"""Coverage gaps (盲区) for the reports: what ``zuofeng status`` flags, carried into the scores' meta.

The reports read a scores snapshot, not the store, so the batch attaches the gaps of
``zuofeng.coverage.coverage`` to ``Scores.meta["coverage_gaps"]`` as flags only — never a count, so a
suppressed group's size cannot be read from them. Outside views (rater → rated department) that
received no answer at all are listed too.
"""

from __future__ import annotations

CATEGORY_FLAGS = ("党员未覆盖", "非党员未覆盖")


def coverage_gaps(engine, round_code: str, loaded=None) -> list[dict]:
    """``[{"department", "kind", "rater", "flags"}]`` from ``zuofeng.coverage.coverage``: flags only
    (``loaded``: the round as read already, a ``LoadedRound``, whose row and roster are not read again)."""
    from ..coverage import coverage

    if loaded is not None:
        roster = {str(r["code"]): {k: _plain(v) for k, v in r.items()} for r in loaded.departments.to_dict("records")}
        cov = coverage(engine, round_code, info=loaded.info, roster=roster)
    else:
        cov = coverage(engine, round_code)
    out = [{"department": g["department"], "kind": g["view"], "rater": g["department"], "flags": list(g["flags"])}
           for g in cov["gaps"]]
    out += [{"department": g["target"], "kind": "peer_outside", "rater": g["rater"], "flags": list(g["flags"])}
            for g in cov.get("outside_gaps", [])]
    return out


def _plain(v):
    """A roster value as the store gives it (None for a missing one, Python numbers)."""
    import pandas as pd

    if v is None or (not isinstance(v, (str, list, tuple)) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def attach_gaps(scores, engine, loaded=None) -> None:
    """Store what the reports need from the store besides the scores, in ``scores.meta`` (saved with the
    snapshot): the round's coverage gaps (``coverage_gaps``), and its English title and department names
    (``title_en``, ``names_en``: roster column ``name_en``, round option ``--title-en``) when given."""
    from sqlalchemy import select

    from ..store import departments, rounds

    code = str(scores.meta["round"])
    scores.meta["coverage_gaps"] = coverage_gaps(engine, code, loaded)
    if loaded is not None:  # the round's row and roster as read already
        title_en = loaded.info.get("title_en")
        d = loaded.departments
        names = [(c, n) for c, n in zip(d["code"], d["name_en"]) if isinstance(n, str)] if "name_en" in d else []
    else:
        with engine.connect() as conn:
            title_en = conn.execute(select(rounds.c.title_en).where(rounds.c.code == code)).scalar()
            names = conn.execute(select(departments.c.code, departments.c.name_en)
                                 .where(departments.c.round == code, departments.c.name_en.is_not(None))).all()
    if title_en:
        scores.meta["title_en"] = title_en
    if names:
        scores.meta["names_en"] = {c: n for c, n in names}


def gaps_of(scores) -> list[dict] | None:
    """The attached gaps, or None when the scores carry none (a snapshot written without a store)."""
    g = scores.meta.get("coverage_gaps")
    return None if g is None else list(g)


def gap_entries(v, code: str) -> list[tuple[str, str | None, list[str]]]:
    """The coverage gaps of one department as ``(kind, outside rater name or None, flags)`` in the page's
    language: the flags of ``zuofeng status``, except category flags of a suppressed group. Without
    attached gaps, the self and inside groups that published 0 answers."""
    from ..axes import VIEWS
    from . import names as S
    from .strings import label
    from .view import OVERALL

    L = v.lang
    gaps = gaps_of(v.scores)
    out = []
    if gaps is None:
        for k in VIEWS[:2]:
            if v.value(code, k, S.LEVEL_OVERALL, OVERALL, S.RESPONDENTS) == 0:
                out.append((k, None, [label("gapflag", "盲区", L)]))
        return out
    for g in gaps:
        if g["department"] != code:
            continue
        resp = v.row(code, g["kind"], S.LEVEL_OVERALL, OVERALL, S.RESPONDENTS)
        hidden = resp is None or bool(resp["suppressed"])
        flags = [label("gapflag", f, L) for f in g["flags"] if not (hidden and f in CATEGORY_FLAGS)]
        if not flags:
            continue
        rater = g.get("rater")
        if g["kind"] == "peer_outside" and rater and rater != code:
            out.append((g["kind"], v.dept_name(rater) if rater in v.codes else rater, flags))
        else:
            out.append((g["kind"], None, flags))
    return out


def gap_text(v, kind: str, rater: str | None, flags: list[str], with_kind: bool = True) -> str:
    """One gap as a phrase: "互评（本部门）：低于k、未全覆盖", "办公室 对本部门的评价：盲区"."""
    from .strings import t

    zh = v.lang == "zh"
    flag_text = ("、" if zh else ", ").join(flags)
    if rater:
        what = t("outside_view", v.lang, rater=rater)
    elif with_kind:
        what = v.kind_label(kind)
    else:
        return flag_text
    return f"{what}：{flag_text}" if zh else f"{what}: {flag_text}"


def gap_labels(v, code: str) -> list[str]:
    """The coverage gaps of one department, one phrase per survey group or outside view."""
    return [gap_text(v, k, r, f) for k, r, f in gap_entries(v, code)]
