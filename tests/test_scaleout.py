"""Two survey servers behind nginx on one PostgreSQL store, with the configuration of ``deploy/nginx``.

nginx (Debian's, ``/usr/sbin/nginx``) runs with ``deploy/nginx/nginx-main.conf.example`` and the site
template filled in (TLS with a throw-away certificate), in front of two ``zuofeng serve --behind-proxy``
on one PostgreSQL database. ``N`` respondents of ``tests/capacity_support.py`` (protocol level: entry
page, 答题码, survey page, the kernel's WebSocket, 23 clicks, 提交) arrive through it at random over
``SPREAD`` seconds. One meeting, several checks: every answer landed once, both servers served pages,
no kernel is left but the pools, nginx and the servers logged no error, a 答题码 used on one server
is refused by the other, and an attacker holding the store and both servers' logs pairs no response
with its 答题码 better than chance.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time

import pytest
from scipy.stats import binom
from sqlalchemy import text

from tests.capacity_support import Respondent, clicked_vectors, meeting, stored_vectors
from tests.support.ci import require_or_skip
from tests.support.proxy import NGINX, Proxy, nginx_available
from tests.support.server import Serve, kernels
from tests.support.store import pg_database
from tests.test_anonymity_pg import STRATEGIES, Trial, observe
from zuofeng.collect import tokens as tk
from zuofeng.rounds import create_round, set_status
from zuofeng.store import open_engine

pytestmark = [pytest.mark.pg, pytest.mark.slow]

N = int(os.environ.get("ZUOFENG_SCALEOUT_N", "200"))
SPREAD = 60  # seconds over which the respondents arrive
ANSWER = 20  # seconds a respondent takes for the 23 clicks
POOL = 3
ALPHA = 1e-6
ROSTER = f"code,name,unit_type,headcount\nA,甲部,机关部室,{N + 10}\nB,乙部,机关部室,10\n"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """The meeting: ``{"res", "url", "servers", "proxy", "tokens", "seen", "order", "kernels_left"}``."""
    require_or_skip(nginx_available(), f"nginx is not installed at {NGINX}")
    folder = tmp_path_factory.mktemp("scaleout")
    key = folder / "token.key"
    mp = pytest.MonkeyPatch()
    mp.setenv("ZUOFENG_KEY_FILE", str(key))  # the key every server shares, as deploy/systemd says
    gen = pg_database()
    url = next(gen)
    started: list = []
    try:
        engine = open_engine(url)
        with engine.begin() as c:
            c.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
        create_round(engine, "R1", title="容量测试", roster=folder / "roster.csv")
        set_status(engine, "R1", "open")
        toks = [t.token for t in tk.issue_tokens(engine, "R1", kind="self") if t.scope.rater == "A"]
        assert len(toks) >= N + 2
        engine.dispose()
        servers = [Serve(folder, url, pool=POOL, idle=10, extra=("--behind-proxy",)) for _ in range(2)]
        started += servers
        proxy = Proxy(folder / "nginx", [s.port for s in servers])
        started.append(proxy)

        from tornado.httpclient import AsyncHTTPClient
        AsyncHTTPClient.configure(None, max_clients=1000)
        seen: dict[int, set] = {s.pid: set() for s in servers}
        order: list[str] = []  # the 答题码 in the order their 提交 was clicked (what a watcher of the room knows)

        async def sample(done):
            while not done.is_set():
                for s in servers:
                    seen[s.pid].update(k.pid for k in kernels(s.ps))
                await asyncio.sleep(1)

        with mp.context() as m:
            m.setattr(Respondent, "verify", False)  # the proxy's certificate is made for this test
            m.setattr(Respondent, "submitted", lambda self: order.append(self.token))
            t0 = time.monotonic()
            res = asyncio.run(meeting(proxy.url, toks[:N], spread=SPREAD, answer_time=ANSWER, seed=3, sample=sample))
            res["minutes"] = (time.monotonic() - t0) / 60
        end = time.monotonic() + 90  # the pages' kernels end 10 s after their sheet (the idle timeout)
        while time.monotonic() < end and any(len(s.kernels()) > POOL for s in servers):
            time.sleep(2)
        left = [len(s.kernels()) for s in servers]
        attack = attack_now(url, res["ok"], order)  # before any other 答题码 is used
        yield {"res": res, "url": url, "servers": servers, "proxy": proxy, "tokens": toks, "seen": seen,
               "order": order, "kernels_left": left, "attack": attack}
    finally:
        for s in started:
            s.stop()
        gen.close()
        mp.undo()


def test_every_answer_of_200_respondents_lands_once(room):
    res = room["res"]
    assert res["failed"] == [], res["failed"][:5]
    assert len(res["ok"]) == N
    got = stored_vectors(room["url"])
    assert len(got) == N and got == clicked_vectors(res["ok"])  # every answer landed, once


def test_both_servers_serve_pages_and_no_kernel_is_left_but_the_pools(room):
    assert all(len(pids) > POOL + N // 5 for pids in room["seen"].values()), \
        {k: len(v) for k, v in room["seen"].items()}  # the sticky hash spreads the browsers over both
    assert room["kernels_left"] == [POOL, POOL]


def test_https_at_the_proxy_and_no_error_in_nginx_or_the_servers(room):
    cookies = room["res"]["ok"][0]["cookies"]
    assert any(c.startswith("zf_ticket=") and "Secure" in c for c in cookies)
    assert [line for line in room["proxy"].errors() if re.search(r"\[(error|crit|alert|emerg)\]", line)] == []
    for s in room["servers"]:
        said = s.log.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"^\[[EC] |Traceback", said, re.MULTILINE), said[-3000:]


def test_a_token_used_through_one_server_is_refused_by_the_other(room):
    first, other = room["servers"]
    tok = room["tokens"][N]
    done = Respondent(first.url, tok, [1] * 22, 0, 1, random.Random(1))
    asyncio.run(done.run(typing=0))
    again = Respondent(other.url, tok, [1] * 22, 0, 1, random.Random(1))
    with pytest.raises(RuntimeError, match="token refused"):
        asyncio.run(again.enter())
    assert len(stored_vectors(room["url"])) == N + 1


def attack_now(url: str, finished: list[dict], order: list[str]) -> dict:
    """What the attacker of the last test guesses, with the strategies of ``tests/test_anonymity_pg.py``;
    the truth from the answers (every respondent clicked its own random vector)."""
    hashes = {r["token"]: tk.token_hash(r["token"]) for r in finished}
    engine = open_engine(url, create=False)
    try:
        with engine.connect() as c:
            ids = {tuple(v): rid for rid, v in _vectors_by_id(c).items()}
            truth = {hashes[r["token"]]: ids[tuple(0 if i == 5 else i + 1 for i in r["pattern"])]
                     for r in finished if tuple(0 if i == 5 else i + 1 for i in r["pattern"]) in ids}
            trial = Trial([hashes[t] for t in order if t in hashes], truth)
            if len(truth) == len(finished) == len(order):
                observe(c, "R1", trial)
    finally:
        engine.dispose()
    return {"trial": trial, "hashes": hashes}


def test_an_attacker_with_the_store_and_both_logs_pairs_no_better_than_chance(room):
    """The attacker knows every 答题码 and when each one's 提交 was clicked (it watched the room), holds a
    superuser connection to the store (row order, ids, transaction ids, commit times, dead row versions:
    the strategies of ``tests/test_anonymity_pg.py``: each one against the order of arrival) and reads
    both servers' logs and nginx's error log."""
    res, trial = room["res"], room["attack"]["trial"]
    assert len(room["order"]) == N and len(trial.truth) == N and set(trial.guesses) == set(STRATEGIES)
    # the logs: nothing in them names a 答题码, its hash or a response
    logs = "\n".join([*(s.log.read_text(encoding="utf-8", errors="replace") for s in room["servers"]),
                      *room["proxy"].errors()])
    secrets = [*(r["token"] for r in res["ok"]), *(r["token"].replace("-", "") for r in res["ok"]),
               *trial.truth, *trial.truth.values()]
    assert [s for s in secrets if s in logs] == []
    hits = {s: sum(trial.guesses[s].get(h) == rid for h, rid in trial.truth.items()) for s in STRATEGIES}
    bound = int(binom.isf(ALPHA, N, 1 / N))
    assert max(hits.values()) <= bound, f"{hits} of {N}, bound {bound}"


def _vectors_by_id(conn) -> dict[str, list[int]]:
    from sqlalchemy import select

    from zuofeng.store import answers, responses
    ids = set(conn.scalars(select(responses.c.id).where(responses.c.source == "survey")))
    got: dict[str, dict] = {}
    for rid, item, value in conn.execute(select(answers.c.response_id, answers.c.item, answers.c.value)):
        if rid in ids:
            got.setdefault(rid, {})[item] = value
    return {rid: [v.get(i) or 0 for i in range(1, 23)] for rid, v in got.items()}
