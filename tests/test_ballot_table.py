"""The 民主测评 table on paper: the inside-view peer ballot of a round with organisation-wide (or division)
互评 prints the table as its part one, it fits A4 at the size of a 市科协 (12 departments), and its ticks,
typed into the 录入 template, import back and feed the outside view like the survey page's table."""

from __future__ import annotations

import base64
import csv
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.support.browser import launch, print_pdf, sync_playwright_or_skip
from zuofeng.collect import slips as sl
from zuofeng.collect import tokens as tk
from zuofeng.io import import_file
from zuofeng.io.import_problems import ImportProblems
from zuofeng.io.template import template_for
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.store import open_engine, responses

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "ballots"
DIMS = ["一", "二", "三", "四", "五"]
# 市科协-like: 12 departments in two divisions (headcounts scaled down); one name is hostile markup
SIZES = [("BGS", "办公室", 3, "机关", "ZZB"), ("ZZB", "组织人事部", 2, "机关", ""), ("KPB", "科普部", 3, "机关", ""),
         ("XHB", "学会部", 2, "机关", ""), ("DYB", "调研宣传部", 2, "机关", ""),
         ("JGDW", "<b>机关党委</b>", 2, "机关", ""), ("KJG", "科技馆", 4, "事业单位", "KPZX"),
         ("KPZX", "科普中心", 3, "事业单位", ""), ("XHFW", "学会服务中心", 2, "事业单位", ""),
         ("XXZX", "信息中心", 2, "事业单位", ""), ("PXZX", "培训中心", 2, "事业单位", ""),
         ("JGFW", "机关服务中心", 3, "事业单位", "")]
CODES = [c for c, *_ in SIZES]


def roster_csv() -> str:
    lines = ["code,name,unit_type,headcount,party_members,division,peer_targets"]
    lines += [f"{c},{n},机关部室,{h},{h},{d},{t}" for c, n, h, d, t in SIZES]
    return "\n".join(lines) + "\n"


def expected_table(rater: str, mode: str = "all") -> list[str]:
    """Who a member of ``rater`` rates on the table, from the roster above: every other department (of
    the rater's division with ``division``) except those named in its peer_targets."""
    row = {c: (d, t) for c, _n, _h, d, t in SIZES}
    return sorted(c for c in CODES if c != rater and c not in row[rater][1].split()
                  and (mode == "all" or row[c][0] == row[rater][0]))


@pytest.fixture
def table_round(sqlite_url, tmp_path):
    def make(outside: str = "all"):
        roster = tmp_path / f"roster-{outside}.csv"
        roster.write_text(roster_csv(), encoding="utf-8")
        engine = open_engine(sqlite_url)
        create_round(engine, "R1", title="2026年作风测评", roster=roster, outside=outside)
        set_status(engine, "R1", "open")
        return engine
    engines = []
    yield lambda outside="all": engines.append(make(outside)) or engines[-1]
    for e in engines:
        e.dispose()


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def token_of(section) -> str:
    return "-".join(s.get_text() for s in section.select(".token span"))


@pytest.mark.parametrize("outside", ["all", "division"])
def test_each_inside_view_ballot_carries_the_table_of_its_raters_other_departments(table_round, tmp_path, outside):
    engine = table_round(outside)
    out = tmp_path / "ballots.html"
    r = sl.issue_slips(engine, "R1", paper_ballots=out)
    doc = soup(out)
    inside = doc.select("section.ballot[data-view=peer_inside]")
    tables = doc.select("section.table-page")
    assert len(inside) == sum(h for *_, h, _d, _t in [(c, n, h, d, t) for c, n, h, d, t in SIZES]) == 30
    assert len(tables) == len(inside)  # 11 rows at most: one page each
    assert r.ballot_pages == len(doc.select("section.ballot")) + len(tables) + len(CODES)
    by_token = {token_of(t): t for t in tables}
    for b in inside:
        page = by_token[token_of(b)]  # the same 答题码 on both parts, the table first
        assert page.find_next_sibling("section") is b
        assert page["data-rater"] == b["data-rater"]
        rows = [tr["data-target"] for tr in page.select("tr.trow")]
        assert rows == expected_table(b["data-rater"], outside)  # every other department once, in order
        for tr in page.select("tr.trow"):  # 总体评价 好/较好/一般/差/不了解, five dimensions 1–5 and 不了解
            assert Counter(td["data-answer"] for td in tr.select("td.box")) == Counter(
                {"overall": 5, **{str(j): 6 for j in range(1, 6)}})
        heads = [th.get_text() for th in page.select("table.demo thead tr")[1].select("th")]
        assert heads[:5] == ["好", "较好", "一般", "差", "不了解"] and heads[5:11] == ["1", "2", "3", "4", "5", "不了解"]
        assert "第一部分" in page.get_text() and "第二部分" in b.get_text()
    for b in doc.select("section.ballot[data-view=self], section.ballot[data-view=peer_outside]"):
        assert token_of(b) not in by_token  # only the inside-view ballot has a table
    text = out.read_text(encoding="utf-8")
    assert "<b>机关党委</b>" not in text and "&lt;b&gt;机关党委&lt;/b&gt;" in text
    assert tk.lookup(engine, "R1", token_of(tables[0])).view == "peer_inside"


def test_chromium_prints_the_table_of_twelve_departments_on_one_a4_page(table_round, tmp_path):
    sync_playwright = sync_playwright_or_skip(ARTIFACTS)
    from pypdf import PdfReader

    engine = table_round()
    out = tmp_path / "ballots.html"
    r = sl.issue_slips(engine, "R1", paper_ballots=out)
    doc = soup(out)
    ballots = doc.select("section.ballot")
    n_inside = len(doc.select("section.ballot[data-view=peer_inside]"))
    pdf = tmp_path / "ballots.pdf"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            page.goto(out.as_uri())
            print_pdf(page, pdf)
            first = page.locator("section.table-page[data-rater=KPB]").first
            first.screenshot(path=str(ARTIFACTS / "ballot-table-12.png"))
            # the table is no wider than its A4 sheet: nothing cut off at the right
            box, table = first.bounding_box(), first.locator("table.demo").bounding_box()
            assert table["x"] + table["width"] <= box["x"] + box["width"] + 0.5
            page.locator("section.ballot[data-view=peer_inside]").first.screenshot(
                path=str(ARTIFACTS / "ballot-part-two.png"))
        finally:
            browser.close()
    reader = PdfReader(pdf)
    # one page per ballot, one per table (part one), one count sheet per department: nothing spills over
    assert len(reader.pages) == r.ballot_pages == len(ballots) + n_inside + len(CODES)
    for pg in reader.pages:
        assert (round(float(pg.mediabox.width)), round(float(pg.mediabox.height))) == (595, 842)
    texts = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", pg.extract_text())) for pg in reader.pages]
    token = token_of(doc.select_one("section.table-page[data-rater=KPB]")).replace("-", "")
    on = [i for i, t in enumerate(texts) if token in t]
    assert len(on) == 2 and on[1] == on[0] + 1  # part one, then part two on the next page
    for code in expected_table("KPB"):  # every other department's row is on the printed page, once
        assert texts[on[0]].count(f"({code})") == 1 and f"({code})" not in texts[on[1]], code


def filled_rows(doc: BeautifulSoup, header: list[str], rng: random.Random):
    """Type every ballot into template rows as ticked, at random; return the rows and what was ticked on
    each table: ``(rater, target, overall, dims)``, 不了解 as None."""
    rows, ticked = [], []
    for b in doc.select("section.ballot"):
        row = {"token": token_of(b), **{f"q{n:02d}": str(rng.randint(1, 5)) for n in range(1, 23)}}
        if b["data-view"] != "self":
            row["overall"] = rng.choice(["好", "较好", "一般", "差"])
        if b["data-view"] == "peer_inside":
            for code in expected_table(b["data-rater"]):
                how = rng.random()
                if how < 0.15:  # 不了解该部门: every box of the row
                    vals = ["不了解"] * 6
                elif how < 0.25:  # the row left blank: nothing typed for it
                    continue
                else:
                    vals = [rng.choice(["好", "较好", "一般", "差", "不了解"])] + [
                        rng.choice(["1", "2", "3", "4", "5"]) for _ in DIMS]
                row[f"{code}·总体评价"] = vals[0]
                row.update({f"{code}·{d}": v for d, v in zip(DIMS, vals[1:])})
                ticked.append((b["data-rater"], code, None if vals[0] == "不了解" else vals[0],
                               tuple(None if v == "不了解" else int(v) for v in vals[1:])))
        rows.append([row.get(h, "") for h in header])
    return rows, ticked


def test_table_ballots_typed_in_import_and_the_outside_n_is_the_raters_who_knew_the_department(table_round,
                                                                                                  tmp_path):
    engine = table_round()
    out = tmp_path / "ballots.html"
    sl.issue_slips(engine, "R1", paper_ballots=out)
    doc = soup(out)
    template = template_for(tmp_path / "录入.csv", engine, "R1")
    with template.open(encoding="utf-8-sig", newline="") as f:
        header, labels = list(csv.reader(f))[:2]
    assert "BGS·总体评价" in header and "JGFW·五" in header
    assert "民主测评表 办公室：总体评价（好/较好/一般/差/不了解）" in labels
    rows, ticked = filled_rows(doc, header, random.Random(20))
    with template.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    r = import_file(engine, "R1", str(template))
    n_ballots = len(doc.select("section.ballot"))
    assert r.stored == n_ballots + len(ticked)
    assert "民主测评表" in r.notes[-1].zh
    assert all(row["used"] == row["issued"] for row in tk.token_counts(engine, "R1"))  # 收回 = 发出
    with engine.connect() as c:
        table = Counter(tuple(row) for row in c.execute(
            select(responses.c.rater, responses.c.target, responses.c.overall).where(responses.c.form == "table")))
    assert table == Counter((rater, target, overall) for rater, target, overall, _ in ticked)

    scores = score_round(engine, "R1")
    outside_items = Counter(b["data-target"] for b in doc.select("section.ballot[data-view=peer_outside]"))
    expected, published = {}, 0
    for code in CODES:
        # the raters from other departments who did not answer 不了解: every dimension ticked on the table,
        # plus the 22-item ballots of the departments naming it in peer_targets
        knew = sum(1 for rater, target, _, dims in ticked if target == code and rater != code
                   and all(v is not None for v in dims))
        expected[code] = knew + outside_items[code]
        idx = scores.rows(department=code, kind="peer_outside", key="overall", statistic="index")
        assert len(idx) == 1, code
        if not idx["suppressed"].iloc[0]:  # a department hidden by the disclosure control is in its division
            assert int(idx["n"].iloc[0]) == expected[code], code
            published += 1
    assert published >= 4
    for division in ("机关", "事业单位"):
        idx = scores.rows(department=f"div:{division}", kind="peer_outside", key="overall", statistic="index")
        members = [c for c, _n, _h, d, _t in SIZES if d == division]
        assert int(idx["n"].iloc[0]) == sum(expected[c] for c in members), division


def test_a_department_not_on_the_raters_table_and_table_cells_on_other_ballots_are_refused(table_round, tmp_path):
    engine = table_round("division")
    out = tmp_path / "ballots.html"
    sl.issue_slips(engine, "R1", paper_ballots=out)
    doc = soup(out)
    template = template_for(tmp_path / "录入.csv", engine, "R1")
    with template.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    bgs = doc.select_one("section.ballot[data-view=peer_inside][data-rater=BGS]")
    self_ballot = doc.select_one("section.ballot[data-view=self]")
    items = {f"q{n:02d}": "3" for n in range(1, 23)}
    bad = [{"token": token_of(bgs), "overall": "好", **items, "KPB·总体评价": "好", "KPB·一": "2",
            "KJG·总体评价": "较好",   # KJG is of the other division: not on BGS's table
            "ZZB·一": "3",          # ZZB is in BGS's peer_targets: rated on the 22 items, not on the table
            "XHB·二": "7"},         # not a rating
           {"token": token_of(self_ballot), **items, "KPB·三": "1"}]  # a self ballot has no table
    with template.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[row.get(h, "") for h in header] for row in bad])
    with pytest.raises(ImportProblems) as e:
        import_file(engine, "R1", str(template))
    where = {(p.row, p.column) for p in e.value.problems}
    assert where == {(3, "KJG·总体评价"), (3, "ZZB·一"), (3, "XHB·二"), (4, "KPB·三")}
    with engine.connect() as c:
        assert c.execute(select(responses.c.id)).first() is None  # nothing stored
    assert all(row["used"] == 0 for row in tk.token_counts(engine, "R1"))


def test_a_round_rating_peer_targets_only_has_no_table_on_paper(table_round, tmp_path):
    engine = table_round("targets")
    out = tmp_path / "ballots.html"
    sl.issue_slips(engine, "R1", paper_ballots=out)
    assert not soup(out).select("section.table-page")
    template = template_for(tmp_path / "录入.csv", engine, "R1")
    with template.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert not [h for h in header if "·" in h] and header[-1] == "q22"


def test_the_consoles_paper_ballot_button_gives_the_same_ballots(tmp_path, monkeypatch):
    from zuofeng.console import Console, uploaded

    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'zuofeng.db'}"
    c = Console(db=db, auto_refresh=False, jobs=1)
    r = c.rounds
    r.code.value, r.title.value = "R1", "2026年作风测评"
    r.roster.value = uploaded("roster.csv", roster_csv().encode("utf-8"))
    r.create_button.click()
    engine = open_engine(db)
    try:
        set_status(engine, "R1", "open")
        c.tokens.ballots.value = True
        c.tokens.issue_button.click()
        links = BeautifulSoup(c.tokens.slips.value, "html.parser").find_all("a")
        page = BeautifulSoup(base64.b64decode(links[1]["href"].split(",", 1)[1]).decode("utf-8"), "html.parser")
        tables = page.select("section.table-page")
        assert len(tables) == len(page.select("section.ballot[data-view=peer_inside]")) == 30
        for t in tables:
            assert [tr["data-target"] for tr in t.select("tr.trow")] == expected_table(t["data-rater"])
            assert tk.lookup(engine, "R1", token_of(t)).rater == t["data-rater"]
    finally:
        engine.dispose()
