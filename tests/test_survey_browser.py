"""The survey in a real browser: `zuofeng serve` in a subprocess, Debian's headless Chromium via Playwright.

Screenshots (desktop 1280 px and phone 375 px) go to ``test-artifacts/survey/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from tests.conftest import CHROMIUM, chromium_available, require_or_skip
from zuofeng.collect.tokens import issue_tokens
from zuofeng.rounds import create_round, set_status
from zuofeng.store import answers, open_engine, responses

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "survey"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COMMENT = "建议：窗口服务再快一些 <b>ok</b>"
IDLE = 5  # seconds: short, so that the test sees closed pages' kernels go and a long-pooled kernel survive


def kernels(server) -> list:
    out = []
    for p in server.children(recursive=True):
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 40) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"zuofeng serve exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"zuofeng serve did not listen on {port} within {timeout} s")


@pytest.fixture
def served(tmp_path, roster_file):
    """An open round with tokens, served by `zuofeng serve` on a free loopback port."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="2022年作风建设基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    toks = [t for t in issue_tokens(engine, "R1", kind="peer") if t.scope.view == "peer_outside"]
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zuofeng", "serve", "R1", "--db", url, "--port", str(port),
             "--pool-size", "1", "--idle-timeout", str(IDLE)],
            cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ))
    try:
        wait_for_port(port, proc)
        yield {"engine": engine, "url": f"http://127.0.0.1:{port}/", "tokens": toks, "log": log, "pid": proc.pid}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        engine.dispose()


def open_page(browser, url, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})  # a fresh profile per page
    page = ctx.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".zf-start", state="visible", timeout=30_000)
    return ctx, page


def start(page, token):
    page.fill(".zf-token input", token)
    page.click(".zf-start")


@pytest.mark.browser
def test_a_respondent_answers_in_chromium(served):
    require_or_skip(chromium_available(), f"Chromium is not installed at {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tok, spare = served["tokens"][0], served["tokens"][1]
    clicked = {n: (n * 7) % 6 for n in range(1, 23)}  # button index: 0..4 = scale 1..5, 5 = 不了解
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # desktop: answer everything and submit. The preheated kernel has waited in the pool for
            # longer than the idle timeout: taking it out of the pool must not get it culled.
            time.sleep(IDLE + 3)
            ctx, page = open_page(browser, served["url"], 1280)
            assert "隐私承诺" in page.inner_text(".zf-survey") and "少于5人" in page.inner_text(".zf-survey")
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-token.png"))
            start(page, tok.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=20_000)
            assert page.is_disabled(".zf-submit")
            for n, idx in clicked.items():
                page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(idx).click()
            page.locator(".zf-category button.widget-toggle-button").nth(0).click()  # 党员
            page.locator(".zf-overall button.widget-toggle-button").nth(1).click()  # 较好
            page.fill(".zf-comment textarea", COMMENT)
            page.wait_for_selector(".zf-submit:enabled", timeout=20_000)
            assert "已答 22 / 22 题" in page.inner_text(".zf-progress")
            page.set_viewport_size({"width": 1280, "height": 6000})  # Voilà scrolls an inner box: use a tall view
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-form.png"))
            page.set_viewport_size({"width": 1280, "height": 900})
            page.click(".zf-submit")
            page.wait_for_selector(".zf-thanks", state="visible", timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-thanks.png"))
            ctx.close()

            # phone: the form fits 375 px without horizontal scrolling; answer buttons wrap
            ctx, page = open_page(browser, served["url"], 375)
            page.screenshot(path=str(ARTIFACTS / "phone-375-token.png"))
            start(page, spare.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=20_000)
            width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            assert width <= 375
            buttons = page.locator(".zf-q01 button.widget-toggle-button")
            tops = {round(buttons.nth(i).bounding_box()["y"]) for i in range(6)}
            assert len(tops) >= 2  # the six options take several rows
            assert all(buttons.nth(i).bounding_box()["x"] + buttons.nth(i).bounding_box()["width"] <= 375
                       for i in range(6))
            page.set_viewport_size({"width": 375, "height": 9000})
            page.screenshot(path=str(ARTIFACTS / "phone-375-form.png"))
            ctx.close()

            # the used token on a fresh page is refused
            ctx, page = open_page(browser, served["url"], 375)
            start(page, tok.token)
            page.wait_for_selector(".zf-message .zf-msg-error", timeout=20_000)
            assert "已经使用过" in page.inner_text(".zf-message")
            assert page.locator(".zf-q01").count() == 0
            page.screenshot(path=str(ARTIFACTS / "phone-375-used-token.png"))
            ctx.close()
        finally:
            browser.close()

    # the kernels of the closed pages are shut down; only the preheated pool kernel stays
    server = psutil.Process(served["pid"])
    end = time.monotonic() + 4 * IDLE
    while time.monotonic() < end and len(kernels(server)) > 1:
        time.sleep(0.5)
    assert len(kernels(server)) == 1

    engine = served["engine"]
    with engine.connect() as c:
        rows = c.execute(select(responses)).mappings().all()
        got = {a.item: a.value for a in c.execute(select(answers))}
    assert len(rows) == 1
    r = rows[0]
    assert (r["kind"], r["rater"], r["target"]) == ("peer", tok.scope.rater, tok.scope.target)
    assert (r["category"], r["overall"], r["comment"], r["source"]) == ("党员", "较好", COMMENT, "survey")
    assert got == {n: (None if idx == 5 else idx + 1) for n, idx in clicked.items()}

    log = served["log"].read_text(encoding="utf-8", errors="replace")
    for secret in (tok.token, tok.token.replace("-", ""), spare.token, spare.token.replace("-", ""), COMMENT):
        assert secret not in log
    # no traceback from our code; ipykernel 7 may log an ENOTSOCK traceback while a culled kernel shuts
    # down (upstream ipython/ipykernel#1518), which carries no respondent data
    assert not re.search(r'File "[^"]*zuofeng[/\\]', log), log
