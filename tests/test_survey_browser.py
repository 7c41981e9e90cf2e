"""The survey in a real browser: `zuofeng serve` in a subprocess, Debian's headless Chromium via Playwright.

Screenshots (desktop 1280 px and phone 375 px) go to ``test-artifacts/survey/`` (git-ignored).
"""

from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from tests.support.browser import launch, sync_playwright_or_skip
from tests.support.server import free_port, kernels, spawn, stop, wait_for_port, zuofeng
from zuofeng.collect.server.opening_queue import OPENING_WAIT
from zuofeng.collect.tokens import issue_tokens
from zuofeng.rounds import create_round, set_status
from zuofeng.store import answers, open_engine, responses

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "survey"
COMMENT = "建议：窗口服务再快一些 <b>ok</b>"
IDLE = 5  # seconds: short, so that the test sees closed pages' kernels go and a long-pooled kernel survive


def kernel_of(proc, kernel_id: str) -> bool:
    """Whether ``proc`` is the kernel ``kernel_id``: its command line names the connection file, or (a kernel
    forked from the fork server, whose command line is rewritten) it listens on the connection's ipc sockets
    (``kernel-<id>-ipc-<port>``)."""
    try:
        if any(kernel_id in part for part in proc.cmdline()):
            return True
        return any(kernel_id in (c.laddr or "") for c in proc.net_connections(kind="unix"))
    except psutil.Error:
        return False


def playwright_or_skip():
    """Playwright's ``sync_playwright`` for the Chromium here (a skip without it, a failure on CI), with the
    screenshots' folder made."""
    return sync_playwright_or_skip(ARTIFACTS)


def with_pool_kernel(served, seconds: float = 40) -> psutil.Process:
    """The server's process, once its first preheated kernel runs (or ``seconds`` later)."""
    server = psutil.Process(served["pid"])
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(kernels(server)) < 1:
        time.sleep(0.3)
    return server


@pytest.fixture
def served(tmp_path, roster_file):
    """An open round with tokens, served by `zuofeng serve` on a free loopback port."""
    yield from serve_round(tmp_path, roster_file, IDLE)


@pytest.fixture
def served_patient(tmp_path, roster_file):
    """The same with a minute's idle timeout: a page offline for a moment keeps its kernel."""
    yield from serve_round(tmp_path, roster_file, 60)


def serve_round(tmp_path, roster_file, idle, *extra, host="127.0.0.1"):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="2022年作风建设基线测评", roster=roster_file)
    set_status(engine, "R1", "open")
    toks = [t for t in issue_tokens(engine, "R1", kind="peer") if t.scope.view == "peer_outside"]
    port = free_port()
    log = tmp_path / "serve.log"
    proc = spawn(zuofeng("serve", "R1", "--db", url, "--host", host, "--port", str(port), "--pool-size", "1",
                         "--idle-timeout", str(idle), *extra), cwd=tmp_path, log=log)
    try:
        wait_for_port(port, proc, host=host)
        yield {"engine": engine, "url": f"http://{host}:{port}/", "tokens": toks, "log": log, "pid": proc.pid}
    finally:
        stop(proc)
        engine.dispose()


REFUSED: list[str] = []  # what the pages' Content-Security-Policy refused (Chromium says so on the console)


def open_page(browser, url, width, evaluate=False):
    """A fresh profile per page; ``evaluate``: let Playwright evaluate expression strings in it (its
    ``wait_for_function`` uses eval, which the pages' Content-Security-Policy refuses)."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=evaluate)
    page = ctx.new_page()
    page.on("console", lambda m: REFUSED.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#zf-token", state="visible", timeout=30_000)
    return ctx, page


def start(page, token):
    """Type the token on the entry page and press Enter (the form submits; no button click needed)."""
    page.fill("#zf-token", token)
    page.press("#zf-token", "Enter")


@pytest.mark.browser
def test_a_respondent_answers_in_chromium(served):
    sync_playwright = playwright_or_skip()
    tok, spare = served["tokens"][0], served["tokens"][1]
    clicked = {n: (n * 7) % 6 for n in range(1, 23)}  # button index: 0..4 = scale 1..5, 5 = 不了解
    REFUSED.clear()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            # desktop: answer everything and submit. The preheated kernel has waited in the pool for
            # longer than the idle timeout: taking it out of the pool must not get it culled.
            time.sleep(IDLE + 3)
            ctx, page = open_page(browser, served["url"], 1280)
            assert "隐私承诺" in page.inner_text("body") and "少于5人" in page.inner_text("body")
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-token.png"))
            start(page, tok.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=30_000)
            assert page.url == served["url"] + "survey"  # no token, no ticket in the address
            assert page.evaluate("document.documentElement.lang") == "zh-CN"
            for n, idx in clicked.items():
                page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(idx).click()
            page.locator(".zf-category button.widget-toggle-button").nth(0).click()  # 党员
            page.locator(".zf-overall button.widget-toggle-button").nth(1).click()  # 较好
            page.fill(".zf-comment textarea", COMMENT)
            page.wait_for_function("document.querySelector('.zf-progress').innerText.includes('已答 22 / 22 题')",
                                   timeout=20_000)
            page.set_viewport_size({"width": 1280, "height": 6000})  # Voilà scrolls an inner box: use a tall view
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-form.png"))
            page.set_viewport_size({"width": 1280, "height": 900})
            page.click(".zf-submit")
            page.wait_for_selector(".zf-thanks", state="visible", timeout=20_000)
            # the page stays open on the thank-you (a connected page is never culled), yet its kernel
            # ends once the sheet is stored (after the idle timeout here, 30 s by default)
            server = psutil.Process(served["pid"])
            end = time.monotonic() + IDLE + 20
            while time.monotonic() < end and len(kernels(server)) > 1:
                time.sleep(0.5)
            assert len(kernels(server)) == 1  # the refilled pool's only
            time.sleep(2)
            assert page.is_visible(".zf-thanks")
            assert page.evaluate("(() => { const b = document.getElementById('zf-conn'); return !b || b.hidden; })()")
            page.screenshot(path=str(ARTIFACTS / "desktop-1280-thanks.png"))
            ctx.close()

            # phone: the form fits 375 px without horizontal scrolling; answer buttons wrap
            ctx, page = open_page(browser, served["url"], 375)
            page.screenshot(path=str(ARTIFACTS / "phone-375-token.png"))
            # while the respondent types, the entry page's service worker stores the survey's static
            # files (those the first survey page loaded) in the browser's cache storage
            page.wait_for_function("navigator.serviceWorker.getRegistration()"
                                   ".then(r => !!(r && r.active && r.active.state === 'activated'))", timeout=30_000)
            start(page, spare.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=30_000)
            assert page.evaluate("!!navigator.serviceWorker.controller")
            cached = page.evaluate("""async () => { const out = [];
                for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys())
                  out.push(new URL(r.url).pathname); return out; }""")
            assert len(cached) >= 20 and "/voila/static/voila.js" in cached
            assert any(u.startswith("/voila/labextensions/@jupyter-widgets/") for u in cached)  # the widget manager
            assert all(re.match(r"/voila/(static|labextensions|templates)/", u) for u in cached)  # no page, no token
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

            # the used token on a fresh page is refused by the entry page: no kernel
            ctx, page = open_page(browser, served["url"], 375)
            start(page, tok.token)
            page.wait_for_selector("#zf-message.zf-msg-error", timeout=20_000)
            assert "已经使用过" in page.inner_text("#zf-message")
            assert page.url == served["url"] + "start" and page.locator(".zf-q01").count() == 0
            assert page.input_value("#zf-token") == ""  # the token is not echoed back
            page.screenshot(path=str(ARTIFACTS / "phone-375-used-token.png"))
            ctx.close()
        finally:
            browser.close()
    # every page ran under its Content-Security-Policy (script-src: this server and the response's nonce)
    # and nothing it needed was refused
    assert REFUSED == []

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


def answer_and_submit(page, clicked: dict, first: int, overall: int) -> None:
    """Click the answers ``clicked`` from item ``first`` to 22 and the overall rating's button ``overall``,
    then submit once the progress line says all 22 are answered, and wait for the thank-you."""
    for n in range(first, 23):
        page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(clicked[n]).click()
    page.locator(".zf-overall button.widget-toggle-button").nth(overall).click()
    page.wait_for_function("document.querySelector('.zf-progress').innerText.includes('已答 22 / 22 题')",
                           timeout=20_000)
    page.click(".zf-submit")
    page.wait_for_selector(".zf-thanks", state="visible", timeout=20_000)


def contrast(rgb: str) -> float:
    """WCAG contrast ratio of a CSS ``rgb(r, g, b)`` colour against white."""
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 1.05 / (lum + 0.05)


def saved(page) -> dict:
    return page.evaluate("Object.fromEntries(Object.keys(sessionStorage).map(k => [k, sessionStorage.getItem(k)]))")


@pytest.mark.browser
def test_entry_page_reload_network_cut_and_missing_answers(served_patient):
    import hashlib
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    served = served_patient
    sync_playwright = playwright_or_skip()
    server = with_pool_kernel(served)
    time.sleep(2)
    pool = len(kernels(server))
    assert pool == 1  # the preheated kernel

    # 50 token-less requests (link previews, crawlers, a wrong token) start no kernel
    url = served["url"]
    for n in range(50):
        address = url + ("", "survey", "start", "survey?zf_ticket=x", "anything")[n % 5]
        try:
            with urllib.request.urlopen(address, timeout=30) as r:
                body = r.read().decode()
            assert 'id="zf-token"' in body
        except urllib.error.HTTPError as e:
            assert e.code in (404, 405)
    # compressed, and the scripts cacheable
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers["Content-Encoding"] == "gzip" and r.headers["Cache-Control"] == "no-store"
    req = urllib.request.Request(url + "voila/static/voila.js", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers["Content-Encoding"] == "gzip" and r.headers["Cache-Control"] == "max-age=86400"
    widgets = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter-widgets" / "jupyterlab-manager"
    entry = next((widgets / "static").glob("remoteEntry.*.js")).name  # its name carries its hash
    with urllib.request.urlopen(f"{url}voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/{entry}",
                                timeout=30) as r:
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "答题码无效" in post_token(url, "ABCD-EFGH-JKLM-NPQR")[3]
    time.sleep(2)
    assert len(kernels(server)) == pool

    tok = served["tokens"][2]
    normal = tok.token.replace("-", "")
    clicked = {n: (n * 5) % 6 for n in range(1, 23)}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx, page = open_page(browser, url, 375, evaluate=True)
            assert page.evaluate("document.documentElement.lang") == "zh-CN"
            for sel in ("#zf-token", "#zf-start"):
                assert page.locator(sel).bounding_box()["height"] >= 44
            page.screenshot(path=str(ARTIFACTS / "phone-375-entry.png"))
            start(page, tok.token.lower())  # case and dashes do not matter
            page.wait_for_selector(".zf-q22", state="visible", timeout=30_000)
            assert kernels(server), "the token opened a kernel"

            # readable: item text at least 16 px with good contrast, answer buttons at least 44 px high
            style = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('.zf-text'));"
                                  " return [parseFloat(s.fontSize), s.color]; })()")
            assert style[0] >= 16 and contrast(style[1]) >= 7
            heights = page.evaluate("[...document.querySelectorAll('.zf-q01 button, .zf-submit')]"
                                    ".map(b => b.getBoundingClientRect().height)")
            assert len(heights) == 7 and min(heights) >= 44
            assert "Executing" not in page.inner_text("body")

            # answer the first five, write a comment: kept in this tab under a hash of round and token
            for n in range(1, 6):
                page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(clicked[n]).click()
            page.fill(".zf-comment textarea", "意" * 600)
            assert len(page.input_value(".zf-comment textarea")) == 500  # the limit is enforced
            page.wait_for_function("document.querySelector('.zf-comment-count').innerText.includes('已达500字上限')",
                                   timeout=10_000)
            page.fill(".zf-comment textarea", COMMENT)
            key = "zf-answers-" + hashlib.sha256(f"zuofeng:R1:{normal}".encode()).hexdigest()
            page.wait_for_function(f"(sessionStorage.getItem('{key}') || '').includes('q05')", timeout=10_000)
            stored_here = saved(page)
            assert json.loads(stored_here[key])["choices"] == {f"q{n:02d}": clicked[n] for n in range(1, 6)}
            assert normal not in json.dumps(stored_here) and tok.token not in json.dumps(stored_here)
            assert page.evaluate("localStorage.length") == 0

            # a reload goes back to the entry page; the same token restores the answers into a new survey
            page.reload()
            page.wait_for_selector("#zf-token", state="visible", timeout=30_000)
            assert "页面已过期" in page.inner_text("#zf-message") and page.is_visible("#zf-saved")
            start(page, tok.token)
            page.wait_for_selector("#zf-conn.zf-restored", state="visible", timeout=30_000)
            assert "已恢复" in page.inner_text("#zf-conn") and "（5 题）" in page.inner_text("#zf-conn")
            for n in range(1, 6):
                active = page.locator(f".zf-q{n:02d} button.widget-toggle-button")
                page.wait_for_function(
                    f"document.querySelectorAll('.zf-q{n:02d} button.widget-toggle-button')[{clicked[n]}]"
                    ".classList.contains('mod-active')", timeout=10_000)
                assert active.nth(clicked[n]).get_attribute("class").count("mod-active") == 1
            assert page.input_value(".zf-comment textarea") == COMMENT
            page.screenshot(path=str(ARTIFACTS / "phone-375-restored.png"))

            # a network cut: a notice within 2 s; a choice made meanwhile reaches the kernel afterwards
            ctx.set_offline(True)
            t0 = time.monotonic()
            page.wait_for_selector("#zf-conn.zf-warn", state="visible", timeout=2_000)
            assert time.monotonic() - t0 <= 2 and "正在重新连接" in page.inner_text("#zf-conn")
            page.screenshot(path=str(ARTIFACTS / "phone-375-offline.png"))
            page.locator(".zf-q06 button.widget-toggle-button").nth(clicked[6]).click()
            time.sleep(1)
            ctx.set_offline(False)
            page.wait_for_selector("#zf-conn.zf-warn", state="hidden", timeout=20_000)

            # submit early: the page scrolls to the first missing item, marks it and says how many remain
            page.click(".zf-submit")
            page.wait_for_selector(".zf-q07 >> xpath=ancestor::div[contains(@class,'zf-first-missing')]",
                                   timeout=20_000)
            assert "还有 17 项未答" in page.inner_text(".zf-submit-message")  # items 7-22 and the overall rating
            top = page.evaluate("document.querySelector('.zf-first-missing').getBoundingClientRect().top")
            assert 0 <= top <= 900
            assert page.evaluate("document.activeElement.closest('.zf-first-missing') !== null")
            page.screenshot(path=str(ARTIFACTS / "phone-375-missing.png"))
            page.keyboard.press("Tab")  # keyboard focus is visible
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

            answer_and_submit(page, clicked, first=7, overall=0)
            page.wait_for_function("!Object.keys(sessionStorage).some(k => k.startsWith('zf-'))", timeout=5_000)
            ctx.close()
        finally:
            browser.close()

    with served["engine"].connect() as c:
        rows = c.execute(select(responses)).mappings().all()
        got = {a.item: a.value for a in c.execute(select(answers))}
    assert len(rows) == 1 and rows[0]["comment"] == COMMENT and rows[0]["overall"] == "好"
    assert got == {n: (None if idx == 5 else idx + 1) for n, idx in clicked.items()}
    log = served["log"].read_text(encoding="utf-8", errors="replace")
    for secret in (tok.token, normal, normal.lower(), COMMENT, "zf_ticket"):
        assert secret not in log


@pytest.mark.browser
def test_a_killed_kernel_says_what_to_do_and_the_same_token_restores_the_answers(served_patient):
    """A kernel killed outright comes back empty: the page says so in Chinese, greys the dead form out
    and links to the entry page, where the same unused token opens a new survey with the answers."""
    served = served_patient
    sync_playwright = playwright_or_skip()
    server = with_pool_kernel(served)
    tok = served["tokens"][3]
    clicked = {n: (n * 3) % 6 for n in range(1, 23)}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx, page = open_page(browser, served["url"], 375, evaluate=True)
            start(page, tok.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=30_000)
            for n in range(1, 4):
                page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(clicked[n]).click()
            page.wait_for_function("Object.keys(sessionStorage).some(k => k.startsWith('zf-answers-')"
                                   " && sessionStorage.getItem(k).includes('q03'))", timeout=10_000)
            kid = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
            victims = [k for k in kernels(server) if kernel_of(k, kid)]
            assert len(victims) == 1
            victims[0].send_signal(signal.SIGKILL)
            page.wait_for_selector("#zf-conn.zf-gone", state="visible", timeout=20_000)
            text = page.inner_text("#zf-conn")
            assert "与问卷的连接已结束" in text and "已选的答案保存在本机" in text and "重新输入答题码继续" in text
            assert page.evaluate("document.body.classList.contains('zf-dead')")  # taps would reach nobody
            assert page.is_visible(".zf-q01")  # not a blank page
            page.screenshot(path=str(ARTIFACTS / "phone-375-kernel-killed.png"))

            page.click("#zf-conn a")
            page.wait_for_selector("#zf-token", state="visible", timeout=30_000)
            assert page.is_visible("#zf-saved")
            start(page, tok.token)
            page.wait_for_selector("#zf-conn.zf-restored", state="visible", timeout=30_000)
            assert "（3 题）" in page.inner_text("#zf-conn")
            for n in range(1, 4):
                page.wait_for_function(
                    f"document.querySelectorAll('.zf-q{n:02d} button.widget-toggle-button')[{clicked[n]}]"
                    ".classList.contains('mod-active')", timeout=10_000)
            answer_and_submit(page, clicked, first=4, overall=2)
            ctx.close()
        finally:
            browser.close()
    with served["engine"].connect() as c:
        rows = c.execute(select(responses)).mappings().all()
        got = {a.item: a.value for a in c.execute(select(answers))}
    assert len(rows) == 1 and rows[0]["overall"] == "一般"
    assert got == {n: (None if idx == 5 else idx + 1) for n, idx in clicked.items()}


def post_token(url: str, token: str):
    """Post ``token`` on the entry page as a browser does, following the redirect to the survey address
    with a cookie jar: ``(opener, final address, Refresh header, body)``."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url, timeout=60) as r:  # the entry page: its form's XSRF field and cookie
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', r.read().decode()).group(1)
    data = urllib.parse.urlencode({"_xsrf": xsrf, "token": token}).encode()
    with opener.open(url + "start", data=data, timeout=60) as r:  # follows the 303 to /survey
        return opener, r.geturl(), r.headers.get("Refresh"), r.read().decode()


def page_kernel(body: str) -> str:
    """The kernel id in a survey page's Jupyter configuration."""
    import json

    config = re.search(r'<script[^>]*id="jupyter-config-data"[^>]*>(.*?)</script>', body, re.DOTALL)
    return json.loads(config.group(1))["kernelId"]


@pytest.fixture
def served_capped(tmp_path, roster_file):
    """At most one survey page at a time."""
    yield from serve_round(tmp_path, roster_file, 60, "--max-pages", "1")


def test_beyond_the_cap_a_respondent_waits_and_then_gets_the_survey(served_capped):
    """HTTP only: a second valid token while one page is open gets "please wait" (retrying by itself)."""
    served = served_capped
    server = with_pool_kernel(served)
    time.sleep(2)

    def respondent(token):
        return post_token(served["url"], token)

    _, address, refresh, body = respondent(served["tokens"][0].token)
    assert address.endswith("/survey") and refresh is None and "jupyter-config-data" in body
    # the kernel's websocket is compressed (the widgets' state is some 100 kB of JSON)
    from websockets.sync.client import connect
    with connect(served["url"].replace("http", "ws", 1) + f"api/kernels/{page_kernel(body)}/channels") as ws:
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
    t0 = time.monotonic()
    opener, address, refresh, body = respondent(served["tokens"][1].token)
    waited = time.monotonic() - t0
    assert refresh == "3" and "请稍候" in body and "jupyter-config-data" not in body
    assert OPENING_WAIT - 1 <= waited < OPENING_WAIT + 10  # first in line in the server, then the waiting page
    time.sleep(3)
    assert len(kernels(server)) <= 2  # the open page's kernel and the refilled pool: none for the waiting one
    with opener.open(served["url"] + "survey", timeout=60) as r:  # the ticket is still good
        assert "请稍候" in r.read().decode()


@pytest.fixture
def served_elsewhere(tmp_path, roster_file):
    """Bound to 127.0.0.2: an address other than 127.0.0.1, as a server bound to its LAN address is
    (Linux answers the whole of 127/8 on the loopback device)."""
    yield from serve_round(tmp_path, roster_file, 60, host="127.0.0.2")


def test_a_server_bound_to_another_address_opens_the_form(served_elsewhere):
    """HTTP and the kernel's WebSocket only. A preheated kernel asks the server for its page's request;
    Voilà has it ask 127.0.0.1, which a server bound to another address does not answer: every page
    said "expired" (the kernel never got its ticket)."""
    import json
    import uuid

    from websockets.sync.client import connect

    served = served_elsewhere
    with_pool_kernel(served)
    time.sleep(8)  # the pool's kernel has run the notebook and waits for its page's request
    kernel = page_kernel(post_token(served["url"], served["tokens"][0].token)[3])

    def message(msg_type, content, metadata=None):
        return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "username": "", "session": "t", "msg_type": msg_type,
                                      "version": "5.3"}, "parent_header": {}, "metadata": metadata or {},
                           "content": content, "channel": "shell", "buffers": []})

    states = None
    with connect(served["url"].replace("http", "ws", 1) + f"api/kernels/{kernel}/channels?session_id=t") as ws:
        ws.send(message("comm_open", {"comm_id": "c", "target_name": "jupyter.widget.control", "data": {}},
                        {"version": "1.0.0"}))
        ws.send(message("comm_msg", {"comm_id": "c", "data": {"method": "request_states"}}))
        end = time.monotonic() + 30
        while time.monotonic() < end and states is None:
            raw = ws.recv(timeout=30)
            if isinstance(raw, bytes):
                continue
            data = json.loads(raw).get("content", {}).get("data", {})
            if data.get("method") == "update_states":
                states = {k: v["state"] for k, v in data["states"].items()}
    assert states is not None
    # what the page shows: the children of the page's box (a preheated kernel builds the form's widgets
    # before its request arrives, so their mere presence says nothing)
    (page,) = [s for s in states.values() if "zf-survey" in s.get("_dom_classes", [])]
    shown = {c for child in page["children"] for c in states[child.removeprefix("IPY_MODEL_")].get("_dom_classes", [])}
    assert "zf-item" in shown and "zf-submit" in shown, shown  # the form, not the "expired" line
