"""The light entry page and its one-time tickets, without a browser (the browser test drives the real server)."""

from __future__ import annotations

import json
import re

import pytest

from zuofeng.collect import desk as dk
from zuofeng.collect.server.entry_page import entry_page, waiting_page
from zuofeng.collect.server.opening_queue import OpeningQueue
from zuofeng.collect.server.page_template import page_template
from zuofeng.collect.server.prefetch import (
    CACHE_PREFIX,
    WORKER_NAME,
    PrefetchList,
    _voila_release,
    worker_script,
    worker_version,
)
from zuofeng.collect.server.tickets import Tickets
from zuofeng.collect.server.voila_app import survey_voila_class
from zuofeng.collect.tokens import issue_tokens, token_hash
from zuofeng.errors import TokenError
from zuofeng.rounds import create_round, set_status
from zuofeng.store import open_engine

ROUND = {"code": "R1", "title": "测评<script>alert(1)</script>", "k_min": 6, "k_comment": 12}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_ticket_is_used_once_and_expires():
    clock = Clock()
    t = Tickets(ttl=60, clock=clock)
    a, b = t.issue({"hash": "x"}), t.issue({"hash": "y"})
    assert a != b and len(a) >= 22  # 128 random bits, URL-safe
    assert t.peek(a) and len(t) == 2
    assert t.take(a) == {"hash": "x"}
    assert t.take(a) is None and not t.peek(a)  # one time
    clock.now += 60
    assert t.take(b) is None and len(t) == 0  # expired
    assert t.take(None) is None and t.take(123) is None and not t.peek(None)


def test_pages_open_in_the_order_they_arrived_and_a_returning_page_keeps_its_place():
    """One opening at a time: three pages wait; a newcomer arriving when the opening frees goes last; a
    page that gave up (it got "please wait") and comes back with its place goes before later arrivals."""
    import asyncio

    async def play():
        state = {"open": 0}
        queue = OpeningQueue(lambda: state["open"] >= 1, poll=0.05)
        order = []

        async def page(name, seq, timeout=5.0):
            if not await queue.wait(seq, timeout):
                order.append(f"{name} waits")
                return seq
            state["open"] += 1
            order.append(name)
            await asyncio.sleep(0.02)  # opening
            state["open"] -= 1
            queue.wake()
            return None

        state["open"] = 1  # a page is opening
        first, second, third = queue.place(), queue.place(), queue.place()
        late = [asyncio.ensure_future(page(n, q)) for n, q in (("third", third), ("first", first), ("second", second))]
        await asyncio.sleep(0.01)
        quitter = await page("quitter", queue.place(), timeout=0.01)  # gives up at once: "please wait"
        newcomer = asyncio.ensure_future(page("newcomer", queue.place()))
        await asyncio.sleep(0.01)
        state["open"] = 0
        queue.wake()
        back = asyncio.ensure_future(page("quitter back", quitter))  # returns with its place
        await asyncio.gather(*late, newcomer, back)
        return order, queue.waiting

    order, waiting = asyncio.run(play())
    assert order == ["quitter waits", "first", "second", "third", "quitter back", "newcomer"]
    assert waiting == {}


def test_the_prefetch_list_takes_each_served_file_once_and_no_made_up_query():
    """Anybody can ask for static files: query variants or a flood of them must not reach every phone."""
    files = PrefetchList(limit=3)
    assert files.learn("/voila/static/voila.js", "v=3f2a9c", 200)
    assert not files.learn("/voila/static/voila.js", "v=other", 200)  # the same file again
    assert not files.learn("/voila/static/voila.js", "", 200)
    assert not files.learn("/voila/static/1.js", "x=1", 200)  # not a version
    assert not files.learn("/voila/static/2.js", "v=1&x=2", 200)
    assert not files.learn("/voila/static/3.js", "", 404)  # not served
    assert not files.learn("/voila/static/page.html", "", 200)  # not a script or stylesheet
    assert files.learn("/voila/templates/lab/static/index.css", "", 200)
    assert files.learn("/voila/static/4.js", "v=1", 200)
    assert not files.learn("/voila/static/5.js", "v=1", 200)  # the cap
    assert files.files == ("/voila/static/voila.js?v=3f2a9c", "/voila/templates/lab/static/index.css",
                           "/voila/static/4.js?v=1")


def test_pages_being_opened_at_once_are_capped_at_twice_the_cores():
    import os

    assert survey_voila_class(None, ROUND, live_cap=300).opening_cap == 2 * os.cpu_count()
    assert survey_voila_class(None, ROUND, live_cap=300).page_cap == 300


def test_a_page_waits_no_longer_than_its_timeout_and_a_free_page_goes_at_once():
    import asyncio
    import time

    async def play():
        queue = OpeningQueue(lambda: True, poll=0.05)
        t0 = time.perf_counter()
        blocked = await queue.wait(queue.place(), 0.2)
        waited = time.perf_counter() - t0
        queue.busy = lambda: False
        t0 = time.perf_counter()
        free = await queue.wait(queue.place(), 5)
        return blocked, waited, free, time.perf_counter() - t0

    blocked, waited, free, took = asyncio.run(play())
    assert blocked is False and 0.15 <= waited < 2.0
    assert free is True and took < 0.05


def test_the_entry_page_is_plain_html_with_the_promise_and_escapes_the_title():
    page = entry_page(ROUND, lang="zh", message="答题码无效<b>", prefetch=("/voila/static/voila.js",))
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<script>alert(1)</script>" not in page and "测评&lt;script&gt;" in page
    assert "少于6人" in page and "不少于12人" in page  # the round's k and comment threshold
    assert 'method="post" action="start"' in page and 'name="token"' in page and "autofocus" in page
    assert "答题码无效&lt;b&gt;" in page and "凭证码" not in page
    assert '["/voila/static/voila.js"]' in page  # prefetched while the respondent types
    assert "jupyter" not in page.lower() and "require.js" not in page  # no JupyterLab front-end
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(scripts) == 1 and "</" not in scripts[0]
    en = entry_page(ROUND, lang="en")
    assert '<html lang="en">' in en and "fewer than 6" in en and "Token" in en
    assert '<html lang="zh-CN">' in waiting_page("zh") and "请稍候" in waiting_page("zh")


def test_the_survey_page_template_speaks_the_pages_language():
    zh, en = page_template("zh"), page_template("en")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    assert "正在打开问卷" in zh and "Executing" not in zh and "Running" not in zh
    assert "https://" not in zh and "cdn" not in zh.lower()
    text = json.loads(re.search(r"var T = (\{.*?\}), KEY", zh).group(1))
    assert text["max"] == 500 and "正在重新连接" in text["lost"]
    assert "sessionStorage" in zh and "localStorage" not in zh  # answers stay in this tab only


@pytest.fixture
def served_desk(tmp_path, roster_file):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="测评", roster=roster_file)
    set_status(engine, "R1", "open")
    toks = issue_tokens(engine, "R1", kind="self")
    with dk.Desk(engine, "R1", tmp_path / "desk.sock") as desk:
        yield desk, toks
    engine.dispose()


def test_the_kernel_claims_a_ticket_once_and_gets_the_scope_and_hash_never_the_token(served_desk):
    desk, toks = served_desk
    scope, hashed = desk.backend.check("R1", toks[0].token)
    ticket = desk.tickets.issue({"scope": {"round": scope.round, "kind": scope.kind, "rater": scope.rater,
                                           "target": scope.target}, "hash": hashed})
    client = dk.DeskClient(desk.path)
    got_scope, got_hash = client.claim("R1", ticket)
    assert got_scope == scope and got_hash == token_hash(toks[0].token)
    with pytest.raises(TokenError):
        client.claim("R1", ticket)  # one time
    with pytest.raises(TokenError):
        client.claim("R1", "made-up")
    answer = desk.answer(json.dumps({"op": "claim", "round": "R1", "ticket": ticket}).encode())
    assert answer["ok"] is False and toks[0].token not in json.dumps(answer)


def test_the_service_worker_stores_the_given_static_files_and_a_new_list_makes_a_new_cache(monkeypatch):
    files = ["/voila/static/voila.js", "/voila/static/1.voila.js?v=abc"]
    js = worker_script(files)
    assert '["/voila/static/voila.js", "/voila/static/1.voila.js?v=abc"]' in js
    assert f'"{CACHE_PREFIX}{worker_version(files)}"' in js
    assert worker_version(files) != worker_version(files[:1])  # another list, another worker and cache
    before = worker_version(files)
    monkeypatch.setattr("importlib.metadata.version", lambda name: "99.0")
    _voila_release.cache_clear()  # read once per server process; another install means another server
    try:
        assert worker_version(files) != before  # another Voilà: its chunks keep their names, not their content
    finally:
        monkeypatch.undo()
        _voila_release.cache_clear()
    assert "r.mode === 'navigate'" in js and "r.method !== 'GET'" in js  # pages and posts pass by
    page = entry_page(ROUND, prefetch=tuple(files))
    assert f"{WORKER_NAME}?v={worker_version(files)}" in page
