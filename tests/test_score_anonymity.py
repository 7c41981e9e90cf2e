"""Anonymity of the scores: the subtraction attack on every published count and sum, no suppressed
figure anywhere, and the invariances (indices in 0–100, the order of sheets never matters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from zuofeng.frames import departments_frame, responses_frame
from zuofeng.instrument import load_instrument
from zuofeng.score import score_frames, score_round
from zuofeng.simulate import simulate

VIEWS = ["self", "peer_inside", "peer_outside"]
KINDS = VIEWS + ["all"]
INST = load_instrument()


def attack(known: dict, units: list[str], structural_zero: tuple = ()) -> set:
    """The subtraction attack: along every sum identity of the published table — the organisation is
    the sum of its departments, a unit's ``all`` the sum of its views — solve any identity that has
    a single unknown, and repeat until nothing more comes out. Returns the cells recovered."""
    known = dict(known)
    for u in units:
        for v in structural_zero:
            known[(u, v)] = 0.0
    rels = [(("ALL", k), [(d, k) for d in units if d != "ALL"]) for k in KINDS]
    rels += [((u, "all"), [(u, v) for v in VIEWS]) for u in units]
    recovered, changed = set(), True
    while changed:
        changed = False
        for parent, kids in rels:
            cells = [parent, *kids]
            unknown = [c for c in cells if c not in known]
            if len(unknown) == 1:
                c = unknown[0]
                rest = sum(known[x] for x in kids if x != c)
                known[c] = known[parent] - rest if c != parent else rest
                recovered.add(c)
                changed = True
    return recovered


def measures(scores) -> list[tuple[str, dict, tuple]]:
    """Published additive figures: counts, and sums (mean × n) per level and key."""
    t = scores.table
    out = []
    pub = t[~t["suppressed"]]
    resp = pub[pub["statistic"] == "respondents"]
    out.append(("respondents", {(r.department, r.kind): r.value for r in resp.itertuples()}, ()))
    for (level, key), part in pub[pub["statistic"] == "mean"].groupby(["level", "key"]):
        out.append((f"{level}:{key}:n", {(r.department, r.kind): float(r.n) for r in part.itertuples()}, ()))
        out.append((f"{level}:{key}:sum", {(r.department, r.kind): r.value * r.n for r in part.itertuples()}, ()))
    sat = pub[pub["statistic"] == "satisfaction"]
    out.append(("votes", {(r.department, r.kind): float(r.n) for r in sat.itertuples()}, ("self",)))
    out.append(("satisfied", {(r.department, r.kind): r.value * r.n for r in sat.itertuples()}, ("self",)))
    return out


def assert_nothing_recoverable(scores):
    units = ["ALL", *scores.departments["code"]]
    hidden = set(zip(*[scores.table.loc[scores.table["suppressed"], c] for c in ("department", "kind")]))
    assert hidden, "the scenario should suppress something"
    for name, known, zeros in measures(scores):
        got = attack(known, units, zeros)
        assert not got, f"{name}: recovered {sorted(got)}"


def assert_no_suppressed_figure(scores):
    t = scores.table
    sup = t[t["suppressed"]]
    assert sup[["value", "ci_low", "ci_high"]].isna().all().all() and sup["n"].isna().all()
    assert sup["note"].str.startswith("已抑制").all()
    group = t[(t["statistic"] == "respondents")]
    hidden = set(zip(group.loc[group["suppressed"], "department"], group.loc[group["suppressed"], "kind"]))
    for frame in (scores.problems, scores.quality, scores.comments):
        assert not set(zip(frame["department"], frame["kind"])) & hidden
    ranked = t[t["statistic"].isin(["rank", "rank_low", "rank_high", "bottom"])]
    assert not set(zip(ranked["department"], ranked["kind"])) & hidden
    assert scores.suppression["n"].isna().all()
    listed = set(zip(scores.suppression["department"], scores.suppression["kind"]))
    assert hidden <= listed


def test_simulated_round_in_the_store(open_round):
    engine, rnd = open_round
    simulate(engine, rnd, seed=5)
    scores = score_round(engine, rnd, seed=1, n_boot=200)
    assert_nothing_recoverable(scores)
    assert_no_suppressed_figure(scores)
    # the same frames, scored purely, give the same table
    with engine.connect() as conn:
        from zuofeng.store import get_round
        info = get_round(conn, rnd)
    again = score_frames(responses_frame(engine, rnd), departments_frame(engine, rnd), info, INST, seed=1, n_boot=200)
    pd.testing.assert_frame_equal(scores.table, again.table)


def random_round(seed: int, n_depts: int, big: int, small: int, outside: float, divisions: bool):
    """Answer sheets built here: departments of mixed sizes, some below k."""
    rng = np.random.default_rng(seed)
    codes = [f"B{i}" for i in range(n_depts)]
    sizes = rng.integers(small, big + 1, (n_depts, 3))
    sizes[:, 2] = (sizes[:, 2] * outside).astype(int)
    rows = []
    for i, code in enumerate(codes):
        for j, view in enumerate(VIEWS):
            for _ in range(sizes[i, j]):
                level = rng.uniform(1.3, 3.5)
                vals = np.clip(np.rint(level + rng.normal(0, 0.8, 22)), 1, 5)
                vals[rng.random(22) < 0.1] = np.nan
                vote = None if view == "self" or rng.random() < 0.1 else str(rng.choice(["好", "较好", "一般", "差"]))
                cat = rng.choice(["党员", "非党员", None])
                rows.append([view, code, cat, vote, "意见" if rng.random() < 0.3 else None, bool(rng.random() < 0.05),
                             *vals])
    resp = pd.DataFrame(rows, columns=["view", "department", "category", "overall", "comment", "too_fast",
                                       *INST.item_keys])
    depts = pd.DataFrame({"code": codes, "name": codes, "unit_type": "机关部室",
                          "headcount": sizes[:, 0] + rng.integers(0, 4, n_depts),
                          "division": [("甲" if i % 2 else "乙") if divisions else None for i in range(n_depts)]})
    info = {"code": "H1", "title": "t", "k_min": 5, "k_comment": 10,
            "eval_scores": {"好": 100, "较好": 80, "一般": 60, "差": 40}, "group_weights": None}
    return resp, depts, info


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_depts=st.integers(2, 7), big=st.integers(5, 16), small=st.integers(0, 4),
       outside=st.sampled_from([0.0, 0.5, 1.0]), divisions=st.booleans())
def test_property_subtraction_attack_recovers_nothing(seed, n_depts, big, small, outside, divisions):
    resp, depts, info = random_round(seed, n_depts, big, small, outside, divisions)
    scores = score_frames(resp, depts, info, INST, seed=1, n_boot=100)
    t = scores.table
    if t["suppressed"].any():
        assert_nothing_recoverable(scores)
    assert_no_suppressed_figure_if_any(scores)
    ix = t[(t["statistic"] == "index") & ~t["suppressed"]]
    for col in ("value", "ci_low", "ci_high"):
        v = ix[col].dropna()
        assert ((v >= 0) & (v <= 100)).all()


def assert_no_suppressed_figure_if_any(scores):
    if scores.table["suppressed"].any():
        assert_no_suppressed_figure(scores)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), order=st.integers(0, 10_000))
@example(seed=345, order=0)  # two departments with equal means: MSB is 0, not rounding noise
def test_property_permuting_respondents_changes_nothing(seed, order):
    resp, depts, info = random_round(seed, 4, 14, 2, 0.5, False)
    a = score_frames(resp, depts, info, INST, seed=3, n_boot=100)
    shuffled = resp.sample(frac=1.0, random_state=order).reset_index(drop=True)
    b = score_frames(shuffled, depts, info, INST, seed=3, n_boot=100)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-9, atol=1e-9)
    for name in ("problems", "quality", "comments", "suppression"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=False, rtol=1e-9)


def test_the_attack_finds_a_leak_when_there_is_one():
    """The attack above can fail: publish every department but one, and that one comes out."""
    known = {("ALL", "self"): 30.0, ("A", "self"): 12.0, ("B", "self"): 15.0}
    assert attack(known, ["ALL", "A", "B", "C"]) >= {("C", "self")}
