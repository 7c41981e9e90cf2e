"""Benchmark: the respondent's page in Chromium: a phone on a mobile network, and many respondents at once.

First the **phone profile**: Chromium with CDP network throttling (9 Mbit/s, 60 ms RTT:
``Network.emulateNetworkConditions``) and the CPU slowed 4x (``Emulation.setCPUThrottlingRate``), a
fresh profile per visit, against `zuofeng serve` (preheated kernels on) and, in the same run, a plain
HTML page with one input (the baseline). It measures the time until the token field is usable, in the
page itself for both pages alike: from the navigation's start to the first painted frame with the field
laid out, or to the end of DOMContentLoaded if later (the time the test driver takes to notice, a few
round trips under the slowed CPU, is printed beside it, not counted). Then it
types a token (``--typing`` seconds a key: the entry page prefetches the survey's scripts meanwhile),
presses Enter and measures the time until the survey form is usable. Goals: token field ≤ 1.0 s and
within 2x of the plain page; survey form ≤ 4 s after Enter.

Then, for each configuration (preheated kernels off, the baseline, and on) it starts `zuofeng serve` on
a free loopback port with a short idle timeout and, for N = 5, 10, 20 respondents, opens N pages at once
in headless Chromium (a fresh context each, so a cold cache), and measures

- time to a usable form: from navigation to the entry page until the survey form is visible, after
  entering a token;
- submit time: from the click on 提交 until the thank-you is visible (after answering all 22 items);
- kernel memory: RSS and USS of every kernel process of the server while the N forms are open;
- whether every answer landed: the stored answer vectors equal the clicked ones, as a multiset;

then, after every page is closed, how many kernels are still alive a minute later (preheated pool
kernels are kept on purpose and are not counted as left behind), and finally N concurrent plain HTTP
token submissions that open the survey page (the server side alone: the token check and the survey page,
which includes the kernel start and the notebook run unless a preheated kernel is waiting). A bare
ipywidgets kernel is measured in the same run as the memory baseline.

Run: ``.venv/bin/python bench/bench_survey.py`` (about 10 minutes on 2 cores; ``--phone-only`` for the
phone profile alone, ``--sizes 5 --linger 20 --phone 0`` for a quick look at the rest). Goals: ≤ 60 MB
per respondent kernel, every answer landed, no kernel left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.browser import CHROMIUM, chromium_available, launch
from tests.support.server import Serve, kernels

ROSTER = "code,name,unit_type,headcount\nA,甲部,机关部室,200\nB,乙部,机关部室,10\n"
DONT_KNOW_INDEX = 5  # the sixth button of every item


def started(work: Path, db: str, pool: int, idle: int) -> Serve:
    """`zuofeng serve` on a free loopback port, once its preheated pool is full."""
    server = Serve(work, db, pool=pool, idle=idle)
    server.wait_for_pool()
    return server


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs, unit="s", digits=2):
    if not xs:
        return "–"
    return f"{med(xs):.{digits}f} {unit} [{min(xs):.{digits}f}–{max(xs):.{digits}f}]"


def memory(procs) -> tuple[list[float], list[float]]:
    rss, uss = [], []
    for p in procs:
        try:
            m = p.memory_full_info()
        except psutil.Error:
            continue
        rss.append(m.rss / 2**20)
        uss.append(m.uss / 2**20)
    return rss, uss


def bare_kernel_memory() -> tuple[float, float]:
    """RSS/USS of a kernel that only shows an ipywidgets button (the light baseline), same machine, same run."""
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive("import ipywidgets as w, sqlite3\nw.Button(description='x')", timeout=60,
                               output_hook=lambda m: None)
        time.sleep(1)
        rss, uss = memory([psutil.Process(km.provisioner.process.pid)])
        return rss[0], uss[0]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


async def respondent(browser, url: str, token: str, pattern: list[int]) -> dict:
    ctx = await browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        page = await ctx.new_page()
        page.set_default_timeout(180_000)
        t0 = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.wait_for_selector("#zf-token", state="visible")
        await page.fill("#zf-token", token)
        await page.press("#zf-token", "Enter")
        await page.wait_for_selector(".zf-q22", state="visible")
        paint = time.perf_counter() - t0
        for n, idx in enumerate(pattern, start=1):
            await page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(idx).click()
        await page.wait_for_function("document.querySelector('.zf-progress').innerText.includes('22 / 22')")
        return {"ctx": ctx, "page": page, "paint": paint}
    except Exception:
        await ctx.close()
        raise


async def submit(r: dict) -> float:
    t0 = time.perf_counter()
    await r["page"].click(".zf-submit")
    await r["page"].wait_for_selector(".zf-thanks", state="visible")
    return time.perf_counter() - t0


async def single_pages(server: Serve, repeats: int) -> list[float]:
    """One respondent at a time (a fresh context each): what a respondent on their own phone waits."""
    from playwright.async_api import async_playwright
    times = []
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            for _ in range(repeats):
                ctx = await browser.new_context(viewport={"width": 1000, "height": 900})
                page = await ctx.new_page()
                t0 = time.perf_counter()
                await page.goto(server.url, wait_until="commit")
                await page.wait_for_selector("#zf-token", state="visible", timeout=180_000)
                times.append(time.perf_counter() - t0)
                await ctx.close()
                await asyncio.sleep(1.5)  # let a preheated pool refill, as between two respondents
        finally:
            await browser.close()
    return times


async def browser_round(server: Serve, tokens: list[str], patterns: list[list[int]]) -> dict:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            results = await asyncio.gather(*(respondent(browser, server.url, t, pat)
                                             for t, pat in zip(tokens, patterns)), return_exceptions=True)
            pages = [r for r in results if isinstance(r, dict)]
            failed = [f"{type(r).__name__}: {str(r).splitlines()[0]}" for r in results if not isinstance(r, dict)]
            rss, uss = memory(kernels(server.ps))
            n_kernels = len(rss)
            submits = await asyncio.gather(*(submit(r) for r in pages), return_exceptions=True)
            failed_submits = [f"submit {type(x).__name__}" for x in submits if isinstance(x, BaseException)]
            failed += failed_submits
            for r in pages:
                await r["ctx"].close()
        finally:
            await browser.close()
    opened = [pat for pat, r in zip(patterns, results) if isinstance(r, dict)]
    done = [(pat, t) for pat, t in zip(opened, submits) if not isinstance(t, BaseException)]
    return {"paint": [r["paint"] for r in pages], "submit": [t for _, t in done], "rss": rss, "uss": uss,
            "kernels_open": n_kernels, "failed": failed, "failed_submits": len(failed_submits),
            "submitted": [pat for pat, _ in done]}


PLAIN = (b"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><meta name='viewport' "
         b"content='width=device-width, initial-scale=1'><title>plain</title></head><body><form>"
         b"<input id='zf-token' autofocus></form></body></html>")
PHONE = {"offline": False, "latency": 60, "downloadThroughput": 9e6 / 8, "uploadThroughput": 9e6 / 8}
# The same probe in both pages (the entry page and the plain one): the time, from the navigation's start
# (``performance.timeOrigin``), of the first frame painted with the token field laid out, after which
# a posted message runs (the frame is done). Usable = that, or the end of DOMContentLoaded if later
# (scripts the parser runs before it would hold up a key press).
FIELD_PROBE = """(() => { const done = (t) => { if (window.__zfField === undefined) window.__zfField = t; };
  function frame() { const el = document.getElementById('zf-token'), r = el && el.getBoundingClientRect();
    if (r && r.width > 0 && r.height > 0) { const ch = new MessageChannel();
      ch.port1.onmessage = () => done(performance.now()); ch.port2.postMessage(0); }
    else requestAnimationFrame(frame); }
  requestAnimationFrame(frame); })();"""
FIELD_USABLE = """() => { const n = performance.getEntriesByType('navigation')[0];
  return window.__zfField === undefined || !n || !n.domContentLoadedEventEnd ? null
    : Math.max(window.__zfField, n.domContentLoadedEventEnd) / 1000; }"""


def plain_server():
    """A plain HTML page with one input: the baseline of the phone profile, served on loopback."""
    import http.server
    import threading

    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PLAIN)))
            self.end_headers()
            self.wfile.write(PLAIN)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_port}/"


async def phone_visit(browser, url: str, token: str | None, typing_delay: float) -> dict:
    """One visit on the phone profile (9 Mbit/s, 60 ms RTT, CPU slowed 4x): token field usable, then
    (with a token, typed at ``typing_delay`` seconds a key) the survey form usable after Enter."""
    ctx = await browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    try:
        page = await ctx.new_page()
        cdp = await ctx.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", PHONE)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        await page.add_init_script(FIELD_PROBE)
        t0 = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.wait_for_selector("#zf-token", state="visible", timeout=180_000)
        wall = time.perf_counter() - t0
        usable = await (await page.wait_for_function(FIELD_USABLE, timeout=180_000)).json_value()
        out = {"field": usable, "wall": wall}
        if token:
            await page.type("#zf-token", token, delay=typing_delay * 1000)
            t1 = time.perf_counter()
            await page.press("#zf-token", "Enter")
            await page.wait_for_selector(".zf-q22", state="visible", timeout=180_000)
            out["form"] = time.perf_counter() - t1
        return out
    finally:
        await ctx.close()


async def phone_profile(server: Serve, tokens: list[str], repeats: int, typing_delay: float) -> dict:
    from playwright.async_api import async_playwright
    httpd, plain = plain_server()
    field, base, form, field_wall, base_wall = [], [], [], [], []
    try:
        async with async_playwright() as p:
            browser = await launch(p)
            try:
                await phone_visit(browser, server.url, tokens.pop(), 0)  # the server learns what to prefetch
                for _ in range(repeats):
                    b = await phone_visit(browser, plain, None, 0)
                    base.append(b["field"])
                    base_wall.append(b["wall"])
                    r = await phone_visit(browser, server.url, tokens.pop(), typing_delay)
                    field.append(r["field"])
                    field_wall.append(r["wall"])
                    form.append(r["form"])
                    await asyncio.sleep(2)  # let the preheated pool refill
            finally:
                await browser.close()
    finally:
        httpd.shutdown()
    return {"field": field, "plain": base, "form": form, "field_wall": field_wall, "plain_wall": base_wall}


def http_round(server: Serve, tokens: list[str]) -> dict:
    """The server's part of opening the survey: POST the token, GET the ticketed survey page."""
    import http.cookiejar
    from urllib.parse import urlencode

    def get(token):
        import re
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(server.url, timeout=300) as r:  # the entry page: its form's XSRF field and cookie
            xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', r.read()).group(1).decode()
        t0 = time.perf_counter()
        with opener.open(server.url + "start", data=urlencode({"_xsrf": xsrf, "token": token}).encode(),
                         timeout=300) as r:
            body = r.read()
        if b"jupyter-config-data" not in body:
            raise RuntimeError("no survey page")
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(tokens)) as ex:
        times = list(ex.map(get, tokens))
    return {"times": times, "wall": time.perf_counter() - t0}


def landed(db: str, expected: list[list[int]]) -> tuple[int, int, bool]:
    from sqlalchemy import select

    from zuofeng.store import answers, open_engine, responses
    engine = open_engine(db, create=False)
    with engine.connect() as c:
        ids = list(c.scalars(select(responses.c.id).where(responses.c.source == "survey")))
        rows = c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)).all()
    engine.dispose()
    got: dict[str, dict[int, int | None]] = {}
    for rid, item, value in rows:
        got.setdefault(rid, {})[item] = value
    vectors = sorted(tuple(v[i] if v[i] is not None else 0 for i in range(1, 23)) for v in got.values())
    want = sorted(tuple(0 if idx == DONT_KNOW_INDEX else idx + 1 for idx in pat) for pat in expected)
    return len(ids), len(expected), vectors == want


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20], help="respondents at once")
    ap.add_argument("--pool-size", type=int, default=5, help="preheated kernels in the 'on' configuration")
    ap.add_argument("--idle-timeout", type=int, default=30, help="cull idle kernels after this many seconds")
    ap.add_argument("--linger", type=int, default=60, help="seconds to wait after the pages close")
    ap.add_argument("--single", type=int, default=5, help="respondents opening the page one after another")
    ap.add_argument("--phone", type=int, default=5, help="visits on the phone profile (0: skip)")
    ap.add_argument("--typing", type=float, default=0.15, help="seconds per key when typing the token")
    ap.add_argument("--phone-only", action="store_true", help="only the phone profile, preheat on")
    args = ap.parse_args()
    if not chromium_available():
        raise SystemExit(f"needs Chromium at {CHROMIUM}")

    work = Path(tempfile.mkdtemp(prefix="zuofeng-bench-"))
    os.environ["ZUOFENG_KEY_FILE"] = str(work / "token.key")
    from zuofeng.collect.server.survey_site import default_cull_interval
    from zuofeng.collect.tokens import issue_tokens
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine
    (work / "roster.csv").write_text(ROSTER, encoding="utf-8")
    db = f"sqlite:///{work / 'store.db'}"
    engine = open_engine(db)
    create_round(engine, "R1", title="基准测试", roster=work / "roster.csv")
    set_status(engine, "R1", "open")
    pool_tokens = [t.token for t in issue_tokens(engine, "R1", kind="self")]
    engine.dispose()

    load0 = os.getloadavg()
    print(f"zuofeng survey benchmark: sizes {args.sizes}, idle timeout {args.idle_timeout} s "
          f"(cull interval {default_cull_interval(args.idle_timeout)} s), linger {args.linger} s; "
          f"{os.cpu_count()} cores, load average {load0[0]:.2f}")
    base_rss, base_uss = bare_kernel_memory()
    print(f"baseline kernel (ipywidgets button only, this run): RSS {base_rss:.1f} MB, USS {base_uss:.1f} MB")

    if args.phone:
        server = started(work, db, args.pool_size, args.idle_timeout)
        try:
            ph = asyncio.run(phone_profile(server, pool_tokens, args.phone, args.typing))
        finally:
            server.stop()
        f, b, fm = med(ph["field"]), med(ph["plain"]), med(ph["form"])
        print(f"\n== phone profile (9 Mbit/s, 60 ms RTT, CPU 4x slower), {args.phone} visits, fresh profile each")
        print(f"token field usable (in the page, from navigation start): entry page {spread(ph['field'])}, "
              f"plain HTML page {spread(ph['plain'])}; ratio of medians {f / b:.2f}; "
              f"goals ≤ 1.0 s: {'met' if f <= 1.0 else 'NOT met'}, "
              f"within 2x of the plain page: {'met' if f <= 2 * b else 'NOT met'}")
        print(f"  the same seen from the test driver (goto until Playwright sees the field; adds its own "
              f"round trips under the slowed CPU): entry page {spread(ph['field_wall'])}, "
              f"plain page {spread(ph['plain_wall'])}")
        print(f"survey form usable after Enter (token typed at {args.typing:.2f} s a key): {spread(ph['form'])}; "
              f"goal ≤ 4 s: {'met' if fm <= 4 else 'NOT met'}")
        print(f"load average: {load0[0]:.2f} at the start, {os.getloadavg()[0]:.2f} now (other work on the "
              f"machine inflates browser times)")
        if args.phone_only:
            return

    configs = [("preheat off", 0), (f"preheat on (pool {args.pool_size})", args.pool_size)]
    results: dict[str, dict] = {}
    submitted: list[list[int]] = []
    failures = failed_submits = 0
    for label, pool in configs:
        print(f"\n== {label}")
        server = started(work, db, pool, args.idle_timeout)
        res = results[label] = {"browser": {}, "http": {}}
        try:
            one = res["single"] = asyncio.run(single_pages(server, args.single))
            print(f"N= 1 browser, {args.single} respondents one after another: usable form {spread(one)}")
            server.wait_for_pool()
            for n in args.sizes:
                toks = [pool_tokens.pop() for _ in range(n)]
                patterns = [[(item + page + len(submitted)) % 6 for item in range(1, 23)] for page in range(n)]
                b = asyncio.run(browser_round(server, toks, patterns))
                submitted += b["submitted"]
                failures += len(b["failed"])
                failed_submits += b["failed_submits"]
                res["browser"][n] = b
                print(f"N={n:>2} browser: usable form {spread(b['paint'])}; submit {spread(b['submit'])}; "
                      f"kernels {b['kernels_open']}, RSS/kernel {spread(b['rss'], 'MB', 1)}, "
                      f"USS/kernel {spread(b['uss'], 'MB', 1)}"
                      + (f"; FAILED pages {len(b['failed'])}: {b['failed'][:3]}" if b["failed"] else ""))
            time.sleep(args.linger)
            alive = len(kernels(server.ps))
            res["left"] = max(0, alive - pool)
            print(f"{args.linger} s after the last page closed: {alive} kernels alive "
                  f"({pool} preheated pool, {res['left']} left behind)")
            for n in args.sizes:  # last: kernels of these plain GETs never connect (culled after 3 x timeout)
                server.wait_for_pool(timeout=30)
                h = res["http"][n] = http_round(server, [pool_tokens.pop() for _ in range(n)])
                print(f"N={n:>2} server only (concurrent GETs): per request {spread(h['times'])}, "
                      f"all {h['wall']:.2f} s")
        finally:
            server.stop()

    stored, expected, exact = landed(db, submitted)
    if failed_submits:
        exact = False  # a sheet whose submit timed out may or may not have landed: no exact comparison
    print(f"\nanswers landed: {stored}/{expected} submitted sheets, stored values equal to the clicked ones: "
          f"{exact}; pages that never became usable or whose submit failed: {failures}")

    off, on = results[configs[0][0]], results[configs[1][0]]
    print("\n== summary: medians, preheat on vs off (baseline, same run)")
    print(f"{'N':>3} {'form off':>9} {'form on':>9} {'ratio':>6} {'submit on':>10} {'GET off':>8} {'GET on':>8} "
          f"{'RSS/kernel':>11} {'USS/kernel':>11}")
    for n in args.sizes:
        f_off, f_on = med(off["browser"][n]["paint"]), med(on["browser"][n]["paint"])
        g_off, g_on = med(off["http"][n]["times"]), med(on["http"][n]["times"])
        rss = med(off["browser"][n]["rss"])
        uss = med(off["browser"][n]["uss"])
        print(f"{n:>3} {f_off:>8.2f}s {f_on:>8.2f}s {f_on / f_off:>6.2f} {med(on['browser'][n]['submit']):>9.2f}s "
              f"{g_off:>7.2f}s {g_on:>7.2f}s {rss:>8.1f} MB {uss:>8.1f} MB")
    s_off, s_on = med(off["single"]), med(on["single"])
    print(f"  1 {s_off:>8.2f}s {s_on:>8.2f}s {s_on / s_off:>6.2f}   (one respondent at a time, {args.single} each)")
    rss_all = [x for n in args.sizes for x in off["browser"][n]["rss"]]
    first = args.sizes[0]
    print(f"\nkernel RSS per respondent {med(rss_all):.1f} MB vs baseline kernel {base_rss:.1f} MB "
          f"(ratio {med(rss_all) / base_rss:.2f}); goal ≤ 60 MB: {'met' if med(rss_all) <= 60 else 'NOT met'}")
    f5 = med(on["browser"][first]["paint"])
    print(f"usable form (entry page, token, survey) at N={first} with preheat: {f5:.2f} s "
          f"(token field alone, one respondent at a time: {s_on:.2f} s; the server's part at N={first}: "
          f"{med(on['http'][first]['times']):.2f} s)")
    print(f"kernels left behind: off {off['left']}, on {on['left']}; "
          f"every submitted answer landed: {exact and stored == expected}; failed pages: {failures}")
    load1 = os.getloadavg()
    print(f"load average at the end {load1[0]:.2f} (other work on the machine inflates browser times)")


if __name__ == "__main__":
    main()
