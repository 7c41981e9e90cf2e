"""What `make demo` shows: every department's page of its final round has a chart of its own."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from zuofeng.demo import FINAL, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, progress=False)
    return out / FINAL[0]


@pytest.mark.slow
def test_every_department_page_of_the_demo_has_a_chart(demo):
    import pandas as pd

    from zuofeng.demo import demo_roster

    codes = [str(c) for c in pd.read_csv(demo_roster())["code"]]
    pages = {p.stem: p for p in (demo / "departments").glob("*.html")}
    assert set(codes) <= set(pages), set(codes) - set(pages)   # a page for every department of the roster
    without = []
    for code in codes:
        page = BeautifulSoup(pages[code].read_text(encoding="utf-8"), "html.parser")
        charts = [img for img in page.find_all("img") if (img.get("src") or "").startswith("data:image/")]
        charts += page.find_all("svg")
        if not charts:
            without.append(code)
    assert without == [], f"department pages without a chart: {without}"


@pytest.mark.slow
def test_the_demo_shows_organisation_wide_outside_views_rater_groups_and_why_figures_are_hidden(demo):
    """The demo is 民主测评 of the whole organisation with rater groups: the overview's heat map shows a
    small unit's outside index where its combined one is hidden, every hidden figure there says why, and
    the department pages show the rater groups and the 民主测评 table's share of the outside view."""
    overview = BeautifulSoup((demo / "overview.html").read_text(encoding="utf-8"), "html.parser")
    marked = overview.select('td.outside[data-kind="peer_outside"][data-stands-for="all"]')
    assert marked and all(td.get_text().endswith("（民主测评）") for td in marked)
    assert "已抑制" not in [el.get_text().strip() for el in overview.find_all(["td", "div"])]
    assert all(td.get_text().startswith("已抑制：") for td in overview.select("td.suppressed"))
    pages = [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
             for p in sorted((demo / "departments").glob("*.html"))]
    assert any(p.find(string="按测评人员类别") for p in pages)
    import re
    rated = [p for p in pages if re.search(r"民主测评表 [1-9]\d* 份", p.get_text())]   # the outside sources line
    assert len(rated) == len(pages)
