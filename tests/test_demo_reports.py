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
