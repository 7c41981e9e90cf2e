"""Rater groups: declared per round, bound to the 答题码, printed on the slip, stored from the token, scored
per group below k like any other cell, and combined into a weighted composite of the groups that reach k."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from zuofeng.cli import main
from zuofeng.collect import slips as sl
from zuofeng.collect import tokens as tk
from zuofeng.errors import InputFileError, RoundError, TokenError
from zuofeng.frames import responses_frame
from zuofeng.rater_groups import parse_rater_groups
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.simulate import simulate
from zuofeng.store import Sheet, get_round, responses, store_sheets

GROUPS = "领导班子,中层干部,一般干部,服务对象"
WEIGHTS = "0.2,0.3,0.3,0.2"
BATCHES = """department,group,count,targets
BGS,中层干部,5,
BGS,一般干部,7,
KJG,中层干部,5,
KJG,一般干部,20,
,领导班子,6,BGS XHB KPB KJG ZX
,服务对象,10,BGS KJG
"""


def _round(engine, roster_file, code="G1"):
    create_round(engine, code, title="分类测评", roster=roster_file,
                 rater_groups=parse_rater_groups(GROUPS, WEIGHTS))
    set_status(engine, code, "open")
    return code


def _batches(tmp_path, text=BATCHES):
    p = tmp_path / "batches.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_round_create_stores_groups_and_refuses_bad_input_in_one_line(roster_file, sqlite_url, capsys):
    args = ["round", "create", "G1", "--title", "t", "--roster", str(roster_file), "--db", sqlite_url]
    assert main([*args, "--rater-groups", GROUPS, "--group-weights", "0.2,0.3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "共 4 个，不能为负" in err and "--rater-groups 领导班子" in err
    assert main([*args, "--rater-groups", GROUPS, "--group-weights", "0.2,0.3", "--lang", "en"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "give 4 non-negative numbers" in err and "--rater-groups 领导班子" in err
    assert main([*args, "--rater-groups", "领导班子,领导班子"]) == 2
    assert "--rater-groups '领导班子,领导班子' 中有重复的类别" in capsys.readouterr().err
    assert main([*args, "--rater-groups", "领导班子,领导班子", "--lang", "en"]) == 2
    assert "names a group twice" in capsys.readouterr().err
    assert main([*args, "--group-weights", "1,2"]) == 2
    assert "--group-weights 需要同时给出 --rater-groups" in capsys.readouterr().err
    assert main([*args, "--group-weights", "1,2", "--lang", "en"]) == 2
    assert "needs --rater-groups" in capsys.readouterr().err
    assert main([*args, "--rater-groups", "领导班子，一般干部"]) == 0
    from zuofeng.store import open_engine
    with open_engine(sqlite_url).connect() as conn:
        assert get_round(conn, "G1")["rater_groups"] == [{"name": "领导班子", "weight": 0.5},
                                                         {"name": "一般干部", "weight": 0.5}]


@pytest.mark.parametrize("text, message, message_en", [
    ("department,group,count\nBGS,中层干部,4\n", "batches.csv 第 2 行：BGS 中层干部 的人数 '4' 必须是不小于 k = 5 的整数",
     "batches.csv line 2: count '4' of BGS 中层干部 must be a whole number of at least k = 5"),
    ("department,group,count\nBGS,处长,5\n", "第 2 行：测评人员类别 '处长' 不是本轮次设定的类别", "is not one of the round's"),
    ("department,group,count\nBGS,中层干部,6\nBGS,一般干部,7\n", "第 3 行：BGS 各批合计 13 人，超过其人数 12",
     "more than its headcount 12"),
    ("department,group,count,targets\n,服务对象,8,\n", "没有部门的 服务对象 需要给出所评价的部门",
     "needs the departments it rates"),
    ("department,group,count,targets\nBGS,中层干部,6,KPB\n", "targets（被评部门）只给不属于任何部门的测评人员",
     "targets are for raters who belong to no department"),
    ("department,group,count,targets\n,服务对象,8,BGS NOPE\n", "没有被评部门 'NOPE'", "unknown target department 'NOPE'"),
    ("department,group,count\nBGS,中层干部,6\nBGS,中层干部,6\n", "第 3 行：BGS 中层干部 重复（首次出现在第 2 行）",
     "given twice"),
])
def test_batch_files_are_refused_with_their_line(engine, roster_file, tmp_path, text, message, message_en):
    code = _round(engine, roster_file)
    with pytest.raises(InputFileError, match=message) as e:
        tk.issue_tokens(engine, code, groups=_batches(tmp_path, text))
    assert message_en in e.value.en
    assert tk.token_counts(engine, code) == []


def test_a_round_with_groups_needs_the_batch_file_and_one_without_refuses_it(engine, roster_file, tmp_path):
    code = _round(engine, roster_file)
    with pytest.raises(Exception, match="设定了测评人员类别") as e:
        tk.issue_tokens(engine, code)
    assert "declares rater groups" in e.value.en
    create_round(engine, "PLAIN", title="t", roster=roster_file)
    with pytest.raises(RoundError, match="轮次 PLAIN 没有设定测评人员类别") as e:
        tk.issue_tokens(engine, "PLAIN", groups=_batches(tmp_path))
    assert "declares no rater groups" in e.value.en


def test_tokens_are_bound_to_their_batch_group_and_outside_raters_rate_their_targets(engine, roster_file, tmp_path):
    code = _round(engine, roster_file)
    issued = tk.issue_tokens(engine, code, groups=_batches(tmp_path))
    got = {}
    for i in issued:
        s = i.scope
        got[(s.kind, s.rater, s.target, s.group)] = got.get((s.kind, s.rater, s.target, s.group), 0) + 1
    assert got[("self", "BGS", "BGS", "中层干部")] == 5 and got[("peer", "BGS", "XHB", "一般干部")] == 7
    assert got[("peer", "KJG", "KJG", "一般干部")] == 20
    outside = {k: n for k, n in got.items() if k[1] == ""}
    assert outside == {**{("peer", "", t, "领导班子"): 6 for t in ("BGS", "XHB", "KPB", "KJG", "ZX")},
                       ("peer", "", "BGS", "服务对象"): 10, ("peer", "", "KJG", "服务对象"): 10}
    assert not any(k[0] == "self" and k[1] == "" for k in got)
    # issuing again tops up to the batch counts, per group: nothing new
    assert tk.issue_tokens(engine, code, groups=_batches(tmp_path)) == []
    looked = tk.lookup(engine, code, next(i.token for i in issued if i.scope.group == "服务对象"))
    assert looked.group == "服务对象" and looked.rater == "" and looked.view == "peer_outside"


def test_the_slip_prints_the_group_and_the_csv_carries_it(engine, roster_file, tmp_path):
    code = _round(engine, roster_file)
    out, csv_path = tmp_path / "s.html", tmp_path / "s.csv"
    sl.issue_slips(engine, code, groups=_batches(tmp_path), out=out, csv_path=csv_path)
    page = out.read_text(encoding="utf-8")
    slips = page.split('<div class="slip"')[1:]
    assert all("测评人员类别：</span>" in s for s in slips)
    leaders = [s for s in slips if "领导班子" in s]
    assert len(leaders) == 30 and all("所在部门：</span>不属于本单位部门" in s for s in leaders)
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert rows[0][-1] == "测评人员类别"
    assert sorted({r[-1] for r in rows[1:]}) == sorted(GROUPS.split(","))
    assert {r[3] for r in rows[1:] if r[-1] == "服务对象"} == {"不属于本单位部门"}


def test_a_sheet_gets_its_tokens_group_whatever_it_says(engine, roster_file, tmp_path):
    code = _round(engine, roster_file)
    issued = tk.issue_tokens(engine, code, groups=_batches(tmp_path))
    it = next(i for i in issued if i.scope.group == "中层干部" and i.scope.kind == "self")
    s = it.scope
    answers = dict.fromkeys(range(1, 23), 2)
    sheet = Sheet(s.kind, s.rater, s.target, answers, token_hash=tk.token_hash(it.token), group="一般干部")
    store_sheets(engine, code, [sheet])
    with engine.connect() as conn:
        assert list(conn.execute(select(responses.c.rater_group))) == [("中层干部",)]
    # a sheet of no department without a token must name a group; an unknown group is refused
    with pytest.raises(Exception, match="评价部门 '' 不存在"):
        store_sheets(engine, code, [Sheet("peer", "", "BGS", answers)], source="import")
    with pytest.raises(Exception, match="测评人员类别应为 .* 之一，而不是 '处长'"):
        store_sheets(engine, code, [Sheet("peer", "BGS", "BGS", answers, group="处长")], source="import")
    with pytest.raises(TokenError):
        store_sheets(engine, code, [sheet])


def _respondent_index(frame: pd.DataFrame) -> pd.Series:
    """A respondent's 作风指数, computed here: mean of the answered items when at least 11 of 22 were
    answered, then 100 × (5 − mean) / 4."""
    items = frame[[f"q{i:02d}" for i in range(1, 23)]].astype(float)
    mean = items.mean(axis=1).where(items.notna().sum(axis=1) >= 11)
    return mean


@pytest.fixture
def scored(engine, roster_file, tmp_path):
    code = _round(engine, roster_file)
    tk.issue_tokens(engine, code, groups=_batches(tmp_path))
    simulate(engine, code, seed=2, response_rate=0.95)
    return score_round(engine, code, n_boot=200), responses_frame(engine, code)


def test_group_figures_and_the_composite_against_an_independent_computation(scored):
    scores, frame = scored
    g = scores.groups
    frame = frame.assign(m=_respondent_index(frame)).dropna(subset=["m"])
    weights = dict(zip(GROUPS.split(","), map(float, WEIGHTS.split(","))))
    checked_groups = checked_composites = 0
    for (unit, view), rows in g.groupby(["department", "kind"]):
        views = ["peer_inside", "peer_outside"] if view == "peer" else [view]  # peer: both peer views pooled
        sub = frame[frame["view"].isin(views) & ((frame["department"] == unit) | (unit == "ALL"))]
        published = rows[(rows["statistic"] == "index") & ~rows["suppressed"]]
        for _, r in published.iterrows():
            mine = sub[sub["rater_group"] == r["group"]]["m"]
            assert r["n"] == len(mine) >= 5
            assert r["value"] == pytest.approx(100 * (5 - mine.mean()) / 4, abs=1e-9)
            checked_groups += 1
        comp = rows[rows["statistic"] == "group_composite"].iloc[0]
        if len(published):
            w = np.array([weights[x] for x in published["group"]])
            expect = float((w * published["value"].to_numpy()).sum() / w.sum())
            assert comp["value"] == pytest.approx(expect, abs=1e-9)
            assert comp["groups_used"] == "、".join(published["group"])
            for name, wi in zip(published["group"], w / w.sum()):
                assert f"{name} {wi:.0%}" in comp["note"]
            checked_composites += 1
        else:
            assert comp["suppressed"] and math.isnan(comp["value"])
    assert checked_groups >= 8 and checked_composites >= 4
    assert (g["kind"] == "peer").any()
    # the composite leaves out a group below k and says so
    left = g[(g["statistic"] == "group_composite") & g["note"].str.contains("未计入", na=False)]
    assert len(left)


def test_no_group_below_k_can_be_recovered_by_subtraction(scored):
    """A differencing attacker with the published figures and counts: a parent (a unit × view whose
    overall index is published, the organisation × view × group, or a group's pooled peer figure) minus
    its published children gives the hidden ones' total, which must never rest on fewer than k sheets."""
    scores, frame = scored
    k = scores.meta["k_min"]
    frame = frame.assign(m=_respondent_index(frame)).dropna(subset=["m"])
    frame["rater_group"] = frame["rater_group"].fillna("")
    peer = frame[frame["view"].isin(["peer_inside", "peer_outside"])].assign(view="peer")
    g = scores.groups
    pub = {(r.department, r.kind, r.group) for r in g[(g.statistic == "index") & ~g.suppressed].itertuples()}
    t = scores.table
    parent_pub = {(r.department, r.kind) for r in t[(t.statistic == "index") & (t.key == "overall")
                                                     & ~t.suppressed.astype(bool)].itertuples()}
    true_n = frame.groupby(["department", "view", "rater_group"]).size()
    attacks = guarded = 0  # guarded: attacks on a parent with a hidden cell below k
    for (d, v), per in true_n.groupby(level=[0, 1]):
        if (d, v) not in parent_pub:
            continue
        hidden = [n for (_, _, grp), n in per.items() if (d, v, grp) not in pub and n > 0]
        attacks += 1
        guarded += any(0 < n < k for n in hidden)
        assert not hidden or sum(hidden) >= k, (d, v, hidden)
    for (v, grp), per in true_n.groupby(level=[1, 2]):
        if ("ALL", v, grp) not in pub:
            continue
        hidden = [n for (d, _, _), n in per.items() if (d, v, grp) not in pub and n > 0]
        attacks += 1
        guarded += any(0 < n < k for n in hidden)
        assert not hidden or sum(hidden) >= k, (v, grp, hidden)
    pooled = peer.groupby(["department", "rater_group"]).size()
    for d, grp in pooled.index:
        if (d, "peer", grp) not in pub:
            continue
        hidden = [true_n.get((d, v, grp), 0) for v in ("peer_inside", "peer_outside")
                  if (d, v, grp) not in pub and true_n.get((d, v, grp), 0) > 0]
        attacks += 1
        guarded += any(0 < n < k for n in hidden)
        assert not hidden or sum(hidden) >= k, (d, grp, hidden)
    assert attacks >= 6 and guarded >= 2, (attacks, guarded)


def test_a_round_without_groups_has_no_group_rows_and_the_same_sheets(engine, roster_file):
    create_round(engine, "PLAIN", title="t", roster=roster_file)
    set_status(engine, "PLAIN", "open")
    simulate(engine, "PLAIN", seed=2)
    scores = score_round(engine, "PLAIN", n_boot=200)
    assert scores.groups.empty and responses_frame(engine, "PLAIN")["rater_group"].isna().all()


def test_the_department_page_shows_each_group_and_the_composite_with_the_groups_used(scored):
    from bs4 import BeautifulSoup

    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.view import ScoreView

    scores, _ = scored
    g = scores.groups
    shown = 0
    for code in sorted(set(g["department"]) - {"ALL"}):
        html = DepartmentReport(ScoreView(scores, "zh"), code).overall().html
        page = BeautifulSoup(html, "html.parser")
        table = page.find("h3", string="按测评人员类别").find_next("table")
        rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.select("tbody tr")]
        mine = g[g["department"] == code]
        assert len(rows) == len(mine)
        for row, r in zip(rows, mine.itertuples()):
            if r.suppressed:   # the word and why: the group row's note (a composite's without its label)
                assert row[2] == "已抑制：" + r.note.removeprefix("加权综合：") and row[3] == "", (row, r.note)
                assert len(r.note) > 8 and "份" in r.note
            else:
                assert row[2] == f"{r.value:.1f}" and row[3] == str(int(r.n))
                shown += 1
            if r.statistic == "group_composite":
                assert row[1] == "加权综合" and row[5] == r.note
    assert shown >= 4


def test_the_export_has_the_group_tab_with_chinese_headers(engine, scored, tmp_path):
    from openpyxl import load_workbook

    from zuofeng.io.excel_export import export_round

    scores, _ = scored
    out = export_round(engine, "G1", tmp_path / "g.xlsx", scores=scores).path
    ws = load_workbook(out)["测评人员类别"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("部门", "名称", "视角", "测评人员类别", "统计量", "数值", "答卷", "权重", "说明")
    assert len(rows) - 1 == len(scores.groups)
    hidden = [r for r in rows[1:] if r[5] == "已抑制"]
    assert hidden and all(r[6] is None for r in hidden)  # a hidden group's count is not shown either
    kjg = [r for r in rows[1:] if r[0] == "KJG" and r[3] == "服务对象"]
    assert [r[2] for r in kjg] == ["互评（外部门）", "互评（本部门和外部门）"]


def test_the_demo_batches_fit_the_demo_roster_and_every_group(engine):
    from zuofeng.demo import RATER_GROUPS, demo_groups, demo_roster
    from zuofeng.rater_groups import read_batches
    from zuofeng.store import get_departments

    create_round(engine, "D", title="t", roster=demo_roster(), rater_groups=RATER_GROUPS)
    with engine.connect() as conn:
        batches = read_batches(demo_groups(), get_round(conn, "D"), get_departments(conn, "D"))
    assert {b.group for b in batches} == {g["name"] for g in RATER_GROUPS}
    assert {b.group for b in batches if b.department == ""} == {"领导班子", "服务对象"}


def test_a_rater_of_no_department_answers_on_the_survey_page_and_the_sheet_keeps_the_tokens_group(
        engine, roster_file, tmp_path):
    from zuofeng.collect.survey import SurveyApp

    code = _round(engine, roster_file)
    issued = tk.issue_tokens(engine, code, groups=_batches(tmp_path))
    it = next(i for i in issued if i.scope.group == "服务对象" and i.scope.target == "KJG")
    app = SurveyApp(engine, code)
    app.token_input.value = it.token
    app.start_button.click()
    assert app.state == "form" and app.overall_box in app.widget.children
    for n in app.items:
        app.items[n].value = 2
    app.overall.value = "较好"
    app.submit_button.click()
    assert app.state == "done"
    frame = responses_frame(engine, code)
    assert frame[["rater", "department", "view", "rater_group"]].values.tolist() == [
        ["", "KJG", "peer_outside", "服务对象"]]


def test_tokens_issue_on_the_command_line(roster_file, sqlite_url, tmp_path, capsys):
    db = ["--db", sqlite_url]
    assert main(["round", "create", "G1", "--title", "t", "--roster", str(roster_file), "--rater-groups", GROUPS,
                 "--group-weights", WEIGHTS, *db]) == 0
    bad = _batches(tmp_path, "department,group,count\nZX,一般干部,4\n")
    capsys.readouterr()
    assert main(["tokens", "issue", "G1", "--groups", str(bad), "--out", str(tmp_path / "s.html"), *db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "batches.csv 第 2 行" in err and "不小于 k = 5" in err
    assert main(["tokens", "issue", "G1", "--groups", str(bad), "--out", str(tmp_path / "s.html"), *db,
                 "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "batches.csv line 2" in err and "at least k = 5" in err
    assert not (tmp_path / "s.html").exists()
    assert main(["tokens", "issue", "G1", "--groups", str(_batches(tmp_path)), "--out", str(tmp_path / "s.html"),
                 *db]) == 0
    out = capsys.readouterr().out
    # 领导班子: 6 raters × 5 departments; 服务对象: 10 × 2; 中层干部: 5 of BGS × (self, BGS, its target XHB)
    # and 5 of KJG × (self, KJG)
    assert "按测评人员类别：" in out and "领导班子 30" in out and "服务对象 20" in out and "中层干部 25" in out
    assert main(["tokens", "status", "G1", *db]) == 0
    status = capsys.readouterr().out
    assert "测评人员类别" in status.splitlines()[0] and "服务对象" in status


def test_the_english_page_says_the_notes_in_english(scored):
    from zuofeng.report.department import DepartmentReport
    from zuofeng.report.view import ScoreView

    scores, _ = scored
    g = scores.groups
    code = next(d for d in g["department"] if d != "ALL" and g[(g["department"] == d)]["suppressed"].any())
    html = DepartmentReport(ScoreView(scores, "en"), code).overall().html
    assert "By rater group" in html and "Weighted composite" in html
    assert "不单独列出" not in html and "加权" not in html
    assert "not shown on its own" in html or "recovered by subtraction" in html
    from bs4 import BeautifulSoup

    table = BeautifulSoup(html, "html.parser").find("h3", string="By rater group").find_next("table")
    hidden = [td.get_text() for td in table.select("td.suppressed")]
    assert hidden and "suppressed" not in hidden   # the word and why, never the bare word
    for text in hidden:
        assert text.startswith("suppressed: ") and ("answer sheets" in text or "subtraction" in text), text
