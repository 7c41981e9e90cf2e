"""The HTTP side of `zuofeng serve` as an attacker and an operator meet it: attempts per client, XSRF,
session cookies, the script policy and a clean stop, against a real server process."""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import re
import signal
import socket
import time

import psutil
import pytest

from tests.capacity_support import Respondent
from tests.test_survey_browser import kernels, serve_round, with_pool_kernel
from zuofeng.collect.server.webguard import ATTEMPT_BURST, AttemptLimit, client_key


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_attempts_are_limited_per_client_refill_and_valid_codes_are_given_back():
    clock = Clock()
    limit = AttemptLimit(burst=3, refill=10, clock=clock)
    assert [limit.take("192.0.2.1") for _ in range(5)] == [True, True, True, False, False]
    assert limit.take("192.0.2.2")  # another client is not blocked
    assert limit.retry_after("192.0.2.1") == 10
    clock.now = 10.0
    assert limit.take("192.0.2.1") and not limit.take("192.0.2.1")  # one more after 10 s
    limit.give_back("192.0.2.1")  # that one was a valid code: it does not count
    assert limit.take("192.0.2.1")
    # an IPv6 machine holds its /64: new addresses in it are the same client
    assert [limit.take(f"2001:db8::{n:x}") for n in range(4)] == [True, True, True, False]
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") != client_key("2001:db8:0:1::1")


def test_many_clients_are_remembered_up_to_a_bound():
    limit = AttemptLimit(burst=1, refill=1000, max_clients=100)
    for n in range(1000):
        limit.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limit) == 100


@pytest.fixture
def served(tmp_path, roster_file):
    yield from serve_round(tmp_path, roster_file, 60)


def entry(conn: http.client.HTTPConnection, cookies: dict) -> str:
    """GET the entry page on ``conn``; keep its cookies; return its XSRF field."""
    conn.request("GET", "/", headers=cookie_header(cookies))
    r = conn.getresponse()
    body = r.read().decode()
    keep(r, cookies)
    return re.search(r'name="_xsrf" value="([^"]+)"', body).group(1)


def cookie_header(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def keep(r, cookies: dict) -> list[str]:
    sent = r.headers.get_all("Set-Cookie") or []
    for header in sent:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    return sent


def post(conn, cookies: dict, **form) -> tuple[int, dict, str]:
    from urllib.parse import urlencode
    conn.request("POST", "/start", body=urlencode(form),
                 headers={**cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    body = r.read().decode()
    keep(r, cookies)
    return r.status, dict(r.headers), body


class Source(http.client.HTTPConnection):
    """A connection from another loopback address: another client."""

    def __init__(self, host, port, source):
        super().__init__(host, port, timeout=30, source_address=(source, 0))


@pytest.mark.slow
def test_wrong_codes_meet_429_no_kernel_starts_and_another_client_goes_on(served):
    server = with_pool_kernel(served)
    time.sleep(2)
    before = {p.pid for p in kernels(server)}
    port = int(served["url"].rsplit(":", 1)[1].strip("/"))
    conn, cookies = http.client.HTTPConnection("127.0.0.1", port, timeout=30), {}
    xsrf = entry(conn, cookies)
    statuses, retry, message = [], set(), ""
    t0 = time.monotonic()
    for n in range(2000):
        # a spoofed X-Real-IP changes nothing: the server is not behind a proxy
        conn.request("POST", "/start", body=f"_xsrf={xsrf}&token=WRONG{n:011d}",
                     headers={**cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded",
                              "X-Real-IP": f"198.51.100.{n % 250}"})
        r = conn.getresponse()
        body = r.read().decode()
        statuses.append(r.status)
        if r.status == 429:
            retry.add(r.headers["Retry-After"])
            message = body
    seconds = time.monotonic() - t0
    assert statuses[:ATTEMPT_BURST] == [200] * ATTEMPT_BURST
    # after the burst, every further wrong code is refused at once (the few allowed by the refill of
    # one per 3 s over these seconds aside)
    assert statuses.count(429) >= 2000 - ATTEMPT_BURST - int(seconds / 3) - 1
    assert set(statuses) == {200, 429}
    assert "输入错误的答题码次数过多" in message and "秒后再试" in message and 'lang="zh-CN"' in message
    assert retry and all(1 <= int(s) <= 3 for s in retry)
    time.sleep(1)
    assert {p.pid for p in kernels(server)} == before  # no kernel started for any of them
    # the same client with a valid 答题码 still waits (once the attempts refilled meanwhile are spent);
    # another client goes on at once
    while post(conn, cookies, _xsrf=xsrf, token="WRONG-WRONG-WRONG")[0] != 429:
        pass
    status, _, _ = post(conn, cookies, _xsrf=xsrf, token=served["tokens"][0].token)
    assert status == 429
    other, theirs = Source("127.0.0.1", port, "127.0.0.2"), {}
    status, headers, _ = post(other, theirs, _xsrf=entry(other, theirs), token=served["tokens"][0].token)
    assert status == 303 and headers["Location"] == "survey"
    log = served["log"].read_text(encoding="utf-8", errors="replace")
    assert "429" not in log and "127.0.0.1" not in log.split("\n", 1)[-1]  # no line per refusal, no address


@pytest.mark.slow
def test_every_post_needs_the_xsrf_token_and_every_cookie_is_for_the_session(served):
    with_pool_kernel(served)
    port = int(served["url"].rsplit(":", 1)[1].strip("/"))
    conn, cookies = http.client.HTTPConnection("127.0.0.1", port, timeout=60), {}
    tok = served["tokens"][0].token
    # no XSRF token, or another one than the cookie's: refused with the entry page in Chinese, nothing checked
    for form, jar in (({"token": tok}, {}), ({"token": tok, "_xsrf": "2|00000000|00|1"}, None)):
        if jar is None:
            jar = {}
            entry(conn, jar)
        status, headers, body = post(conn, jar, **form)
        assert status == 403 and "页面已过期" in body and "zf_ticket" not in headers.get("Set-Cookie", "")
    # the entry page: its policy allows its own inline script (the nonce) and nothing from elsewhere
    conn.request("GET", "/")
    r = conn.getresponse()
    body = r.read().decode()
    policy = r.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in body and body.count("<script") == 1 and "unsafe" not in policy
    sent = keep(r, cookies)
    # the whole way to the survey page: every cookie lives for the session only
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', body).group(1)
    status, headers, _ = post(conn, cookies, _xsrf=xsrf, token=tok)
    assert status == 303
    sent += [h for h in [headers.get("Set-Cookie")] if h]
    conn.request("GET", "/survey", headers=cookie_header(cookies))
    r = conn.getresponse()
    page = r.read().decode()
    sent += keep(r, cookies)
    policy = r.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy).group(1)
    tags = re.findall(r"<script[^>]*>", page)
    assert len(tags) >= 5 and all(f'nonce="{nonce}"' in t for t in tags)  # every script of the page
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    names = {h.split("=", 1)[0] for h in sent}
    assert {"zf_route", "_xsrf", "zf_ticket"} <= names and any(n.startswith("username-") for n in names)
    for h in sent:
        low = h.lower()
        deleted = 'zf_ticket=""' in h
        assert "max-age" not in low and ("expires" not in low or deleted), h  # a session cookie, or a deletion
        if not h.startswith("_xsrf=") and not deleted:
            assert "httponly" in low, h  # only the XSRF token is for the page's script (it sends it back)
    ticket = next(h for h in sent if h.startswith("zf_ticket=") and not h.startswith('zf_ticket=""'))
    assert ticket.endswith("HttpOnly; Path=/survey; SameSite=Strict")
    # the page's kernel shutdown (Voilà sends it when the page unloads) needs the token too
    kernel = re.search(r'"kernelId": "([^"]+)"', page).group(1)
    conn.request("POST", f"/voila/api/shutdown/{kernel}", body="", headers=cookie_header(cookies))
    r = conn.getresponse()
    r.read()
    assert r.status == 403
    conn.request("POST", f"/voila/api/shutdown/{kernel}", body=f"_xsrf={cookies['_xsrf']}",
                 headers={**cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    assert r.status == 204


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_sigterm_stops_within_5_s_after_the_sheet_being_submitted_is_stored(served):
    """A respondent clicks 提交 and the server gets SIGTERM at once: the sheet is stored and its thank-you
    reaches the page; then the server, its kernels and its fork server are gone, within 5 s."""
    server = with_pool_kernel(served)
    time.sleep(3)
    from tornado.httpclient import AsyncHTTPClient
    AsyncHTTPClient.configure(None, max_clients=10)
    tok = served["tokens"][1].token
    port = int(served["url"].rsplit(":", 1)[1].strip("/"))
    r = Respondent(served["url"], tok, [n % 5 for n in range(22)], 1, 0.5, random.Random(1))
    kernel_pids = []

    class Stopper(Respondent):
        def submitted(self):
            kernel_pids.extend(p.pid for p in kernels(server))
            self.stopped = time.monotonic()
            os.kill(served["pid"], signal.SIGTERM)  # the click on 提交 has just been sent

    r.__class__ = Stopper
    done = asyncio.run(r.run(typing=0))  # the thank-you arrived
    assert done["pattern"] == [n % 5 for n in range(22)]
    proc = psutil.Process(served["pid"])
    end = r.stopped + 5
    while time.monotonic() < end and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    took = time.monotonic() - r.stopped
    assert took < 5, took
    assert not port_open(port)
    time.sleep(0.5)
    assert kernel_pids and not [p for p in kernel_pids if psutil.pid_exists(p)
                                and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    from sqlalchemy import func, select

    from zuofeng.store import responses
    with served["engine"].connect() as c:
        assert c.scalar(select(func.count()).select_from(responses)) == 1
