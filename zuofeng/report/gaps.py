"""Coverage gaps (盲区) for the reports: what ``zuofeng status`` flags, carried into the scores' meta.

The reports read a scores snapshot, not the store, so the batch attaches the gaps of
``zuofeng.coverage.coverage`` to ``Scores.meta["coverage_gaps"]`` as flags only — never a count, so a
suppressed group's size cannot be read from them. Outside views (rater → rated department) that
received no answer at all are listed too.
"""

from __future__ import annotations

CATEGORY_FLAGS = ("党员未覆盖", "非党员未覆盖")


def coverage_gaps(engine, round_code: str) -> list[dict]:
    """``[{"department", "kind", "rater", "flags"}]`` from ``zuofeng.coverage.coverage``: flags only."""
    from ..coverage import coverage

    cov = coverage(engine, round_code)
    out = [{"department": g["department"], "kind": g["view"], "rater": g["department"], "flags": list(g["flags"])}
           for g in cov["gaps"]]
    out += [{"department": g["target"], "kind": "peer_outside", "rater": g["rater"], "flags": list(g["flags"])}
            for g in cov.get("outside_gaps", [])]
    return out


def attach_gaps(scores, engine) -> None:
    """Store the round's coverage gaps in ``scores.meta["coverage_gaps"]`` (saved with the snapshot)."""
    scores.meta["coverage_gaps"] = coverage_gaps(engine, str(scores.meta["round"]))


def gaps_of(scores) -> list[dict] | None:
    """The attached gaps, or None when the scores carry none (a snapshot written without a store)."""
    g = scores.meta.get("coverage_gaps")
    return None if g is None else list(g)


def gap_labels(v, code: str) -> list[str]:
    """The coverage gaps of one department in the page's language, one text per survey group (or outside
    view): the flags of ``zuofeng status``, except category flags of a suppressed group. Without attached
    gaps, the groups that published 0 answers."""
    from . import names as S
    from .strings import label, t
    from .view import OVERALL, VIEWS

    L = v.lang

    def flag(what, flags):
        return f"{what}：{'、'.join(flags)}" if L == "zh" else f"{what}: {', '.join(flags)}"

    gaps = gaps_of(v.scores)
    out = []
    if gaps is None:
        for k in VIEWS[:2]:
            if v.value(code, k, S.LEVEL_OVERALL, OVERALL, S.RESPONDENTS) == 0:
                out.append(flag(v.kind_label(k), [label("gapflag", "盲区", L)]))
        return out
    for g in gaps:
        if g["department"] != code:
            continue
        resp = v.row(code, g["kind"], S.LEVEL_OVERALL, OVERALL, S.RESPONDENTS)
        hidden = resp is None or bool(resp["suppressed"])
        flags = [label("gapflag", f, L) for f in g["flags"] if not (hidden and f in CATEGORY_FLAGS)]
        if not flags:
            continue
        if g["kind"] == "peer_outside" and g.get("rater") and g["rater"] != code:
            rater = v.dept_name(g["rater"]) if g["rater"] in v.codes else g["rater"]
            out.append(flag(t("outside_view", L, rater=rater), flags))
        else:
            out.append(flag(v.kind_label(g["kind"]), flags))
    return out
