"""The coverage and error-rate study of ``bench/bench_study.py`` in its fast mode: its own latent-normal
generator (not ``zuofeng.simulate``), the rates it prints checked within tolerances that its replicate
counts allow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_study.py"


@pytest.fixture(scope="module")
def results():
    spec = importlib.util.spec_from_file_location("bench_study", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.study(sizes=(8, 12, 20, 50), n_depts=60, reps=3, seed=26)
    print(mod.report(res))
    return mod, res


def test_the_generator_is_independent_of_the_scorers_simulator():
    text = BENCH.read_text(encoding="utf-8")
    assert "zuofeng.simulate" not in text.replace("independent of ``zuofeng.simulate``", "")
    assert "zuofeng.score.synthetic" not in text


def test_red_line_false_alerts_at_a_true_share_of_2_percent(results):
    _, res = results
    for r in res:  # 180 departments per n: 5% would show as ≥ 9; the rule's bound is below 3.4%
        assert r["false_alert"] <= 0.05, r["n"]


def test_null_round_labels_per_kind(results):
    _, res = results
    for r in res:
        for kind, (overall, any_dim, gap) in r["labels"].items():
            assert overall <= 0.05 and gap <= 0.05, (r["n"], kind)
            assert any_dim <= 0.10, (r["n"], kind)   # any of 5 dimensions, each family BH-controlled


def test_power_of_a_half_sd_change_grows_with_n(results):
    _, res = results
    by_n = {r["n"]: r["power"] for r in res}
    for view in ("self", "peer_inside", "peer_outside"):
        assert by_n[50][view] > by_n[8][view] + 0.2, view
        assert by_n[50][view] >= 0.3, view


def test_index_coverage_per_n(results):
    _, res = results
    for r in res:  # 540 department intervals per n: 95% ± 2.8 points (3 standard errors)
        assert 0.92 <= r["coverage"]["department"] <= 0.98, r["n"]
