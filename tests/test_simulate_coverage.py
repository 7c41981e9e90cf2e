"""Synthetic rounds look like real ones; coverage counts what was stored and flags every gap."""

from __future__ import annotations

import numpy as np
import pytest

from zuofeng.coverage import coverage
from zuofeng.errors import ZuofengError
from zuofeng.frames import responses_frame
from zuofeng.simulate import simulate, simulate_sheets
from zuofeng.store import Sheet, store_sheets

ITEMS = [f"q{i:02d}" for i in range(1, 23)]


def _content(sheets):
    return sorted(repr((s.kind, s.rater, s.target, sorted(s.answers.items()), s.category, s.overall, s.comment))
                  for s in sheets)


def test_same_seed_same_data(open_round):
    engine, rnd = open_round
    a = simulate_sheets(engine, rnd, seed=3)
    b = simulate_sheets(engine, rnd, seed=3)
    c = simulate_sheets(engine, rnd, seed=4)
    assert _content(a) == _content(b)
    assert _content(a) != _content(c)


def test_simulated_round_is_realistic(open_round):
    engine, rnd = open_round
    n = simulate(engine, rnd, seed=1)
    df = responses_frame(engine, rnd)
    assert len(df) == n > 50
    assert set(df["source"]) == {"simulate"}
    assert set(df["view"]) == {"self", "peer_inside", "peer_outside"}
    items = df[df["form"] == "items"]  # the 22-item sheets (the 民主测评 table rows have no item answers)
    ratings = items[ITEMS]
    # self ratings are rosier (fewer problems, lower values) than peer ratings
    assert ratings[items["kind"] == "self"].stack().mean() < ratings[items["kind"] == "peer"].stack().mean() - 0.2
    # some 不了解, but not most
    share_missing = ratings.isna().to_numpy().mean()
    assert 0.005 < share_missing < 0.2
    # departments differ
    dept_means = ratings.mean(axis=1).groupby(items["department"]).mean()
    assert dept_means.max() - dept_means.min() > 0.2
    # every peer overall rating is a valid value or blank; self sheets carry none
    assert set(df.loc[df["kind"] == "peer", "overall"].dropna()) <= {"好", "较好", "一般", "差"}
    assert df.loc[df["kind"] == "self", "overall"].isna().all()


def test_bigger_round_has_straight_liners_and_groups_under_k(engine, tmp_path):
    from zuofeng.rounds import create_round, set_status
    roster = tmp_path / "r.csv"
    lines = ["code,name,unit_type,headcount"] + [f"D{i:02d},部门{i},机关部室,{3 + (i * 7) % 30}" for i in range(30)]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    create_round(engine, "R1", title="t", roster=roster)
    set_status(engine, "R1", "open")
    simulate(engine, "R1", seed=2)
    df = responses_frame(engine, "R1")
    full = df[ITEMS].dropna()
    straight = (full.nunique(axis=1) == 1).sum()
    assert 0 < straight < 0.15 * len(full)
    per_group = df.groupby(["department", "view"]).size()
    assert (per_group < 5).any() and (per_group >= 5).any()


def test_bad_response_rate():
    with pytest.raises(ZuofengError, match="--response-rate 必须在") as e:
        simulate_sheets(None, "R1", response_rate=1.5)
    assert e.value.en == "--response-rate must be in (0, 1], not 1.5"


def _sheet(kind, rater, target, category=None):
    return Sheet(kind, rater, target, {i: 2 for i in range(1, 23)}, category=category)


def test_coverage_counts_and_flags(open_round):
    engine, rnd = open_round
    sheets = (
        [_sheet("self", "BGS", "BGS", "党员")] * 9 + [_sheet("self", "BGS", "BGS", "非党员")] * 3  # 12/12
        + [_sheet("peer", "BGS", "BGS", "党员")] * 6                                             # 6/12, no 非党员
        + [_sheet("self", "ZX", "ZX")] * 2                                                     # 2/4: under k
        + [_sheet("peer", "KPB", "BGS")] * 4                                                  # outside view
    )
    store_sheets(engine, rnd, sheets)
    cov = coverage(engine, rnd)
    rows = {(r["department"], r["view"]): r for r in cov["departments"]}
    assert (rows["BGS", "self"]["responses"], rows["BGS", "self"]["flags"]) == (12, [])
    assert rows["BGS", "self"]["coverage"] == pytest.approx(1.0)
    assert rows["BGS", "peer_inside"]["responses"] == 6
    assert rows["BGS", "peer_inside"]["flags"] == ["未全覆盖", "非党员未覆盖"]
    assert rows["ZX", "self"]["flags"] == ["低于k", "未全覆盖", "党员未覆盖", "非党员未覆盖"]
    assert rows["XHB", "self"]["flags"][0] == "盲区"
    assert rows["KPB", "peer_inside"]["responses"] == 0  # outside-view sheets do not count as inside coverage
    assert cov["peer_outside_received"] == {"BGS": 4}
    assert cov["summary"]["self"] == {"responses": 14, "headcount": 59, "coverage": pytest.approx(14 / 59)}
    assert len(cov["gaps"]) == 10 - 1  # every department × kind row but BGS self


def test_frame_is_wide_with_nan_for_dont_know(open_round):
    engine, rnd = open_round
    ans = {i: (None if i == 7 else 1 + i % 5) for i in range(1, 23)}
    store_sheets(engine, rnd, [Sheet("peer", "KPB", "BGS", ans, overall="好")])
    df = responses_frame(engine, rnd)
    row = df.iloc[0]
    assert (row["view"], row["department"], row["overall"]) == ("peer_outside", "BGS", "好")
    assert np.isnan(row["q07"]) and row["q08"] == 1 + 8 % 5
    assert list(df.columns[-27:-5]) == ITEMS  # then the 民主测评 table's five dimension columns
    assert list(df.columns[-5:]) == ["t:一", "t:二", "t:三", "t:四", "t:五"] and df[df.columns[-5:]].isna().all(axis=None)
