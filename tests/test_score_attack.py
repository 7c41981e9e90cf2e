"""The differencing attacker of ``tests/attack_support.py`` against the published tables: the demo's two
rounds and a 10-department organisation in two divisions over two rounds. It recovers no hidden cell
(its mean, its count of 4–5 ratings, its rate, or a unanimous answer); without the scorer's protection
of remainders (step 4 of ``suppress_figures``) it recovers many, so it is able to fail.
"""

from __future__ import annotations

import pytest

from tests.attack_support import attack, under_k
from zuofeng.score import core, score_frames
from zuofeng.score.synthetic import synthetic_round

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from zuofeng.demo import BASELINE, FINAL, build_demo_store
    from zuofeng.score import score_round
    from zuofeng.store import open_engine

    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('attack') / 'demo.db'}")
    build_demo_store(engine, seed=1)
    return [score_round(engine, code, seed=1, n_boot=1000) for code in (BASELINE[0], FINAL[0])]


def organisation(protect: bool = True, monkeypatch=None):
    prev = synthetic_round(10, 150, seed=21, code="T0", divisions=2)
    cur = synthetic_round(10, 150, seed=22, code="T1", previous="T0", improvement=0.2, divisions=2)
    if not protect:
        monkeypatch.setattr(core, "answer_contents", lambda prep, sums: None)
    return score_frames(cur.responses, cur.departments, cur.round_info, cur.instrument, previous=prev, seed=1,
                        n_boot=200)


def test_the_demo_rounds_give_away_no_hidden_cell(demo):
    for scores in demo:
        hidden = scores.table["suppressed"].sum()
        assert hidden > 100                    # plenty to attack
        assert attack(scores) == set(), scores.meta["round"]


def test_a_ten_department_organisation_gives_away_no_hidden_cell():
    scores = organisation()
    k = scores.meta["k_min"]
    counts = scores.rows(statistic="respondents", level="overall")
    assert (counts["value"].between(1, k - 1)).sum() >= 3   # groups under k to protect
    assert "div:片区1" in set(scores.table["department"])
    assert attack(scores) == set()


def test_without_protecting_remainders_the_attacker_recovers_cells_under_k(monkeypatch):
    scores = organisation(protect=False, monkeypatch=monkeypatch)
    recovered = attack(scores)
    assert len(under_k(scores, recovered)) >= 5, len(recovered)
