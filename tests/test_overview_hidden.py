"""The leading group's overview on an organisation-wide 民主测评 round: a department whose combined (all
raters) index is hidden shows its outside index in the heat map, marked as such; every hidden figure of
the overview says why, never the bare word 已抑制."""

from __future__ import annotations

import math

import pytest
from bs4 import BeautifulSoup

from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.simulate import simulate_sheets
from zuofeng.store import open_engine, store_sheets

ROSTER = ("code,name,unit_type,headcount,party_members,division,peer_targets\n"
          "BGS,办公室,机关部室,12,8,,\nKJG,科技馆,事业单位,14,8,,\nXSB,学会部,机关部室,11,7,,\n"
          "ZCG,驻村工作队,工作队,3,3,,\n")
SECTIONS = ("header", "heatmap", "coverage", "ranking", "trend", "reliability", "quality")


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overview")
    roster = folder / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    engine = open_engine(f"sqlite:///{folder / 'store.db'}")
    create_round(engine, "R", title="作风测评", roster=roster, outside="all")
    set_status(engine, "R", "open")
    store_sheets(engine, "R", simulate_sheets(engine, "R", seed=3, response_rate=1.0), source="simulate")
    set_status(engine, "R", "closed")
    result = score_round(engine, "R", seed=1)
    engine.dispose()
    return result


def overview(scores, lang):
    from zuofeng.report.overview import OverviewReport
    from zuofeng.report.view import ScoreView
    return OverviewReport(ScoreView(scores, lang))


def index_rows(table, kind):
    """(department, key) → the index row of ``kind`` (dimensions and overall), from the score table."""
    t = table[(table["kind"] == kind) & (table["statistic"] == "index") & table["level"].isin(["dimension", "overall"])]
    return {(r["department"], r["key"]): r for r in t.to_dict("records")}


def heat_cells(html):
    """(department code, column position) → the <td> of the heat map's table."""
    soup = BeautifulSoup(html, "html.parser")
    cells = {}
    for tr in soup.find("table").find("tbody").find_all("tr"):
        tds = tr.find_all("td")
        for j, td in enumerate(tds[2:]):
            cells[(tds[0].get_text(), j)] = td
    return soup, cells


def keys(table):
    dims = [k for k in table.loc[table["level"] == "dimension", "key"].drop_duplicates()]
    return dims + ["overall"]


def test_the_round_hides_a_combined_index_whose_outside_one_is_published(scores):
    """The premise: the small unit's (and its complementary neighbour's) combined index is hidden, their
    outside index published."""
    alls, outs = index_rows(scores.table, "all"), index_rows(scores.table, "peer_outside")
    hidden = {d for (d, k), r in alls.items() if k == "overall" and r["suppressed"] and d != "ALL"}
    assert "ZCG" in hidden and len(hidden) >= 2
    assert all(not outs[(d, "overall")]["suppressed"] for d in hidden)


@pytest.mark.parametrize("lang, mark", [("zh", "（民主测评）"), ("en", " (democratic evaluation)")])
def test_the_heat_map_shows_the_outside_index_where_the_combined_one_is_hidden(scores, lang, mark):
    """A hidden combined index shows the published outside one, marked; where that is hidden too, the
    cell says why: the score table's note (in English the same reason, with k)."""
    table = scores.table
    alls, outs = index_rows(table, "all"), index_rows(table, "peer_outside")
    soup, cells = heat_cells(overview(scores, lang).heatmap().html)
    substituted, reasons = 0, 0
    for (dept, j), td in cells.items():
        key = keys(table)[j]
        combined = alls[(dept, key)]
        if not combined["suppressed"]:
            assert td.get_text() == f"{combined['value']:.1f}", (dept, key)
            continue
        outside = outs[(dept, key)]
        if outside["suppressed"] or math.isnan(outside["value"]):
            assert "suppressed" in td["class"] and td["data-kind"] == "all", (dept, key)
            if lang == "zh":
                assert td.get_text() == combined["note"]
            else:
                what = "answer sheets" if "份答卷" in combined["note"] else "answers"
                assert td.get_text().startswith("suppressed: to protect anonymity, no figure resting on fewer than "
                                                f"{scores.meta.get('k_min', 5)} {what} ")
            reasons += 1
            continue
        assert td.get_text() == f"{outside['value']:.1f}{mark}", (dept, key)
        assert td["data-kind"] == "peer_outside" and td["data-dept"] == dept
        substituted += 1
    assert substituted >= len(keys(table)) + 2   # every column of one hidden department, most of the other's
    assert reasons >= 1                           # an outside figure of the small unit is hidden as well
    legend = " ".join(p.get_text() for p in soup.find_all("p", class_="legend"))
    assert mark.strip() in legend
    assert ("保护匿名" in legend) if lang == "zh" else ("anonymity" in legend)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_figure_of_the_overview_is_a_bare_suppressed(scores, lang):
    rep = overview(scores, lang)
    soup = BeautifulSoup("".join(getattr(rep, s)().html for s in SECTIONS), "html.parser")
    word = "已抑制" if lang == "zh" else "suppressed"
    texts = [el.get_text().strip() for el in soup.find_all(["td", "div"])]
    assert word not in texts
    hidden = [td.get_text() for td in soup.find_all("td", class_="suppressed")]
    assert hidden, "the round hides some figure of the overview"
    why = "保护匿名" if lang == "zh" else "anonymity"
    for text in hidden:
        assert text.startswith(word) and len(text) > len(word) + 5 and (why in text or "信度" in text
                                                                           or "reliability" in text), text
    if lang == "en":
        assert not any("已抑制" in text for text in hidden)


DEPT_SECTIONS = ("header", "coverage", "overall", "dimensions", "items", "self_vs_peer", "change", "problems",
                 "comments", "methods")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_figure_of_a_department_page_or_the_index_is_a_bare_suppressed(scores, lang):
    """The small unit's page (most of its figures hidden), its neighbour's, and index.html: every hidden
    figure says why, in the page's language: on a Chinese page the score table's own note."""
    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.index import index_html
    from zuofeng.report.view import ScoreView

    word = "已抑制" if lang == "zh" else "suppressed"
    rows = scores.table.set_index(["department", "kind", "level", "key", "statistic"]).sort_index()
    pages = {code: "".join(getattr(DepartmentReport(ScoreView(scores, lang), code), s)().html for s in DEPT_SECTIONS)
             for code in ("ZCG", "BGS")}
    pages["index"] = index_html(scores, {}, lang)
    for name, html in pages.items():
        soup = BeautifulSoup(html, "html.parser")
        cells = soup.find_all("td", class_="suppressed")
        assert cells, f"{name}: the round hides some figure of this page"
        assert word not in [td.get_text().strip() for td in soup.find_all(["td", "p"])], name
        for td in cells:
            text = td.get_text()
            assert text.startswith(word) and len(text) > len(word) + 5, (name, text)
            if lang == "en":
                assert "已抑制" not in text and ("anonymity" in text or "reliability" in text
                                                 or "answer sheets" in text), (name, text)
            elif td.has_attr("data-stat"):   # a figure of the score table: its own note
                key = (td["data-dept"], td["data-kind"], td["data-level"], td["data-key"], td["data-stat"])
                assert text == rows.loc[key, "note"], (name, key, text)
        for card in soup.select(".card .value.suppressed"):   # a headline card: the word, and why below it
            assert card.get_text() == word
            why = card.find_next_sibling(class_="ci").get_text()
            assert len(why) > 5 and ("匿名" in why or "信度" in why if lang == "zh" else "anonymity" in why), why
