"""The 民主测评 table in a real browser at 375 px: `zuofeng serve`, Debian's headless Chromium via Playwright.

Screenshots go to ``test-artifacts/survey/`` (git-ignored) with the other survey screenshots.
"""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from sqlalchemy import select

from tests.support.browser import launch
from tests.test_survey_browser import (
    ARTIFACTS,
    open_page,
    playwright_or_skip,
    saved,
    served_patient,  # noqa: F401 -- the fixture
    start,
)
from zuofeng.collect.tokens import issue_tokens
from zuofeng.store import answers, responses

# KJG (科技馆, 事业单位, no peer_targets) rates BGS, XHB, KPB and ZX on its table, in code order
TABLE = ["BGS", "KPB", "XHB", "ZX"]
OVERALL = {"BGS": 0, "KPB": 1, "XHB": 2}  # button index: 好, 较好, 一般 (ZX: 不了解该部门)
DIMS = {"BGS": [0, 1, 2, 3, 4], "KPB": [5, 0, 0, 1, 1], "XHB": [2, 2, 5, 3, 4]}  # 0..4 = 1..5, 5 = 不了解


def _shows(page, selector: str, text: str, timeout: int) -> None:
    """Wait until the element shows the text (a function, not a string: the page's CSP forbids eval)."""
    page.wait_for_function("([s, t]) => (document.querySelector(s)?.innerText || '').includes(t)",
                           arg=[selector, text], timeout=timeout)


def visible_row(page) -> int:
    return page.evaluate("() => [...document.querySelectorAll('.zf-trow')].findIndex(r => r.offsetParent !== null)")


@pytest.mark.browser
def test_the_table_on_a_phone(served_patient):  # noqa: F811 -- the fixture imported above
    served = served_patient
    sync_playwright = playwright_or_skip()
    engine = served["engine"]
    tok = next(t for t in issue_tokens(engine, "R1", kind="peer", extra=1)
               if t.scope.rater == "KJG" and t.scope.target == "KJG")
    normal = tok.token.replace("-", "")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx, page = open_page(browser, served["url"], 375)
            start(page, tok.token)
            page.wait_for_selector(".zf-q22", state="visible", timeout=30_000)
            page.wait_for_selector(".zf-t0-d5", state="attached", timeout=30_000)
            assert page.locator(".zf-trow").count() == 4
            assert "第 1 / 4 个部门" in page.inner_text(".zf-tposition")
            for n in range(1, 23):
                page.locator(f".zf-q{n:02d} button.widget-toggle-button").nth(n % 5).click()
            page.locator(".zf-overall button.widget-toggle-button").nth(1).click()

            # one department per screen: its six questions, each a single row of buttons within 375 px
            for i, code in enumerate(TABLE[:3]):
                assert visible_row(page) == i
                assert page.inner_text(f".zf-trow >> nth={i} >> h4") == {"BGS": "办公室", "KPB": "科普部",
                                                                         "XHB": "学会部"}[code]
                page.locator(f".zf-t{i}-ov button.widget-toggle-button").nth(OVERALL[code]).click()
                for j, idx in enumerate(DIMS[code], start=1):
                    buttons = page.locator(f".zf-t{i}-d{j} button.widget-toggle-button")
                    boxes = [buttons.nth(b).bounding_box() for b in range(6)]
                    assert len({round(b["y"]) for b in boxes}) == 1  # 1 2 3 4 5 不了解 on one line
                    assert all(b["x"] + b["width"] <= 375 and b["height"] >= 40 for b in boxes)
                    buttons.nth(idx).click()
                if i == 0:
                    page.set_viewport_size({"width": 375, "height": 1400})
                    page.locator(".zf-table").scroll_into_view_if_needed()
                    page.locator(".zf-table").screenshot(path=str(ARTIFACTS / "phone-375-table.png"))
                page.locator(".zf-tnext").click()
                _shows(page, ".zf-tposition", f"第 {i + 2} / 4", 10_000)
            assert visible_row(page) == 3
            width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            assert width <= 375

            # the answers are kept on this device like the 22 items: a reload and the same token bring them back
            key = "zf-answers-" + hashlib.sha256(f"zuofeng:R1:{normal}".encode()).hexdigest()
            page.wait_for_function("k => (sessionStorage.getItem(k) || '').includes('t2-d5')", arg=key,
                                   timeout=10_000)
            choices = json.loads(saved(page)[key])["choices"]
            assert {k: v for k, v in choices.items() if k.startswith("t")} == {
                **{f"t{i}-ov": OVERALL[c] for i, c in enumerate(TABLE[:3])},
                **{f"t{i}-d{j}": v for i, c in enumerate(TABLE[:3]) for j, v in enumerate(DIMS[c], start=1)}}
            page.reload()
            page.wait_for_selector("#zf-token", state="visible", timeout=30_000)
            start(page, tok.token)
            page.wait_for_selector("#zf-conn.zf-restored", state="visible", timeout=30_000)
            assert "（40 题）" in page.inner_text("#zf-conn")  # 22 items and 3 × 6 table answers
            page.wait_for_function("() => document.querySelectorAll('.zf-t2-d5 button.widget-toggle-button')[4]"
                                   "?.classList.contains('mod-active')", timeout=10_000)

            # submitting early puts the department left open on screen
            page.click(".zf-submit")
            _shows(page, ".zf-submit-message", "服务中心", 20_000)
            assert visible_row(page) == 3
            page.locator(".zf-trow >> nth=3 >> .zf-tunknown").click()  # 不了解该部门
            _shows(page, ".zf-tstatus", "已评完 4 / 4", 10_000)
            page.click(".zf-submit")
            page.wait_for_selector(".zf-thanks", state="visible", timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / "phone-375-table-thanks.png"))
            ctx.close()
        finally:
            browser.close()

    time.sleep(0.5)
    options = ["好", "较好", "一般", "差"]
    with engine.connect() as c:
        rows = {r["target"]: dict(r) for r in c.execute(select(responses)).mappings() if r["form"] == "table"}
        ans = c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)).all()
        inside = [dict(r) for r in c.execute(select(responses)).mappings() if r["form"] is None]
    assert sorted(rows) == TABLE and all(r["rater"] == "KJG" and r["source"] == "survey" for r in rows.values())
    assert [(r["kind"], r["rater"], r["target"]) for r in inside] == [("peer", "KJG", "KJG")]
    got = {t: [v for rid, i, v in sorted(ans, key=lambda a: a[1]) if rid == r["id"]] for t, r in rows.items()}
    for code in TABLE[:3]:
        assert rows[code]["overall"] == options[OVERALL[code]]
        assert got[code] == [None if i == 5 else i + 1 for i in DIMS[code]]
    assert rows["ZX"]["overall"] is None and got["ZX"] == [None] * 5
