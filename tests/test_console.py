"""The analyst's console without a browser: set widget values, click buttons, look at the store and the files."""

from __future__ import annotations

import base64
import tempfile
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.support.store import ROSTER_CSV
from zuofeng import api
from zuofeng.cli import main
from zuofeng.collect.tokens import lookup
from zuofeng.console import Console, uploaded
from zuofeng.store import responses

ITEMS = ",".join(f"q{n:02d}" for n in range(1, 23))
BALLOTS = (f"kind,department,target,category,overall,comment,{ITEMS}\n"
           + "".join(f"self,BGS,,党员,,,{','.join(['2'] * 22)}\n" for _ in range(3))
           + f"peer,KPB,KPB,非党员,好,,{','.join(['3'] * 22)}\n")

# BGS and KPB vote on paper: their typed-in ballots may carry no token
PAPER_ROSTER = "".join(
    line + ("," + ("paper" if n == 0 else "1" if line.startswith(("BGS,", "KPB,")) else "")) + "\n"
    for n, line in enumerate(ROSTER_CSV.splitlines()))


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the working folder
    return f"sqlite:///{tmp_path / 'zuofeng.db'}"


def made(store, code="R1", title="基线测评", roster=ROSTER_CSV, lang="zh") -> Console:
    c = Console(db=store, auto_refresh=False, jobs=1, lang=lang)
    create(c, code, title, roster)
    return c


def create(c: Console, code: str, title: str, roster: str = ROSTER_CSV, previous: str = "") -> None:
    r = c.rounds
    r.code.value, r.title.value, r.previous.value = code, title, previous
    r.roster.value = uploaded("roster.csv", roster.encode("utf-8"))
    r.create_button.click()


def text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text()


def n_responses(store) -> int:
    engine = api.open_store(store)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(responses)).scalar_one()
    finally:
        engine.dispose()


def test_a_missing_store_is_one_line_and_is_not_created(store, tmp_path):
    c = Console(db=store, auto_refresh=False)
    assert text(c.message.value) == (f"找不到 zuofeng 数据库 {tmp_path / 'zuofeng.db'}：请用 `zuofeng round create "
                                     "ROUND --title T --roster FILE`（或 `zuofeng demo`）新建一个，或用 --db URL 或 "
                                     "ZUOFENG_DB 指定已有的数据库")
    assert c.rounds.picker.options == () and c.reports.report_button.disabled and not (tmp_path / "zuofeng.db").exists()
    assert text(c.rounds.info.value) == "还没有轮次：请在下面新建一个"


def test_a_bad_roster_shows_the_clis_one_line_error_and_the_line_it_names(store, tmp_path, capsys):
    bad = ROSTER_CSV.replace("XHB,学会部,机关部室,8", "XHB,学会部,机关部室,eight")
    c = made(store, roster=bad)
    (tmp_path / "roster.csv").write_text(bad, encoding="utf-8")
    assert main(["round", "create", "R1", "--title", "t", "--roster", "roster.csv", "--db", store]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("zuofeng: error: ")
    assert "第 3 行" in cli_line and "headcount" in cli_line
    assert text(c.message.value) == cli_line and 'class="zf-error"' in c.message.value
    assert "zuofeng-upload-" not in c.message.value  # the private upload folder is never shown
    assert api.list_rounds(db=store) == []
    soup = BeautifulSoup(c.rounds.roster_problem.value, "html.parser")
    assert soup.select_one(".zf-roster-caption").text == "名册第 3 行"
    lines = {tr.find("td").text: [td.text for td in tr.find_all("td")[1:]] for tr in soup.select("tbody tr")}
    assert sorted(lines, key=int) == ["2", "3", "4", "5"]  # the line and two on either side, under the header line
    assert [th.text for th in soup.select("thead th")][:5] == ["#", "code", "name", "unit_type", "headcount"]
    bad_rows = soup.select("tr.zf-bad")
    assert len(bad_rows) == 1 and [td.text for td in bad_rows[0].find_all("td")][:5] == [
        "3", "XHB", "学会部", "机关部室", "eight"]
    create(c, "R1", "基线测评")  # the corrected roster: the problem table goes away
    assert c.rounds.roster_problem.value == "" and api.list_rounds(db=store)[0]["code"] == "R1"


def test_rounds_are_listed_newest_first_and_the_newest_is_picked(store):
    c = made(store, "R1", "基线测评")
    create(c, "R2", "年终测评", previous="R1")
    c2 = Console(db=store, auto_refresh=False)
    assert list(c2.rounds.picker.options) == ["R2", "R1"] and c2.rounds.picker.value == "R2"
    rows = [[td.text for td in tr.find_all("td")]
            for tr in BeautifulSoup(c2.rounds.list.value, "html.parser").select("tbody tr")]
    assert [r[:3] for r in rows] == [["R2", "年终测评", "草稿"], ["R1", "基线测评", "草稿"]]
    assert rows[0][4] == "R1" and rows[1][4] == "—"


def test_create_open_close_with_confirmation(store):
    c = made(store)
    r = c.rounds
    assert r.picker.value == "R1" and "草稿" in r.info.value
    assert text(c.message.value) == "已创建轮次 R1（问卷 zuofeng-2022 第 1 版），状态：草稿"
    assert r.code.value == "" and r.roster.value == ()
    assert r.close_button.disabled and not r.open_button.disabled and r.simulate_button.disabled
    r.open_button.click()
    assert r.confirm_box.layout.display == "flex" and "开放轮次 R1？开放后阈值 k 固定。" in r.confirm_text.value
    assert api.list_rounds(db=store)[0]["status"] == "draft"  # nothing happens before the confirmation
    r.cancel_button.click()
    assert r.confirm_box.layout.display == "none" and api.list_rounds(db=store)[0]["status"] == "draft"
    r.open_button.click()
    r.confirm_button.click()
    assert api.list_rounds(db=store)[0]["status"] == "open"
    assert text(c.message.value) == "轮次 R1 已开放（k = 5，意见显示 k = 10）" and "开放中" in r.info.value
    assert r.open_button.disabled and not r.close_button.disabled
    r.close_button.click()
    assert "关闭轮次 R1？" in r.confirm_text.value and api.list_rounds(db=store)[0]["status"] == "open"
    r.confirm_button.click()
    assert api.list_rounds(db=store)[0]["status"] == "closed" and text(c.message.value) == "轮次 R1 已关闭"
    # a second round compared with the first: the previous-round picker lists it
    assert ("R1", "R1") in r.previous.options
    create(c, "R2", "年终测评", previous="R1")
    assert [(x["code"], x["previous"]) for x in api.list_rounds(db=store)] == [("R1", None), ("R2", "R1")]
    assert r.picker.value == "R2"


def test_in_english_on_request(store):
    c = made(store, lang="en")
    assert text(c.message.value) == "created round R1 (zuofeng-2022 v1), status draft"
    assert c.rounds.open_button.description == "Open round" and "draft" in c.rounds.info.value
    c.reports.score_button.click()
    assert text(c.message.value) == "round R1 is a draft and has no answers: open it and collect answers first"
    with pytest.raises(Exception, match="lang 必须是 zh 或 en，而不是 'fr'") as e:
        Console(db=store, lang="fr", auto_refresh=False)
    assert e.value.en == "lang must be zh or en, not 'fr'"


def test_every_text_has_both_languages():
    from zuofeng.console.text import TEXT

    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v) or not any(ch.isalpha() for ch in v)
               or k in ("code_hint", "col_k", "fmt_limesurvey", "dl_scores", "dl_export", "dl_reports", "dl_ledger")
               for k, v in TEXT["zh"].items()), "an English word in the Chinese console"


def test_tokens_download_as_a_link_and_no_file_stays_behind(store, tmp_path):
    c = made(store)
    before = sorted(p.name for p in tmp_path.iterdir())
    temp = Path(tempfile.gettempdir())
    temp_before = set(temp.glob("zuofeng-console-*"))
    c.tokens.issue_button.click()
    assert set(temp.glob("zuofeng-console-*")) == temp_before  # the private folder is gone again
    link = BeautifulSoup(c.tokens.slips.value, "html.parser").find("a")
    assert link["download"] == "slips-R1.html" and link["href"].startswith("data:text/html;charset=utf-8;base64,")
    page = base64.b64decode(link["href"].split(",", 1)[1]).decode("utf-8")
    found = {"-".join(s.text for s in token.find_all("span"))
             for token in BeautifulSoup(page, "html.parser").select("span.token")}
    issued = sum(r["issued"] for r in api.token_status("R1", db=store))
    assert len(found) == issued > 0 and f"已在轮次 R1 发放 {issued} 个新答题码" in text(c.message.value)
    assert "答题码" in page  # the slips are Chinese like the console
    api.open_round("R1", db=store)
    engine = api.open_store(store)
    try:
        scope = lookup(engine, "R1", min(found))  # a downloaded token opens its survey
    finally:
        engine.dispose()
    assert scope.round == "R1"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # the slips never touched the disk here
    c.tokens.issue_button.click()  # issuing again only tops up
    assert "无需再发放" in text(c.message.value) and c.tokens.slips.value == ""


def test_the_paper_ballots_hook_stays_hidden_until_the_api_offers_it(store, monkeypatch):
    from zuofeng.console import tokens_screen

    c = made(store)
    assert c.tokens.ballots.layout.display == ("none" if not tokens_screen.paper_ballots_offered() else None)
    seen = {}
    real = api.issue_slips

    def with_ballots(*args, paper_ballots=None, **kwargs):
        seen["ballots"] = paper_ballots
        Path(paper_ballots).write_text("<p>ballots</p>", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "issue_slips", with_ballots)
    c2 = Console(db=store, auto_refresh=False)
    assert tokens_screen.paper_ballots_offered() and c2.tokens.ballots.layout.display is None
    c2.tokens.ballots.value = True
    c2.tokens.issue_button.click()
    links = BeautifulSoup(c2.tokens.slips.value, "html.parser").find_all("a")
    assert [a["download"] for a in links] == ["slips-R1.html", "ballots-R1.html"]
    assert base64.b64decode(links[1]["href"].split(",", 1)[1]) == b"<p>ballots</p>"
    assert not Path(seen["ballots"]).exists()  # it passed through the private folder only


def test_the_share_page_holds_the_address_and_a_qr_code_of_it(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.setenv("ZUOFENG_CONSOLE_REPORTS_URL", "/zuofeng/reports/")
    c = made(store, title="2022年<作风>测评")
    c.tokens.share_button.click()
    assert text(c.message.value) == "请先填写问卷地址（http:// 或 https://）"
    c.tokens.survey_url.value = "https://survey.example.org/r1"
    c.tokens.share_button.click()
    assert text(c.message.value) == "分享页已生成：可在投影上全屏显示"
    soup = BeautifulSoup(c.tokens.share.value, "html.parser")
    assert soup.select_one("a.zf-share-link")["href"] == "/zuofeng/reports/R1-share/index.html"
    page = (tmp_path / "reports" / "R1-share" / "index.html").read_text(encoding="utf-8")
    assert "2022年&lt;作风&gt;测评" in page and "<作风>" not in page  # escaped
    shown = BeautifulSoup(page, "html.parser")
    assert shown.select_one(".url").text == "https://survey.example.org/r1" and "扫码参加测评" in shown.text
    # the QR code decodes to the address: its modules are those of an independent encoder's matrix
    import segno

    qr = segno.make("https://survey.example.org/r1", error="m", micro=False)
    size = len(qr.matrix) + 8
    assert shown.select_one("svg.qr")["viewbox"] == f"0 0 {size} {size}"
    dark = sum(sum(1 for v in r if v) for r in qr.matrix)
    path = shown.select_one("svg.qr path")["d"]
    import re

    assert sum(int(h) for h in re.findall(r"h(\d+)", path)) == dark  # every dark module drawn once
    assert "答题码" not in shown.select_one(".url").text and "token" not in path


def test_coverage_highlights_blind_spots(store):
    c = made(store, roster=PAPER_ROSTER)
    api.open_round("R1", db=store)
    c.rounds.reload()
    c.imports.file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    c.imports.dry_button.click()
    c.imports.import_button.click()
    soup = BeautifulSoup(c.coverage.html.value, "html.parser")
    rows = soup.select("table.zf-cov tbody tr")
    assert len(rows) == 10  # five departments × (self, inside view)
    gaps = {(r.find_all("td")[0].text, r.find_all("td")[2].text) for r in rows if "zf-gap" in r["class"]}
    # only BGS answered its self survey (3 sheets) and KPB its inside view (1): every other row nobody answered
    expected = {(d, v) for d in ("BGS", "XHB", "KPB", "KJG", "ZX") for v in ("自评", "互评（本部门）")}
    assert gaps == expected - {("BGS", "自评"), ("KPB", "互评（本部门）")}
    low = [r for r in rows if "zf-low" in r["class"]]
    assert {r.find_all("td")[0].text for r in low} == {"BGS", "KPB"}  # answered, but fewer than k = 5
    bgs_self = next(r for r in rows if r.find_all("td")[0].text == "BGS" and r.find_all("td")[2].text == "自评")
    assert [td.text for td in bgs_self.find_all("td")][3:7] == ["12", "3", "12", "25%"]  # 发出, 收回, 人数, 覆盖率
    assert "盲区 8" in soup.select_one(".zf-cov-summary").text and "开放中" in soup.select_one(".zf-cov-summary").text


def test_import_needs_a_dry_run_of_the_same_file_and_shows_its_table_first(store):
    c = made(store, roster=PAPER_ROSTER)
    im = c.imports
    api.open_round("R1", db=store)
    c.rounds.reload()
    im.file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    assert im.import_button.disabled
    im.dry_button.click()
    preview = BeautifulSoup(im.preview.value, "html.parser")
    assert preview.select_one(".zf-dry-head").text == "预检结果：4 份答卷（template）有效，尚未存入"
    facts = [td.text for td in preview.select("table.zf-dry-facts td")]
    assert facts[:2] == ["4", "导入模板"]
    assert text(c.message.value) == "预检通过：4 份答卷有效，尚未存入；确认无误后点“导入”"
    assert not im.import_button.disabled and n_responses(store) == 0
    im.format.value = "wjx"  # another format (or file) needs its own dry run
    assert im.import_button.disabled
    im.format.value = "template"
    im.dry_button.click()
    im.import_button.click()
    assert n_responses(store) == 4 and text(c.message.value) == "已向轮次 R1 导入 4 份答卷（template）"
    assert im.import_button.disabled and im.file.value == ()
    # the same file again: the dry run refuses it with the CLI's line and the import stays off
    im.file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    im.dry_button.click()
    assert text(c.message.value).startswith("ballots.csv：同样的内容已导入过（")
    assert im.import_button.disabled
    # a bad file: every problem listed with its row, nothing stored, import off
    bad = BALLOTS.replace("self,BGS,,党员,,,2,", "self,NOPE,,党员,,,9,", 1)
    im.file.value = uploaded("bad.csv", bad.encode("utf-8"))
    im.dry_button.click()
    problems = [li.text for li in BeautifulSoup(im.preview.value, "html.parser").select("ul.zf-problems li")]
    assert len(problems) == 2 and all(p.startswith("第 2 行，") for p in problems), problems
    assert "未知部门 'NOPE'" in problems[0] and "'9' 不是答案" in problems[1], problems
    assert text(c.message.value).startswith("bad.csv：2 处问题，未导入任何内容")
    assert im.import_button.disabled and n_responses(store) == 4


def test_a_dry_run_on_a_draft_round_says_to_open_it_and_offers_no_import(store):
    c = made(store, roster=PAPER_ROSTER)
    c.imports.file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    c.imports.dry_button.click()
    assert "轮次 R1 当前为“草稿”：请先开放再导入" in text(c.imports.preview.value)
    assert c.imports.import_button.disabled and n_responses(store) == 0


def test_live_coverage_refreshes_while_the_round_is_open(store):
    assert Console(db=store, auto_refresh=False).coverage.refresh_seconds == 5  # the default: every 5 seconds
    c = made(store)
    api.open_round("R1", db=store)
    c.rounds.reload()
    c.coverage.refresh_seconds = 0.2
    c.coverage.auto.value = True
    try:
        before = c.coverage.html.value
        api.simulate_round("R1", seed=3, db=store)  # answers arrive behind the console's back
        end = time.monotonic() + 10
        while c.coverage.html.value == before and time.monotonic() < end:
            time.sleep(0.1)
        assert c.coverage.html.value != before and "zf-gap" not in c.coverage.html.value
    finally:
        c.stop()
    assert c.coverage._thread is None


def test_a_draft_round_or_one_without_answers_gets_one_chinese_line(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    c = made(store)
    for b in (c.reports.score_button, c.reports.report_button, c.reports.dl_scores, c.reports.dl_export):
        b.click()
        assert text(c.message.value) == "轮次 R1 还是草稿，没有答卷：请先开放轮次并收集答卷"
    c.ledger.init_button.click()
    assert text(c.message.value) == "轮次 R1 还是草稿，没有答卷：请先开放轮次并收集答卷"
    api.open_round("R1", db=store)
    c.rounds.reload()
    for b in (c.reports.score_button, c.reports.report_button, c.reports.dl_scores):
        b.click()
        assert text(c.message.value) == "轮次 R1 还没有答卷：请先收集或导入答卷"
    c.reports.dl_reports.click()
    assert text(c.message.value).startswith(f"{tmp_path / 'reports' / 'R1'} 中还没有轮次 R1 的报告：请先生成报告")
    assert c.reports.downloads.value == ""
    assert not (tmp_path / "reports" / "R1").exists()


def test_simulate_score_reports_and_downloads(store, tmp_path, monkeypatch):
    import io
    import zipfile

    from openpyxl import load_workbook

    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.setenv("ZUOFENG_CONSOLE_REPORTS_URL", "/zuofeng/reports/")
    c = made(store)
    r, rep = c.rounds, c.reports
    r.open_button.click()
    r.confirm_button.click()
    r.simulate_button.click()
    stored = n_responses(store)
    assert stored > 0 and text(c.message.value) == f"已在轮次 R1 存入 {stored} 份模拟答卷"
    rep.score_button.click()
    assert text(c.message.value).endswith("轮次 R1 仍在开放：结果为初步结果")  # an open round: preliminary
    r.close_button.click()
    r.confirm_button.click()
    rep.score_button.click()
    assert text(c.message.value).startswith("轮次 R1 已计分：") and "初步" not in text(c.message.value)
    assert "BGS" in text(rep.output.value)
    rep.report_button.click()
    assert (tmp_path / "reports" / "R1" / "index.html").is_file(), c.message.value
    assert text(c.message.value).startswith("已生成 6 份报告")
    assert rep.progress.max == 6 and rep.progress.value == 6 and rep.progress.description == "报告 6/6"
    links = BeautifulSoup(rep.links.value, "html.parser").find_all("a")
    hrefs = [a["href"] for a in links]
    assert hrefs[0] == "/zuofeng/reports/R1/index.html" and links[0].text == "报告目录"
    named = {a["href"].rsplit("/", 1)[-1]: a.text for a in links[1:]}
    assert named["overview.html"] == "总体报告" and named["KJG.html"] == "科技馆（KJG）"
    assert sorted(hrefs[1:]) == sorted(["/zuofeng/reports/R1/overview.html"]
                                       + [f"/zuofeng/reports/R1/departments/{d}.html"
                                          for d in ("BGS", "XHB", "KPB", "KJG", "ZX")])
    for h in hrefs:
        assert (tmp_path / "reports" / Path(h.removeprefix("/zuofeng/reports/"))).is_file()

    def downloaded(button) -> tuple[str, bytes]:
        button.click()
        a = BeautifulSoup(rep.downloads.value, "html.parser").find("a")
        assert a is not None, c.message.value
        return a["download"], base64.b64decode(a["href"].split(",", 1)[1])

    name, data = downloaded(rep.dl_scores)
    expected = api.score_round("R1", db=store).table
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert name == "scores-R1.xlsx" and wb.sheetnames
    rows = sum(ws.max_row - 1 for ws in wb.worksheets if ws.max_row)
    assert rows == len(expected)  # every figure of the table, one row each, over the sheets by level
    name, data = downloaded(rep.dl_export)
    assert name == "R1.xlsx" and load_workbook(io.BytesIO(data), read_only=True).sheetnames
    name, data = downloaded(rep.dl_reports)
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert name == "reports-R1.zip" and "R1/index.html" in names and "R1/departments/KJG.html" in names
    assert not any(n.endswith(("scores.zip", "manifest.json")) for n in names)
    assert zipfile.ZipFile(io.BytesIO(data)).read("R1/index.html") == (tmp_path / "reports/R1/index.html").read_bytes()


def test_under_zuofeng_console_a_download_is_a_file_of_its_private_folder(store, tmp_path, monkeypatch):
    from zuofeng.console.base import offer

    folder = tmp_path / "downloads"
    folder.mkdir()
    monkeypatch.setenv("ZUOFENG_CONSOLE_DOWNLOADS", str(folder))
    monkeypatch.setenv("ZUOFENG_CONSOLE_DOWNLOADS_URL", "/zuofeng/downloads/")
    src = tmp_path / "x.xlsx"
    src.write_bytes(b"data")
    a = BeautifulSoup(offer(src, "下载", "zf-x"), "html.parser").find("a")
    sub, name = a["href"].removeprefix("/zuofeng/downloads/").split("/")
    assert name == "x.xlsx" and len(sub) >= 16 and (folder / sub / name).read_bytes() == b"data"
    assert not src.exists() and a["download"] == "x.xlsx"


def test_in_jupyterlab_the_links_use_the_files_route_of_the_project(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.delenv("ZUOFENG_CONSOLE_REPORTS_URL", raising=False)
    assert Console(db=store, auto_refresh=False).shell.link_base() == "/files/reports/"


def ledger_rows(c) -> dict[int, list[str]]:
    soup = BeautifulSoup(c.ledger.table.value, "html.parser")
    return {int(tr["data-id"]): [td.text for td in tr.find_all("td")] for tr in soup.select("table.zf-ledger tbody tr")}


def test_the_ledger_section_seeds_views_and_edits_entries_with_history(store):
    import datetime as dt

    from zuofeng.ledger import LedgerError

    c = made(store)
    api.open_round("R1", db=store)
    api.simulate_round("R1", seed=2, db=store)
    c.rounds.reload()
    assert c.ledger.department.options == () and c.ledger.table.value == "" and c.ledger.save_button.disabled
    c.ledger.init_button.click()
    stored = api.ledger_entries("R1", verify=False, db=store)
    assert len(stored) > 0 and text(c.message.value) == f"轮次 R1 台账：从问题清单新增 {len(stored)} 条"
    assert [v for _, v in c.ledger.department.options] == sorted(set(stored["department"]))
    assert c.ledger.department.value is None and c.ledger.table.value == ""  # nothing loaded before a pick
    c.ledger.init_button.click()
    assert text(c.message.value) == "轮次 R1 台账：从问题清单新增 0 条"  # safe to repeat

    dept = stored["department"].iloc[0]
    c.ledger.department.value = dept
    mine = stored[stored["department"] == dept]
    rows = ledger_rows(c)
    assert sorted(rows) == sorted(mine["id"]) and all(r[3] == "未启动" for r in rows.values())
    eid = c.ledger.entry.value
    assert eid == int(mine["id"].iloc[0]) and c.ledger.form.layout.display == "flex"
    assert c.ledger.status.options == ("未启动", "整改中", "已完成", "已销号")

    # no "recorded by": the API's one line, nothing stored
    c.ledger.measure.value = "由办公室主任负责，每月检查一次"
    c.ledger.leader.value, c.ledger.person.value = "张三", "<script>alert(1)</script>"
    c.ledger.deadline.value = dt.date(2020, 1, 31)
    c.ledger.status.value = "整改中"
    c.ledger.save_button.click()
    with pytest.raises(LedgerError) as no_by:
        api.ledger_update(eid, by="", status="整改中", db=store)
    assert text(c.message.value) == no_by.value.message and 'class="zf-error"' in c.message.value
    assert api.ledger_history("R1", entry_id=eid, db=store)["field"].tolist() == ["created"]

    c.ledger.by.value = "王明"
    c.ledger.save_button.click()
    assert text(c.message.value) == f"条目 #{eid}：改动 5 项，记录人 王明"
    row = api.ledger_entries("R1", department=dept, verify=False, db=store).set_index("id").loc[eid]
    assert (row["status"], row["leader"], row["person"], row["deadline"]) == (
        "整改中", "张三", "<script>alert(1)</script>", dt.date(2020, 1, 31))
    hist = api.ledger_history("R1", entry_id=eid, db=store)
    assert sorted(hist["field"][1:]) == ["deadline", "leader", "measure", "person", "status"]
    assert set(hist["recorded_by"][1:]) == {"王明"}
    # the table shows the new state, escaped, with the overdue flag
    assert "<script>" not in c.ledger.table.value and "&lt;script&gt;" in c.ledger.table.value
    assert ledger_rows(c)[eid][3] == "整改中" and "逾期未完成" in ledger_rows(c)[eid][8]
    assert c.ledger.entry.value == eid and c.ledger.status.options == ("整改中", "已完成", "已销号")

    # 已销号 without evidence: the one line, nothing changed
    c.ledger.status.value = "已销号"
    c.ledger.save_button.click()
    assert text(c.message.value) == "已销号需要佐证材料"
    assert api.ledger_entries("R1", verify=False, db=store).set_index("id").loc[eid, "status"] == "整改中"
    # a formula is refused
    c.ledger.status.value = "已完成"
    c.ledger.evidence.value = "=HYPERLINK(\"http://x\")"
    c.ledger.save_button.click()
    assert text(c.message.value).startswith("evidence 像是电子表格公式")
    assert api.ledger_entries("R1", verify=False, db=store).set_index("id").loc[eid, "evidence"] is None
    c.ledger.evidence.value = "整改报告"
    c.ledger.save_button.click()
    assert text(c.message.value).startswith(f"条目 #{eid}：改动 2 项")
    assert c.ledger.status.options == ("已完成", "已销号")  # forward only

    # back only with reopen; the move is kept in the history
    c.ledger.reopen.value = True
    assert c.ledger.status.options == ("未启动", "整改中", "已完成", "已销号")
    c.ledger.status.value = "整改中"
    c.ledger.save_button.click()
    last = api.ledger_history("R1", entry_id=eid, db=store).iloc[-1]
    assert (last["recorded_by"], last["field"], last["old_value"], last["new_value"]) == ("王明", "status", "已完成", "整改中")
    assert not c.ledger.reopen.value and c.ledger.status.options == ("整改中", "已完成", "已销号")


def test_the_ledger_table_shows_each_done_entrys_verification_once_the_next_round_exists(store, roster_file):
    from zuofeng.ledger.verify import VERIFICATION_TEXT

    c = made(store)
    api.open_round("R1", db=store)
    api.simulate_round("R1", seed=2, db=store)
    api.ledger_init("R1", db=store)
    entries = api.ledger_entries("R1", verify=False, db=store)
    dept = entries["department"].iloc[0]
    eid = int(entries["id"].iloc[0])
    api.ledger_update(eid, by="王明", status="已完成", db=store)
    c.rounds.reload(select="R1")
    c.ledger.department.value = dept
    assert ledger_rows(c)[eid][7] == "—"  # no next round yet
    api.create_round("R2", title="年终", roster=roster_file, previous="R1", db=store)
    api.open_round("R2", db=store)
    api.simulate_round("R2", seed=3, db=store)
    c.ledger.department.value = None
    c.ledger.department.value = dept
    verified = api.ledger_status("R1", db=store)[1].set_index("id")
    assert verified.loc[eid, "verification"] in VERIFICATION_TEXT["zh"]
    assert ledger_rows(c)[eid][7] == VERIFICATION_TEXT["zh"][verified.loc[eid, "verification"]]
    others = [i for i in ledger_rows(c) if i != eid]
    assert all(ledger_rows(c)[i][7] == "—" for i in others)  # not done: not verified



def test_ledger_progress_and_the_departments_workbooks_in_one_download(store):
    import io
    import zipfile

    from openpyxl import load_workbook

    c = made(store)
    c.ledger.workbooks_button.click()  # no entries yet: the API's line, no link
    assert "还没有台账条目" in text(c.message.value) and c.ledger.workbooks.value == ""
    api.open_round("R1", db=store)
    api.simulate_round("R1", seed=2, db=store)
    api.ledger_init("R1", db=store)
    entries = api.ledger_entries("R1", verify=False, db=store)
    eid = int(entries["id"].iloc[0])
    api.ledger_update(eid, by="王明", status="整改中", db=store)
    c.rounds.reload()
    c.ledger.status_button.click()
    soup = BeautifulSoup(c.ledger.summary.value, "html.parser")
    head = [th.text for th in soup.select("thead th")]
    assert head[:6] == ["部门", "条目数", "未启动", "整改中", "已完成", "已销号"]
    shown = {tr.find("td").text.split()[0]: [td.text for td in tr.find_all("td")] for tr in soup.select("tbody tr")}
    counts = entries["department"].value_counts()
    assert {d: int(r[1]) for d, r in shown.items()} == {d: int(n) for d, n in counts.items()}
    dept = entries["department"].iloc[0]
    assert shown[dept][3] == "1"  # the one entry moved to 整改中
    c.ledger.workbooks_button.click()
    a = BeautifulSoup(c.ledger.workbooks.value, "html.parser").find("a")
    assert a["download"] == "ledger-R1.zip"
    z = zipfile.ZipFile(io.BytesIO(base64.b64decode(a["href"].split(",", 1)[1])))
    assert sorted(z.namelist()) == sorted(f"{d}.xlsx" for d in counts.index)
    ws = load_workbook(io.BytesIO(z.read(f"{dept}.xlsx")))["整改台账"]
    header = [c_.value for c_ in ws[1]]
    statuses = [r[header.index("状态")] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert "整改中" in statuses and len([s for s in statuses if s]) == counts[dept]
