"""Organisation-wide 互评: the round's outside mode, the 民主测评 table rows, their storage and their scores."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from zuofeng.cli import cli
from zuofeng.errors import RoundError, TokenError, ZuofengError
from zuofeng.frames import responses_frame
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.simulate import simulate
from zuofeng.store import Sheet, get_round, store_sheets

BENCH_DATA = Path(__file__).parent.parent / "bench" / "data"
DIMS = ["一", "二", "三", "四", "五"]
ITEMS = [f"q{i:02d}" for i in range(1, 23)]


def _round(engine, roster, mode=None, code="R1"):
    kw = {} if mode is None else {"outside": mode}
    create_round(engine, code, title="测评", roster=roster, **kw)
    set_status(engine, code, "open")
    return code


def _row(rater, target, dims, overall=None, category=None):
    return Sheet("peer", rater, target, dict(enumerate(dims, start=1)), category, overall, form="table")


# --- the round option ------------------------------------------------------------------------------

def test_round_option_round_trip(engine, roster_file):
    """The mode is stored on the round (default all) and read back; an unknown mode is refused."""
    create_round(engine, "A", title="t", roster=roster_file)
    create_round(engine, "D", title="t", roster=roster_file, outside="division")
    create_round(engine, "T", title="t", roster=roster_file, outside="targets")
    with engine.connect() as conn:
        assert [get_round(conn, c)["outside"] for c in "ADT"] == ["all", "division", "targets"]
    with pytest.raises(RoundError, match="--outside 'everyone' 无效，可选：all, division, targets") as e:
        create_round(engine, "X", title="t", roster=roster_file, outside="everyone")
    assert e.value.en == "--outside 'everyone' is not allowed; allowed: all, division, targets"


def test_round_option_on_the_command_line(tmp_path, roster_file, monkeypatch):
    monkeypatch.setenv("ZUOFENG_DB", f"sqlite:///{tmp_path}/z.db")
    run = CliRunner().invoke
    out = run(cli, ["round", "create", "R1", "--title", "t", "--roster", str(roster_file), "--outside", "division"])
    assert out.exit_code == 0, out.output
    assert "外部门互评：division（归口内互评" in out.output
    assert run(cli, ["round", "create", "R2", "--title", "t", "--roster", str(roster_file)]).exit_code == 0
    listing = run(cli, ["round", "list"]).output
    assert [line.split()[4] for line in listing.splitlines()[2:]] == ["division", "all"]
    status = run(cli, ["status", "R2"]).output
    assert status.splitlines()[0].endswith("外部门互评：all（全组织互评：评价本单位其他所有部门）")
    bad = run(cli, ["round", "create", "R3", "--title", "t", "--roster", str(roster_file), "--outside", "x"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# --- storing table rows ----------------------------------------------------------------------------

def test_table_rows_are_checked_against_the_rounds_table(engine, roster_file):
    """Only departments on the rater's table (not itself, not its peer_targets, its division under
    ``division``) take a table row; five dimension answers, 1..5 or 不了解; no token, no suggestion."""
    rnd = _round(engine, roster_file, "division")
    ok = _row("XHB", "BGS", [1, 2, None, 4, 5], "好")   # 机关: BGS, XHB, KPB; XHB names no peer_targets
    assert store_sheets(engine, rnd, [ok], source="simulate") == 1
    for bad, message, en in [
        (_row("XHB", "KJG", [1] * 5), "'XHB' 的民主测评表上没有部门 'KJG'",                 # another division
         "'KJG' is not on the 民主测评 table of 'XHB'"),
        (_row("BGS", "XHB", [1] * 5), "'BGS' 的民主测评表上没有部门 'XHB'",                 # its peer_targets
         "'XHB' is not on the 民主测评 table of 'BGS'"),
        (_row("XHB", "XHB", [1] * 5), "只能在互评中评价其他部门", "rates another department"),
        (_row("XHB", "BGS", [1] * 4), r"覆盖维度 1..5（缺 \[5\]", r"cover dimensions 1..5 exactly \(missing \[5\]"),
        (_row("XHB", "BGS", [1, 2, 3, 4, 6]), "回答应为 1..5 或 不了解", "answer must be 1..5 or 不了解"),
        (Sheet("peer", "XHB", "BGS", {i: 1 for i in range(1, 6)}, comment="x", form="table"), "不带意见建议",
         "no suggestion"),
        (Sheet("peer", "XHB", "BGS", {i: 1 for i in range(1, 6)}, form="grid"), "答卷形式应为 items、table 之一",
         "form must be one of items, table"),
    ]:
        with pytest.raises(ZuofengError, match=message) as e:
            store_sheets(engine, rnd, [bad], source="simulate")
        assert re.search(en, e.value.en), e.value.en
    assert len(responses_frame(engine, rnd)) == 1


def test_targets_mode_has_no_table(engine, roster_file):
    rnd = _round(engine, roster_file, "targets")
    with pytest.raises(ZuofengError, match="的民主测评表上没有部门"):
        store_sheets(engine, rnd, [_row("XHB", "BGS", [1] * 5)], source="simulate")


def test_a_survey_stores_table_rows_only_with_a_tokened_inside_sheet(engine, roster_file):
    rnd = _round(engine, roster_file)
    with pytest.raises(TokenError, match="民主测评表只能与其答题码的互评答卷一起存入"):
        store_sheets(engine, rnd, [_row("XHB", "BGS", [1] * 5)], source="survey")
    assert responses_frame(engine, rnd).empty


def test_table_rows_read_back_in_their_own_columns(engine, roster_file):
    rnd = _round(engine, roster_file)
    items = Sheet("peer", "BGS", "XHB", {i: 2 for i in range(1, 23)}, overall="较好")
    store_sheets(engine, rnd, [items, _row("KPB", "XHB", [3, None, 4, 5, 1], "一般", "党员")], source="simulate")
    df = responses_frame(engine, rnd).set_index("form")
    assert df.loc["table", [f"t:{d}" for d in DIMS]].tolist()[:1] == [3.0]
    np.testing.assert_array_equal(df.loc["table", [f"t:{d}" for d in DIMS]].to_numpy(dtype=float),
                                  [3.0, np.nan, 4.0, 5.0, 1.0])
    assert df.loc["table", ITEMS].isna().all()
    assert df.loc["items", [f"t:{d}" for d in DIMS]].isna().all()
    assert (df.loc["items", ITEMS] == 2).all()
    assert df.loc["table", "view"] == "peer_outside" and df.loc["table", "category"] == "党员"


# --- scoring: checked against a plain pandas computation -------------------------------------------

def _pandas_outside(df: pd.DataFrame, dims: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.Series]:
    """Per department, the outside view's dimension and overall means computed here independently: one
    score per sheet (22-item sheets: the mean of the answered items when at least half are answered;
    table rows: the dimension rating, and the mean of the ratings when at least 3 of 5 are given)."""
    out = df[df["view"] == "peer_outside"].copy()
    table = out["form"] == "table"
    for d, keys in dims.items():
        answered = out[keys].notna().sum(axis=1)
        item_mean = out[keys].mean(axis=1).where(answered >= math.ceil(len(keys) / 2))
        out[f"score:{d}"] = item_mean.where(~table, out[f"t:{d}"])
    t_cols = [f"t:{d}" for d in dims]
    all_items = out[ITEMS].mean(axis=1).where(out[ITEMS].notna().sum(axis=1) >= 11)
    all_dims = out[t_cols].mean(axis=1).where(out[t_cols].notna().sum(axis=1) >= 3)
    out["score:overall"] = all_items.where(~table, all_dims)
    means = out.groupby("department")[[f"score:{d}" for d in [*dims, "overall"]]].mean()
    raters = out.groupby("department").size()
    return means, raters


def test_outside_scores_pool_table_and_items(engine, roster_file):
    from zuofeng.instrument import load_instrument
    inst = load_instrument()
    dims = {d.id: [it.key for it in d.items] for d in inst.dimensions}
    rnd = _round(engine, roster_file)
    simulate(engine, rnd, seed=2, response_rate=0.95)
    df = responses_frame(engine, rnd)
    assert (df["form"] == "table").sum() > 100
    means, raters = _pandas_outside(df, dims)
    t = score_round(engine, rnd, n_boot=200).table
    out = t[(t["kind"] == "peer_outside") & (t["department"] != "ALL")]
    published = 0
    for code in raters.index:
        rows = out[out["department"] == code].set_index(["key", "statistic"])
        if rows.loc[("overall", "index"), "suppressed"]:
            continue
        published += 1
        assert rows.loc[("overall", "respondents"), "value"] == raters[code]  # n: raters from other departments
        for key in [*dims, "overall"]:
            np.testing.assert_allclose(rows.loc[(key, "mean"), "value"], means.loc[code, f"score:{key}"], rtol=1e-12)
            np.testing.assert_allclose(rows.loc[(key, "index"), "value"],
                                       100 * (5 - means.loc[code, f"score:{key}"]) / 4, rtol=1e-12)
    assert published >= 3
    # BGS, KPB and XHB are rated on the table by every other department's peer respondents
    table_raters = df[df["form"] == "table"].groupby("target")["rater"].nunique()
    assert table_raters.loc[["KJG", "XHB", "ZX"]].tolist() == [4, 3, 4]


def test_a_table_row_that_rates_one_dimension_has_no_overall_score(engine, roster_file):
    """At least half of the five dimension ratings (3) are needed for the row's overall score."""
    rnd = _round(engine, roster_file)
    rows = [_row("KJG", "XHB", [2, 2, None, None, None], "好") for _ in range(5)]
    rows += [_row("ZX", "XHB", [4, 4, 4, None, None], "差") for _ in range(5)]
    store_sheets(engine, rnd, rows, source="simulate")
    t = score_round(engine, rnd, n_boot=200).table
    x = t[(t["department"] == "XHB") & (t["kind"] == "peer_outside")].set_index(["key", "statistic"])
    assert x.loc[("overall", "mean"), "value"] == 4.0 and x.loc[("overall", "mean"), "n"] == 5
    assert x.loc[("一", "mean"), "value"] == 3.0 and x.loc[("一", "mean"), "n"] == 10
    assert x.loc[("overall", "respondents"), "value"] == 10


# --- simulate ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("roster", ["demo", "kexie_roster.csv", "tiny_roster.csv"])
@pytest.mark.parametrize("rate", [0.8, 1.0])
def test_simulate_gives_every_department_an_outside_figure(engine, roster, rate):
    """Under ``all`` every department is rated from outside by at least k raters of other departments."""
    from zuofeng.api import demo_roster
    path = demo_roster() if roster == "demo" else BENCH_DATA / roster
    rnd = _round(engine, path)
    for seed in (1, 2, 3):
        sheets = __import__("zuofeng.simulate", fromlist=["simulate_sheets"]).simulate_sheets(
            engine, rnd, seed=seed, response_rate=rate)
        table = [s for s in sheets if s.form == "table"]
        codes = pd.read_csv(path)["code"].tolist()
        raters = pd.Series([s.target for s in sheets if s.kind == "peer" and s.rater != s.target]).value_counts()
        assert set(raters.index) == set(codes)
        assert raters.min() >= 5
        assert all(s.rater != s.target for s in table)
        # every rater department of the peer survey fills the table about every other department
        pairs = {(s.rater, s.target) for s in table}
        named = pd.read_csv(path).set_index("code")["peer_targets"].fillna("").str.split().to_dict()
        expected = {(r, t) for r in codes for t in codes if r != t and t not in named[r]}
        raters_of = {s.rater for s in sheets if s.kind == "peer" and s.rater == s.target}
        assert pairs == {(r, t) for r, t in expected if r in raters_of}


# --- the survey page's table (widgets; the browser test is in test_survey_browser.py) -------------

def _inside_token(engine, rnd):
    from zuofeng.collect import tokens as tk
    return next(t for t in tk.issue_tokens(engine, rnd) if t.scope.view == "peer_inside" and t.scope.rater == "KJG")


def test_the_survey_page_shows_one_department_per_screen_and_stores_the_table(engine, tmp_path):
    from sqlalchemy import select

    from zuofeng.collect.survey import DONT_KNOW, SurveyApp
    from zuofeng.store import answers, responses
    roster = tmp_path / "r.csv"
    roster.write_text("code,name,unit_type,headcount,division,peer_targets\n"
                      "KJG,科技馆,事业单位,6,事业单位,BGS\nBGS,办公室,机关部室,6,机关,\n"
                      "XHB,<b>学会部</b>,机关部室,6,机关,\nZX,服务中心,中心,6,事业单位,\n", encoding="utf-8")
    rnd = _round(engine, roster)
    tok = _inside_token(engine, rnd)
    app = SurveyApp(engine, rnd)
    app.token_input.value = tok.token
    app.start_button.click()
    table = app.table
    assert table is not None and table.widget in app.widget.children
    assert table.codes == ["XHB", "ZX"]  # every other department but KJG's peer_targets (BGS, on the 22 items)
    shown = [c for c in table.codes if table.rows[c].layout.display != "none"]
    assert shown == ["XHB"] and "第 1 / 2 个部门" in table.position.value and table.prev_button.disabled
    assert "&lt;b&gt;学会部&lt;/b&gt;" in table.rows["XHB"].children[0].value  # the name is escaped
    for tb in app.items.values():
        tb.value = 2
    app.overall.value = "好"
    table.overall["XHB"].value = "较好"
    for tb, v in zip(table.dims["XHB"], [1, 2, DONT_KNOW, 4, 5]):
        tb.value = v
    assert "已评完 1 / 2 个部门" in table.status.value
    assert "民主测评表还有 1 个部门未评完" in app.progress.value
    app.submit_button.click()  # ZX is not rated yet: the page puts it on screen and says so
    assert app.state == "form" and table.current == 1 and "民主测评表中的「服务中心」" in app.submit_message.value
    assert "zf-missing" in table.rows["ZX"]._dom_classes
    table.next_button.click()
    assert table.current == 1 and table.next_button.disabled
    table.prev_button.click()
    assert table.current == 0
    table.rows["ZX"].children[-1].click()  # 不了解该部门: all six answered 不了解
    assert table.overall["ZX"].value == DONT_KNOW and {tb.value for tb in table.dims["ZX"]} == {DONT_KNOW}
    app.category.value = "党员"
    app.submit_button.click()
    assert app.state == "done"
    with engine.connect() as c:
        resp = {r["target"]: dict(r) for r in c.execute(select(responses)).mappings() if r["form"] == "table"}
        ans = [tuple(r) for r in c.execute(select(answers.c.response_id, answers.c.item, answers.c.value))]
    assert {t: (r["rater"], r["overall"], r["category"], r["comment"]) for t, r in resp.items()} == {
        "XHB": ("KJG", "较好", "党员", None), "ZX": ("KJG", None, "党员", None)}
    got = {t: sorted((i, v) for rid, i, v in ans if rid == r["id"]) for t, r in resp.items()}
    assert got == {"XHB": [(1, 1), (2, 2), (3, None), (4, 4), (5, 5)], "ZX": [(i, None) for i in range(1, 6)]}
    assert table.overall["XHB"].value is None  # nothing left on the page


def test_no_table_for_self_outside_tokens_and_targets_rounds(engine, roster_file):
    from zuofeng.collect import tokens as tk
    from zuofeng.collect.survey import SurveyApp
    for code, mode in (("A", "all"), ("T", "targets")):
        _round(engine, roster_file, mode, code=code)
        one_per_view = {t.scope.view: t for t in tk.issue_tokens(engine, code)}
        assert len(one_per_view) == 3
        for t in one_per_view.values():
            app = SurveyApp(engine, code)
            app.token_input.value = t.token
            app.start_button.click()
            assert (app.table is not None) == (mode == "all" and t.scope.view == "peer_inside"), (mode, t.scope)


# --- reports ---------------------------------------------------------------------------------------

def test_reports_say_which_outside_figures_come_from_the_table(engine, roster_file):
    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.overview import OverviewReport
    from zuofeng.report.view import ScoreView
    rnd = _round(engine, roster_file)
    simulate(engine, rnd, seed=2, response_rate=0.95)
    scores = score_round(engine, rnd, n_boot=200)
    df = responses_frame(engine, rnd)
    outside = df[df["view"] == "peer_outside"]
    # BGS is rated on the 22 items by KPB (its peer_targets) and on the table by the three others
    n_table, n_items = (int(((outside["department"] == "BGS") & (outside["form"] == f)).sum()) for f in ("table", "items"))
    assert n_table > 0 and n_items > 0
    page = DepartmentReport(ScoreView(scores, "zh"), "BGS").overall().html
    assert (f"互评（外部门）的 {n_table + n_items} 份评价中，民主测评表 {n_table} 份（总体评价和五个方面），"
            f"22项问卷 {n_items} 份") in page
    en = DepartmentReport(ScoreView(scores, "en"), "BGS").overall().html
    assert f"{n_table} come from the evaluation table" in en
    overview = OverviewReport(ScoreView(scores, "zh")).coverage().html
    assert "其中民主测评表" in overview and 'data-stat="respondents_table" data-dept="BGS"' in overview
    from zuofeng.report.methods import methods_block
    note = methods_block(ScoreView(scores, "zh"), "BGS").html
    assert "本轮为“全组织互评”" in note and "各题的得分、问题率和信度只来自22项问卷" in note


def test_slips_say_the_respondent_rates_the_other_departments(engine, roster_file, tmp_path, monkeypatch):
    from zuofeng.collect.slips import issue_slips
    monkeypatch.setenv("ZUOFENG_KEY_FILE", str(tmp_path / "key"))
    for code, mode in (("A", "all"), ("T", "targets")):
        _round(engine, roster_file, mode, code=code)
        issue_slips(engine, code, kind="peer", csv_path=tmp_path / f"{code}.csv")
    rows = {code: pd.read_csv(tmp_path / f"{code}.csv", encoding="utf-8-sig") for code in "AT"}
    inside = rows["A"][rows["A"]["部门代码"] == rows["A"]["被评部门代码"]]
    # BGS names XHB in peer_targets: its table holds the three others; KJG rates all four others on it
    by_dept = inside.groupby("部门代码")["问卷类型"].first().to_dict()
    assert by_dept["BGS"] == "互评 · 评价本部门，并在民主测评表上评价其他 3 个部门"
    assert by_dept["KJG"] == "互评 · 评价本部门，并在民主测评表上评价其他 4 个部门"
    assert set(rows["T"]["问卷类型"]) <= {"互评 · 评价本部门（内部评价）", "互评 · 评价其他部门（外部评价）"}
