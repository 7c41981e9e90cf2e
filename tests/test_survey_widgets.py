"""The survey page without a browser: set widget values, click buttons, read the store."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from zuofeng.collect import tokens as tk
from zuofeng.collect.survey import DONT_KNOW, SurveyApp
from zuofeng.collect.survey_text import TEXT
from zuofeng.rounds import create_round, set_status
from zuofeng.store import COMMENT_MAX, answers, responses, tokens

ZH = TEXT["zh"]


def issued(engine, rnd):
    """One token of each view: self, peer inside, peer outside."""
    out = {}
    for t in tk.issue_tokens(engine, rnd):
        out.setdefault(t.scope.view, t)
    return out


def stored(engine):
    with engine.connect() as c:
        resp = [dict(r) for r in c.execute(select(responses)).mappings()]
        ans = [dict(r) for r in c.execute(select(answers)).mappings()]
        used = sorted(c.scalars(select(tokens.c.used)))
    return resp, ans, used


def texts(widget) -> str:
    """Every HTML string and description shown under ``widget`` (what a respondent could read)."""
    out = []
    stack = [widget]
    while stack:
        wd = stack.pop()
        out += [str(getattr(wd, a, "")) for a in ("value", "description", "placeholder")
                if isinstance(getattr(wd, a, None), str)]
        out += [str(o) for o in getattr(wd, "_options_labels", ())]
        stack += list(getattr(wd, "children", ()))
    return "\n".join(out)


def enter(app, token):
    app.token_input.value = token
    app.start_button.click()


def test_wrong_token_gives_a_message_and_stores_nothing(open_round):
    engine, rnd = open_round
    issued(engine, rnd)
    app = SurveyApp(engine, rnd)
    enter(app, "ABCD-1234")
    assert ZH["bad_format"] in app.message.value
    unknown = tk.new_token()
    enter(app, unknown)
    assert ZH["invalid"] in app.message.value
    assert unknown not in texts(app.widget).replace(app.token_input.value, "")  # never echoed back
    assert app.state == "token" and not app.items and app.token_box in app.widget.children
    resp, ans, used = stored(engine)
    assert resp == [] and ans == [] and not any(used)


def jump(app) -> tuple[str, str, str]:
    """The pointer the page scrolls to after an early submit: (sequence number, target class, text)."""
    m = re.search(r"data-jump='(\d+)' data-target='([\w-]+)'>([^<]*)<", app.submit_message.value)
    assert m, app.submit_message.value
    return m.group(1), m.group(2), m.group(3)


def missing_boxes(app) -> list[int]:
    return [n for n, box in app.item_boxes.items() if "zf-missing" in box._dom_classes]


def test_submit_with_answers_missing_points_at_the_first_one_and_stores_nothing(open_round):
    engine, rnd = open_round
    peer = issued(engine, rnd)["peer_outside"]
    app = SurveyApp(engine, rnd)
    enter(app, peer.token)
    assert app.state == "form" and app.overall_box in app.widget.children
    numbers = sorted(app.items)
    assert numbers == list(range(1, 23))
    assert not app.submit_button.disabled  # pressing it early says what is missing
    for n in numbers:
        if n not in (4, 9):
            app.items[n].value = 3
    assert "已答 20 / 22 题" in app.progress.value
    app.submit_button.click()
    assert stored(engine)[0] == [] and app.state == "form"
    seq, target, text = jump(app)
    assert target == "zf-first-missing" and "zf-first-missing" in app.item_boxes[4]._dom_classes
    assert text == "还有 3 项未答，已为您标出并跳到第4题。"  # items 4 and 9, and the overall rating
    assert missing_boxes(app) == [4, 9] and "zf-missing" in app.overall_box._dom_classes
    app.items[4].value = DONT_KNOW  # 不了解 counts as an answer; its mark goes at once
    assert missing_boxes(app) == [9]
    app.submit_button.click()
    seq2, _, text = jump(app)
    assert seq2 != seq  # a new pointer, so that the page scrolls again
    assert text == "还有 2 项未答，已为您标出并跳到第9题。" and "zf-first-missing" in app.item_boxes[9]._dom_classes
    app.items[9].value = 1
    app.submit_button.click()
    assert jump(app)[2] == "还有 1 项未答，已为您标出并跳到总体评价。"
    assert "zf-first-missing" in app.overall_box._dom_classes
    app.overall.value = "一般"
    assert app.submit_message.value == "" and "zf-missing" not in app.overall_box._dom_classes
    app.comment.value = "长" * (COMMENT_MAX + 1)
    assert "zf-msg-error" in app.comment_count.value and "超出500字上限 1 字" in app.comment_count.value
    app.submit_button.click()
    assert stored(engine)[0] == [] and jump(app)[1:] == ("zf-comment", ZH["too_long"])
    app.comment.value = "长" * COMMENT_MAX
    assert "已达500字上限" in app.comment_count.value
    app.comment.value = "长" * 10
    assert "已输入 10 字，还可输入 490 字" in app.comment_count.value
    app.submit_button.click()
    assert app.state == "done" and len(stored(engine)[0]) == 1


def test_self_survey_has_no_overall_rating_and_names_the_respondent(open_round):
    engine, rnd = open_round
    own = issued(engine, rnd)["self"]
    app = SurveyApp(engine, rnd)
    enter(app, own.token)
    assert app.overall_box not in app.widget.children
    assert "本人" in app.heading.value
    for tb in app.items.values():
        tb.value = 1
    assert not app.submit_button.disabled
    app.submit_button.click()
    resp, ans, _ = stored(engine)
    assert {a["value"] for a in ans} == {1} and len(ans) == 22
    assert [(r["kind"], r["rater"], r["target"], r["overall"]) for r in resp] == [
        ("self", own.scope.rater, own.scope.rater, None)]


@pytest.mark.parametrize("view", ["peer_outside", "peer_inside", "self"])
def test_a_full_answer_lands_in_the_store_exactly_as_clicked(open_round, view):
    engine, rnd = open_round
    tok = issued(engine, rnd)[view]
    rng = random.Random(20221)
    app = SurveyApp(engine, rnd)
    enter(app, tok.token.lower().replace("-", " "))  # typed loosely
    assert app.token_input.value == ""  # the token is dropped once checked
    clicked = {n: rng.choice([1, 2, 3, 4, 5, DONT_KNOW]) for n in app.items}
    clicked[1], clicked[2] = DONT_KNOW, 5  # both kinds certainly present
    for n, v in clicked.items():
        app.items[n].value = v
    app.category.value = "非党员"
    if tok.scope.kind == "peer":
        app.overall.value = "较好"
    fill_table(app)
    comment = '  请<b>加强</b>"窗口"服务 & 跟踪=1+1  '
    app.comment.value = comment
    app.submit_button.click()
    assert app.state == "done" and app.thanks in app.widget.children
    assert app.submit_button not in app.widget.children

    resp, ans, used = stored(engine)
    table = [r for r in resp if r["form"] == "table"]  # the 民主测评 table rows of an inside-view token
    assert len(table) == (len(app.table.codes) if view == "peer_inside" else 0) and (view != "peer_inside" or table)
    resp = [r for r in resp if r["form"] is None]
    assert len(resp) == 1
    r = resp[0]
    assert (r["kind"], r["rater"], r["target"]) == (tok.scope.kind, tok.scope.rater, tok.scope.target)
    assert r["category"] == "非党员" and r["source"] == "survey"
    assert r["overall"] == ("较好" if tok.scope.kind == "peer" else None)
    assert r["comment"] == comment.strip()
    got = {a["item"]: a["value"] for a in ans if a["response_id"] == r["id"]}
    assert got == {n: (None if v == DONT_KNOW else v) for n, v in clicked.items()}
    assert used.count(True) == 1
    # the response row carries nothing that points back at the token
    h = tk.token_hash(tok.token)
    assert not any(h in str(v) or tok.token.replace("-", "") in str(v) for v in r.values())


def test_overall_dont_know_is_stored_as_missing(open_round):
    engine, rnd = open_round
    tok = issued(engine, rnd)["peer_inside"]
    app = SurveyApp(engine, rnd)
    enter(app, tok.token)
    for tb in app.items.values():
        tb.value = 2
    app.overall.value = DONT_KNOW
    fill_table(app)
    assert not app.submit_button.disabled
    app.submit_button.click()
    resp = [r for r in stored(engine)[0] if r["form"] is None]
    assert [(x["overall"], x["category"], x["comment"]) for x in resp] == [(None, None, None)]


def fill_table(app, overall="较好", value=3):
    """Answer every department of the 民主测评 table, when the token opened one."""
    if app.table is None:
        return
    for code in app.table.codes:
        app.table.overall[code].value = overall
        for tb in app.table.dims[code]:
            tb.value = value


def answer_all(app, value=4):
    for tb in app.items.values():
        tb.value = value
    if app._scope.kind == "peer":
        app.overall.value = "好"
    fill_table(app)


def test_a_used_token_is_refused_on_a_second_attempt(open_round):
    engine, rnd = open_round
    tok = issued(engine, rnd)["self"]
    first = SurveyApp(engine, rnd)
    enter(first, tok.token)
    answer_all(first)
    first.submit_button.click()
    assert first.state == "done"

    again = SurveyApp(engine, rnd)
    enter(again, tok.token)
    assert again.state == "token" and ZH["used"] in again.message.value
    assert len(stored(engine)[0]) == 1


def test_two_pages_with_one_token_store_one_sheet(open_round):
    engine, rnd = open_round
    tok = issued(engine, rnd)["peer_outside"]
    a, b = SurveyApp(engine, rnd), SurveyApp(engine, rnd)
    enter(a, tok.token)
    enter(b, tok.token)  # both pages opened the form before either submitted
    answer_all(a, 2)
    answer_all(b, 5)
    a.submit_button.click()
    b.submit_button.click()
    assert a.state == "done" and b.state == "refused"
    assert ZH["used"] in b.submit_message.value and b.submit_button.disabled
    resp, ans, _ = stored(engine)
    assert len(resp) == 1 and {x["value"] for x in ans} == {2}


def test_a_closed_round_refuses(open_round):
    engine, rnd = open_round
    toks = tk.issue_tokens(engine, rnd, kind="self")
    page = SurveyApp(engine, rnd)
    enter(page, toks[0].token)  # form open, then the analyst closes the round
    answer_all(page)
    set_status(engine, rnd, "closed")
    page.submit_button.click()
    assert page.state == "refused" and ZH["not_open"] in page.submit_message.value

    late = SurveyApp(engine, rnd)  # a page loaded after closing shows no token entry at all
    assert late.state == "closed" and late.token_box not in late.widget.children
    assert ZH["round_closed"] in late.message.value
    enter(late, toks[1].token)
    assert late.state == "closed" and not late.items

    set_status(engine, rnd, "open")
    stale = SurveyApp(engine, rnd)
    set_status(engine, rnd, "closed")  # closed while the page waited for a token
    enter(stale, toks[1].token)
    assert ZH["not_open"] in stale.message.value and stale.state == "token"
    resp, _, used = stored(engine)
    assert resp == [] and not any(used)


def test_privacy_promise_states_the_rounds_thresholds(engine, roster_file):
    create_round(engine, "K7", title="中期", roster=roster_file, k_min=7, k_comment=12)
    set_status(engine, "K7", "open")
    app = SurveyApp(engine, "K7")
    promise = re.sub("<[^>]+>", "", app.privacy.value)
    assert "少于7人的组不单独报告" in promise and "不少于12人" in promise
    assert "无法把答卷与答题码或答题人对应起来" in promise
    assert "提交日期" in promise and "不含时刻" in promise
    en = SurveyApp(engine, "K7", lang="en")
    assert "fewer than 7 respondents" in en.privacy.value and "at least 12" in en.privacy.value


def test_english_page(open_round):
    engine, rnd = open_round
    tok = issued(engine, rnd)["peer_outside"]
    app = SurveyApp(engine, rnd, lang="en")
    assert app.start_button.description == "Start"
    enter(app, tok.token)
    shown = texts(app.widget)
    assert "Superficial theory study" in shown and "Don't know" in shown and "Fairly good" in shown
    assert not re.search("[\u4e00-\u9fff]", shown.replace(app.title.value, "").replace(app.heading.value, ""))
    with pytest.raises(Exception, match="语言必须是 zh, en 之一，而不是 'fr'") as e:
        SurveyApp(engine, rnd, lang="fr")
    assert e.value.en == "language must be one of zh, en, not 'fr'"


def test_user_supplied_strings_are_escaped(engine, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("code,name,unit_type,headcount\nA,<img src=x onerror=alert(1)>,机关部室,5\n"
                      "B,乙部,机关部室,5\n", encoding="utf-8")
    create_round(engine, "X", title="<script>alert('t')</script>测评", roster=roster)
    set_status(engine, "X", "open")
    tok = next(t for t in tk.issue_tokens(engine, "X") if t.scope.target == "A")
    app = SurveyApp(engine, "X")
    enter(app, tok.token)
    page = texts(app.widget)
    assert "<script>" not in page and "&lt;script&gt;" in app.title.value
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in app.heading.value


def test_every_refusal_of_the_library_has_a_respondent_message():
    """Each TokenError the token and store modules can raise maps to its own wording (no fallback).

    The page picks the wording by the error's English: the second text of ``TokenError(zh, en)``, or the
    only one."""
    from zuofeng.collect import survey_text
    collect = Path(survey_text.__file__).parent
    raised = set()
    for path in (collect / "tokens.py", *sorted((collect.parent / "store").glob("*.py"))):
        for first, en in re.findall(r'TokenError\(\s*f?"([^"]+)"(?:\s*,\s*f?"([^"]+)")?', path.read_text(encoding="utf-8")):
            raised.add(en or first)
    assert raised, "no TokenError found: the check would be empty"
    for message in raised:
        assert message in survey_text._TOKEN_MESSAGES or message.startswith("a token is"), message


def test_the_survey_imports_no_data_science_stack():
    code = ("import sys, zuofeng.collect.survey\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'pandas', 'numpy', 'matplotlib', 'seaborn', 'scipy', 'pyarrow', 'sqlalchemy'})\n"
            "print(','.join(bad))\n"
            "assert 'ipywidgets' in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def models_under(widget) -> dict[str, object]:
    """Every widget model the page's state holds (what the browser asks for), by model id."""
    seen: dict[str, object] = {}
    stack = [widget]
    while stack:
        wd = stack.pop()
        if wd.model_id in seen:
            continue
        seen[wd.model_id] = wd
        for name in wd.keys:
            value = getattr(wd, name)
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if hasattr(v, "model_id") and hasattr(v, "keys"):
                    stack.append(v)
    return seen


def test_the_form_shares_its_layout_and_style_models(open_round):
    """Every widget model is a message when the kernel builds the page, when the server relays it and
    when the browser asks for the page's state: the widgets share a few layout and style models."""
    engine, rnd = open_round
    toks = issued(engine, rnd)
    app = SurveyApp(engine, rnd)
    enter(app, toks["peer_outside"].token)
    models = models_under(app.widget)
    kinds = [type(m).__name__ for m in models.values()]
    assert len(app.items) == 22 and app.state == "form"
    assert kinds.count("ToggleButtons") == 22 + 2  # the items, category, overall: all on the page
    assert kinds.count("Layout") <= 4 and kinds.count("ToggleButtonsStyle") == 1 and kinds.count("HTMLStyle") == 1
    assert len(models) <= 110  # 261 when each widget had its own layout and style
