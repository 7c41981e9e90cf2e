"""Reports for each audience: 主要发现 for the leading group, the restricted inspection report, the public
summary, English columns, and the department's item table agreeing with its problem list."""

from __future__ import annotations

import math
import os
import re
import stat

import pytest
from bs4 import BeautifulSoup

from tests.report_support import CLUES, HIDDEN_CLUE, PLAIN, build_campaign
from zuofeng.coverage import coverage
from zuofeng.store import open_engine

VIEWS = ("self", "peer_inside", "peer_outside")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    from zuofeng.report.scores_source import score_for_report

    url = build_campaign(tmp_path_factory.mktemp("campaign"))
    return url, score_for_report(url, "F1", seed=1)


def view(scores, lang):
    from zuofeng.report.view import ScoreView

    return ScoreView(scores, lang)


def fmt(stat_name: str, value) -> str:
    """How a figure is written, independently of ``zuofeng.report.fmt``."""
    if stat_name in ("coverage", "problem_rate", "satisfaction", "red_line_share"):
        return "%.1f%%" % (value * 100)
    if stat_name in ("index", "eval_score", "composite"):
        return f"{value:.1f}"
    if stat_name in ("change", "gap"):
        return ("+" if value >= 0 else "-") + f"{abs(value):.1f}"
    if stat_name in ("respondents", "headcount"):
        return str(round(value))
    return f"{value:.2f}"


def published_texts(table) -> set[str]:
    """Every published value and interval end of the score table, written as pages write them."""
    out = set()
    for r in table[~table["suppressed"].astype(bool)].to_dict("records"):
        for x in (r["value"], r["ci_low"], r["ci_high"]):
            if x is not None and not (isinstance(x, float) and math.isnan(x)):
                out.add(fmt(r["statistic"], x))
    return out


def matters_by_hand(table) -> set[tuple[str, str]]:
    t = table[(table["statistic"] == "red_line_alert") & ~table["suppressed"].astype(bool) & (table["value"] == 1)
              & table["kind"].isin(VIEWS) & (table["department"] != "ALL")
              & ~table["department"].astype(str).str.startswith("div:")]   # a division pool is no department
    return set(zip(t["department"], t["key"]))


NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_number_of_the_main_findings_comes_from_the_score_table(campaign, lang):
    from zuofeng.report.findings import main_findings

    url, scores = campaign
    table = scores.table
    sentences = main_findings(view(scores, lang))
    text = " ".join(sentences)
    engine = open_engine(url)
    cov = coverage(engine, "F1")
    engine.dispose()
    gaps = [(g["department"], g["view"], g["flags"]) for g in cov["gaps"]] + \
        [(g["target"], "outside:" + g["rater"], g["flags"]) for g in cov["outside_gaps"]]
    matters = matters_by_hand(table)
    counts = {str(len(gaps)), str(len({g[0] for g in gaps})), str(sum("盲区" in g[2] for g in gaps)),
              str(sum("低于k" in g[2] for g in gaps)), str(len(matters)), str(len({m[0] for m in matters}))}
    # the weakest dimension and the three weakest items, organisation, all raters
    rows = table[(table["department"] == "ALL") & (table["kind"] == "all") & (table["statistic"] == "index")]
    dims = rows[rows["level"] == "dimension"].sort_values("value")
    items = rows[(rows["level"] == "item") & ~rows["suppressed"].astype(bool)].sort_values(["value", "key"])
    hidden_items = (rows["level"] == "item").sum() - len(items)
    counts |= {str(len(items)), str(hidden_items)}
    allowed = published_texts(table) | counts
    cleaned = text.replace("95%", "").replace("B0", "")
    found = NUMBER.findall(cleaned)
    assert len(found) >= 15, found
    for n in found:
        assert n in allowed, f"{n!r} in the findings is neither a published figure nor a count of them: {text}"
    from zuofeng.instrument import load_instrument

    inst = load_instrument()
    dim_label = {d.id: d.label.get(lang) for d in inst.dimensions}
    item_label = {i.key: i.label.get(lang) for i in inst.items}
    assert dim_label[dims.iloc[0]["key"]] in sentences[1] and fmt("index", dims.iloc[0]["value"]) in sentences[1]
    for key, value in zip(items["key"][:3], items["value"][:3]):
        assert f"{item_label[key]}（{fmt('index', value)}）" in sentences[1] if lang == "zh" else \
            f"{item_label[key]} ({fmt('index', value)})" in sentences[1]
    # hidden item figures are said, with how many, never passed over
    if hidden_items and len(items):
        assert (f"另有 {hidden_items} 个问题" if lang == "zh" else f"scores of {hidden_items} more") in sentences[1]
    elif hidden_items:
        assert ("均不公布" if lang == "zh" else "no problem's") in sentences[1]
    # the change: its direction read from the interval
    ch = table[(table["department"] == "ALL") & (table["kind"] == "all") & (table["statistic"] == "change")
               & (table["level"] == "overall")].iloc[0]
    word = {"zh": ("明显提高", "明显下降", "没有明确变化"), "en": ("clearly improved", "clearly fell", "no clear change")}[lang]
    want = word[0] if ch["ci_low"] > 0 else word[1] if ch["ci_high"] < 0 else word[2]
    assert want in sentences[2]
    # red-line matters routed to inspection, counted
    assert any(str(len(matters)) in s and ("纪检监察组" in s or "inspection" in s) for s in sentences)
    assert len(matters) >= 1


def test_the_ledger_hook_adds_its_sentence(campaign):
    from zuofeng.report.findings import LedgerProgress, main_findings

    _, scores = campaign
    without = main_findings(view(scores, "zh"))
    with_ledger = main_findings(view(scores, "zh"), LedgerProgress(entries=14, done=9, overdue=2))
    assert with_ledger[:-1] == without and "14" in with_ledger[-1] and "9" in with_ledger[-1]


def test_the_overview_counts_red_line_matters_without_naming_departments(campaign):
    from zuofeng.report.overview import OverviewReport

    _, scores = campaign
    v = view(scores, "zh")
    html = OverviewReport(v).red_lines().html
    matters = matters_by_hand(scores.table)
    assert f'data-redline-matters="{len(matters)}"' in html
    for code, name in zip(scores.departments["code"], scores.departments["name"]):
        assert name not in html and code not in html


def test_the_appendix_explains_reliability_to_a_lay_reader(campaign):
    from zuofeng.report.overview import OverviewReport

    _, scores = campaign
    for lang, words in (("zh", ("附录", "负数", "没有真正差别")), ("en", ("Appendix", "negative", "do not really differ"))):
        text = BeautifulSoup(OverviewReport(view(scores, lang)).appendix().html, "html.parser").get_text()
        assert all(w in text for w in words), lang


def test_department_item_table_and_problem_list_agree_and_say_no_alert(campaign):
    from zuofeng.report.department import DepartmentReport

    _, scores = campaign
    checked, red_checked = 0, set()
    for code in scores.departments["code"]:
        rep = DepartmentReport(view(scores, "zh"), code)
        items = BeautifulSoup(rep.items().html, "html.parser")
        problems = BeautifulSoup(rep.problems().html, "html.parser")
        listed_keys = {td["data-key"] for td in items.select("td[data-key]")
                       if td.find_parent("tr").select_one('td[data-listed="1"]')}
        plist = problems.find("table")
        plist_keys = {td["data-key"] for td in plist.select("td[data-key]")} if plist else set()
        assert listed_keys == plist_keys, code
        want = set(scores.problems.query("department == @code and rule != 'red_line'")["key"])
        assert plist_keys == want, code
        for page in (items, problems):
            assert "红线预警" not in page.get_text() and "红线" not in {td.get_text() for td in page.select("td")}
        checked += bool(listed_keys)
        red = set(scores.problems.query("department == @code and rule == 'red_line'")["key"]) - want
        for key in red:  # a red-line alert alone: neither on the department's list nor flagged in its table
            row = items.select_one(f'td[data-key="{key}"]').find_parent("tr")
            assert row.select_one('td[data-listed="0"]') is not None and "红线条目" in row.get_text()
            red_checked.add(code)
    assert checked >= 1 and red_checked


def test_english_notes_details_and_labels_are_filled(campaign):
    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.overview import OverviewReport

    _, scores = campaign
    v = view(scores, "en")
    blocks = [OverviewReport(v).quality(), OverviewReport(v).coverage()]
    blocks += [DepartmentReport(v, c).problems() for c in scores.departments["code"]]
    blocks += [DepartmentReport(v, c).header() for c in scores.departments["code"][:1]]
    tables = 0
    for b in blocks:
        page = BeautifulSoup(b.html, "html.parser")
        assert "盲区" not in page.get_text()
        for tab in page.find_all("table"):
            heads = [th.get_text() for th in tab.select("thead th")]
            body = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in tab.select("tbody tr")]
            for i, h in enumerate(heads):
                if h in ("Note", "Detail"):
                    assert body and all(row[i] for row in body), (h, body)
                    tables += 1
    assert tables >= 3
    header = BeautifulSoup(blocks[-1].html, "html.parser").get_text()
    assert "Work-style index, all raters" in header


def test_the_gap_column_shows_what_status_finds(campaign):
    from zuofeng.report.overview import OverviewReport

    url, scores = campaign
    engine = open_engine(url)
    cov = coverage(engine, "F1")
    engine.dispose()
    assert {(g["rater"], g["target"]) for g in cov["outside_gaps"]} >= {("QYB", "XXZX")}
    page = BeautifulSoup(OverviewReport(view(scores, "zh")).coverage().html, "html.parser")
    names = dict(zip(scores.departments["code"], scores.departments["name"]))
    gap_cell = {tr.find("td").get_text(): tr.find_all("td")[-1].get_text() for tr in page.select("tbody tr")}
    for g in cov["gaps"]:
        assert gap_cell[g["department"]], g
        assert "低于k" not in g["flags"] or "低于k" in gap_cell[g["department"]]
    assert f"{names['QYB']} 对本部门的评价：盲区" in gap_cell["XXZX"]
    quiet = set(names) - {g["department"] for g in cov["gaps"]} - {g["target"] for g in cov["outside_gaps"]}
    assert all(gap_cell[c] == "" for c in quiet)


def test_inspection_report_is_owner_only_unlinked_and_holds_matters_and_clues(campaign, tmp_path):
    from zuofeng.report.index import index_html
    from zuofeng.report.inspection import render_inspection

    _url, scores = campaign
    old = os.umask(0)
    try:
        page = render_inspection("F1", out=tmp_path / "insp", scores=scores)
    finally:
        os.umask(old)
    folder = page.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    html = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".internal-mark").get_text() == "内部" and "内部" in soup.title.get_text()
    assert "position: fixed" in html  # the mark repeats on every printed page
    assert soup.find_all("script") == [] and "<script>alert" not in html
    text = soup.get_text()
    assert CLUES[0] in text and CLUES[1] in text and PLAIN not in text and HIDDEN_CLUE not in text
    names = dict(zip(scores.departments["code"], scores.departments["name"]))
    rows = soup.select("table")[0].select("tbody tr")
    shown = {(tr.find_all("td")[0].get_text(), tr.select_one("td[data-key]")["data-key"]) for tr in rows}
    assert shown == matters_by_hand(scores.table)
    for code, _key in shown:
        assert names[code] in text
    assert "k=5" in text
    # the ordinary index never names or links it
    idx = index_html(scores, {"overview": {"ok": True, "html": "overview.html"}})
    assert "inspection" not in idx and "纪检" not in idx
    # a second run replaces it, still owner-only; a folder that is not an inspection folder is refused
    render_inspection("F1", out=tmp_path / "insp", scores=scores)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    from zuofeng.errors import ZuofengError

    with pytest.raises(ZuofengError):
        render_inspection("F1", out=other, scores=scores)
    assert (other / "keep.txt").read_text() == "x"
    # nor inside a folder of ordinary reports, which departments and the leading group read
    (tmp_path / "R").mkdir()
    (tmp_path / "R" / "manifest.json").write_text("{}")
    with pytest.raises(ZuofengError, match="在他人查阅的报告文件夹 .* 之内"):
        render_inspection("F1", out=tmp_path / "R" / "insp", scores=scores)
    assert not (tmp_path / "R" / "insp").exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_summary_names_no_department_in_page_or_image(campaign, tmp_path, lang):
    from PIL import Image

    from zuofeng.report.fonts import drawn_text
    from zuofeng.report.public import public_facts, public_figure, render_public

    _, scores = campaign
    old = os.umask(0o022)
    try:
        page = render_public("F1", out=tmp_path / "pub", scores=scores, lang=lang)
    finally:
        os.umask(old)
    # the one folder others may read (README: a web server publishes it; it names no department)
    assert stat.S_IMODE(page.parent.stat().st_mode) == 0o755 and stat.S_IMODE(page.stat().st_mode) == 0o644
    html = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text(" ")
    drawn = drawn_text(public_figure(view(scores, lang)))
    forbidden = [str(x) for x in scores.departments["code"]] + [str(x) for x in scores.departments["name"]]
    forbidden += list(scores.meta["names_en"].values())
    assert len(scores.meta["names_en"]) == 12
    for word in forbidden:
        assert not re.search(rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word), text), word
        assert not re.search(rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word), drawn), word
        assert word not in html.split("<style>")[0] + html.split("</style>")[1]
    for c in scores.comments["comment"]:
        assert c not in text and c not in drawn
    assert "已抑制" not in text and "suppressed" not in text
    # the organisation's own figures are there, in the page and in the image
    t = scores.table
    org = t[(t["department"] == "ALL") & (t["kind"] == "all") & (t["level"] == "overall") & (t["key"] == "overall")]
    idx = org[org["statistic"] == "index"].iloc[0]
    resp = org[org["statistic"] == "respondents"].iloc[0]
    for s in (fmt("index", idx["value"]), fmt("respondents", resp["value"])):
        assert s in text and s in drawn
    dims = t[(t["department"] == "ALL") & (t["kind"] == "all") & (t["level"] == "dimension") & (t["statistic"] == "index")]
    assert len(public_facts(view(scores, lang))["dimensions"]) == len(dims) == 5
    for x in dims["value"]:
        assert fmt("index", x) in drawn
    img = Image.open(page.parent / "public.png")
    assert img.size[0] == 1080 and img.size[1] > 1080
    assert soup.find_all("script") == []


def test_cli_audience_options(campaign, tmp_path, capsys):
    from zuofeng.cli import main

    url, _ = campaign
    assert main(["report", "F1", "--audience", "public", "--out", str(tmp_path / "p"), "--db", url]) == 0
    assert (tmp_path / "p" / "public.png").is_file() and (tmp_path / "p" / "public.html").is_file()
    capsys.readouterr()
    assert main(["report", "F1", "--audience", "inspection", "--department", "BGS", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "--department" in err and len(err.strip().splitlines()) == 1


def test_english_names_and_title_reach_english_reports_and_old_stores_gain_the_columns(tmp_path, db_url):
    from sqlalchemy import text

    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.index import index_html
    from zuofeng.report.scores_source import score_for_report
    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate

    roster = tmp_path / "roster.csv"
    roster.write_text("code,name,unit_type,headcount,英文名称\nBGS,办公室,机关部室,12,General Office\n"
                      "KPB,科普部,机关部室,12,\n", encoding="utf-8")
    engine = open_engine(db_url)
    create_round(engine, "E1", title="测评", title_en="Work-style survey 2022", roster=roster)
    set_status(engine, "E1", "open")
    simulate(engine, "E1", seed=2, response_rate=1.0)
    engine.dispose()
    scores = score_for_report(db_url, "E1")
    en, zh = view(scores, "en"), view(scores, "zh")
    assert en.dept_name("BGS") == "General Office" and en.dept_name("KPB") == "科普部" and zh.dept_name("BGS") == "办公室"
    assert en.title() == "Work-style survey 2022" and zh.title() == "测评"
    head = BeautifulSoup(DepartmentReport(en, "BGS").header().html, "html.parser").find("h1").get_text()
    assert "General Office" in head and "办公室" not in head
    assert "General Office" in index_html(scores, {}, lang="en") and "Work-style survey 2022" in index_html(scores, {}, "en")
    # a store made before the English names: the migration adds the columns, keeps the data, runs twice
    engine = open_engine(db_url)
    with engine.begin() as c:
        c.execute(text("ALTER TABLE departments DROP COLUMN name_en"))
        c.execute(text("ALTER TABLE rounds DROP COLUMN title_en"))
        c.execute(text("DELETE FROM schema_migrations WHERE name = '0005_english_names'"))
    engine.dispose()
    engine = open_engine(db_url)
    from zuofeng.store.migrations import _m0005_english_names

    with engine.begin() as c:
        _m0005_english_names(c)
        assert c.execute(text("SELECT count(*) FROM responses")).scalar() > 0
        assert c.execute(text("SELECT name FROM departments WHERE code = 'BGS'")).scalar() == "办公室"
        assert c.execute(text("SELECT name_en FROM departments WHERE code = 'BGS'")).scalar() is None
    engine.dispose()


def test_clue_words_come_from_the_instrument_else_the_default_list(campaign):
    import yaml

    from zuofeng.errors import ZuofengError
    from zuofeng.instrument import instrument_text, parse_instrument
    from zuofeng.report.redline import DEFAULT_CLUE_WORDS, clue_comments, clue_words

    _, scores = campaign
    v = view(scores, "zh")
    assert clue_words(v) == DEFAULT_CLUE_WORDS
    for w in ("举报", "受贿", "吃拿卡要", "利益输送"):
        assert w in DEFAULT_CLUE_WORDS
    doc = yaml.safe_load(instrument_text())
    doc["red_line"]["clue_words"] = ["精简"]
    v.__dict__["instrument"] = parse_instrument(doc)
    assert clue_words(v) == ("精简",)
    assert set(clue_comments(v)["comment"]) == {PLAIN}
    doc["red_line"]["clue_words"] = ["", 3]
    with pytest.raises(ZuofengError, match="clue_words"):
        parse_instrument(doc)


def test_the_readme_lists_the_default_clue_words():

    from tests.manual import page
    from zuofeng.report.redline import DEFAULT_CLUE_WORDS
    text = page("guide/reports.md")
    listed = re.search(r"`red_line\.clue_words`, else (.*?)\)\.", text, re.DOTALL).group(1)
    assert tuple(w.strip() for w in re.sub(r"\s+", " ", listed).split(",")) == DEFAULT_CLUE_WORDS


def test_the_overview_takes_ledger_progress_from_the_ledger_hook(campaign, monkeypatch, tmp_path):
    from zuofeng.report.findings import LedgerProgress
    from zuofeng.report.ledger_view import ledger_progress
    from zuofeng.report.notebook import overview_report
    from zuofeng.score import save_snapshot

    _, scores = campaign
    snap = tmp_path / "scores.zip"
    save_snapshot(scores, snap)
    assert ledger_progress("F1", snapshot=str(snap)) is None  # a round without a ledger: no sentence
    from zuofeng.report import ledger_view
    monkeypatch.setattr(ledger_view, "ledger_progress",
                        lambda round_code, db="", snapshot="", scores=None: LedgerProgress(entries=7, done=3, overdue=1))
    text = overview_report("F1", snapshot=str(snap)).findings().text
    assert "7 项整改任务中 3 项已完成，1 项逾期" in text


def test_department_reports_leave_clue_suggestions_to_the_inspection_team(campaign):
    from zuofeng.report.department import DepartmentReport

    _, scores = campaign
    for lang in ("zh", "en"):
        text = BeautifulSoup(DepartmentReport(view(scores, lang), "BGS").comments().html, "html.parser").get_text()
        assert PLAIN in text
        assert CLUES[0] not in text and CLUES[1] not in text
        assert ("纪检监察组" in text) if lang == "zh" else ("discipline-inspection team" in text)


def test_public_summary_shows_measures_completed_once_the_ledger_gives_them(campaign, tmp_path, monkeypatch):
    from zuofeng.report.findings import LedgerProgress
    from zuofeng.report.fonts import drawn_text
    from zuofeng.report.public import public_figure, render_public

    _, scores = campaign
    page = render_public("F1", out=tmp_path / "before", scores=scores)
    assert "整改措施已完成" not in page.read_text(encoding="utf-8")
    from zuofeng.report import ledger_view
    monkeypatch.setattr(ledger_view, "ledger_progress",
                        lambda round_code, db="", snapshot="", scores=None: LedgerProgress(entries=40, done=31))
    page = render_public("F1", out=tmp_path / "after", scores=scores)
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "整改措施已完成" in text and "31/40" in text
    assert "31/40" in drawn_text(public_figure(view(scores, "zh"), LedgerProgress(entries=40, done=31)))


def test_the_public_report_scores_its_round_once_with_the_seed_it_is_given(campaign, tmp_path, monkeypatch):
    import zuofeng.score
    from zuofeng.report.public import render_public

    url, _ = campaign
    calls = []
    real = zuofeng.score.score_round

    def counted(engine, round_code, **kw):
        calls.append((round_code, kw.get("seed")))
        return real(engine, round_code, **kw)

    monkeypatch.setattr(zuofeng.score, "score_round", counted)
    render_public("F1", out=tmp_path / "pub", db=url, seed=7)
    assert calls == [("F1", 7)]      # the ledger's progress reuses these scores instead of scoring again


def test_every_department_report_states_its_minimum_detectable_change(campaign):
    """Each department's change section says, per published view, the smallest change of the overall
    index it could detect: (z₀.₉₇₅ + z₀.₈)/z₀.₉₇₅ × the change interval's half-width (80% power, two-sided
    5%; Bloom 1995), computed here from the published change row with scipy's normal quantiles."""
    from scipy import stats as sps

    from zuofeng.report.department import DepartmentReport

    _, scores = campaign
    factor = (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) / sps.norm.ppf(0.975)
    kind_zh = {"self": "自评", "peer_inside": "互评（本部门）", "peer_outside": "互评（外部门）"}
    t = scores.table
    stated = 0
    for code in scores.departments["code"]:
        html = DepartmentReport(view(scores, "zh"), code).change().html
        p = BeautifulSoup(html, "html.parser").select_one("p[data-mdc]")
        ch = t[(t["department"] == code) & (t["statistic"] == "change") & (t["level"] == "overall")
               & (t["key"] == "overall") & t["kind"].isin(list(kind_zh)) & ~t["suppressed"].astype(bool)
               & t["ci_low"].notna()]
        if ch.empty:
            continue
        assert p is not None and p.get_text().startswith("本部门样本量下，可检出的最小变化约为"), code
        for r in ch.itertuples():
            mdc = factor * (r.ci_high - r.ci_low) / 2
            assert f"{kind_zh[r.kind]} {mdc:.0f}分" in p.get_text(), (code, r.kind)
            stated += 1
    assert stated >= 10
