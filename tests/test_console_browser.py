"""The console in a real browser: `zuofeng console` in a subprocess, Debian's headless Chromium via Playwright.
A new analyst goes from roster upload to rendered reports and downloads, in Chinese, without a command line.

Screenshots of every step go to ``test-artifacts/console/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import launch, sync_playwright_or_skip
from tests.support.server import free_port, spawn, stop, wait_for_line, zuofeng
from tests.support.store import ROSTER_CSV

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "console"


def status_of(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(NoRedirect).open(url, timeout=30).status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError:
        return 0  # not listening (yet)


@pytest.fixture
def console(tmp_path):
    """`zuofeng console` on a free loopback port, its project folder and store in tmp_path."""
    port = free_port()
    log = tmp_path / "console.log"
    env = dict(os.environ, ZUOFENG_HOME=str(tmp_path), ZUOFENG_DB=f"sqlite:///{tmp_path / 'data' / 'zuofeng.db'}")
    (tmp_path / "data").mkdir()
    proc = spawn(zuofeng("console", "--port", str(port)), cwd=tmp_path, log=log, env=env)
    try:
        m = wait_for_line(log, proc, r"at (http://127\.0\.0\.1:\d+/)\?token=(\S+)")
        end = time.monotonic() + 30
        while status_of(m.group(1)) not in (200, 302, 403) and time.monotonic() < end:
            time.sleep(0.3)
        yield {"base": m.group(1), "token": m.group(2), "home": tmp_path, "log": log, "proc": proc}
    finally:
        stop(proc)


def message(page) -> str:
    return page.inner_text(".zf-message")


def wait_message(page, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function("t => (document.querySelector('.zf-message')?.innerText || '').includes(t)", arg=text,
                           timeout=timeout)


def upload(page, selector: str, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click(selector)
    chooser.value.set_files(str(path))
    page.wait_for_function("s => document.querySelector(s)?.innerText.includes('1')", arg=selector)


def download(page, selector: str, folder: Path) -> Path:
    """Click a download link; return the file the browser saved."""
    page.wait_for_selector(selector, state="visible", timeout=120_000)
    with page.expect_download(timeout=120_000) as got:
        page.click(selector)
    path = folder / got.value.suggested_filename
    got.value.save_as(path)
    return path


ITEMS = ",".join(f"q{n:02d}" for n in range(1, 23))
# 科技馆 votes on paper: its typed-in ballots come as the import template
PAPER_ROSTER = ROSTER_CSV.replace("code,name,unit_type,headcount,party_members,division,peer_targets",
                                  "code,name,unit_type,headcount,party_members,division,peer_targets,paper") \
    .replace("KJG,科技馆,事业单位,25,12,事业单位,", "KJG,科技馆,事业单位,60,30,事业单位,,1")
BALLOTS = (f"kind,department,target,category,overall,comment,{ITEMS}\n"
           + "".join(f"self,KJG,,{c},,,{','.join(['4'] * 22)}\n" for c in ["党员", "非党员"] * 3))


@pytest.mark.browser
def test_a_new_analyst_runs_a_round_from_roster_to_downloads_in_chinese(console, tmp_path):
    import io
    import zipfile

    from openpyxl import load_workbook

    sync_playwright = sync_playwright_or_skip(ARTIFACTS)
    base, token = console["base"], console["token"]
    assert status_of(base) in (302, 403)  # no token, no console
    assert status_of(base + "zuofeng/reports/R1/index.html") in (302, 403)
    assert status_of(base + "zuofeng/downloads/x/y.xlsx") in (302, 403)
    bad = tmp_path / "bad-roster.csv"
    bad.write_text(PAPER_ROSTER.replace("科普部,机关部室,10", "科普部,机关部室,十"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(PAPER_ROSTER, encoding="utf-8")
    ballots = tmp_path / "ballots.csv"
    ballots.write_text(BALLOTS, encoding="utf-8")
    saved = tmp_path / "saved"
    saved.mkdir()
    shot = iter(range(1, 100))

    def snap(page, name, at=None):
        if at:  # Voilà scrolls inside the page: bring the step's result into view
            page.locator(at).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{next(shot):02d}-{name}.png"), full_page=True)

    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page = ctx.new_page()
            requested = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(f"{base}?token={token}", wait_until="commit")
            page.wait_for_selector(".zf-console", state="visible", timeout=90_000)
            assert "找不到 zuofeng 数据库" in message(page)  # nothing created by looking
            body = page.inner_text(".zf-console")
            for word in ("分析员控制台", "测评轮次", "答题码与分享", "答卷覆盖率", "导入答卷文件", "计分与报告", "整改台账",
                         "还没有轮次：请在下面新建一个"):
                assert word in body, word
            snap(page, "empty-store")
            # a roster with a mistake: the error and its line, highlighted; nothing created
            page.fill(".zf-code input", "R1")
            page.fill(".zf-title input", "2022年作风建设基线测评")
            upload(page, ".zf-roster", bad)
            page.click(".zf-create")
            page.wait_for_selector(".zf-roster-lines tr.zf-bad")
            assert "第 4 行" in message(page) and "headcount" in message(page)
            assert page.inner_text(".zf-roster-caption") == "名册第 4 行"
            assert "十" in page.inner_text(".zf-roster-lines tr.zf-bad")
            snap(page, "roster-error", ".zf-roster-problem")
            # the corrected roster
            upload(page, ".zf-roster", roster)
            page.click(".zf-create")
            wait_message(page, "已创建轮次 R1")
            assert "草稿" in page.inner_text(".zf-round-info")
            assert "R1" in page.inner_text("table.zf-round-list")
            snap(page, "created")
            # score a draft: one Chinese line
            page.click(".zf-score")
            wait_message(page, "轮次 R1 还是草稿，没有答卷：请先开放轮次并收集答卷")
            # open, with confirmation
            page.click(".zf-open")
            page.wait_for_selector(".zf-confirm-text", state="visible")
            assert "开放轮次 R1？" in page.inner_text(".zf-confirm-text")
            snap(page, "open-confirm")
            page.click(".zf-confirm")
            wait_message(page, "轮次 R1 已开放")
            # coverage before any answer: every row a blind spot, in red
            page.wait_for_selector("table.zf-cov tr.zf-gap")
            assert page.locator("table.zf-cov tbody tr.zf-gap").count() == 10
            red = page.eval_on_selector("tr.zf-gap td", "e => getComputedStyle(e).backgroundColor")
            assert red == "rgb(255, 205, 210)"  # 盲区 in red
            assert "console_app" not in page.content()  # sources hidden
            snap(page, "coverage-blind-spots", "table.zf-cov")
            # 答题码 slips and the share page
            page.fill(".zf-survey-url input", "https://survey.example.org/r1")
            page.click(".zf-issue")
            wait_message(page, "个新答题码")
            slips = download(page, "a.zf-slips-link", saved)
            assert slips.name == "slips-R1.html"
            slip_page = slips.read_text(encoding="utf-8")
            issued = int(re.search(r"发放 (\d+) 个新答题码", message(page)).group(1))
            assert slip_page.count('class="token"') == issued > 0 and "答题码" in slip_page
            page.click(".zf-share")
            wait_message(page, "分享页已生成")
            snap(page, "share", ".zf-share-page")
            share = ctx.new_page()
            share.set_viewport_size({"width": 1280, "height": 720})  # a projector
            share.goto(base.rstrip("/") + page.get_attribute("a.zf-share-link", "href"))
            assert "扫码参加测评" in share.inner_text("body")
            assert share.inner_text(".url") == "https://survey.example.org/r1"
            box = share.locator("svg.qr").bounding_box()
            assert box["height"] >= 300 and box["y"] + box["height"] <= 720  # large, and on the screen
            snap(share, "share-projector")
            share.close()
            # answers arrive: the coverage refreshes by itself while the round is open
            page.click(".zf-simulate")
            wait_message(page, "份模拟答卷")
            page.wait_for_function("() => !document.querySelector('table.zf-cov tr.zf-gap')", timeout=30_000)
            snap(page, "coverage-after-answers", "table.zf-cov")
            # an answer file: the dry-run table first, then the import
            upload(page, ".zf-import-file", ballots)
            page.click(".zf-dry-run")
            wait_message(page, "预检通过：6 份答卷有效")
            assert page.inner_text(".zf-dry-head") == "预检结果：6 份答卷（template）有效，尚未存入"
            assert page.is_enabled(".zf-import")
            snap(page, "dry-run", ".zf-import-preview")
            page.click(".zf-import")
            wait_message(page, "已向轮次 R1 导入 6 份答卷")
            # close, with confirmation; score
            page.click(".zf-close")
            page.wait_for_selector(".zf-confirm-text", state="visible")
            page.click(".zf-confirm")
            wait_message(page, "轮次 R1 已关闭")
            page.click(".zf-score")
            wait_message(page, "轮次 R1 已计分")
            assert "科技馆" in page.inner_text(".zf-score-output")
            snap(page, "scored", ".zf-score-output")
            # reports, with a progress bar and links
            page.click(".zf-report")
            page.wait_for_selector(".zf-index-link", timeout=300_000)
            wait_message(page, "已生成 6 份报告")
            assert "报告 6/6" in page.inner_text(".zf-progress")
            snap(page, "reports", ".zf-links")
            href = page.get_attribute(".zf-index-link", "href")
            assert href == "/zuofeng/reports/R1/index.html"
            index = ctx.new_page()
            index.goto(base.rstrip("/") + href)
            assert "2022年作风建设基线测评" in index.content() and "科技馆" in index.inner_text("body")
            snap(index, "index")
            index.close()
            # the downloads: scores, export, report folder
            page.click(".zf-dl-scores")
            scores = download(page, "a.zf-scores-link", saved)
            wb = load_workbook(scores, read_only=True)
            assert scores.name == "scores-R1.xlsx" and sum(ws.max_row - 1 for ws in wb.worksheets) > 100
            cells = {str(c) for ws in wb.worksheets for r in ws.iter_rows(max_row=200, values_only=True) for c in r}
            assert "KJG" in cells
            page.click(".zf-dl-reports")
            folder = download(page, "a.zf-reports-link", saved)
            z = zipfile.ZipFile(folder)
            assert folder.name == "reports-R1.zip" and "R1/index.html" in z.namelist()
            assert z.read("R1/departments/KJG.html") == (tmp_path / "reports/R1/departments/KJG.html").read_bytes()
            page.click(".zf-dl-export")
            export = download(page, "a.zf-export-link", saved)
            assert export.name == "R1.xlsx" and load_workbook(export, read_only=True).sheetnames
            snap(page, "downloads", ".zf-downloads")
            # the ledger: seed it, its progress, every department's workbook, one entry edited
            page.click(".zf-ledger-init")
            wait_message(page, "台账：从问题清单新增")
            n = int(re.search(r"新增 (\d+) 条", message(page)).group(1))
            from zuofeng import api

            if n == 0:  # the problem list of a small synthetic round may be empty under the evidence rules
                api.ledger_add("R1", "KJG", "窗口服务态度", by="测试", db=f"sqlite:///{tmp_path / 'data' / 'zuofeng.db'}")
            page.click(".zf-ledger-progress")
            page.wait_for_selector("table.zf-ledger-summary")
            assert "完成率" in page.inner_text("table.zf-ledger-summary")
            page.click(".zf-dl-ledger")
            workbooks = download(page, "a.zf-ledger-link", saved)
            names = zipfile.ZipFile(workbooks).namelist()
            assert workbooks.name == "ledger-R1.zip" and names and all(x.endswith(".xlsx") for x in names)
            first_book = load_workbook(io.BytesIO(zipfile.ZipFile(workbooks).read(names[0])))
            assert "整改台账" in first_book.sheetnames
            page.wait_for_function("() => { const s = document.querySelector('.zf-ledger-department select');"
                                   " return s && s.options.length > 0; }", timeout=60_000)
            first = page.eval_on_selector(".zf-ledger-department select", "s => s.options[0].value")
            page.select_option(".zf-ledger-department select", first)
            page.wait_for_selector("table.zf-ledger tbody tr")
            page.fill(".zf-ledger-by input", "王明")
            page.select_option(".zf-ledger-status select", "整改中")
            page.click(".zf-ledger-save")
            wait_message(page, "记录人 王明")
            assert "整改中" in page.inner_text("table.zf-ledger tbody tr:first-child")
            snap(page, "ledger", ".zf-ledger-table")
            # the reports and downloads routes serve what they should, and only with the login cookie
            assert status_of(base + "zuofeng/reports/R1/index.html") in (302, 403)
            dl_href = page.get_attribute("a.zf-ledger-link", "href")
            assert dl_href.startswith("/zuofeng/downloads/")
            assert status_of(base.rstrip("/") + dl_href) in (302, 403)
            got = ctx.request.get(base.rstrip("/") + dl_href)
            assert got.status == 200 and "attachment" in got.headers["content-disposition"]
            staging = tmp_path / "reports" / ".R1.tmp-0000"
            staging.mkdir()
            (staging / "index.html").write_text("<p>half done</p>", encoding="utf-8")
            for path in ("R1/scores.zip", "R1/manifest.json", ".R1.tmp-0000/index.html", "../data/zuofeng.db"):
                assert ctx.request.get(base + "zuofeng/reports/" + path).status in (403, 404), path
            assert ctx.request.get(base + "zuofeng/downloads/../console/console.ipynb").status in (403, 404)
            nb = ctx.request.get(base + "zuofeng/reports/R1/departments/BGS.ipynb")  # the index links it
            assert nb.status == 200 and "attachment" in nb.headers["content-disposition"]
            assert all(u.startswith((base, "data:", "blob:")) for u in requested), \
                [u for u in requested if not u.startswith(base)]  # nothing from another site
            snap(page, "desktop")
            # a phone-width look at the console: nothing wider than the screen
            phone = browser.new_context(viewport={"width": 375, "height": 800})
            pp = phone.new_page()
            pp.goto(f"{base}?token={token}", wait_until="commit")
            pp.wait_for_selector(".zf-console table.zf-cov", state="visible", timeout=90_000)
            width = pp.evaluate("() => document.documentElement.scrollWidth")
            snap(pp, "phone-375")
            assert width <= 375, width
        finally:
            browser.close()
    log = console["log"].read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
