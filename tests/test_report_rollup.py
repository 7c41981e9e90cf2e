"""The report pages of a department hidden below k: the pool's figures and chart, and the ballot flag."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.rollup_support import pooled_round as _round
from zuofeng.report.department import DepartmentReport
from zuofeng.report.findings import main_findings
from zuofeng.report.view import ScoreView
from zuofeng.score import score_frames


@pytest.fixture(scope="module")
def scores():
    rnd = _round()
    s = score_frames(rnd.responses, rnd.departments, rnd.round_info, rnd.instrument, seed=1, n_boot=100)
    s.meta["coverage_gaps"] = [{"department": "D003", "kind": "self", "rater": "D003", "flags": ["收回多于发出"]}]
    return s


def test_a_hidden_department_page_shows_its_pool_figure_and_chart(scores):
    v = ScoreView(scores)
    page = DepartmentReport(v, "D002")
    dims = BeautifulSoup(page.dimensions().html, "html.parser")
    assert dims.find("img") is not None, "no chart on the page of a department hidden below k"
    assert "“甲”归口合并" in dims.get_text()
    overall = BeautifulSoup(page.overall().html, "html.parser")
    pool = scores.table.query("department == 'div:甲' and kind == 'self' and level == 'overall' and "
                              "statistic == 'index'").iloc[0]
    row = next(tr for tr in overall.find_all("tr") if "“甲”归口合并·自评" in tr.get_text())
    assert f"{pool['value']:.1f}" in row.get_text()
    assert "本部门自评" in overall.get_text() and "不单独公布" in overall.get_text()


def test_a_department_with_its_own_figures_shows_no_pool(scores):
    v = ScoreView(scores)
    own = [k for k in ("self", "peer_inside") if not scores.table.query(
        f"department == 'D006' and kind == '{k}' and level == 'overall' and statistic == 'index'")["suppressed"].iat[0]]
    assert own   # D006 is in no division: it has no pool to show
    assert "归口合并" not in DepartmentReport(v, "D006").overall().html


def test_more_ballots_returned_than_issued_is_flagged_on_the_page_and_in_the_overview(scores):
    v = ScoreView(scores)
    cov = BeautifulSoup(DepartmentReport(v, "D003").coverage().html, "html.parser").get_text()
    assert "收回多于发出（计票无效）" in cov
    name = scores.departments.set_index("code").loc["D003", "name"]
    assert any(f"{name} 收回的答卷多于发出的答卷" in s for s in main_findings(v))
