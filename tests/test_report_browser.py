"""Every audience's pages in headless Chromium, in Chinese and English, on a phone (375 px) and a
desktop (1280 px): no sideways page scroll, no empty column in English tables, no 盲区 left in English
headings. Screenshots go to ``test-artifacts/reports/`` (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report_support import build_campaign
from tests.support.browser import launch, sync_playwright_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "reports"
WIDTHS = (375, 1280)
DEPARTMENTS = ("BGS", "KJG", "JGDW")  # an office, a large unit with a long problem list, one under k


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Reports of round F1 for every audience, in both languages: ``{lang: {name: path}}``."""
    from zuofeng.report import render_round
    from zuofeng.report.inspection import render_inspection
    from zuofeng.report.public import render_public
    from zuofeng.report.scores_source import score_for_report

    root = tmp_path_factory.mktemp("browser")
    url = build_campaign(root)
    scores = score_for_report(url, "F1")
    pages = {}
    for lang in ("zh", "en"):
        out = root / lang
        render_round("F1", out=out / "F1", db=url, jobs=2, lang=lang, progress=False, scores=scores)
        pages[lang] = {"index": out / "F1" / "index.html", "overview": out / "F1" / "overview.html",
                       **{f"dept-{c}": out / "F1" / "departments" / f"{c}.html" for c in DEPARTMENTS},
                       "inspection": render_inspection("F1", out=out / "insp", lang=lang, scores=scores),
                       "public": render_public("F1", out=out / "pub", lang=lang, scores=scores)}
    return pages


EMPTY_COLUMNS = """() => {
  const bad = [];
  for (const t of document.querySelectorAll('table')) {
    const heads = [...t.querySelectorAll('thead th')].map(th => th.innerText.trim());
    const rows = [...t.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(td => td.innerText.trim()));
    heads.forEach((h, i) => {
      if (rows.length && rows.every(r => !r[i] || r[i] === '—')) bad.push(h || ('column ' + i));
    });
  }
  return bad;
}"""


def test_every_audience_renders_on_a_phone_and_a_desktop(rendered):
    sync_playwright = sync_playwright_or_skip(ARTIFACTS)
    problems = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for lang, pages in rendered.items():
                for name, path in pages.items():
                    for width in WIDTHS:
                        ctx = browser.new_context(viewport={"width": width, "height": 800})
                        page = ctx.new_page()
                        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
                            ("file:", "data:")) else route.continue_())
                        page.goto(path.as_uri())
                        scroll, inner = page.evaluate(
                            "() => [document.documentElement.scrollWidth, window.innerWidth]")
                        if scroll > inner:
                            problems.append(f"{lang} {name} {width}px scrolls sideways: {scroll} > {inner}")
                        if lang == "en":
                            empty = page.evaluate(EMPTY_COLUMNS)
                            if empty:
                                problems.append(f"{lang} {name}: empty columns {empty}")
                            heads = page.evaluate(
                                "() => [...document.querySelectorAll('h1,h2,h3,th')].map(h => h.innerText)")
                            if any("盲区" in h for h in heads):
                                problems.append(f"{lang} {name}: 盲区 in an English heading")
                        if name == "inspection":
                            mark = page.inner_text(".internal-mark")
                            if mark not in ("内部", "INTERNAL"):
                                problems.append(f"{lang} inspection: no internal mark ({mark!r})")
                        page.screenshot(path=str(ARTIFACTS / f"{lang}-{name}-{width}.png"), full_page=True)
                        ctx.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
    assert len(list(ARTIFACTS.glob("*.png"))) >= 2 * len(WIDTHS) * len(rendered["zh"])


OFF_SCREEN = """() => {
  const w = window.innerWidth, bad = [];
  for (const el of document.querySelectorAll('figure, figure img')) {
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.right > w + 0.5) bad.push(el.tagName + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    if (el.tagName === 'FIGURE' && el.scrollWidth > el.clientWidth + 1) bad.push('figure scrolls: ' + el.scrollWidth);
  }
  return [document.querySelectorAll('figure img').length, bad];
}"""

LEDGER_STYLE = """() => [...document.querySelectorAll('table.zf-ledger')].map(t => {
  const th = getComputedStyle(t.querySelector('th')), td = t.querySelector('td');
  const long = t.querySelector('td.wrap');
  return [th.backgroundColor, th.borderTopStyle, th.fontFamily.includes('zf') || th.fontFamily.length > 0,
          td ? getComputedStyle(td).borderTopWidth : '1px', long ? getComputedStyle(long).whiteSpace : 'normal'];
})"""


def test_charts_open_whole_on_a_phone_and_the_ledger_table_is_styled(rendered):
    """At 375 px every chart (and so every dot in it) is on screen, nothing scrolls sideways, and the
    ledger's tables carry the report's table style (grey header, borders, long text wrapped)."""
    sync_playwright = sync_playwright_or_skip()
    problems, charts, ledger_tables = [], 0, 0
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = browser.new_context(viewport={"width": 375, "height": 800})
            page = ctx.new_page()
            for name, path in rendered["zh"].items():
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                n, bad = page.evaluate(OFF_SCREEN)
                charts += n
                problems += [f"{name}: {b}" for b in bad]
                if page.evaluate("document.documentElement.scrollWidth") > 375:
                    problems.append(f"{name} scrolls sideways")
                for bg, border, _, td_border, wrap in page.evaluate(LEDGER_STYLE):
                    ledger_tables += 1
                    if bg != "rgb(246, 248, 250)" or border != "solid" or td_border != "1px" or wrap != "normal":
                        problems.append(f"{name}: ledger table unstyled ({bg}, {border}, {td_border}, {wrap})")
                if name == "dept-KJG":
                    page.screenshot(path=str(ARTIFACTS / "zh-dept-KJG-375-charts.png"), full_page=True)
        finally:
            browser.close()
    assert charts >= 10 and ledger_tables >= len(DEPARTMENTS), (charts, ledger_tables)
    assert not problems, "\n".join(problems)
