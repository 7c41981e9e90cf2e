"""Synthetic round frames built directly (no store), for benchmarks, property tests and notebooks.

The frames have exactly the columns of :func:`zuofeng.frames.responses_frame` and
:func:`zuofeng.frames.departments_frame`. Every respondent answers a self sheet and an inside-view
peer sheet; a share of them also rate one other department (outside view) on the 22 items, and with
``table="division"`` every respondent also rates every other department of its division on the 民主测评
table (organisation-wide 互评 within each division). Departments differ in
their problem level, items in their prevalence; there are 不了解 answers, blank categories,
straight-lined and too-fast sheets. Same arguments, same frames.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..axes import TABLE_FORM, table_column
from ..instrument import Instrument, load_instrument
from .core import RoundData

VOTES = ("好", "较好", "一般", "差")


def synthetic_round(n_departments: int = 20, respondents: int = 2000, *, seed: int = 0, code: str = "S1",
                    previous: str | None = None, improvement: float = 0.0, outside_share: float = 0.3,
                    divisions: int = 0, table: str | None = None, k_min: int = 5,
                    instrument: Instrument | None = None) -> RoundData:
    """A round of ``respondents`` people in ``n_departments`` departments (sizes vary, at least 2).

    ``improvement`` lowers every problem rating by that many scale points (a later round);
    ``divisions`` > 0 groups departments into that many divisions; ``table="division"`` (with divisions)
    adds a 民主测评 table row (form ``table``: an overall vote and a 1–5 rating per dimension, ``t:<dimension>``)
    from every respondent for every other department of its division.

    Examples
    --------
    >>> r = synthetic_round(5, 200, seed=1)
    >>> len(r.departments), r.responses["view"].value_counts().to_dict()["self"]
    (5, 200)
    """
    inst = instrument or load_instrument()
    keys = list(inst.item_keys)
    rng = np.random.default_rng(seed)
    shares = rng.lognormal(0.0, 0.8, n_departments)
    shares[rng.random(n_departments) < 0.08] *= 0.02  # a few very small departments, some under k
    sizes = np.maximum(2, np.floor(shares / shares.sum() * respondents)).astype(int)
    sizes[np.argmax(sizes)] += respondents - sizes.sum()
    codes = [f"D{i + 1:03d}" for i in range(n_departments)]
    level = np.random.default_rng(1000 + n_departments).normal(2.3, 0.45, n_departments) - improvement
    item_shift = np.random.default_rng(7).normal(0, 0.35, len(keys))
    item_shift[[i for i, it in enumerate(inst.items) if it.red_line]] -= 0.9
    departments = pd.DataFrame({
        "code": codes, "name": [f"部门{i + 1}" for i in range(n_departments)],
        "unit_type": rng.choice(["机关部室", "事业单位", "中心"], n_departments),
        "headcount": (sizes * rng.uniform(1.0, 1.3, n_departments)).astype(int) + 1,
        "party_members": None, "division": None, "peer_targets": None,
    })
    departments["party_members"] = (departments["headcount"] * 0.6).astype(int)
    if divisions:
        departments["division"] = [f"片区{i % divisions + 1}" for i in range(n_departments)]

    person_dept = np.repeat(np.arange(n_departments), sizes)
    n = len(person_dept)
    outside = rng.random(n) < outside_share
    other = (person_dept + rng.integers(1, max(2, n_departments), n)) % n_departments
    kinds = [("self", person_dept, person_dept, -0.5, 0.04),
             ("peer", person_dept, person_dept, 0.0, 0.06),
             ("peer", person_dept[outside], other[outside], 0.2, 0.18)]
    frames = []
    for kind, rater, target, bias, p_dk in kinds:
        m = len(rater)
        raw = (level[target][:, None] + bias + rng.normal(0, 0.45, (m, 1)) + item_shift
               + rng.normal(0, 0.6, (m, len(keys))))
        vals = np.clip(np.rint(raw), 1, 5)
        straight = rng.random(m) < 0.03
        vals[straight] = np.where(kind == "self", 1, rng.integers(1, 6, straight.sum()))[:, None]
        vals[(rng.random((m, len(keys))) < p_dk) & ~straight[:, None]] = np.nan
        vote = None
        if kind == "peer":
            vote = _votes(rng, vals, blank=0.04)
        u = rng.random(m)
        df = pd.DataFrame(vals, columns=keys)
        df.insert(0, "too_fast", np.where(rng.random(m) < 0.02, True, None))
        df.insert(0, "source", "simulate")
        df.insert(0, "submitted_on", dt.date(2022, 6, 1))
        df.insert(0, "comment", np.where(rng.random(m) < 0.15, "建议减少会议，提高效率。", None))
        df.insert(0, "overall", vote)
        df.insert(0, "category", _categories(u))
        df.insert(0, "department", np.array(codes, dtype=object)[target])
        view = "self" if kind == "self" else np.where(rater == target, "peer_inside", "peer_outside")
        df.insert(0, "view", view)
        df.insert(0, "target", np.array(codes, dtype=object)[target])
        df.insert(0, "rater", np.array(codes, dtype=object)[rater])
        df.insert(0, "kind", kind)
        df.insert(0, "round", code)
        frames.append(df)
    if table is not None:
        if table != "division" or not divisions:
            raise ValueError("table must be 'division', with divisions > 0")
        frames.append(_table_rows(rng, code, codes, person_dept, departments["division"].to_numpy(), level, inst))
    responses = pd.concat(frames, ignore_index=True)
    responses.insert(0, "response_id", [f"{i:032x}" for i in rng.permutation(len(responses))])
    responses = responses.sort_values("response_id", ignore_index=True)
    info = {"code": code, "title": f"合成测评 {code}", "k_min": k_min, "k_comment": max(10, k_min),
            "previous": previous, "eval_scores": {o.value: o.score for o in inst.overall_scale.options},
            "group_weights": None, "instrument_id": inst.id, "instrument_version": inst.version}
    return RoundData(responses, departments, info, inst)


def _votes(rng, vals, blank: float) -> np.ndarray:
    """The overall votes (好…差) that go with these ratings, a share ``blank`` of them left blank."""
    m = len(vals)
    score = np.nanmean(np.where(np.isnan(vals), 3, vals), axis=1) + rng.normal(0, 0.4, m)
    idx = np.clip(np.floor(score - 0.6), 0, 3).astype(int)
    return np.where(rng.random(m) > blank, np.array(VOTES, dtype=object)[idx], None)


def _categories(u: np.ndarray) -> np.ndarray:
    """党员 / 非党员 / blank from uniform draws: 55%, 35%, 10%."""
    return np.where(u < 0.55, "党员", np.where(u < 0.9, "非党员", None))


def _table_rows(rng, code, codes, person_dept, division, level, inst) -> pd.DataFrame:
    """One 民主测评 table row per respondent and other department of the respondent's division."""
    members = {d: np.flatnonzero(division == d) for d in np.unique(division)}
    # each of a department's people rates every other department of the division
    raters, targets = [], []
    for p in range(len(codes)):
        people = int((person_dept == p).sum())
        others = members[division[p]][members[division[p]] != p]
        raters.append(np.repeat(p, people * len(others)))
        targets.append(np.tile(others, people))
    rater, target = np.concatenate(raters), np.concatenate(targets)
    m, dims = len(rater), [d.id for d in inst.dimensions]
    raw = level[target][:, None] + 0.2 + rng.normal(0, 0.45, (m, 1)) + rng.normal(0, 0.5, (m, len(dims)))
    vals = np.clip(np.rint(raw), 1, 5)
    vals[rng.random((m, len(dims))) < 0.1] = np.nan   # 不了解: outsiders know less
    vote = _votes(rng, vals, blank=0.08)
    u = rng.random(m)
    names = np.array(codes, dtype=object)
    df = pd.DataFrame(vals, columns=[table_column(d) for d in dims])
    return df.assign(round=code, kind="peer", rater=names[rater], target=names[target], view="peer_outside",
                     department=names[target], category=_categories(u),
                     overall=vote, comment=None, submitted_on=dt.date(2022, 6, 1), source="simulate",
                     too_fast=None, form=TABLE_FORM)
