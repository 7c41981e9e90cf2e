"""The collection desk: survey pages check tokens and store sheets through ``zuofeng serve``'s process."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from zuofeng.collect import tokens as tk
from zuofeng.collect.desk import MAX_REQUEST, Desk, DeskClient, DeskUnavailable, backend_for
from zuofeng.collect.survey import DONT_KNOW, SurveyApp
from zuofeng.collect.survey_text import TEXT
from zuofeng.errors import RoundError, TokenError, ZuofengError
from zuofeng.sheet import Sheet
from zuofeng.store import answers, departments, open_engine, responses, tokens


@pytest.fixture
def desk(open_round, tmp_path):
    engine, rnd = open_round
    with Desk(engine, rnd, tmp_path / "desk.sock") as d:
        yield d, engine, rnd


def counts(engine):
    with engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(responses)),
                c.scalar(select(func.count()).select_from(answers)),
                c.scalar(select(func.count()).select_from(tokens).where(tokens.c.used.is_(True))))


def a_sheet(scope, token, value=3):
    return Sheet(kind=scope.kind, rater=scope.rater, target=scope.target, answers=dict.fromkeys(range(1, 23), value),
                 token_hash=tk.token_hash(token))


def test_a_page_answers_through_the_desk(desk):
    d, engine, rnd = desk
    peer = next(t for t in tk.issue_tokens(engine, rnd, kind="peer") if t.scope.view == "peer_outside")
    app = SurveyApp(DeskClient(d.path), rnd)
    assert app.round["title"] == "基线测评"
    app.token_input.value = peer.token
    app.start_button.click()
    assert app.state == "form" and app.token_input.value == ""
    with engine.connect() as c:
        name = c.execute(select(departments.c.name).where(departments.c.round == rnd,
                                                          departments.c.code == peer.scope.target)).scalar_one()
    assert name in app.heading.value
    for n, tb in app.items.items():
        tb.value = DONT_KNOW if n == 4 else (n % 5) + 1
    app.overall.value = "较好"
    app.comment.value = "  窗口服务再快一些  "
    app.submit_button.click()
    assert app.state == "done"
    with engine.connect() as c:
        (r,) = c.execute(select(responses)).mappings().all()
        got = {a.item: a.value for a in c.execute(select(answers))}
    assert (r["kind"], r["rater"], r["target"], r["overall"], r["comment"]) == (
        "peer", peer.scope.rater, peer.scope.target, "较好", "窗口服务再快一些")
    assert got == {n: (None if n == 4 else (n % 5) + 1) for n in range(1, 23)}

    again = SurveyApp(DeskClient(d.path), rnd)  # the used token is refused on a fresh page
    again.token_input.value = peer.token
    again.start_button.click()
    assert again.state == "token" and TEXT["zh"]["used"] in again.message.value
    assert counts(engine) == (1, 22, 1)


def test_the_desk_gives_the_stores_own_refusals_and_stores_nothing(desk):
    d, engine, rnd = desk
    t, other = tk.issue_tokens(engine, rnd, kind="self")[:2]
    client = DeskClient(d.path)
    ended = []
    d.on_stored = ended.append  # the server ends the page's kernel after its sheet is stored
    with pytest.raises(TokenError, match="该答题码对本问卷无效") as e:
        client.check(rnd, tk.new_token())
    assert e.value.en == "this token is not valid for this survey"  # both languages cross the desk
    with pytest.raises(TokenError):
        client.check(rnd, "ABCD-1234")
    with pytest.raises(RoundError, match="另一个轮次") as e:
        client.check("R2", t.token)
    assert e.value.en == "this desk serves another round"
    scope, hashed = client.check(rnd, t.token)
    assert scope == t.scope and hashed == tk.token_hash(t.token)
    wrong = Sheet(kind="peer", rater=scope.rater, target=scope.target, answers=dict.fromkeys(range(1, 23), 2),
                  token_hash=hashed)
    with pytest.raises(TokenError, match="此答题码属于另一份问卷") as refused:
        client.store(rnd, wrong)
    assert refused.value.en == "this token belongs to another survey"  # the desk carries both languages
    with pytest.raises(TokenError):  # a page always stores under a token
        client.store(rnd, Sheet(kind="self", rater=scope.rater, target=scope.target,
                                answers=dict.fromkeys(range(1, 23), 2)))
    with pytest.raises(ZuofengError, match="回答应正好覆盖题 1..22"):
        client.store(rnd, Sheet(kind="self", rater=scope.rater, target=scope.target, answers={1: 2},
                                token_hash=hashed))
    assert counts(engine) == (0, 0, 0) and ended == []
    client.store(rnd, a_sheet(scope, t.token))
    assert ended == [os.getpid()]  # the storing process, as the system tells it: this test is the "kernel"
    with pytest.raises(TokenError, match="该答题码已经使用过"):
        client.store(rnd, a_sheet(scope, t.token))
    assert counts(engine) == (1, 22, 1) and ended == [os.getpid()]

    def broken(pid):
        raise RuntimeError("no kernel manager")

    d.on_stored = broken  # whatever happens after it, a stored sheet is answered as stored
    client.store(rnd, a_sheet(other.scope, other.token))
    assert counts(engine) == (2, 44, 2)


def test_the_desk_refuses_garbage_and_oversized_requests(desk):
    d, engine, rnd = desk
    for raw, zh, en in ((b"not json\n", "请求无效", "bad request"), (b"[1, 2]\n", "请求无效", "bad request"),
                        (b'{"op": "drop", "round": "R1"}\n', "未知的请求", "unknown request"),
                        (json.dumps({"op": "store", "round": rnd, "sheet": {"answers": {"x": 1}}}).encode() + b"\n",
                         "答卷格式不对", "bad answer sheet")):
        answer = d.answer(raw)
        assert answer["ok"] is False and answer["error"] == "ZuofengError"
        assert (answer["message"], answer["en"]) == (zh, en), raw
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(d.path)
        s.sendall(b"{" + b" " * (MAX_REQUEST + 10) + b"}\n")
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b""  # no answer at all: the request was too long to read
    assert counts(engine) == (0, 0, 0)
    mode = os.stat(d.path).st_mode
    assert stat.S_ISSOCK(mode) and mode & 0o077 == 0  # only the server's own user may connect


def test_an_unreachable_desk_is_a_system_error_for_the_respondent(tmp_path, open_round):
    engine, rnd = open_round
    with Desk(engine, rnd, tmp_path / "desk.sock") as d:
        app = SurveyApp(DeskClient(d.path), rnd)
        t = tk.issue_tokens(engine, rnd, kind="self")[0]
    app.token_input.value = t.token  # the desk has gone away meanwhile
    app.start_button.click()
    assert app.state == "token" and TEXT["zh"]["system_error"] in app.message.value
    with pytest.raises(DeskUnavailable):
        DeskClient(str(tmp_path / "nowhere.sock")).round_info(rnd)


def test_the_desk_logs_neither_tokens_nor_answers(desk, caplog):
    d, engine, rnd = desk
    caplog.set_level(logging.DEBUG)
    issued = tk.issue_tokens(engine, rnd, kind="self")[:3]
    client = DeskClient(d.path)
    for t in issued:
        scope, _ = client.check(rnd, t.token)
        client.store(rnd, a_sheet(scope, t.token, value=4))
    with pytest.raises(TokenError):
        client.check(rnd, issued[0].token)
    d.answer(b'{"op": "store", "round": "R1", "sheet": {"answers": {}, "token_hash": 5}}\n')
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    for t in issued:
        for secret in (t.token, t.token.replace("-", ""), tk.token_hash(t.token)):
            assert secret not in logged


def test_many_pages_at_once_through_one_desk_lose_nothing_and_use_no_token_twice(desk):
    d, engine, rnd = desk
    issued = tk.issue_tokens(engine, rnd, kind="self")[:24]
    jobs = [(t, 3) for t in issued] + [(t, 5) for t in issued[:6]]  # six tokens sent twice at once
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def send(i, t, value):
        barrier.wait()
        try:
            DeskClient(d.path).store(rnd, a_sheet(t.scope, t.token, value))
            results[i] = "stored"
        except TokenError:
            results[i] = "refused"

    threads = [threading.Thread(target=send, args=(i, t, v)) for i, (t, v) in enumerate(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert results.count("stored") == 24 and results.count("refused") == 6
    assert counts(engine) == (24, 24 * 22, 24)


def test_a_kernel_that_uses_the_desk_never_imports_the_store(desk):
    """What a respondent's kernel under ``zuofeng serve`` loads: the page, a token check, a stored sheet,
    all without SQLAlchemy (about 11 MB of every kernel's memory)."""
    d, engine, rnd = desk
    t = tk.issue_tokens(engine, rnd, kind="self")[0]
    code = (
        "import sys\n"
        "from zuofeng.collect.desk import backend_for\n"
        "from zuofeng.collect.survey import SurveyApp, survey_app\n"
        "survey_app()\n"
        f"app = SurveyApp(backend_for(), {rnd!r})\n"
        f"app.token_input.value = {t.token!r}\n"
        "app.start_button.click()\n"
        "for tb in app.items.values():\n"
        "    tb.value = 2\n"
        "app.submit_button.click()\n"
        "print(app.state)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'psycopg', 'pandas', 'numpy'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ZUOFENG_DB", "ZUOFENG_KEY_FILE")}
    env.update({"ZUOFENG_SURVEY_DESK": d.path, "ZUOFENG_SURVEY_ROUND": rnd})
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["done", "[]"]
    assert counts(engine) == (1, 22, 1)


def test_without_a_desk_a_page_opens_the_store_itself(monkeypatch, sqlite_url):
    open_engine(sqlite_url).dispose()
    monkeypatch.delenv("ZUOFENG_SURVEY_DESK", raising=False)
    assert type(backend_for(sqlite_url)).__name__ == "DirectBackend"
    monkeypatch.setenv("ZUOFENG_SURVEY_DESK", "/nonexistent/desk.sock")
    assert isinstance(backend_for(), DeskClient)
    assert type(backend_for(sqlite_url)).__name__ == "DirectBackend"  # a named database wins
