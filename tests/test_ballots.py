"""Printable paper ballots (``zuofeng tokens issue --paper-ballots``): one A4 questionnaire per token with
its 答题码, a count sheet per department, escaped and self-contained, read back by the paper 录入 template,
and printed by Chromium on exactly one page per ballot and count sheet."""

from __future__ import annotations

import os
import random
import re
import stat
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.support.browser import launch, print_pdf, sync_playwright_or_skip
from zuofeng.cli import main
from zuofeng.collect import slips as sl
from zuofeng.collect import tokens as tk
from zuofeng.errors import ZuofengError
from zuofeng.rounds import create_round, set_status
from zuofeng.store import answers, open_engine, responses

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "ballots"
ITEMS = [f"q{n:02d}" for n in range(1, 23)]
LONG = "科学技术普及与青少年科技教育活动服务中心（市科技馆管理处）"  # a long name must still fit one page
ROSTER = f"""code,name,unit_type,headcount,party_members,division,peer_targets
BGS,办公室,机关部室,3,3,机关,KJG
KJG,{LONG},事业单位,2,2,事业单位,
XSS,<script>alert(1)</script>,机关部室,1,1,机关,
"""


@pytest.fixture
def ballot_round(sqlite_url, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    engine = open_engine(sqlite_url)
    create_round(engine, "R1", title="2022年作风测评<b>基线</b>", roster=roster)
    set_status(engine, "R1", "open")
    yield engine
    engine.dispose()


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def token_of(ballot) -> str:
    return "-".join(s.get_text() for s in ballot.select(".token span"))


def test_one_ballot_per_token_with_its_answer_code_and_the_form_of_its_survey(ballot_round, tmp_path):
    engine = ballot_round
    out = tmp_path / "ballots.html"
    r = sl.issue_slips(engine, "R1", paper_ballots=out)
    # self 3+2+1, inside view 3+2+1, outside view BGS → KJG 3
    assert (r.issued, r.by_view) == (15, {"self": 6, "peer_inside": 6, "peer_outside": 3})
    assert r.html_path is None and r.csv_path is None  # the ballots carry the tokens: no slips
    # and a 民主测评 table page (part one) on each of the 6 inside-view ballots: --outside all is the default
    assert r.ballots_path == out and r.ballot_pages == 15 + 6 + 3
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    doc = soup(out)
    ballots = doc.select("section.ballot")
    assert len(ballots) == 15 and len(doc.select("section.count-sheet")) == 3
    seen = set()
    for b in ballots:
        token = token_of(b)
        scope = tk.lookup(engine, "R1", token)  # a live, unused token of this round ...
        assert (scope.view, scope.rater, scope.target) == (b["data-view"], b["data-rater"], b["data-target"])
        assert [tr["data-item"] for tr in b.select("tr.item")] == ITEMS  # ... with the 22 items, in order
        assert len(b.select("tr.dim")) == 5
        boxes = {len(tr.select("td.box")) for tr in b.select("tr.item")}
        assert boxes == {6}  # 1–5 and 不了解
        text = b.get_text()
        assert ("总体评价" in text) == (scope.kind == "peer")  # the 民主测评 rating on peer ballots only
        assert "答题码" in text and "党员" in text and "意见建议" in text
        if scope.view == "peer_outside":
            assert f"{LONG}（KJG）" in text and "评价「" + LONG in text
        seen.add(token)
    assert len(seen) == 15
    # every department's ballots follow its count sheet, and the sheet's 发出 are its ballots
    sections = doc.select("section.sheet")
    current, printed = None, Counter()
    for s in sections:
        if "count-sheet" in s["class"]:
            current = s["data-department"]
            for tr in s.select("table.count tbody tr[data-view]"):
                printed[(current, tr["data-view"], tr["data-target"])] = int(tr.select_one("td.num").get_text())
        else:
            assert s["data-rater"] == current
    assert printed == Counter((b["data-rater"], b["data-view"], b["data-target"]) for b in ballots)


def test_roster_strings_are_escaped_and_the_page_needs_nothing_from_outside(ballot_round, tmp_path):
    out = tmp_path / "ballots.html"
    sl.issue_slips(ballot_round, "R1", paper_ballots=out)
    page = out.read_text(encoding="utf-8")
    doc = soup(out)
    assert not doc.find_all(["script", "img", "link", "iframe", "object"])
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "基线</b>" not in page and "&lt;b&gt;基线&lt;/b&gt;" in page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)
    assert "@page { size: A4 portrait" in page and "Noto Sans CJK SC" in page


def test_paper_ballots_in_english(ballot_round, tmp_path):
    out = tmp_path / "ballots-en.html"
    sl.issue_slips(ballot_round, "R1", paper_ballots=out, kind="self", lang="en")
    doc = soup(out)
    text = doc.get_text()
    assert "Paper ballot" in text and "Count sheet" in text and "Don't know" in text
    assert not re.search("[\u4e00-\u9fff]", doc.select_one("section.ballot tr.item td.text").get_text())


def test_an_existing_ballot_file_is_refused_and_nothing_is_issued(ballot_round, tmp_path):
    out = tmp_path / "ballots.html"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ZuofengError, match="已存在，其中可能有有效的答题码") as e:
        sl.issue_slips(ballot_round, "R1", paper_ballots=out)
    assert "already exists" in e.value.en
    with pytest.raises(ZuofengError, match="--out、--csv 和 --paper-ballots 必须是不同的文件") as e:
        sl.issue_slips(ballot_round, "R1", paper_ballots=tmp_path / "x.html", out=tmp_path / "x.html")
    assert e.value.en == "--out, --csv and --paper-ballots must name different files"
    assert out.read_text(encoding="utf-8") == "old" and tk.token_counts(ballot_round, "R1") == []


def test_cli_writes_ballots_next_to_slips(ballot_round, tmp_path, capsys):
    url = str(ballot_round.url)
    slips, ballots = tmp_path / "s.html", tmp_path / "b.html"
    assert main(["tokens", "issue", "R1", "--kind", "self", "--out", str(slips), "--paper-ballots", str(ballots),
                 "--db", url]) == 0
    out = capsys.readouterr().out
    assert "6 份纸质答卷和 3 张计票单，共 9 页 A4" in out
    # the slips and the ballots print the same six tokens
    slip_tokens = set(re.findall(r"[2-9A-HJ-NP-Z]{4}(?:</span><span>[2-9A-HJ-NP-Z]{4}){3}", slips.read_text()))
    assert {t.replace("</span><span>", "-") for t in slip_tokens} == {token_of(b) for b in soup(ballots)
                                                                      .select("section.ballot")}


def test_filled_ballots_typed_into_the_template_import_as_the_sheets_ticked(ballot_round, tmp_path):
    """The round trip: ballots → ticks on paper → rows of the 录入 template, typed as printed → import."""
    from openpyxl import load_workbook

    from zuofeng.io import import_file
    from zuofeng.io.template import template_for

    engine = ballot_round
    out = tmp_path / "ballots.html"
    sl.issue_slips(engine, "R1", paper_ballots=out)
    rng = random.Random(22)
    wb_path = template_for(tmp_path / "录入.xlsx", engine, "R1")
    wb = load_workbook(wb_path)
    ws = wb["答卷"]
    header = [c.value for c in ws[1]]
    expected = []
    for b in soup(out).select("section.ballot"):
        # what a respondent can tick is what the ballot prints: the scale's column heads ...
        heads = [th.get_text(" ").split()[0] for th in b.select("table.items thead th")[2:]]
        assert heads == ["1", "2", "3", "4", "5", "不了解"]
        ticks = [rng.choice(heads) for _ in ITEMS]
        overall = [c.get_text().strip("□ ") for c in b.select(".overall .choice")]
        category = [c.get_text().strip("□ ") for c in b.select(".category .choice")]
        o = rng.choice(overall) if overall else ""
        cat = rng.choice(category + [""])
        row = {"token": token_of(b), "overall": o, "category": cat, **dict(zip(ITEMS, ticks))}
        ws.append([row.get(h, "") for h in header])  # the analyst copies the ballot as printed
        expected.append((b["data-rater"], b["data-target"], o if o not in ("", "不了解") else None,
                         cat or None, tuple(None if t == "不了解" else int(t) for t in ticks)))
    wb.save(wb_path)
    r = import_file(engine, "R1", str(wb_path))
    assert r.stored == 15
    with engine.connect() as c:
        stored = []
        for rid, rater, target, overall, category in c.execute(select(
                responses.c.id, responses.c.rater, responses.c.target, responses.c.overall, responses.c.category)):
            vals = dict(c.execute(select(answers.c.item, answers.c.value).where(answers.c.response_id == rid)).all())
            stored.append((rater, target, overall, category, tuple(vals[n] for n in range(1, 23))))
    assert Counter(stored) == Counter(expected)
    assert all(row["used"] == row["issued"] for row in tk.token_counts(engine, "R1"))


def test_chromium_prints_one_a4_page_per_ballot_and_count_sheet(ballot_round, tmp_path):
    sync_playwright = sync_playwright_or_skip()
    from pypdf import PdfReader

    out = tmp_path / "ballots.html"
    r = sl.issue_slips(ballot_round, "R1", paper_ballots=out)
    doc = soup(out)
    tokens = [token_of(b) for b in doc.select("section.ballot")]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / "ballots.pdf"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            page.goto(out.as_uri())
            print_pdf(page, pdf)
            page.locator("section.ballot[data-view=peer_outside]").first.screenshot(
                path=str(ARTIFACTS / "ballot-peer-outside.png"))
            page.locator("section.count-sheet").first.screenshot(path=str(ARTIFACTS / "count-sheet.png"))
        finally:
            browser.close()
    reader = PdfReader(pdf)
    inside = {token_of(b) for b in doc.select("section.ballot[data-view=peer_inside]")}
    # BGS rates XSS on its table (KJG is in its peer_targets), KJG and XSS rate the two others: one page each
    assert len(reader.pages) == r.ballot_pages == len(tokens) + len(inside) + 3
    for pg in reader.pages:  # A4: 595 × 842 points
        assert (round(float(pg.mediabox.width)), round(float(pg.mediabox.height))) == (595, 842)
    # NFKC: the PDF's text gives some characters as their Kangxi radicals (⼀ for 一)
    texts = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", pg.extract_text())) for pg in reader.pages]
    for t in tokens:  # each 答题码 on one page of 22 items, and an inside-view one also on its table's page
        on = [i for i, text in enumerate(texts) if t.replace("-", "") in text]
        assert len(on) == 1 + (t in inside) and all("纸质测评表" in texts[i] for i in on)
        assert ["22" in texts[i] or "第一部分" in texts[i] for i in on] == [True] * len(on)
        assert sum("第一部分" in texts[i] and "测评表:评价其他部" in texts[i] for i in on) == (t in inside)
    assert sum("唱票计数单" in text for text in texts) == 3
