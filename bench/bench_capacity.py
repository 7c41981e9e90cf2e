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
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
import psutil
from bench_survey import ROSTER, Server, kernels, memory


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def message(session: str, msg_type: str, content: dict, metadata: dict | None = None) -> str:
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "username": "", "session": session, "msg_type": msg_type,
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": []})


def ticket_cookie(response, cookie: str) -> str:
    """The ticket cookie a response sets (a browser keeps the newest), else ``cookie``."""
    for header in response.headers.get_list("Set-Cookie"):
        if header.startswith("zf_ticket="):
            return header.split(";", 1)[0]
    return cookie


class Respondent:
    def __init__(self, base: str, token: str, pattern: list[int], overall: int, answer_time: float,
                 rng: random.Random, stay: float = 0):
        self.base, self.token, self.pattern, self.overall = base, token, pattern, overall
        self.answer_time, self.rng, self.stay = answer_time, rng, stay
        self.result: dict = {}

    async def run(self, typing: float) -> dict:
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        http = AsyncHTTPClient()
        r = await http.fetch(self.base, request_timeout=300, connect_timeout=60)
        if b'id="zf-token"' not in r.body:
            raise RuntimeError("no entry page")
        await asyncio.sleep(typing)
        t0 = time.perf_counter()
        r = await http.fetch(HTTPRequest(self.base + "start", method="POST", body=urlencode({"token": self.token}),
                                         follow_redirects=False, request_timeout=300, connect_timeout=60), raise_error=False)
        if r.code != 303:
            raise RuntimeError(f"token refused ({r.code})")
        cookie = ticket_cookie(r, "")
        waited = 0
        while True:  # the "please wait" page retries every 3 s, as the browser does with Refresh
            r = await http.fetch(HTTPRequest(self.base + "survey", headers={"Cookie": cookie},
                                             follow_redirects=False, request_timeout=600, connect_timeout=60), raise_error=False)
            if r.code == 200 and r.headers.get("Refresh"):
                # the waiting page hands out a fresh ticket each time, as a browser keeps it
                cookie = ticket_cookie(r, cookie)
                waited += 1
                await asyncio.sleep(3)
                continue
            break
        html = r.body.decode()
        if r.code != 200:
            raise RuntimeError(f"survey page answered {r.code} after {waited} waits")
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">\s*(.*?)\s*</script>',
                                      html, re.DOTALL).group(1))
        kernel = config["kernelId"]
        session = uuid.uuid4().hex
        ws = await websocket_connect(f"ws{self.base[4:]}api/kernels/{kernel}/channels?session_id={session}",
                                     max_message_size=64 * 2**20)
        control = uuid.uuid4().hex
        await ws.write_message(message(session, "comm_open", {"comm_id": control, "target_name": "jupyter.widget.control",
                                                              "data": {}}, {"version": "1.0.0"}))
        await ws.write_message(message(session, "comm_msg", {"comm_id": control, "data": {"method": "request_states"}}))
        states = None
        while states is None:
            raw = await asyncio.wait_for(ws.read_message(), 300)
            if raw is None:
                raise RuntimeError("websocket closed")
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            data = msg.get("content", {}).get("data", {})
            if msg.get("msg_type") == "comm_msg" and data.get("method") == "update_states":
                states = data["states"]
        usable = time.perf_counter() - t0
        by_class = {}
        for model_id, s in states.items():
            for cls in s["state"].get("_dom_classes", []):
                by_class[cls] = model_id
        if "zf-q22" not in by_class:
            raise RuntimeError("no form in the widget states")
        reader = asyncio.ensure_future(self.watch(ws, "IPY_MODEL_" + by_class["zf-thanks"]))
        clicks = [(f"zf-q{n:02d}", idx) for n, idx in enumerate(self.pattern, start=1)] + [("zf-overall", self.overall)]
        for cls, idx in clicks:
            await asyncio.sleep(self.answer_time / len(clicks) * self.rng.uniform(0.5, 1.5))
            await ws.write_message(message(session, "comm_msg", {"comm_id": by_class[cls], "data": {
                "method": "update", "state": {"index": idx}, "buffer_paths": []}}))
        t1 = time.perf_counter()
        await ws.write_message(message(session, "comm_msg", {"comm_id": by_class["zf-submit"], "data": {
            "method": "custom", "content": {"event": "click"}}}))
        await asyncio.wait_for(reader, 300)
        submit = time.perf_counter() - t1
        await asyncio.sleep(self.stay)  # the phone stays on the thank-you, connected
        ws.close()
        return {"usable": usable, "submit": submit, "waited": waited, "pattern": self.pattern}

    async def watch(self, ws, thanks: str) -> None:
        """Until a widget update puts the thank-you on the page (only a stored sheet does that)."""
        while True:
            raw = await ws.read_message()
            if raw is None:
                raise RuntimeError("websocket closed before the thank-you")
            if isinstance(raw, bytes) or thanks not in raw:
                continue
            state = json.loads(raw).get("content", {}).get("data", {}).get("state", {})
            if thanks in state.get("children", ()):
                return


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


def stored_vectors(db: str) -> list[tuple]:
    from sqlalchemy import select

    from zuofeng.store import answers, open_engine, responses
    engine = open_engine(db, create=False)
    with engine.connect() as c:
        ids = set(c.scalars(select(responses.c.id).where(responses.c.source == "survey")))
        rows = c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)).all()
    engine.dispose()
    got: dict = {}
    for rid, item, value in rows:
        if rid in ids:
            got.setdefault(rid, {})[item] = value
    return sorted(tuple(v.get(i) or 0 for i in range(1, 23)) for v in got.values())


async def meeting(server: Server, tokens: list[str], spread: float, answer_time: float, seed: int,
                  stay: float = 0) -> dict:
    rng = random.Random(seed)
    respondents = []
    for tok in tokens:
        pattern = [rng.randrange(6) for _ in range(22)]
        respondents.append(Respondent(server.url, tok, pattern, rng.randrange(5), answer_time,
                                      random.Random(rng.random()), stay))
    arrivals = sorted(rng.uniform(0, spread) for _ in respondents)
    peak = {"rss": 0.0, "uss": 0.0, "kernels": 0, "files": 0}
    done = asyncio.Event()
    async def sample():
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

    async def one(r, at):
        await asyncio.sleep(at)
        return await r.run(typing=rng.uniform(3, 8))

    sampler = asyncio.ensure_future(sample())
    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(r, at) for r, at in zip(respondents, arrivals)), return_exceptions=True)
    wall = time.perf_counter() - t0
    done.set()
    await sampler
    ok = [r for r in results if isinstance(r, dict)]
    failed = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, dict)]
    return {"ok": ok, "failed": failed, "wall": wall, **peak}


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
            want = sorted(tuple(0 if i == 5 else i + 1 for i in r["pattern"]) for r in res["ok"])
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
