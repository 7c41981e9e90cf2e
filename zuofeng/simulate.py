"""Synthetic responses for demos, tests and benchmarks, stored through the same function real answers use."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Engine

from .axes import NO_DEPARTMENT, OUTSIDE, TABLE_FORM, outside_mode, table_targets, view_of
from .errors import ZuofengError
from .instrument import load_instrument
from .store import Sheet, get_departments, get_round, store_sheets

COMMENTS = (
    "建议减少形式主义的会议和材料。",
    "希望加强对基层科普工作的实地指导。",
    "整改措施要落到实处，避免文字整改。",
    "部门之间沟通协调还需加强。",
    "建议完善项目论证和后期评估机制。",
    None, None, None, None, None, None, None, None,
)


@dataclass(frozen=True)
class Effects:
    """Changes a simulated later round shows on top of the usual noise (the demo's ledger scenario).

    ``level``: department code → how many scale points its problem level falls since the previous round
    (replacing the random general improvement; 0 = no change). ``items``: (department, view, item
    number) → shift of that item's ratings in that view (``self``, ``peer_inside``, ``peer_outside``);
    negative = fewer problems.
    """

    level: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)

    def shifts(self, department: str, view: str, n_items: int) -> np.ndarray:
        out = np.zeros(n_items)
        for (d, v, item), x in self.items.items():
            if d == department and v == view:
                out[item - 1] += x
        return out


def _dept_level(code: str) -> float:
    """A stable, round-independent problem level for a department (higher = more problems)."""
    rng = np.random.default_rng(zlib.crc32(code.encode("utf-8")))
    return float(rng.normal(2.3, 0.45))


def simulate_sheets(engine: Engine, round_code: str, *, seed: int = 1, response_rate: float = 0.85,
                    effects: Effects | None = None, batches: list | None = None) -> list[Sheet]:
    """Build realistic sheets: departments differ; self ratings are rosier than peer ratings; some
    不了解; response rates vary so a few small departments fall under k; a few straight-lined sheets;
    a round that has a previous round shows improvement in most departments. Same seed, same sheets.
    ``effects`` sets a department's improvement and shifts single items in single views (the demo's
    rectification scenario).

    In a round with rater groups the sheets carry a group: drawn from the token batches ``batches``
    (:func:`zuofeng.rater_groups.read_batches`), else from the tokens issued with groups (never more
    sheets of a group than it has tokens); the raters of a batch without a department (服务对象) rate the
    departments their batch names. Without either, each sheet gets a group drawn at random.

    Under the round's outside mode ``all`` or ``division`` every respondent of a department's peer survey
    also fills the 民主测评 table (:func:`table_sheets`)."""
    if not 0 < response_rate <= 1:
        raise ZuofengError(f"--response-rate 必须在 (0, 1] 之内，而不是 {response_rate}",
                           f"--response-rate must be in (0, 1], not {response_rate}")
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
    n_items = len(inst.items)
    rng = np.random.default_rng(seed)
    item_shift = np.random.default_rng(7).normal(0, 0.35, n_items)
    for i, it in enumerate(inst.items):
        if it.red_line:
            item_shift[i] -= 0.9  # red lines are rare, not absent
    overall_values = [o.value for o in inst.overall_scale.options]
    sheets: list[Sheet] = []
    pools = _batch_pools(batches, depts) if batches else _group_pools(engine, round_code)
    names = [g["name"] for g in rnd.get("rater_groups") or ()]
    grng = np.random.default_rng([seed, 20])  # its own stream: rounds without groups get the same sheets
    outside = {(t, g): n for (k, r, t, g), n in pools.items() if r == NO_DEPARTMENT}
    levels: dict[str, float] = {}
    peer_raters: dict[str, int] = {}
    for code, d in [*depts.items(), *((NO_DEPARTMENT, None) for _ in [0] if outside)]:
        if d is None:  # raters of no department (服务对象): the departments their tokens name
            for (target, g), n in outside.items():
                n = int(rng.binomial(n, response_rate))
                shift = item_shift + (effects.shifts(target, "peer_outside", n_items) if effects else 0.0)
                sheets += _rate(rng, inst, overall_values, "peer", NO_DEPARTMENT, target, n, _dept_level(target),
                                0.1, 0.15, shift, 0.6, [g] * n)
            continue
        level = _dept_level(code)
        if rnd["previous"]:
            drift = max(0.0, rng.normal(0.35, 0.25))
            level -= effects.level.get(code, drift) if effects else drift
        rate = float(np.clip(rng.normal(response_rate, 0.08), 0.05, 1.0))
        if rng.random() < 0.12:
            rate *= 0.35  # a lagging department
        party_share = (d["party_members"] / d["headcount"]) if d["party_members"] is not None else 0.6
        plans = [("self", code, int(rng.binomial(d["headcount"], rate)), -0.5, 0.04),
                 ("peer", code, int(rng.binomial(d["headcount"], rate)), 0.0, 0.06)]
        levels[code], peer_raters[code] = level, plans[1][2]
        for target in (d["peer_targets"] or "").split():
            plans.append(("peer", target, int(rng.binomial(max(2, d["headcount"] // 2), rate)), 0.2, 0.18))
        for kind, target, n, bias, p_dont_know in plans:
            t_level = _dept_level(target) if target != code else level
            view = view_of(kind, code, target)
            shift = item_shift + (effects.shifts(target, view, n_items) if effects else 0.0)
            groups = _draw_groups(grng, pools, names, kind, code, target, n)
            sheets += _rate(rng, inst, overall_values, kind, code, target, n, t_level, bias, p_dont_know, shift,
                            party_share, groups)
    shift = {(t, i): x for (t, v, i), x in (effects.items.items() if effects else ()) if v == OUTSIDE}
    dim_shift = {t: np.array([np.mean([item_shift[it.number - 1] + shift.get((t, it.number), 0.0) for it in dim.items])
                              for dim in inst.dimensions]) for t in depts}
    sheets += table_sheets(depts, outside_mode(rnd), peer_raters, levels, dim_shift, overall_values,
                           np.random.default_rng([seed, 21]))  # its own stream, apart from the groups'
    return sheets


def table_sheets(depts: dict, mode: str, raters: dict[str, int], levels: dict[str, float],
                 dim_shift: dict[str, np.ndarray], overall_values: list[str], rng) -> list[Sheet]:
    """The 民主测评 table rows of ``raters[code]`` respondents of each department, about every department
    on their table under ``mode``: per department rated, one rating per dimension heading on the item
    scale around the rated department's level (``levels``, shifted per dimension by ``dim_shift``), and
    the overall rating. A rater knows a department of their own division better: 不了解 for a whole
    department 8% of the time there, 20% elsewhere, and for a single dimension 6%."""
    out: list[Sheet] = []
    for code, d in depts.items():
        targets = table_targets(mode, code, depts)
        if not targets:
            continue
        party_share = (d["party_members"] / d["headcount"]) if d["party_members"] is not None else 0.6
        for _ in range(raters.get(code, 0)):
            person = rng.normal(0, 0.45)
            u = rng.random()
            category = "党员" if u < party_share * 0.9 else ("非党员" if u < 0.9 else None)
            for target in targets:
                same = d["division"] is not None and d["division"] == depts[target]["division"]
                if rng.random() < (0.08 if same else 0.20):
                    out.append(Sheet("peer", code, target, {i + 1: None for i in range(len(dim_shift[target]))},
                                     category, None, form=TABLE_FORM))
                    continue
                raw = levels[target] + 0.2 + person + dim_shift[target] + rng.normal(0, 0.6, len(dim_shift[target]))
                vals = np.clip(np.rint(raw), 1, 5).astype(int)
                dont_know = rng.random(len(vals)) < 0.06
                score = float(np.mean(vals)) + rng.normal(0, 0.4)
                overall = overall_values[int(np.clip(np.floor(score - 0.6), 0, 3))]
                out.append(Sheet("peer", code, target, {i + 1: (None if dk else int(v))
                                                        for i, (v, dk) in enumerate(zip(vals, dont_know))},
                                 category, overall, form=TABLE_FORM))
    return out




def _rate(rng, inst, overall_values, kind, code, target, n, t_level, bias, p_dont_know, shift, party_share,
          groups) -> list[Sheet]:
    """``n`` simulated sheets of one scope, the i-th of rater group ``groups[i]``."""
    n_items = len(inst.items)
    out = []
    for i in range(n):
        person = rng.normal(0, 0.45)
        raw = t_level + bias + person + shift + rng.normal(0, 0.6, n_items)
        vals = np.clip(np.rint(raw), 1, 5).astype(int)
        if rng.random() < 0.03:
            vals[:] = 1 if kind == "self" else int(rng.integers(1, 6))
            dont_know = np.zeros(n_items, bool)
        else:
            dont_know = rng.random(n_items) < p_dont_know
        answers = {it.number: (None if dk else int(v)) for it, v, dk in zip(inst.items, vals, dont_know)}
        overall = None
        if kind == "peer" and rng.random() > 0.04:
            score = float(np.mean(vals)) + rng.normal(0, 0.4)
            overall = overall_values[int(np.clip(np.floor(score - 0.6), 0, 3))]
        u = rng.random()
        category = "党员" if u < party_share * 0.9 else ("非党员" if u < 0.9 else None)
        comment = COMMENTS[int(rng.integers(len(COMMENTS)))]
        out.append(Sheet(kind, code, target, answers, category, overall, comment, group=groups[i]))
    return out


def _group_pools(engine: Engine, round_code: str) -> dict[tuple, int]:
    """Tokens issued with a rater group, per (kind, rater, target, group)."""
    from .collect.tokens import token_counts

    return {(r["kind"], r["rater"], r["target"], r["group"]): r["issued"] for r in token_counts(engine, round_code)
            if r["group"]}


def _batch_pools(batches: list, depts: dict) -> dict[tuple, int]:
    """The tokens a list of batches would be issued, per (kind, rater, target, group)."""
    from .collect.tokens import batch_plan

    return batch_plan(batches, depts, None)


def _draw_groups(rng, pools: dict, names: list[str], kind: str, rater: str, target: str, n: int) -> list:
    """The groups of ``n`` sheets of one scope: drawn without replacement from its tokens' groups (the
    sheets beyond them get none), or at random from ``names`` when no grouped token was issued."""
    if not names:
        return [None] * n
    if not pools:
        return list(rng.choice(names, n)) if n else []
    pool = [g for (k, r, t, g), c in sorted(pools.items()) if (k, r, t) == (kind, rater, target) for _ in range(c)]
    drawn = [str(g) for g in rng.permutation(pool)[:n]] if pool else []
    return drawn + [None] * (n - len(drawn))


def simulate(engine: Engine, round_code: str, *, seed: int = 1, response_rate: float = 0.85,
             effects: Effects | None = None, batches: list | None = None) -> int:
    """Simulate and store a round's responses in one transaction; return how many sheets."""
    sheets = simulate_sheets(engine, round_code, seed=seed, response_rate=response_rate, effects=effects,
                             batches=batches)
    return store_sheets(engine, round_code, sheets, source="simulate")
