"""Respondents at the protocol level: what a browser does on the survey, without the browser.

Shared by the scale-out test (``tests/test_scaleout.py``) and the capacity benchmark
(``bench/bench_capacity.py``). Each ``Respondent`` GETs the entry page (keeping its cookies, as a
browser does: the proxy's routing cookie, the XSRF cookie), waits while "typing", POSTs the 答题码 with
the form's XSRF field, follows the redirect to ``survey`` with the ticket cookie, reads the kernel id
from the page, opens the kernel's WebSocket (with the same cookies: a proxy routes it by them), asks
for the widget states as the widget manager does, clicks the 22 answers and the overall rating one by
one over ``answer_time`` seconds, clicks 提交 and waits until the kernel replaces the form by the
thank-you; it stays ``stay`` seconds on the thank-you, connected, then closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from urllib.parse import urlencode

XSRF_FIELD = re.compile(r'name="_xsrf" value="([^"]+)"')
CONFIG = re.compile(r'<script[^>]*id="jupyter-config-data" type="application/json">\s*(.*?)\s*</script>', re.DOTALL)


def pct(xs, q):
    """The ``q`` quantile of ``xs`` (nearest rank); nan when empty."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def message(session: str, msg_type: str, content: dict, metadata: dict | None = None) -> str:
    """A Jupyter message on the shell channel, as JSON text."""
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "username": "", "session": session, "msg_type": msg_type,
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": []})


class Cookies:
    """A browser's cookies for one server (name → value), kept from every response."""

    def __init__(self):
        self.jar: dict[str, str] = {}
        self.headers: list[str] = []  # every Set-Cookie header received, as sent

    def keep(self, response) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            self.headers.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or _expired(header):  # a cookie the server deletes
                self.jar.pop(name, None)
            else:
                self.jar[name] = value

    def header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())} if self.jar else {}


def _expired(header: str) -> bool:
    from email.utils import parsedate_to_datetime
    m = re.search(r"expires=([^;]+)", header, re.IGNORECASE)
    try:
        return m is not None and parsedate_to_datetime(m.group(1)).timestamp() < time.time()
    except (TypeError, ValueError):
        return False


class Respondent:
    """One simulated respondent of the survey at ``base`` (an address ending in ``/``); ``verify``: check the
    server's TLS certificate (a test's proxy has a throw-away one)."""

    verify = True

    def __init__(self, base: str, token: str, pattern: list[int], overall: int, answer_time: float,
                 rng: random.Random, stay: float = 0):
        self.base, self.token, self.pattern, self.overall = base, token, pattern, overall
        self.answer_time, self.rng, self.stay = answer_time, rng, stay
        self.cookies = Cookies()

    async def fetch(self, path: str, **kwargs):
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        request = HTTPRequest(self.base + path, headers=self.cookies.header(), follow_redirects=False,
                              request_timeout=600, connect_timeout=60, validate_cert=self.verify, **kwargs)
        r = await AsyncHTTPClient().fetch(request, raise_error=False)
        self.cookies.keep(r)
        return r

    async def enter(self, typing: float = 0) -> tuple:
        """The entry page, the 答题码, the survey page: ``(response, seconds from the 答题码, waits)``."""
        r = await self.fetch("")
        found = XSRF_FIELD.search(r.body.decode()) if r.code == 200 else None
        if found is None or b'id="zf-token"' not in r.body:
            raise RuntimeError(f"no entry page ({r.code})")
        await asyncio.sleep(typing)
        t0 = time.perf_counter()
        r = await self.fetch("start", method="POST", body=urlencode({"_xsrf": found.group(1), "token": self.token}))
        if r.code != 303:
            raise RuntimeError(f"token refused ({r.code})")
        waited = 0
        while True:  # the "please wait" page retries every 3 s, as the browser does with Refresh
            r = await self.fetch("survey")
            if r.code == 200 and r.headers.get("Refresh"):
                waited += 1
                await asyncio.sleep(3)
                continue
            return r, t0, waited

    async def run(self, typing: float) -> dict:
        """The whole visit; a failure says at which step, how long after the start and on which kernel."""
        self.phase, self.kernel, start = "entry", None, time.perf_counter()
        try:
            return await self._run(typing)
        except Exception as e:
            raise RuntimeError(f"{self.phase}: {type(e).__name__}: {e} ({time.perf_counter() - start:.0f} s in, "
                               f"kernel {self.kernel})") from e

    async def _run(self, typing: float) -> dict:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        r, t0, waited = await self.enter(typing)
        self.phase = "survey page"
        if r.code != 200:
            raise RuntimeError(f"survey page answered {r.code} after {waited} waits")
        kernel = self.kernel = json.loads(CONFIG.search(r.body.decode()).group(1))["kernelId"]
        self.phase = "websocket"
        session = uuid.uuid4().hex
        # as patient as a browser, which gives a WebSocket handshake minutes (tornado's default is 20 s: under
        # load the server readies the kernel's channels for longer, and a client that leaves meanwhile is a lost page)
        ws = await websocket_connect(HTTPRequest(f"ws{self.base[4:]}api/kernels/{kernel}/channels?session_id={session}",
                                                 headers=self.cookies.header(), validate_cert=self.verify,
                                                 connect_timeout=60, request_timeout=600),
                                     max_message_size=64 * 2**20)
        self.phase = "widget states"
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
        self.phase = "answering"
        reader = asyncio.ensure_future(self.watch(ws, "IPY_MODEL_" + by_class["zf-thanks"]))
        clicks = [(f"zf-q{n:02d}", idx) for n, idx in enumerate(self.pattern, start=1)] + [("zf-overall", self.overall)]
        for cls, idx in clicks:
            await asyncio.sleep(self.answer_time / len(clicks) * self.rng.uniform(0.5, 1.5))
            await ws.write_message(message(session, "comm_msg", {"comm_id": by_class[cls], "data": {
                "method": "update", "state": {"index": idx}, "buffer_paths": []}}))
        t1 = time.perf_counter()
        await ws.write_message(message(session, "comm_msg", {"comm_id": by_class["zf-submit"], "data": {
            "method": "custom", "content": {"event": "click"}}}))
        self.submitted()
        self.phase = "thank-you"
        await asyncio.wait_for(reader, 300)
        submit = time.perf_counter() - t1
        await asyncio.sleep(self.stay)  # the phone stays on the thank-you, connected
        ws.close()
        return {"token": self.token, "usable": usable, "submit": submit, "waited": waited, "pattern": self.pattern,
                "kernel": kernel, "cookies": list(self.cookies.headers)}

    def submitted(self) -> None:
        """Called once the click on 提交 is sent (tests hook in here)."""

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


def respondents(base: str, tokens: list[str], answer_time: float, seed: int, stay: float = 0) -> list[Respondent]:
    """One respondent per token with seeded random answers (button 5 is 不了解)."""
    rng = random.Random(seed)
    out = []
    for tok in tokens:
        pattern = [rng.randrange(6) for _ in range(22)]
        out.append(Respondent(base, tok, pattern, rng.randrange(5), answer_time, random.Random(rng.random()), stay))
    return out


async def meeting(base: str, tokens: list[str], spread: float, answer_time: float, seed: int, stay: float = 0,
                  sample=None) -> dict:
    """Respondents arriving at random over ``spread`` seconds (seeded); ``sample`` (an async callable) runs
    meanwhile until they are done, called with an ``asyncio.Event`` set at the end."""
    rng = random.Random(seed)
    people = respondents(base, tokens, answer_time, seed, stay)
    arrivals = sorted(rng.uniform(0, spread) for _ in people)
    done = asyncio.Event()

    async def one(r, at):
        await asyncio.sleep(at)
        return await r.run(typing=rng.uniform(3, 8))

    sampler = asyncio.ensure_future(sample(done)) if sample is not None else None
    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(r, at) for r, at in zip(people, arrivals)), return_exceptions=True)
    wall = time.perf_counter() - t0
    done.set()
    if sampler is not None:
        await sampler
    ok = [r for r in results if isinstance(r, dict)]
    failed = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, dict)]
    return {"ok": ok, "failed": failed, "wall": wall}


def clicked_vectors(results: list[dict]) -> list[tuple]:
    """The answer vectors the respondents clicked, as the store keeps them (不了解 is missing: 0 here)."""
    return sorted(tuple(0 if i == 5 else i + 1 for i in r["pattern"]) for r in results)


def stored_vectors(db: str) -> list[tuple]:
    """The answer vectors of the survey's stored sheets (missing: 0)."""
    from sqlalchemy import select

    from zuofeng.store import answers, open_engine, responses
    engine = open_engine(db, create=False)
    try:
        with engine.connect() as c:
            ids = set(c.scalars(select(responses.c.id).where(responses.c.source == "survey")))
            rows = c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)).all()
    finally:
        engine.dispose()
    got: dict = {}
    for rid, item, value in rows:
        if rid in ids:
            got.setdefault(rid, {})[item] = value
    return sorted(tuple(v.get(i) or 0 for i in range(1, 23)) for v in got.values())
