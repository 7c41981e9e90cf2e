"""The differencing attacker of ``tests/attack_support.py`` against the published tables: the demo's two
rounds and a 10-department organisation in two divisions over two rounds. It recovers no hidden cell
(its mean, its count of 4–5 ratings, its rate, or a unanimous answer); without the scorer's protection
of remainders (step 4 of ``suppress_figures``) it recovers many, so it is able to fail.
"""

from __future__ import annotations

import pandas as pd
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


@pytest.fixture(scope="module")
def campaign_round(tmp_path_factory):
    """The report tests' round F1: small departments whose self sheets (lenient, few 4–5 ratings) fall
    under k, so the organisation minus the published departments leaves remainders without a 4–5."""
    from tests.report_support import build_campaign
    from zuofeng.report.scores_source import score_for_report

    url = build_campaign(tmp_path_factory.mktemp("campaign"))
    return score_for_report(url, "F1", seed=1)


def _org_self_means_published(table) -> int:
    org = table[(table["department"] == "ALL") & (table["level"] == "item") & (table["kind"] == "self")
                & (table["statistic"] == "mean")]
    return int((~org["suppressed"].astype(bool)).sum())


def test_the_organisation_keeps_its_item_means_and_withholds_only_the_rates_that_give_cells_away(
        campaign_round, tmp_path, monkeypatch):
    """Hiding the organisation's item figure for a remainder in which nobody rated 4–5 hid every one of
    its self item figures on this round; withholding only its count of 4–5 keeps many of the means."""
    t = campaign_round.table
    org = t[(t["department"] == "ALL") & (t["level"] == "item") & (t["kind"] == "self")]
    mean = org[org["statistic"] == "mean"].set_index("key")["suppressed"].astype(bool)
    rate = org[org["statistic"] == "problem_rate"].set_index("key")
    withheld = [key for key in mean.index if not mean[key] and bool(rate.loc[key, "suppressed"])]
    assert withheld, "no rate withheld: the round no longer tests the rule"
    # the same round scored without withholding rates: the organisation's figures themselves go
    from tests.report_support import build_campaign
    from zuofeng.report.scores_source import score_for_report
    from zuofeng.score import suppress

    plain = suppress._content_leaks
    monkeypatch.setattr(suppress, "_content_leaks", lambda *a: plain(*a[:5]))   # no rates
    before = score_for_report(build_campaign(tmp_path), "F1", seed=1)
    assert _org_self_means_published(t) >= _org_self_means_published(before.table) + len(mean) // 4, (
        _org_self_means_published(t), _org_self_means_published(before.table))
    k = campaign_round.meta["k_min"]
    for key in withheld:
        row = rate.loc[key]
        assert pd.isna(row["value"]) and f"不足{k}份" in row["note"], key
        red = t[(t["department"] == "ALL") & (t["level"] == "item") & (t["key"] == key)
                & t["statistic"].isin(["red_line_share", "red_line_alert"])]
        assert red["suppressed"].astype(bool).all(), key
    # the composite's rate would give the view's back: withheld with it wherever its mean is published
    org_all = t[(t["department"] == "ALL") & (t["level"] == "item") & (t["kind"] == "all")].set_index(["key", "statistic"])
    for key in withheld:
        if not bool(org_all.loc[(key, "mean"), "suppressed"]):
            assert bool(org_all.loc[(key, "problem_rate"), "suppressed"]), key


def test_the_withheld_rates_give_away_no_hidden_cell(campaign_round):
    assert campaign_round.table["suppressed"].sum() > 100
    assert attack(campaign_round) == set()
