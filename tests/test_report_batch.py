"""``zuofeng report`` end to end: papermill in warm workers, HTML without inputs, figures equal to the
scoring output, suppression and escaping in every page, failures that do not stop the batch."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from zuofeng.store import Sheet, open_engine, store_sheets

pytestmark = pytest.mark.slow

# Two hostile strings: a department name and a round title with markup, and suggestions with scripts.
ROSTER = """code,name,unit_type,headcount,party_members,division,peer_targets
BGS,办公室,机关部室,14,10,机关,XHB
XHB,"学会部<b>&""'",机关部室,12,8,机关,
KPB,科普部,机关部室,12,9,机关,BGS
KJG,科技馆,事业单位,20,10,事业单位,KPB
ZCD,驻村工作队,工作队,3,3,工作队,
"""
TITLE = "基线测评<script>alert('title')</script>"
EVIL = ["<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "意见</blockquote><b>粗体</b>"]
SUPPRESSED = {"zh": "已抑制", "en": "suppressed"}


def _sheet(kind, rater, target, level, rng, comment=None, overall=None):
    vals = {i: int(min(5, max(1, round(level + rng.normal(0, 0.8))))) for i in range(1, 23)}
    return Sheet(kind, rater, target, vals, "党员" if rng.random() < 0.6 else "非党员", overall, comment)


@pytest.fixture(scope="module")
def round_db(tmp_path_factory):
    """A closed round: four departments answered by simulation plus hostile suggestions; ZCD (3 staff)
    answers only its own self survey, three sheets: under k = 5 everywhere."""
    import numpy as np

    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate_sheets

    tmp = tmp_path_factory.mktemp("report")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    url = f"sqlite:///{tmp / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title=TITLE, roster=roster, k_min=5, k_comment=5)
    set_status(engine, "R1", "open")
    sheets = [s for s in simulate_sheets(engine, "R1", seed=3, response_rate=0.95) if "ZCD" not in (s.rater, s.target)]
    rng = np.random.default_rng(5)
    sheets += [_sheet("peer", "KJG", "KJG", 2.2, rng, comment=EVIL[i % 3], overall="较好") for i in range(6)]
    sheets += [_sheet("self", "ZCD", "ZCD", 1.4, rng, comment=EVIL[0]) for _ in range(3)]
    store_sheets(engine, "R1", sheets, source="simulate")
    set_status(engine, "R1", "closed")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def batch(round_db, tmp_path_factory):
    from zuofeng.report import render_round

    out = tmp_path_factory.mktemp("out") / "R1"
    result = render_round("R1", db=round_db, out=out, jobs=2, progress=False)
    from zuofeng.score import load_snapshot

    return result, load_snapshot(out / "scores.zip")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --- an independent formatter: how the pages must write each figure --------------------------------

def expected(stat: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if stat in ("coverage", "problem_rate", "satisfaction", "red_line_share"):
        return "%.1f%%" % (value * 100)
    if stat in ("index", "eval_score", "composite"):
        return f"{value:.1f}"
    if stat in ("icc1", "icc2") and value <= 0:
        return "≤ 0（部门之间无差异）"
    if stat in ("alpha", "icc1", "icc2", "rwg_j", "mean", "sd"):
        return f"{value:.2f}"
    if stat in ("gap", "change"):
        return ("+" if value >= 0 else "-") + f"{abs(value):.1f}"
    if stat in ("change_p", "change_q"):
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if stat in ("respondents", "respondents_table", "headcount", "rank", "rank_low", "rank_high"):
        return str(round(value))
    raise AssertionError(f"no expected format for {stat}")


BOOLEAN = {"red_line_alert": "", "gap_flag": "", "bottom": ""}


def check_figures(page: BeautifulSoup, table, lang="zh") -> int:
    """Every element tied to a row of the scores table shows that row: the word for suppressed, or the
    value (and its interval) formatted independently. Returns how many figures were checked."""
    rows = table.set_index(["department", "kind", "level", "key", "statistic"]).sort_index()
    checked = 0
    for el in page.select("[data-stat][data-dept][data-kind][data-level][data-key]"):
        stat = el["data-stat"]
        key = (el["data-dept"], el["data-kind"], el["data-level"], el["data-key"], stat)
        assert key in rows.index, f"page shows a figure the scores do not have: {key}"
        row = rows.loc[key]
        text = el.get_text(" ", strip=True)
        if el.has_attr("data-stands-for"):   # the overview's outside index in place of a hidden combined one
            mark = "（民主测评）" if lang == "zh" else "(democratic evaluation)"
            assert text.endswith(mark) and el["data-kind"] == "peer_outside", (key, text)
            text = text.removesuffix(mark).strip()
        if bool(row["suppressed"]):
            # a cell says why: the row's note on a Chinese page; a headline card says the word, and why below it
            why = text
            if el.name != "td":
                assert text == SUPPRESSED[lang], (key, text)
                why = el.find_parent(class_="card").select_one(".ci").get_text(strip=True)
                why = f"{SUPPRESSED[lang]}{'：' if lang == 'zh' else ': '}{why}"
            if lang == "zh":
                assert why == row["note"], (key, why, row["note"])
            else:
                assert why.startswith("suppressed: ") and ("anonymity" in why or "reliability" in why), (key, why)
            checked += 1
            continue
        if stat in BOOLEAN:
            assert text in (("是", "否") if lang == "zh" else ("yes", "no")) or text == "—", (key, text)
            continue
        want = expected(stat, row["value"])
        if "[" in text:
            want += f" [{expected(stat, row['ci_low'])}, {expected(stat, row['ci_high'])}]"
        assert text == want, (key, text, want)
        checked += 1
    return checked


# --- the tests --------------------------------------------------------------------------------------

def test_every_report_is_rendered_without_inputs_errors_or_network(batch):
    result, scores = batch
    folder = result.folder
    codes = list(scores.departments["code"])
    assert [r.name for r in result.results] == ["overview", *codes] and all(r.ok for r in result.results)
    for name in ["overview.html"] + [f"departments/{c}.html" for c in codes]:
        html = (folder / name).read_text(encoding="utf-8")
        page = BeautifulSoup(html, "html.parser")
        assert not page.select(".jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor"), name
        assert "department_report(" not in html and "overview_report(" not in html, name
        assert not page.select('[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-error'), name
        assert page.find_all("script") == [], f"{name} carries a script"
        assert not page.find_all(["link", "iframe"]), name
        for img in page.find_all("img"):
            assert img["src"].startswith("data:image/png;base64,") and img.get("alt", "").strip(), name
        assert "@font-face" in html and "data:font/otf;base64," in html, f"{name} lacks the embedded CJK font"
        nb = nbformat.read(folder / name.replace(".html", ".ipynb"), 4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error" and out.get("name") != "stderr", (name, out)


def test_department_pages_show_their_name_and_the_scoring_output(batch):
    result, scores = batch
    for d in scores.departments.to_dict("records"):
        page = soup(result.folder / "departments" / f"{d['code']}.html")
        h1 = page.find("h1")
        assert d["name"] in h1.get_text() and h1["data-dept"] == d["code"]
        assert page.title.get_text().startswith(d["name"])
        depts = {el["data-dept"] for el in page.select("[data-dept][data-stat]")}
        assert depts <= {d["code"], "ALL"}, f"{d['code']} shows figures of {depts}"
        n = check_figures(page, scores.table)
        assert n > 100 or d["code"] == "ZCD", (d["code"], n)
    # the overall index (all views) of each department with a published one, spelled out once more
    rows = scores.table.query("kind == 'all' and level == 'overall' and key == 'overall' and statistic == 'index' "
                              "and department != 'ALL' and not department.str.startswith('div:')")
    assert (~rows["suppressed"]).sum() >= 2
    for row in rows.to_dict("records"):
        card = soup(result.folder / "departments" / f"{row['department']}.html").select_one(
            '.card .value[data-stat="index"][data-kind="all"]')
        assert card.get_text() == (SUPPRESSED["zh"] if row["suppressed"] else "{:.1f}".format(row["value"]))
        if row["suppressed"]:   # and why, below the word: the row's note
            assert row["note"] == SUPPRESSED["zh"] + "：" + card.find_next_sibling(class_="ci").get_text()


def test_overview_and_index_show_the_scoring_output(batch):
    result, scores = batch
    assert check_figures(soup(result.folder / "overview.html"), scores.table) > 100
    index = soup(result.folder / "index.html")
    assert check_figures(index, scores.table) >= 5 * 4
    hidden = [td.get_text() for td in index.select("td.suppressed")]   # the small unit's row says why
    assert hidden and all(text.startswith(SUPPRESSED["zh"] + "：为保护匿名") for text in hidden), hidden
    listed = {el["data-dept"] for el in index.select("td[data-dept]:not([data-stat])")}
    assert listed == set(scores.departments["code"])
    links = {a["href"] for a in index.find_all("a")}
    for code in scores.departments["code"]:
        assert f"departments/{code}.html" in links and f"departments/{code}.ipynb" in links
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["reports"]) == {"overview", *scores.departments["code"]}


def test_an_under_k_department_is_suppressed_everywhere_with_no_number(batch, round_db):
    result, _scores = batch
    from zuofeng.frames import responses_frame

    engine = open_engine(round_db)
    frame = responses_frame(engine, "R1")
    engine.dispose()
    own = frame[frame["department"] == "ZCD"]
    assert len(own) == 3  # under k = 5
    items = own[[f"q{i:02d}" for i in range(1, 23)]]
    true_index = {"%.1f" % (100 * (5 - items.mean(axis=1).mean()) / 4), "%.1f" % (100 * (5 - items.stack().mean()) / 4)}
    page = soup(result.folder / "departments" / "ZCD.html")
    figs = page.select('[data-dept="ZCD"][data-stat]')
    assert figs, "the suppressed department shows no cells at all"
    for el in figs:  # counts are public: the word, a missing mark, or a count of sheets (its answers never)
        text = el.get_text(strip=True)
        if text.startswith(SUPPRESSED["zh"] + "："):   # a hidden figure says why, and that is the score table's note
            assert text in set(_scores.table.loc[_scores.table["department"] == "ZCD", "note"].dropna()), text
            continue
        if el["data-stat"] != "headcount" and text not in (SUPPRESSED["zh"], "—"):
            assert el["data-stat"] in ("respondents", "coverage"), (el["data-stat"], text)
            assert text in ("0", "3") or text.endswith("%"), (el["data-stat"], text)
    shown = {el.get_text(strip=True) for el in figs if el["data-stat"] == "respondents"}
    assert "3" in shown
    assert page.find_all("img") == [], "a chart was drawn from a suppressed group"
    for name in ("departments/ZCD.html", "overview.html", "index.html"):
        p = soup(result.folder / name)
        cells = " ".join(el.get_text(" ") for el in p.select('[data-dept="ZCD"]'))
        for value in true_index:
            assert value not in cells, f"{name} leaks the suppressed index {value}"
    # the overview row of ZCD: every figure says why it is hidden (the score table's note), never a number
    ov = soup(result.folder / "overview.html")
    texts = {el.get_text(strip=True) for el in ov.select('[data-dept="ZCD"][data-stat="index"]')}
    notes = set(_scores.table.loc[(_scores.table["department"] == "ZCD") & (_scores.table["statistic"] == "index")
                                  & _scores.table["suppressed"].astype(bool), "note"])
    assert texts and texts <= notes and all(t.startswith(SUPPRESSED["zh"] + "：") for t in texts)


def test_user_strings_are_escaped_in_every_page(batch):
    result, _ = batch
    pages = [result.folder / "index.html", result.folder / "overview.html",
             *sorted((result.folder / "departments").glob("*.html"))]
    for path in pages:
        html = path.read_text(encoding="utf-8")
        page = BeautifulSoup(html, "html.parser")
        assert page.find_all("script") == [], path.name
        assert not [el for el in page.find_all(True) if any(a.lower().startswith("on") for a in el.attrs)], path.name
        assert not page.find_all("b"), f"{path.name}: markup from the roster or a suggestion was interpreted"
        assert "<script>alert" not in html and "<img src=x" not in html, path.name
        if path.name in ("index.html", "overview.html"):
            assert TITLE in page.get_text(), path.name  # shown as text
    kjg = soup(result.folder / "departments" / "KJG.html")
    quotes = [q.get_text() for q in kjg.find_all("blockquote")]
    for evil in EVIL:
        assert evil in quotes, f"suggestion {evil!r} not shown verbatim as text"
    xhb = soup(result.folder / "departments" / "XHB.html")
    assert "学会部<b>&\"'" in xhb.find("h1").get_text()
    # the executed notebooks carry the same escaped HTML
    nb = nbformat.read(result.folder / "departments" / "KJG.ipynb", 4)
    blob = json.dumps([o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", [])])
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in blob and "<script>" not in blob


def test_a_failing_department_leaves_the_others_and_exits_2(batch, round_db, tmp_path, monkeypatch, capsys):
    from zuofeng.cli import main
    from zuofeng.report import batch as batch_mod

    _result, scores = batch
    nbdir = tmp_path / "notebooks"
    shutil.copytree(Path(batch_mod.notebooks_dir()), nbdir)
    nb = nbformat.read(nbdir / "department_report.ipynb", 4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("if department == 'KPB':\n    raise RuntimeError('boom in KPB')"))
    # and a leak detector: each notebook leaves a variable behind and refuses to see another's
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "import os\nseen = [n for n in globals() if n.startswith('left_by_')]\n"
        "assert not seen, f'leaked into {department}: {seen}'\nglobals()['left_by_' + department] = os.getpid()"))
    nbformat.write(nb, nbdir / "department_report.ipynb")
    monkeypatch.setattr(batch_mod, "notebooks_dir", lambda: nbdir)
    out = tmp_path / "R1"
    rc = main(["report", "R1", "--db", round_db, "--out", str(out), "--jobs", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "KPB" in err and "boom in KPB" in err and err.startswith("zuofeng: error:")
    for code in scores.departments["code"]:
        if code != "KPB":
            assert (out / "departments" / f"{code}.html").is_file()
    assert not (out / "departments" / "KPB.html").exists()
    failed = nbformat.read(out / "departments" / "KPB.ipynb", 4)
    assert any(o.get("ename") == "RuntimeError" for c in failed.cells for o in c.get("outputs", []))
    index = soup(out / "index.html")
    row = index.find("td", attrs={"data-dept": "KPB"}).find_parent("tr")
    assert "boom in KPB" in row.get_text() and row.select_one('[data-status="failed"]')
    assert len(index.select('[data-status="ok"]')) == len(scores.departments)  # overview + the other three
    # the warm kernels were shared (fewer worker processes than reports) and nothing leaked between reports
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len({r["pid"] for r in manifest["reports"].values()}) <= 2 < len(manifest["reports"])


def test_one_department_is_rerendered_and_the_rest_kept(batch, tmp_path):
    from zuofeng.report import render_round

    result, scores = batch
    out = tmp_path / "R1"
    shutil.copytree(result.folder, out)
    before = (out / "departments" / "BGS.html").read_bytes()
    r = render_round("R1", department="KJG", out=out, scores=scores, progress=False)
    assert [x.name for x in r.results] == ["KJG"]
    assert (out / "departments" / "BGS.html").read_bytes() == before
    assert (out / "overview.html").is_file()
    index = soup(out / "index.html")
    assert len(index.select('[data-status="ok"]')) == len(scores.departments) + 1


def test_a_folder_that_is_not_a_report_folder_is_refused(tmp_path):
    from zuofeng.report import render_round
    from zuofeng.report.swap import ReportFolderError

    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_text("precious")
    with pytest.raises(ReportFolderError, match="是有其他内容的文件夹"):
        render_round("R1", out=mine, db="sqlite:///" + str(tmp_path / "nothing.db"))
    assert (mine / "chapter1.docx").read_text() == "precious"


def test_a_killed_batch_leaves_the_previous_reports(batch, round_db, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    result, scores = batch
    out = tmp_path / "R1"
    shutil.copytree(result.folder, out)
    snapshot = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code = (f"from zuofeng.report import render_round\n"
            f"render_round('R1', db={round_db!r}, out={str(out)!r}, jobs=1, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # wait until the new batch has written a report of its own
            if list(tmp_path.glob(".R1.tmp-*/departments/*.html")):
                break
            assert proc.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("the batch wrote nothing within 240 s")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == snapshot, "the previous reports changed"
    assert list(tmp_path.glob(".R1.tmp-*")), "expected the killed batch's staging folder"
    # the next batch cleans up after the killed one
    from zuofeng.report import render_round

    render_round("R1", department="BGS", out=out, scores=scores, progress=False)
    assert not list(tmp_path.glob(".R1.tmp-*"))
    assert re.search(r"办公室", (out / "departments" / "BGS.html").read_text(encoding="utf-8"))


def test_a_batch_started_beside_a_warm_kernel_leaves_it_alone(batch, tmp_path):
    """Workers are forked: they must not drive (or break) a warm kernel the calling process already uses."""
    import papermill as pm

    from zuofeng.report import render_round
    from zuofeng.report.warm import ENGINE_NAME, shutdown_all

    _result, scores = batch
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.getpid())")]
    nbformat.write(nb, tmp_path / "pid.ipynb")

    def pid():
        out = pm.execute_notebook(str(tmp_path / "pid.ipynb"), str(tmp_path / "pid.out.ipynb"),
                                  engine_name=ENGINE_NAME, progress_bar=False)
        return int(out.cells[0].outputs[0]["text"])

    try:
        before = pid()
        out = tmp_path / "R1"
        r = render_round("R1", department="BGS", out=out, scores=scores, progress=False)
        assert r.results[0].ok and r.results[0].pid != os.getpid()
        assert pid() == before, "the calling process lost its warm kernel"
    finally:
        shutdown_all()


def _embedded_font(html: str):
    import base64
    import io

    from fontTools.ttLib import TTFont

    m = re.search(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", html)
    assert m, "no embedded font"
    return TTFont(io.BytesIO(base64.b64decode(m.group(1))))


def test_the_embedded_font_covers_every_character_of_every_page(batch):
    result, _ = batch
    for path in [result.folder / "index.html", result.folder / "overview.html",
                 *sorted((result.folder / "departments").glob("*.html"))]:
        html = path.read_text(encoding="utf-8")
        cmap = _embedded_font(html).getBestCmap()
        text = BeautifulSoup(html, "html.parser").body.get_text()
        missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})
        assert not missing, f"{path.name}: no glyph for {missing[:10]}"


@pytest.mark.browser
def test_pages_show_real_chinese_glyphs_offline_in_chromium(batch, tmp_path):
    """In Chromium, with no CJK font on the machine at all, the page draws distinct real glyphs."""
    from tests.support.browser import launch_persistent, sync_playwright_or_skip

    sync_playwright = sync_playwright_or_skip()

    result, _ = batch
    fc = tmp_path / "fonts.conf"  # a font configuration that knows DejaVu only
    fc.write_text(f'<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
                  f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>', encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(fc), "XDG_CONFIG_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    probe = ("<span id=a>作</span><span id=b>风</span>"
             "<span id=c style='font-family:DejaVu Sans'>作</span><span id=d style='font-family:DejaVu Sans'>风</span>")
    with sync_playwright() as p:
        ctx = launch_persistent(p, tmp_path / "profile", env=env, offline=True, viewport={"width": 1100, "height": 900})
        try:
            page = ctx.new_page()
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((result.folder / "departments" / "BGS.html").as_uri())
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.fonts.check('16px ZuofengSans', '办公室作风')")
            page.evaluate(f"document.querySelector('main').insertAdjacentHTML('afterbegin', `<div style='font-size:40px'>{probe}</div>`)")
            shots = {s: page.locator(f"#{s}").screenshot() for s in "abcd"}
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
        finally:
            ctx.close()
    assert shots["a"] != shots["b"], "two characters drew the same shape: tofu"
    assert shots["c"] == shots["d"], "control: without the embedded font both characters should be the same box"
