"""The ledger's display pieces for the reports: what the department report and the overview show,
and every user string HTML-escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from zuofeng.demo import BASELINE, FINAL, build_demo_store
from zuofeng.ledger import add_entry, update_entry
from zuofeng.report.ledger_view import (
    department_frames,
    department_html,
    department_ledger,
    ledger_progress,
    overview_frames,
    overview_html,
    overview_ledger,
)
from zuofeng.score.loaded import load_round
from zuofeng.store import open_engine

HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'


def _loaded(engine, scores=None):
    """The final round as the sections take it (a ``LoadedRound``), with ``scores`` when given."""
    loaded = load_round(engine, FINAL[0])
    if scores is not None:
        loaded.scores = scores
    return loaded


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = open_engine(url)
    build_demo_store(engine)
    eid = add_entry(engine, BASELINE[0], "ZXFW", "自查问题：服务对象反映办事慢", item=None, by="x")  # not in the scenario
    update_entry(engine, eid, by="x", measure=HOSTILE + " 每月一次", person="<b>杨帆</b>", review_note=HOSTILE)
    yield url, engine
    engine.dispose()


def test_department_view(demo):
    _, engine = demo
    f = department_frames(engine, _loaded(engine), "XXZX", as_of=dt.date.today())
    assert list(f["problems"].columns)[:3] == ["优先级", "条目", "问题"]
    from zuofeng.ledger.change import item_change
    from zuofeng.score import score_round

    before, now = (score_round(engine, r[0], seed=1, n_boot=1000) for r in (BASELINE, FINAL))
    ch = item_change(now, before)

    def peer_published(code, item) -> bool:
        """A peer view of the item measurable in both rounds (what a verdict compares)."""
        rows = ch[(ch["department"] == code) & (ch["key"] == f"q{int(item):02d}")
                  & ch["kind"].isin(["peer_inside", "peer_outside"])]
        return bool((rows["change_class"] != "not_measurable").any())

    # the scenario's verdicts where a peer figure of the item is published now; where protecting the
    # hidden departments' answers hides the department's peer figures of the item: 无法核验
    v = f["verified"]
    assert len(v) == 2  # the scenario's two done entries
    # too few colleagues to see a change of 25 points (a scale step): 无法核验, not 未见成效; item 8's
    # self-ratings improved beyond the department's chance findings (BH q < 0.05), item 16's not
    assert v["核验"].isin(["未见成效", "无法核验"]).all() and v["提示"].str.contains("仅自评改善").sum() >= 1
    kjg = department_frames(engine, _loaded(engine), "KJG", lang="en")["verified"]
    finished = kjg[kjg["status"].isin(["done", "closed"])]
    for item, verdict in zip(finished["item"], finished["verification"]):
        assert verdict == ("effective" if peer_published("KJG", item) else "unverifiable"), (item, verdict)
    assert "effective" in set(finished["verification"])


def test_overview_view(demo):
    _, engine = demo
    f = overview_frames(engine, _loaded(engine), as_of=dt.date.today())
    comp = f["completion"]
    assert set(comp["台账轮次"]) == {BASELINE[0]}
    assert comp.set_index("部门").loc["ZZB 组织人事部", "完成率"] == "100%"
    assert f["overdue"]["部门"].tolist() == ["BGS 办公室"]
    assert {d.split()[0] for d in f["paper"]["部门"]} == {"ZZB", "KPB", "XXZX"}


def test_every_user_string_is_escaped(demo):
    url, engine = demo
    dept = department_html(department_frames(engine, _loaded(engine), "ZXFW"))
    over = overview_html(overview_frames(engine, _loaded(engine)))
    for html in (dept, over, str(department_ledger(FINAL[0], "ZXFW", db=url)), overview_ledger(FINAL[0], db=url)._repr_html_()):
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all(["script", "img", "b"])
    assert HOSTILE in BeautifulSoup(dept, "html.parser").get_text()
    assert "&lt;b&gt;杨帆&lt;/b&gt;" in dept


def test_pages_beside_a_snapshot_need_no_database(demo, tmp_path):
    from zuofeng.report.ledger_view import LEDGER_PAGES, write_ledger_pages
    from zuofeng.score import save_snapshot, score_round
    url, engine = demo
    scores = score_round(engine, FINAL[0])
    snap = tmp_path / "scores.zip"
    save_snapshot(scores, snap)
    write_ledger_pages(engine, _loaded(engine, scores), tmp_path / LEDGER_PAGES)
    nowhere = f"sqlite:///{tmp_path / 'missing' / 'none.db'}"  # would fail if it were opened
    page = department_ledger(FINAL[0], "XXZX", db=nowhere, snapshot=str(snap))
    assert page == department_html(department_frames(engine, _loaded(engine, scores), "XXZX"))
    assert "仅自评改善" in page
    assert overview_ledger(FINAL[0], db=nowhere, snapshot=str(snap)) == overview_html(
        overview_frames(engine, _loaded(engine, scores)))
    (tmp_path / LEDGER_PAGES).unlink()  # without the pages the store is read
    assert department_ledger(FINAL[0], "XXZX", db=url, snapshot=str(snap)) == page


def test_trend_and_bottom_sections(demo):
    import numpy as np
    import pandas as pd

    from zuofeng.report.ledger_view import bottom_display, chain_of, trend_display
    from zuofeng.score import Scores
    _, engine = demo
    chain = chain_of(_loaded(engine))
    tr = trend_display(chain, "KJG")
    assert list(tr.columns) == ["视角", "层级", "项目", BASELINE[0], FINAL[0]]
    peer = tr[tr["视角"] == "互评（本部门）"]
    assert peer["项目"].tolist()[:6] == ["总体", "一", "二", "三", "四", "五"]
    for s, col in zip(chain, (BASELINE[0], FINAL[0])):
        row = s.rows(department="KJG", kind="peer_inside", level="dimension", key="二", statistic="index").iloc[0]
        shown = peer.loc[peer["项目"] == "二", col].iloc[0]
        assert shown == ("已抑制" if row["suppressed"] else f"{row['value']:.1f} [{row['ci_low']:.1f}–{row['ci_high']:.1f}]")
    selfs = chain[0].rows(department="KJG", kind="self", level="overall", statistic="index")
    assert tr[(tr["视角"] == "自评") & (tr["项目"] == "总体")][BASELINE[0]].iloc[0] == (
        "已抑制" if selfs["suppressed"].iloc[0] else f"{selfs['value'].iloc[0]:.1f} [{selfs['ci_low'].iloc[0]:.1f}–"
                                                   f"{selfs['ci_high'].iloc[0]:.1f}]")

    def fake(code, bottoms):
        rows = [{"round": code, "department": d, "kind": k, "level": "overall", "key": "overall", "statistic": "bottom",
                 "value": v, "ci_low": np.nan, "ci_high": np.nan, "n": 9, "suppressed": False, "note": None}
                for (d, k), v in bottoms.items()]
        deps = pd.DataFrame({"code": ["A", "B"], "name": ["甲部", "乙部"]})
        e = pd.DataFrame()
        return Scores(pd.DataFrame(rows), e, e, e, e, deps, {"round": code})
    b = bottom_display([fake("R1", {("A", "peer_outside"): 1, ("B", "self"): 1}),
                        fake("R2", {("A", "peer_outside"): 1, ("B", "self"): 0})], "zh")
    assert b.values.tolist() == [["A 甲部", "互评（外部门）", "R1、R2"]]


@pytest.mark.browser
def test_ledger_sections_fit_a_phone(demo, tmp_path):
    from tests.support.browser import launch, sync_playwright_or_skip
    sync_playwright = sync_playwright_or_skip()
    _, engine = demo
    body = department_html(department_frames(engine, _loaded(engine), "XXZX")) + overview_html(overview_frames(engine, _loaded(engine)))
    page_file = tmp_path / "ledger.html"
    page_file.write_text(f'<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
                         f"<body style='margin:8px'>{body}</body>", encoding="utf-8")
    # (Playwright launches with a fresh temporary profile of its own)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the page never scrolls sideways
            boxes = page.evaluate("""[...document.querySelectorAll('.zf-scroll')].map(
                d => [d.clientWidth, d.scrollWidth, getComputedStyle(d).overflowX])""")
            assert boxes and all(cw <= 375 and ox == "auto" for cw, _, ox in boxes)
            assert any(sw > cw for cw, sw, _ in boxes)  # wide tables keep their width and scroll in their box
        finally:
            browser.close()


def test_ledger_progress_counts_the_entries_shown(demo, tmp_path):
    """The progress the overview's 主要发现 reports equals a count made here from the ledger's own status."""
    from zuofeng.ledger.verify import ledger_status
    from zuofeng.report.ledger_view import LEDGER_PAGES, write_ledger_pages
    from zuofeng.score import save_snapshot, score_round

    url, engine = demo
    _, ent = ledger_status(engine, BASELINE[0], as_of=dt.date.today())
    expected = (len(ent), int(ent["status"].isin(["已完成", "已销号"]).sum()),
                sum("overdue" in f for f in ent["flags"]))
    got = ledger_progress(FINAL[0], db=url)
    assert (got.entries, got.done, got.overdue) == expected and expected[2] >= 1
    snap = tmp_path / "scores.zip"
    scores = score_round(engine, FINAL[0])
    save_snapshot(scores, snap)
    write_ledger_pages(engine, _loaded(engine, scores), tmp_path / LEDGER_PAGES)
    from_pages = ledger_progress(FINAL[0], snapshot=str(snap))  # no database: read beside the snapshot
    assert (from_pages.entries, from_pages.done, from_pages.overdue) == expected
