"""Benchmark: a full meeting room. N respondents against one `zuofeng serve` (or several behind nginx), at the protocol level.

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

With ``--servers N`` (N ≥ 2) each size runs twice in the same run, on a fresh PostgreSQL database each
(``--pg``, default ``$ZUOFENG_TEST_PG``: the admin URL of a server where it may create databases): once
against one server, once against N servers behind nginx with TLS (``deploy/nginx``, as
``tests/test_scaleout.py`` runs it), the respondents going through nginx; it prints p95 token-to-form
and CPU seconds per respondent (servers, kernels and nginx) of both, and their ratios.

Run: ``.venv/bin/python bench/bench_capacity.py --sizes 100 300`` (loopback only; each size starts its
own server); with the product's defaults and every page open at once: ``--sizes 300 --answer-time 240
--idle-timeout 120 --linger 180``; two servers against one: ``--servers 2 --sizes 200 --spread 60
--answer-time 20 --idle-timeout 10 --linger 30``. Goals: every answer lands; p95 token-to-form ≤ 10 s at
N = 300 arriving within 3 minutes; peak memory ≤ 20 GB; the kernels of closed pages gone within 3
minutes; N servers cost no more CPU per respondent than one.
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
from bench_survey import ROSTER, memory

from tests import capacity_support as capacity
from tests.capacity_support import pct, stored_vectors
from tests.support.proxy import Proxy
from tests.support.server import Serve, kernels
from tests.support.store import pg_database


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


def own_cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


async def meeting(servers: list[Serve], base: str, tokens: list[str], spread: float, answer_time: float, seed: int,
                  stay: float = 0) -> dict:
    """The respondents of ``tests/capacity_support.py`` at ``base``, the servers' memory and files sampled."""
    peak = {"rss": 0.0, "uss": 0.0, "kernels": 0, "files": 0}

    async def sample(done):
        while not done.is_set():
            procs = [p for s in servers for p in (s.ps, *kernels(s.ps))]
            rss, uss = await asyncio.get_running_loop().run_in_executor(None, memory, procs)
            peak["rss"], peak["uss"] = max(peak["rss"], sum(rss)), max(peak["uss"], sum(uss))
            peak["kernels"] = max(peak["kernels"], len(procs) - len(servers))
            try:
                peak["files"] = max(peak["files"], max(s.ps.num_fds() for s in servers))
            except psutil.Error:
                pass
            await asyncio.sleep(1)

    res = await capacity.meeting(base, tokens, spread, answer_time, seed, stay, sample=sample)
    return {**res, **peak}


async def plain_baseline(url: str, n: int = 20) -> float:
    from tornado.httpclient import AsyncHTTPClient
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await AsyncHTTPClient().fetch(url, validate_cert=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(work: Path, db: str, n: int, n_servers: int, args) -> dict:
    """One meeting of ``n`` respondents against ``n_servers`` servers (behind nginx when more than one)."""
    from zuofeng.collect.tokens import issue_tokens
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine

    (work / "roster.csv").write_text(ROSTER.replace(",200\n", f",{n}\n"), encoding="utf-8")
    engine = open_engine(db)
    create_round(engine, "R1", title="容量测试", roster=work / "roster.csv")
    set_status(engine, "R1", "open")
    toks = [t.token for t in issue_tokens(engine, "R1", kind="self") if t.scope.rater == "A"][:n]
    engine.dispose()
    extra = ("--behind-proxy",) if n_servers > 1 else ()
    servers: list[Serve] = []
    proxy = None
    try:
        for _ in range(n_servers):
            servers.append(Serve(work, db, pool=args.pool_size, idle=args.idle_timeout, extra=extra))
        for s in servers:
            s.wait_for_pool()
        if n_servers > 1:
            proxy = Proxy(work / "nginx", [s.port for s in servers])
        base_url = proxy.url if proxy else servers[0].url
        capacity.Respondent.verify = proxy is None  # the proxy's certificate is made for this run
        pool_cpu = [sum(p.cpu_times()[:2]) for s in servers for p in kernels(s.ps)]
        base = asyncio.run(plain_baseline(base_url))
        own0 = [own_cpu(s.ps) for s in servers]
        tree0 = [tree_cpu(s.ps) for s in servers]
        nginx0 = tree_cpu(proxy.ps) if proxy else 0.0
        res = asyncio.run(meeting(servers, base_url, toks, args.spread, args.answer_time, args.seed, args.stay))
        closed = time.perf_counter()  # the last page closed its connection
        gone = None  # seconds until no kernel but the pools is left
        while True:
            if gone is None and all(len(kernels(s.ps)) <= args.pool_size for s in servers):
                gone = time.perf_counter() - closed
            if time.perf_counter() - closed >= args.linger:
                break
            time.sleep(2)
        left = sum(max(0, len(kernels(s.ps)) - args.pool_size) for s in servers)
        own = sum(own_cpu(s.ps) for s in servers) - sum(own0)
        kern = sum(tree_cpu(s.ps) for s in servers) - sum(tree0) - own
        nginx = (tree_cpu(proxy.ps) - nginx0) if proxy else 0.0
    finally:
        for s in servers:
            s.stop()
        if proxy is not None:
            proxy.stop()
    logs = "\n".join(s.log.read_text(encoding="utf-8", errors="replace") for s in servers)
    return {**res, "base": base, "gone": gone, "left": left, "own": own, "kern": kern, "nginx": nginx,
            "pool_cpu": pool_cpu, "got": stored_vectors(db), "want": capacity.clicked_vectors(res["ok"]), "n": n,
            "logs": logs, "nginx_errors": proxy.errors() if proxy else []}


def report(label: str, r: dict, args) -> None:
    n = r["n"]
    for f in r["failed"][:5]:
        print("  failure:", f)
    if r["failed"]:  # what the servers said about them (they log warnings and errors only)
        if args.server_log:
            Path(args.server_log).write_text(r["logs"], encoding="utf-8")
        print("  server log, last lines:", *r["logs"].strip().splitlines()[-12:], sep="\n    ")
        if r["nginx_errors"]:
            print("  nginx error log, last lines:", *r["nginx_errors"][-8:], sep="\n    ")
    if not r["ok"]:
        print(f"\nN = {n}, {label}: every respondent failed")
        return
    usable = [x["usable"] for x in r["ok"]]
    submit = [x["submit"] for x in r["ok"]]
    print(f"\nN = {n}, {label}: {len(r['ok'])} respondents finished, {len(r['failed'])} failed, "
          f"{sum(x['waited'] > 0 for x in r['ok'])} waited for a free page; wall {r['wall']:.0f} s")
    print(f"  token to usable form: median {statistics.median(usable):.2f} s, p95 {pct(usable, 0.95):.2f} s"
          f" (plain GET of the entry page: {r['base'] * 1000:.1f} ms; ratio of medians "
          f"{statistics.median(usable) / r['base']:.0f}x)")
    print(f"  submit: median {statistics.median(submit):.2f} s, p95 {pct(submit, 0.95):.2f} s")
    print(f"  stored sheets {len(r['got'])} of {len(r['ok'])}; answers exactly as clicked: {r['got'] == r['want']}")
    print(f"  peak: {r['kernels']} kernels, servers + kernels RSS {r['rss'] / 1024:.2f} GB, "
          f"USS {r['uss'] / 1024:.2f} GB; a server's open files {r['files']}")
    print(f"  kernels left {args.linger} s after the last respondent (pools of {args.pool_size} not counted): "
          f"{r['left']}; " + (f"the last closed page's kernel was gone after {r['gone']:.0f} s" if r["gone"] is not None
                              else "some were still there then") + f" (idle timeout {args.idle_timeout} s)")
    print(f"  CPU seconds during the meeting: servers {r['own']:.0f} ({r['own'] / n:.2f} per respondent), "
          f"kernels {r['kern']:.0f} ({r['kern'] / n:.2f} per respondent), nginx {r['nginx']:.0f}; "
          f"a ready pool kernel had used {statistics.median(r['pool_cpu']) if r['pool_cpu'] else float('nan'):.2f} s;"
          f" load average {os.getloadavg()[0]:.1f}")


def cpu_per_respondent(r: dict) -> float:
    return (r["own"] + r["kern"] + r["nginx"]) / r["n"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300], help="respondents per meeting")
    ap.add_argument("--servers", type=int, default=1,
                    help="survey servers behind nginx, measured against one server in the same run (PostgreSQL)")
    ap.add_argument("--pg", default=os.environ.get("ZUOFENG_TEST_PG"),
                    help="with --servers: a PostgreSQL admin URL where the bench may create databases")
    ap.add_argument("--spread", type=float, default=180, help="seconds over which respondents arrive")
    ap.add_argument("--answer-time", type=float, default=60, help="seconds a respondent takes for the 23 clicks")
    ap.add_argument("--pool-size", type=int, default=8, help="preheated kernels (each server)")
    ap.add_argument("--idle-timeout", type=int, default=30, help="cull kernels of closed pages after this many seconds")
    ap.add_argument("--linger", type=int, default=90, help="seconds to wait after the last respondent")
    ap.add_argument("--stay", type=float, default=0,
                    help="seconds each respondent keeps the page open (connected) on the thank-you")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--server-log", help="keep the servers' logs here when a respondent failed")
    args = ap.parse_args()
    if args.servers < 1:
        raise SystemExit("--servers must be 1 or more")
    if args.servers > 1 and not args.pg:
        raise SystemExit("--servers N needs PostgreSQL: --pg URL or ZUOFENG_TEST_PG")

    from tornado.httpclient import AsyncHTTPClient
    AsyncHTTPClient.configure(None, max_clients=1000)

    print(f"bench_capacity: arrivals over {args.spread:.0f} s, {args.answer_time:.0f} s answering, "
          f"{args.stay:.0f} s on the thank-you, "
          f"pool {args.pool_size}, idle timeout {args.idle_timeout} s, seed {args.seed}"
          + (f"; 1 server, then {args.servers} behind nginx, each on a fresh PostgreSQL database"
             if args.servers > 1 else ""))
    for n in args.sizes:
        done = {}
        for count in ([1, args.servers] if args.servers > 1 else [1]):
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                os.environ["ZUOFENG_KEY_FILE"] = str(work / "token.key")
                if args.servers > 1:
                    os.environ["ZUOFENG_TEST_PG"] = args.pg
                    gen = pg_database()
                    db = next(gen)
                else:
                    gen, db = None, f"sqlite:///{work / 'store.db'}"
                try:
                    done[count] = run(work, db, n, count, args)
                finally:
                    if gen is not None:
                        gen.close()
            report("1 server" if count == 1 else f"{count} servers behind nginx", done[count], args)
        if args.servers > 1 and done[1]["ok"] and done[args.servers]["ok"]:
            one, many = done[1], done[args.servers]
            p1, pn = pct([x["usable"] for x in one["ok"]], 0.95), pct([x["usable"] for x in many["ok"]], 0.95)
            c1, cn = cpu_per_respondent(one), cpu_per_respondent(many)
            print(f"\nN = {n}: {args.servers} servers behind nginx against 1 server: p95 token to form "
                  f"{pn:.2f} s / {p1:.2f} s = {pn / p1:.2f}; CPU per respondent {cn:.2f} s / {c1:.2f} s = {cn / c1:.2f}")


if __name__ == "__main__":
    main()
