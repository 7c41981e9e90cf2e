"""Benchmark: a full meeting room. N respondents against one `zuofeng serve`, at the protocol level.

Each simulated respondent does what a browser does, without the browser: GET the entry page, wait a
few seconds (typing the 答题码), POST it to ``start``, follow the redirect to ``survey`` with the ticket
cookie, read the kernel id and the page's widget from the HTML, open the kernel's WebSocket, ask for
the widget states (``jupyter.widget.control`` / ``request_states``, as the widget manager does), then
click the 22 answers and the overall rating one by one (``comm_msg`` ``update`` to each widget, spread
over ``--answer-time`` seconds) and click 提交 (``custom`` ``click``), waiting until the kernel replaces
the form by the thank-you; it stays on the thank-you, connected, for ``--stay`` seconds (a phone left
open), then closes the connection. Respondents arrive at random over ``--spread`` seconds (seeded).

It reports, per N: time from the 答题码 to a usable form (the survey page and the widget states
received; median, p95), time for the submit, how many sheets were stored and whether the stored answer
vectors equal the clicked ones exactly (as a multiset), the peak memory of the server with its kernels
(RSS and USS) and the server's peak open files, how many seconds after the last respondent closed its
page no kernel but the preheated pool was left, and the kernels left ``--linger`` seconds after it (the
pool is kept on purpose and not counted). When a respondent failed, it prints the last lines of the
server's log (``--server-log`` keeps all of it). The baseline, measured in the same run against the same server, is
the round trip of one plain HTTP GET of the entry page (median): the ratio says how many plain
requests' worth of time a respondent waits for the form.

Run: ``.venv/bin/python bench/bench_capacity.py --sizes 100 300`` (loopback only; each size starts its
own server); with the product's defaults and every page open at once: ``--sizes 300 --answer-time 240
--idle-timeout 120 --linger 180``. Goals: every answer lands; p95 token-to-form ≤ 10 s at N = 300
arriving within 3 minutes; peak memory ≤ 20 GB; the kernels of closed pages gone within 3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
import psutil
from bench_survey import ROSTER, Server, kernels, memory

from tests import capacity_support as capacity
from tests.capacity_support import pct, stored_vectors


def tree_cpu(root: psutil.Process) -> float:
    """CPU seconds of ``root`` and everything under it, ended children included (as far as reaped)."""
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


async def meeting(server: Server, tokens: list[str], spread: float, answer_time: float, seed: int,
                  stay: float = 0) -> dict:
    """The respondents of ``tests/capacity_support.py`` against ``server``, its memory and files sampled."""
    peak = {"rss": 0.0, "uss": 0.0, "kernels": 0, "files": 0}

    async def sample(done):
        while not done.is_set():
            procs = [server.ps, *kernels(server.ps)]
            rss, uss = await asyncio.get_running_loop().run_in_executor(None, memory, procs)
            peak["rss"], peak["uss"] = max(peak["rss"], sum(rss)), max(peak["uss"], sum(uss))
            peak["kernels"] = max(peak["kernels"], len(procs) - 1)
            try:
                peak["files"] = max(peak["files"], server.ps.num_fds())
            except psutil.Error:
                pass
            await asyncio.sleep(1)

    res = await capacity.meeting(server.url, tokens, spread, answer_time, seed, stay, sample=sample)
    return {**res, **peak}


async def plain_baseline(url: str, n: int = 20) -> float:
    from tornado.httpclient import AsyncHTTPClient
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await AsyncHTTPClient().fetch(url)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300], help="respondents per meeting")
    ap.add_argument("--spread", type=float, default=180, help="seconds over which respondents arrive")
    ap.add_argument("--answer-time", type=float, default=60, help="seconds a respondent takes for the 23 clicks")
    ap.add_argument("--pool-size", type=int, default=8, help="preheated kernels")
    ap.add_argument("--idle-timeout", type=int, default=30, help="cull kernels of closed pages after this many seconds")
    ap.add_argument("--linger", type=int, default=90, help="seconds to wait after the last respondent")
    ap.add_argument("--stay", type=float, default=0,
                    help="seconds each respondent keeps the page open (connected) on the thank-you")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--server-log", help="keep the server's log here when a respondent failed")
    args = ap.parse_args()

    from tornado.httpclient import AsyncHTTPClient
    AsyncHTTPClient.configure(None, max_clients=1000)

    from zuofeng.collect.tokens import issue_tokens
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine

    print(f"bench_capacity: arrivals over {args.spread:.0f} s, {args.answer_time:.0f} s answering, "
          f"{args.stay:.0f} s on the thank-you, "
          f"pool {args.pool_size}, idle timeout {args.idle_timeout} s, seed {args.seed}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            os.environ["ZUOFENG_KEY_FILE"] = str(work / "token.key")
            db = f"sqlite:///{work / 'store.db'}"
            (work / "roster.csv").write_text(ROSTER.replace(",200\n", f",{n}\n"), encoding="utf-8")
            engine = open_engine(db)
            create_round(engine, "R1", title="容量测试", roster=work / "roster.csv")
            set_status(engine, "R1", "open")
            toks = [t.token for t in issue_tokens(engine, "R1", kind="self") if t.scope.rater == "A"][:n]
            engine.dispose()
            server = Server(work, db, args.pool_size, args.idle_timeout)
            try:
                pool_cpu = [sum(p.cpu_times()[:2]) for p in kernels(server.ps)]
                base = asyncio.run(plain_baseline(server.url))
                cpu0 = server.ps.cpu_times()
                tree0 = tree_cpu(server.ps)
                res = asyncio.run(meeting(server, toks, args.spread, args.answer_time, args.seed, args.stay))
                closed = time.perf_counter()  # the last page closed its connection
                gone = None  # seconds until no kernel but the pool is left
                while True:
                    if gone is None and len(kernels(server.ps)) <= args.pool_size:
                        gone = time.perf_counter() - closed
                    if time.perf_counter() - closed >= args.linger:
                        break
                    time.sleep(2)
                live = kernels(server.ps)
                left = max(0, len(live) - args.pool_size)
                cpu1 = server.ps.cpu_times()
                tree1 = tree_cpu(server.ps)
            finally:
                server.stop()
            got = stored_vectors(db)
            want = capacity.clicked_vectors(res["ok"])
            for f in res["failed"][:5]:
                print("  failure:", f)
            if res["failed"]:  # what the server said about them (it logs warnings and errors only)
                log = (work / f"serve-pool{args.pool_size}.log").read_text(encoding="utf-8", errors="replace")
                if args.server_log:
                    Path(args.server_log).write_text(log, encoding="utf-8")
                print("  server log, last lines:", *log.strip().splitlines()[-12:], sep="\n    ")
            if not res["ok"]:
                print(f"\nN = {n}: every respondent failed")
                continue
            usable = [r["usable"] for r in res["ok"]]
            submit = [r["submit"] for r in res["ok"]]
            print(f"\nN = {n}: {len(res['ok'])} respondents finished, {len(res['failed'])} failed, "
                  f"{sum(r['waited'] > 0 for r in res['ok'])} waited for a free page; wall {res['wall']:.0f} s")
            print(f"  token to usable form: median {statistics.median(usable):.2f} s, p95 {pct(usable, 0.95):.2f} s"
                  f" (plain GET of the entry page: {base * 1000:.1f} ms; ratio of medians "
                  f"{statistics.median(usable) / base:.0f}x)")
            print(f"  submit: median {statistics.median(submit):.2f} s, p95 {pct(submit, 0.95):.2f} s")
            print(f"  stored sheets {len(got)} of {len(res['ok'])}; answers exactly as clicked: {got == want}")
            print(f"  peak: {res['kernels']} kernels, server + kernels RSS {res['rss'] / 1024:.2f} GB, "
                  f"USS {res['uss'] / 1024:.2f} GB; the server's open files {res['files']}")
            print(f"  kernels left {args.linger} s after the last respondent (pool of {args.pool_size} not counted): {left}; "
                  + (f"the last closed page's kernel was gone after {gone:.0f} s" if gone is not None
                     else "some were still there then")
                  + f" (idle timeout {args.idle_timeout} s)")
            own = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
            kern = tree1 - tree0 - own  # every other process under the server: kernels (and their fork server)
            print(f"  CPU seconds during the meeting: server process {own:.0f} ({own / n:.2f} per respondent), "
                  f"kernels {kern:.0f} ({kern / n:.2f} per respondent); a ready pool kernel had used "
                  f"{statistics.median(pool_cpu) if pool_cpu else float('nan'):.2f} s; load average "
                  f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
