"""The console in a real browser: `zuofeng console` in a subprocess, Debian's headless Chromium via Playwright,
through create → open → simulate → status → close → score → report.

Screenshots of every step go to ``test-artifacts/console/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, ROSTER_CSV, chromium_available, require_or_skip
from tests.test_survey_browser import ARGS, free_port

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "console"


def wait_for_line(log: Path, proc: subprocess.Popen, pattern: str, timeout: float = 60) -> re.Match:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = re.search(pattern, log.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            raise AssertionError(f"zuofeng console exited with {proc.returncode}: {log.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} from zuofeng console within {timeout} s: {log.read_text()}")


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
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "zuofeng", "console", "--port", str(port)], cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        m = wait_for_line(log, proc, r"at (http://127\.0\.0\.1:\d+/)\?token=(\S+)")
        end = time.monotonic() + 30
        while status_of(m.group(1)) not in (200, 302, 403) and time.monotonic() < end:
            time.sleep(0.3)
        yield {"base": m.group(1), "token": m.group(2), "home": tmp_path, "log": log, "proc": proc}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def message(page) -> str:
    return page.inner_text(".zf-message")


def wait_message(page, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function("t => (document.querySelector('.zf-message')?.innerText || '').includes(t)", arg=text,
                           timeout=timeout)


@pytest.mark.browser
def test_a_round_from_roster_to_reports_in_the_console(console, tmp_path):
    require_or_skip(chromium_available(), f"Chromium is not installed at {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base, token = console["base"], console["token"]
    assert status_of(base) in (302, 403)  # no token, no console
    assert status_of(base + "zuofeng/reports/R1/index.html") in (302, 403)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    shot = iter(range(1, 100))

    def snap(page, name, at=None):
        if at:  # Voilà scrolls inside the page: bring the step's result into view
            page.locator(at).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{next(shot):02d}-{name}.png"), full_page=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            requested = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(f"{base}?token={token}", wait_until="commit")
            page.wait_for_selector(".zf-console", state="visible", timeout=90_000)
            assert "no zuofeng store at" in message(page)  # nothing created by looking
            snap(page, "empty-store")
            # create
            page.fill(".zf-code input", "R1")
            page.fill(".zf-title input", "2022年作风建设基线测评")
            with page.expect_file_chooser() as chooser:
                page.click(".zf-roster")
            chooser.value.set_files(str(roster))
            page.wait_for_function("() => document.querySelector('.zf-roster')?.innerText.includes('1')")
            page.click(".zf-create")
            wait_message(page, "created round R1")
            snap(page, "created")
            # open, with confirmation
            page.click(".zf-open")
            page.wait_for_selector(".zf-confirm-text", state="visible")
            assert "Open round R1?" in page.inner_text(".zf-confirm-text")
            snap(page, "open-confirm")
            page.click(".zf-confirm")
            wait_message(page, "round R1 is open")
            snap(page, "opened")
            # coverage before any answer: every row a blind spot
            page.click(".zf-status")
            page.wait_for_selector("table.zf-cov tr.zf-gap")
            assert page.locator("table.zf-cov tbody tr.zf-gap").count() == 10
            red = page.eval_on_selector("tr.zf-gap td", "e => getComputedStyle(e).backgroundColor")
            assert red == "rgb(255, 205, 210)"  # 盲区 in red
            assert "console_app" not in page.content()  # sources hidden
            snap(page, "status-blind-spots", "table.zf-cov")
            # simulate, then status
            page.click(".zf-simulate")
            wait_message(page, "simulated answer sheets in round R1")
            page.click(".zf-status")
            page.wait_for_function("() => !document.querySelector('table.zf-cov tr.zf-gap')")
            assert page.locator("table.zf-cov tbody tr").count() == 10
            snap(page, "status-after-simulate", "table.zf-cov")
            # close, with confirmation
            page.click(".zf-close")
            page.wait_for_selector(".zf-confirm-text", state="visible")
            page.click(".zf-confirm")
            wait_message(page, "round R1 is closed")
            snap(page, "closed")
            # score
            page.click(".zf-score")
            wait_message(page, "scored round R1")
            assert "BGS" in page.inner_text(".zf-score-output")
            snap(page, "scored", ".zf-score-output")
            # the ledger: seed it from the problem list, pick a department, edit an entry, save
            page.click(".zf-ledger-init")
            wait_message(page, "from the problem list")
            # a topic of the department's own too (the problem list of a small synthetic round may be
            # empty under the evidence rules); seeding again adds nothing and shows it in the picker
            from zuofeng import api
            api.ledger_add("R1", "BGS", "会议文件过多", by="测试", db=f"sqlite:///{tmp_path / 'data' / 'zuofeng.db'}")
            page.click(".zf-ledger-init")
            page.wait_for_function("() => { const s = document.querySelector('.zf-ledger-department select');"
                                   " return s && s.options.length > 0; }", timeout=60_000)
            first = page.eval_on_selector(".zf-ledger-department select", "s => s.options[0].value")
            page.select_option(".zf-ledger-department select", first)
            page.wait_for_selector("table.zf-ledger tbody tr")
            page.fill(".zf-ledger-by input", "王明")
            page.select_option(".zf-ledger-status select", "整改中")
            page.click(".zf-ledger-save")
            wait_message(page, "field(s) changed, recorded by 王明")
            assert "整改中" in page.inner_text("table.zf-ledger tbody tr:first-child")
            snap(page, "ledger", ".zf-ledger-table")
            # reports, with a progress bar and links
            page.click(".zf-report")
            page.wait_for_selector(".zf-index-link", timeout=300_000)
            assert "报告 6/6" in page.inner_text(".zf-progress")
            snap(page, "reports", ".zf-links")
            href = page.get_attribute(".zf-index-link", "href")
            assert href == "/zuofeng/reports/R1/index.html"
            assert (tmp_path / "reports" / "R1" / "index.html").is_file()
            index = ctx.new_page()
            index.goto(base.rstrip("/") + href)
            assert "2022年作风建设基线测评" in index.content() and "科技馆" in index.inner_text("body")
            snap(index, "index")
            # the reports folder serves HTML pages only, and only with the login cookie
            assert status_of(base + "zuofeng/reports/R1/index.html") in (302, 403)
            staging = tmp_path / "reports" / ".R1.tmp-0000"
            staging.mkdir()
            (staging / "index.html").write_text("<p>half done</p>", encoding="utf-8")
            for path in ("R1/scores.zip", "R1/manifest.json", ".R1.tmp-0000/index.html", "../data/zuofeng.db"):
                assert ctx.request.get(base + "zuofeng/reports/" + path).status in (403, 404), path
            assert ctx.request.get(base + "zuofeng/reports/R1/departments/BGS.html").status == 200
            nb = ctx.request.get(base + "zuofeng/reports/R1/departments/BGS.ipynb")  # the index links it
            assert nb.status == 200 and "attachment" in nb.headers["content-disposition"]
            assert all(u.startswith((base, "data:", "blob:")) for u in requested), \
                [u for u in requested if not u.startswith(base)]  # nothing from another site
            # a phone-width look at the console
            phone = browser.new_context(viewport={"width": 375, "height": 800})
            pp = phone.new_page()
            pp.goto(f"{base}?token={token}", wait_until="commit")
            pp.wait_for_selector(".zf-console", state="visible", timeout=90_000)
            snap(pp, "phone-375")
        finally:
            browser.close()
    log = console["log"].read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
