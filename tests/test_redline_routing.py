"""Red-line findings reach the inspection report only: a round built so that a red-line alert fires for
one department in the self, inside and outside views, rendered as a batch (HTML), as the inspection
report and as the public page, with the department's ledger workbook exported; every page and the
workbook are read back. Also the demo's rounds."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from zuofeng.store import Sheet, open_engine, store_sheets

TARGET, NAME, ITEM, KEY = "KPB", "科普部", 11, "q11"
VIEWS = ("self", "peer_inside", "peer_outside")
# the red-line rule's own wording, as the inspection report and the scorer's notes write it
RULE_WORDS = ("红线预警", "红线占比", "份评分为严重", "红线条目：", "即为一项红线问题预警", "红线问题预警")


def _serious(kind: str, rater: str) -> Sheet:
    answers = {i: 2 for i in range(1, 23)}
    answers[ITEM] = 5
    return Sheet(kind, rater, TARGET, answers, "党员", None if kind == "self" else "较好")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Round R: simulated, plus three sheets per view rating item 11 of KPB 非常突出; closed, ledger seeded,
    inspection report rendered, then the batch and the public page; KPB's workbook exported."""
    from zuofeng.demo import demo_roster
    from zuofeng.ledger.entries import LedgerError, add_entry, init_ledger
    from zuofeng.ledger.workbook import export_workbook
    from zuofeng.report.batch import render_round
    from zuofeng.report.inspection import render_inspection
    from zuofeng.report.public import render_public
    from zuofeng.report.scores_source import score_for_report
    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate

    folder = tmp_path_factory.mktemp("redline")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R", title="第一轮测评", roster=demo_roster())
    set_status(engine, "R", "open")
    simulate(engine, "R", seed=3)
    store_sheets(engine, "R", [_serious("self", TARGET) for _ in range(3)]
                 + [_serious("peer", TARGET) for _ in range(3)]
                 + [_serious("peer", rater) for rater in ("BGS", "XSB", "KJG")], source="simulate")
    set_status(engine, "R", "closed")
    scores = score_for_report(url, "R")
    init_ledger(engine, "R", scores)
    reports = folder / "reports"
    inspection = render_inspection("R", out=reports / "R-inspection", db=url, scores=scores)
    render_round("R", out=reports / "R", db=url, jobs=2, progress=False, scores=scores)
    public = render_public("R", out=reports / "R-public", db=url, scores=scores)
    with pytest.raises(LedgerError, match="轮次 R 中部门 KPB 没有台账条目：问题清单上没有它"):
        export_workbook(engine, "R", folder / "KPB.xlsx", department=TARGET)  # init ran: the message says so
    add_entry(engine, "R", TARGET, "自查问题：会议过多", item=None, by="测试")
    workbook = export_workbook(engine, "R", folder / "KPB.xlsx", department=TARGET)
    engine.dispose()
    return scores, reports, inspection, public, workbook


def _text(path) -> str:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def _share_texts(scores) -> dict[str, str]:
    """The alert's share with its interval per view, written independently of the report's formatter."""
    t = scores.table
    out = {}
    for kind in VIEWS:
        r = t[(t["department"] == TARGET) & (t["kind"] == kind) & (t["key"] == KEY)
              & (t["statistic"] == "red_line_share")].iloc[0]
        out[kind] = f"{r['value']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}]"
    return out


def test_the_round_has_the_alert_in_every_view(rendered):
    scores = rendered[0]
    t = scores.table
    alerts = t[(t["department"] == TARGET) & (t["key"] == KEY) & (t["statistic"] == "red_line_alert")
               & t["kind"].isin(VIEWS)]
    assert dict(zip(alerts["kind"], alerts["value"])) == {"self": 1.0, "peer_inside": 1.0, "peer_outside": 1.0}
    p = scores.problems
    ordinary = p[(p["department"] == TARGET) & (p["key"] == KEY) & (p["rule"] != "red_line")]
    assert ordinary.empty, "no ordinary rule flags the item: only the red-line rule does"


def test_the_inspection_report_has_the_alert_of_every_view(rendered):
    scores, _, inspection, _, _ = rendered
    page = BeautifulSoup(inspection.read_text(encoding="utf-8"), "html.parser")
    rows = [tr for tr in page.select("tr") if tr.select_one(f'td[data-key="{KEY}"]')]
    shares = _share_texts(scores)
    from zuofeng.axes import kind_label
    kind_text = {k: kind_label(k) for k in ("self", "peer_inside", "peer_outside")}   # one label per view
    for kind in VIEWS:
        assert any(NAME in tr.get_text() and kind_text[kind] in tr.get_text() and shares[kind] in tr.get_text()
                   for tr in rows), kind


def test_no_department_page_workbook_overview_public_page_or_index_carries_it(rendered):
    scores, reports, _inspection, public, workbook = rendered
    shares = list(_share_texts(scores).values())
    folder = reports / "R"
    pages = {p.name: _text(p) for p in (folder / "departments").glob("*.html")}
    assert len(pages) == len(scores.departments)
    for name, text in pages.items():
        for word in RULE_WORDS:
            assert word not in text, (name, word)
        for share in shares:
            assert share not in text, (name, share)
    # KPB's own page: item 11 is an ordinary item, with its index and problem rate, not on its lists
    kpb = BeautifulSoup((folder / "departments" / "KPB.html").read_text(encoding="utf-8"), "html.parser")
    row = kpb.select_one(f'td[data-key="{KEY}"]').find_parent("tr")
    assert row.select_one('td[data-listed="0"]') is not None and "红线条目" in row.get_text()
    assert "本报告不作预警" in kpb.get_text()
    # overview: the count only, never the department, and true about where the matters went
    overview = BeautifulSoup((folder / "overview.html").read_text(encoding="utf-8"), "html.parser")
    count = overview.select_one("[data-redline-matters]")
    p = scores.problems
    red = p[(p["rule"] == "red_line") & (p["department"] != "ALL")]
    matters = set(zip(red["department"], red["key"]))
    assert (TARGET, KEY) in matters
    assert count is not None and count["data-redline-matters"] == str(len(matters))
    findings = [li.get_text() for li in overview.select("ol.findings li")]
    said = [s for s in findings if "纪检监察组" in s]
    assert len(said) == 1 and "已单独报送纪检监察组" in said[0]
    for text in (count.get_text(), *said):
        assert NAME not in text and TARGET not in text
    whole = overview.get_text(" ")
    for share in shares:
        assert share not in whole
    for table in overview.select(".zf-ledger-section table"):  # its ledger tables name no entry of item 11
        for tr in table.select("tbody tr"):
            cells = [td.get_text() for td in tr.find_all("td")]
            assert not (any(NAME in c for c in cells) and str(ITEM) in cells), cells
    assert "红线" not in _text(folder / "index.html")
    assert "红线" not in _text(public) and NAME not in _text(public)
    assert "R-inspection" not in (folder / "index.html").read_text(encoding="utf-8")
    # the department's workbook: no entry for the item, no red-line wording in any cell
    wb = load_workbook(workbook)
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not any("红线" in c for c in cells)
    ledger = wb["整改台账"]
    items = [r[3] for r in ledger.iter_rows(min_row=2, values_only=True)]
    assert ITEM not in items


def test_without_an_inspection_report_the_overview_does_not_say_it_was_sent(rendered):
    from zuofeng.report.findings import main_findings
    from zuofeng.report.overview import OverviewReport
    from zuofeng.report.view import ScoreView

    scores = rendered[0]
    meta = {**scores.meta, "inspection_report": False}
    v = ScoreView(type(scores)(**{**scores.__dict__, "meta": meta}), "zh")
    said = [s for s in main_findings(v) if "纪检监察组" in s]
    section = OverviewReport(v).red_lines().html
    assert said and "已单独报送" not in said[0] and "尚未生成" in said[0]
    assert "已单独报送" not in section and "尚未生成" in section and "--audience inspection" in section


def test_the_methods_note_names_the_intervals_the_scores_used(rendered):
    from zuofeng.score.intervals import METHODS

    scores, reports, *_ = rendered
    text = _text(reports / "R" / "departments" / "KPB.html")
    assert "t区间" not in text
    for stat in ("mean", "problem_rate", "gap", "rank"):
        assert METHODS[scores.meta["intervals"][stat]][0] in text, stat
    assert "Wilson" in METHODS[scores.meta["intervals"]["mean"]][1]


def test_the_demo_rounds_route_red_lines_to_inspection_only(tmp_path):
    """The demo's baseline has red-line alerts of its own (its random draw); its problem list, ledger and
    pages never show them, and the year-end round's pages carry none of the rule's wording."""
    from zuofeng.demo import BASELINE, FINAL, build_demo_store
    from zuofeng.ledger.entries import entries_frame
    from zuofeng.ledger.problems import department_problems
    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.ledger_view import department_frames
    from zuofeng.report.view import ScoreView
    from zuofeng.score import score_round
    from zuofeng.score.loaded import load_round

    engine = open_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo_store(engine)
    base = score_round(engine, BASELINE[0])
    final = score_round(engine, FINAL[0])
    p = base.problems
    alone = {(d, k) for d, k, r in zip(p["department"], p["key"], p["rule"]) if r == "red_line" and d != "ALL"} - {
        (d, k) for d, k, r in zip(p["department"], p["key"], p["rule"]) if r != "red_line"}
    assert alone, "the demo's baseline should hold a red-line alert that no ordinary rule repeats"
    plist = department_problems(base)
    assert not alone & set(zip(plist["department"], plist["key"]))
    entries = entries_frame(engine, BASELINE[0])
    assert not entries["problem"].str.contains("红线").any()
    for scores in (base, final):
        loaded = load_round(engine, scores.meta["round"])
        loaded.scores = scores
        v = ScoreView(scores, "zh")
        for code in scores.departments["code"]:
            rep = DepartmentReport(v, code)
            html = "".join(b.html for b in (rep.items(), rep.problems(), rep.methods()))
            frames = department_frames(engine, loaded, code)
            html += "".join(f.to_string() for f in frames.values())
            text = BeautifulSoup(html, "html.parser").get_text(" ")
            for word in RULE_WORDS:
                assert word not in text, (code, word)
            assert not re.search(r"红线条目[；、]", text), code
    engine.dispose()


def test_the_inspection_report_states_the_alert_rule_and_its_false_alert_rate(rendered):
    from scipy import stats as sps

    inspection = rendered[2]
    page = BeautifulSoup(inspection.read_text(encoding="utf-8"), "html.parser")
    rule = page.select_one("p[data-alert-rule]").get_text()
    assert "单侧95%精确下限" in rule and "2%" in rule
    for n in (8, 12, 20, 50):  # at most 9 × P(X ≥ x_min | n, 2%), computed here from scipy's binomial
        x_min = next(k for k in range(3, n + 1) if sps.binomtest(k, n, 0.05, alternative="greater").pvalue < 0.05)
        rate = 9 * sps.binom.sf(x_min - 1, n, 0.02)
        assert f"每组{n}份回答时至多{rate:.1%}（至少{x_min}份严重评分才预警）" in rule
