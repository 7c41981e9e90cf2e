"""The Excel export: no formulas anywhere, no ids or arrival order, nothing the scorer suppresses; and
imported rounds score exactly like surveyed ones."""

from __future__ import annotations

import random
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.io_support import SAMPLES
from zuofeng.frames import responses_frame
from zuofeng.io import parse
from zuofeng.io.excel_export import answer_rows, export_round
from zuofeng.score import score_round
from zuofeng.store import Sheet, get_departments, get_round, store_sheets


@pytest.fixture
def roster_file(paper_roster_file):
    """This module's ballots carry no tokens: every department of its rounds votes on paper."""
    return paper_roster_file


ITEMS = [f"q{n:02d}" for n in range(1, 23)]


# --- which answer sheets may be published --------------------------------------------------------

def _frame(groups: list[tuple[str, str, str | None, int]]) -> pd.DataFrame:
    rng = random.Random(3)
    rows = []
    for dept, view, cat, n in groups:
        for _ in range(n):
            rows.append({"department": dept, "view": view, "category": cat, "overall": "好" if view != "self" else None,
                         "too_fast": None, **{k: float(rng.randint(1, 5)) for k in ITEMS}})
    df = pd.DataFrame(rows)
    return df.sample(frac=1, random_state=1).reset_index(drop=True)


SUPPRESSION = pd.DataFrame([
    {"department": "A", "kind": "self", "category": "非党员", "reason": "n<k", "scope": "answers"},
    {"department": "A", "kind": "self", "category": "党员", "reason": "complementary", "scope": "answers"},
    {"department": "C", "kind": "peer_outside", "category": None, "reason": "complementary", "scope": "answers"},
    {"department": "A", "kind": "peer_inside", "category": None, "reason": "n<k", "scope": "votes"},
])


def test_answer_rows_publish_only_what_the_scorer_publishes():
    frame = _frame([("A", "self", "党员", 4), ("A", "self", "非党员", 2), ("A", "peer_inside", "党员", 5),
                    ("B", "self", "党员", 2), ("C", "peer_outside", None, 7), ("D", "peer_inside", "非党员", 6)])
    rows, held, groups = answer_rows(frame, ITEMS, SUPPRESSION, k=5)
    got = rows.groupby(["department", "view"]).size().to_dict()
    assert got == {("A", "self"): 6, ("A", "peer_inside"): 5, ("D", "peer_inside"): 6}
    assert (held, groups) == (2 + 7, 2)  # B under k (even though the scorer's frame does not list it), C complementary
    # No category at all: per department the scorer never publishes it (A's two 非党员 would stand out).
    assert "category" not in rows.columns and list(rows.columns[:4]) == ["department", "view", "overall", "too_fast"]
    assert rows[(rows.department == "A") & (rows.view == "peer_inside")]["overall"].isna().all()  # votes hidden
    assert (rows[rows.department == "D"]["overall"] == "好").all()  # untouched group keeps its rating


def test_answer_rows_do_not_depend_on_arrival_order():
    frame = _frame([("A", "self", "党员", 6), ("D", "peer_inside", "非党员", 8)])
    first, _, _ = answer_rows(frame, ITEMS, SUPPRESSION.iloc[:0], k=5)
    again, _, _ = answer_rows(frame.iloc[::-1].reset_index(drop=True), ITEMS, SUPPRESSION.iloc[:0], k=5)
    pd.testing.assert_frame_equal(first, again)
    keys = [tuple(-1 if pd.isna(v) else v for v in r) for r in first[ITEMS].itertuples(index=False)]
    assert keys[:6] == sorted(keys[:6])  # within a group: by content


def test_all_groups_of_a_suppressed_total_are_hidden():
    frame = _frame([("A", "self", "党员", 6), ("B", "self", "党员", 6), ("B", "peer_inside", "党员", 6)])
    sup = pd.DataFrame([{"department": "ALL", "kind": "self", "category": None, "reason": "n<k", "scope": "answers"}])
    rows, held, groups = answer_rows(frame, ITEMS, sup, k=5)
    assert set(zip(rows.department, rows.view)) == {("B", "peer_inside")} and (held, groups) == (12, 2)


# --- a whole workbook ------------------------------------------------------------------------

HOSTILE_ROSTER = """code,name,unit_type,headcount,party_members,division,peer_targets
BGS,"=HYPERLINK(""http://example.invalid"",""办公室"")",机关部室,30,20,机关,XHB
XHB,@SUM(1+1)*cmd|' /C calc'!A0,机关部室,12,8,机关,
KJG,科技馆,事业单位,25,12,事业单位,
ZX,-服务中心,中心,4,3,事业单位,
"""


@pytest.fixture
def hostile_round(sqlite_url, tmp_path):
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine
    roster = tmp_path / "roster.csv"
    roster.write_text(HOSTILE_ROSTER, encoding="utf-8")
    engine = open_engine(sqlite_url)
    create_round(engine, "R1", title="=1+1 基线", roster=roster)
    set_status(engine, "R1", "open")
    rng = random.Random(5)
    sheets = []
    for dept, n in (("BGS", 12), ("XHB", 6), ("KJG", 9), ("ZX", 3)):
        for i in range(n):
            comment = ["=cmd|' /C calc'!A0", "+1 建议", "\t=1", "@公开台账", "正常的建议"][i % 5]
            sheets.append(Sheet("self", dept, dept, {q: rng.randint(1, 5) for q in range(1, 23)},
                                category=["党员", "非党员"][i % 2], comment=comment))
    sheets += [Sheet("peer", "BGS", "XHB", {q: rng.randint(1, 5) for q in range(1, 23)}, overall="较好") for _ in range(6)]
    store_sheets(engine, "R1", sheets)
    yield engine, "R1"
    engine.dispose()


def test_export_holds_no_formula_and_no_identifying_column(hostile_round, tmp_path):
    engine, rnd = hostile_round
    scores = score_round(engine, rnd, seed=1, n_boot=100)
    out = tmp_path / "export.xlsx"
    r = export_round(engine, rnd, out, scores=scores)
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml  # not a single formula cell in the file
    wb = load_workbook(out)
    assert wb.sheetnames == ["说明", "答卷", "覆盖率", "得分", "问题清单", "意见建议", "数据质量"]
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=HYPERLINK(\"http://example.invalid\",\"办公室\")" in texts
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in texts and "'-服务中心" in texts
    comments = [row[2] for row in wb["意见建议"].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in comments and "'=1" in comments and "'+1 建议" in comments

    ws = wb["答卷"]
    header = [c.value for c in ws[2]]
    assert header == ["被评部门", "视角", "总体评价", "答题过快", *ITEMS]
    assert ws.freeze_panes == "A3" and wb["得分"].freeze_panes == "A2"
    assert "k = 5" in ws["A1"].value
    data = [row for row in ws.iter_rows(min_row=3, values_only=True)]
    # ZX (3 sheets) is under k; its rows are not there, and the count says so.
    groups = {(d, v) for d, v, *_ in data}
    assert ("ZX", "自评") not in groups and r.held_back >= 3 and len(data) == r.sheets_exported
    total = len(responses_frame(engine, rnd))
    assert r.sheets_exported + r.held_back == total
    # Nothing the scorer suppressed as a whole group is exported.
    sup = scores.suppression
    whole = sup[(sup["scope"] == "answers") & sup["category"].isna()]
    zh = {"self": "自评", "peer_inside": "互评（本部门）", "peer_outside": "互评（外部门）"}
    for dept, kind in zip(whole["department"], whole["kind"]):
        assert not [g for g in groups if dept in (g[0], "ALL") and (kind == "all" or zh[kind] == g[1])]
    # Column widths follow the content, within bounds.
    widths = {k: v.width for k, v in wb["覆盖率"].column_dimensions.items()}
    assert 6 <= min(widths.values()) and max(widths.values()) <= 60
    # The scores tab is the scorer's long table, row for row.
    assert wb["得分"].max_row == len(scores.table) + 1
    head = [c.value for c in wb["得分"][1]]
    assert head[:7] == ["轮次", "部门", "视角", "层级", "项目", "统计量", "数值"] and "已抑制" in head
    assert len(head) == len(scores.table.columns)


def test_export_refuses_a_bad_name_and_leaves_nothing(hostile_round, tmp_path):
    from zuofeng.errors import InputFileError
    engine, rnd = hostile_round
    with pytest.raises(InputFileError, match="导出文件是 .xlsx 工作簿：'x.csv' 不以 .xlsx 结尾"):
        export_round(engine, rnd, tmp_path / "x.csv")
    with pytest.raises(InputFileError, match="nope 不存在") as e:
        export_round(engine, rnd, tmp_path / "nope" / "x.xlsx")
    assert e.value.en == f"folder {tmp_path / 'nope'} does not exist"
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".*partial")) == []


# --- imported rounds score like surveyed ones ------------------------------------------------

@pytest.mark.parametrize("name, mapping", [
    ("template_ballots.csv", None), ("template_ballots.xlsx", None), ("wjx_text_self.xlsx", None),
    ("wjx_code_peer.csv", "wjx_code_peer.yaml"), ("limesurvey_peer.csv", "limesurvey_peer.yaml"),
])
def test_an_imported_round_scores_exactly_like_the_same_sheets_surveyed(engine, roster_file, name, mapping):
    from zuofeng.io import import_file
    from zuofeng.rounds import create_round, set_status
    for code in ("IMP", "SUR"):
        create_round(engine, code, title=code, roster=roster_file)
        set_status(engine, code, "open")
    import_file(engine, "IMP", SAMPLES / name, mapping=None if mapping is None else SAMPLES / mapping)
    with engine.connect() as c:
        from zuofeng.instrument import load_instrument
        inst = load_instrument(get_round(c, "SUR")["instrument_id"], get_round(c, "SUR")["instrument_version"])
        depts = get_departments(c, "SUR")
    parsed, _ = parse(SAMPLES / name, inst, depts, mapping=None if mapping is None else SAMPLES / mapping)
    store_sheets(engine, "SUR", parsed.sheets, source="survey")
    a = score_round(engine, "IMP", seed=1, n_boot=100).table.drop(columns="round")
    b = score_round(engine, "SUR", seed=1, n_boot=100).table.drop(columns="round")
    assert len(a) > 0 and a["value"].notna().any()
    # at least one figure of the answers is published, so the comparison below is not only of blanks (a
    # small sample may publish no index: every all-figure there combines a view hidden for too few answers)
    published = a[a["statistic"].isin(["index", "mean", "problem_rate", "satisfaction", "eval_score"])
                  & a["value"].notna() & ~a["suppressed"]]
    assert len(published) > 0
    # Stored rows come back in a random order (random ids), so sums differ in the last bits, and
    # bootstrap ranks and exact ties may fall either way: compare every other statistic.
    resampled = ["rank", "rank_low", "rank_high", "bottom"]
    a, b = (t[~t["statistic"].isin(resampled)].reset_index(drop=True) for t in (a, b))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    assert np.isfinite(published["value"]).all() and published["value"].between(0, 100).all()
    assert len(b[(b["statistic"].isin(published["statistic"].unique())) & b["value"].notna()]) == len(published)


def test_cli_export_writes_the_workbook(hostile_round, tmp_path, monkeypatch):
    from zuofeng.cli import main
    engine, rnd = hostile_round
    out = tmp_path / "cli.xlsx"
    url = engine.url.render_as_string(hide_password=False)
    assert main(["export", rnd, "--out", str(out), "--db", url]) == 0
    assert load_workbook(out).sheetnames[1] == "答卷"
    assert re.match(r"^[\w.-]+$", out.name)


# --- k on answers, and coverage without category splits --------------------------------------------

def _hidden_figure(dept: str, kind: str, level: str, key: str) -> dict:
    return {"department": dept, "kind": kind, "level": level, "key": key, "statistic": "mean", "value": np.nan,
            "suppressed": True}


def test_answers_behind_a_figure_hidden_on_its_answer_count_are_blanked():
    frame = _frame([("A", "self", "党员", 6), ("D", "peer_inside", "非党员", 6), ("E", "self", None, 6)])
    frame.loc[frame.index[(frame.department == "A")][2:], "q17"] = np.nan   # two answers to q17 in A self
    table = pd.DataFrame([_hidden_figure("A", "self", "item", "q17"), _hidden_figure("D", "peer_inside", "dimension", "二"),
                          _hidden_figure("E", "self", "overall", "overall"),
                          {**_hidden_figure("A", "self", "item", "q01"), "suppressed": False, "value": 2.0}])
    rows, held, groups = answer_rows(frame, ITEMS, SUPPRESSION.iloc[:0], 5, table, {"二": ["q06", "q07", "q08"]})
    a = rows[rows.department == "A"]
    assert len(a) == 6 and a["q17"].isna().all() and a["q01"].notna().all()
    d = rows[rows.department == "D"]
    assert d[["q06", "q07", "q08"]].isna().all().all() and d["q05"].notna().all() and d["q09"].notna().all()
    assert "E" not in set(rows.department) and (held, groups) == (6, 1)


def test_coverage_tab_splits_no_department_by_category(hostile_round, tmp_path):
    engine, rnd = hostile_round
    scores = score_round(engine, rnd, seed=1, n_boot=100)
    out = tmp_path / "export.xlsx"
    export_round(engine, rnd, out, scores=scores)
    ws = load_workbook(out)["覆盖率"]
    header = [c.value for c in ws[1]]
    assert header == ["部门", "名称", "视角", "人数", "答卷", "覆盖率", "标记"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    # 党员/非党员 appear only on the organisation's rows; ZX's 3 self sheets (under k) are counted in public
    assert [r for r in rows if ("党员" in r[2]) and r[0] != "ALL"] == []
    assert [r for r in rows if "党员" in r[2]]
    zx = {r[2]: r for r in rows if r[0] == "ZX"}
    assert zx["自评"][4] == 3 and zx["自评"][5] == pytest.approx(3 / zx["自评"][3])
    # every published count is the scorer's and the sheets' own
    frame = responses_frame(engine, rnd)
    bgs = {r[2]: r for r in rows if r[0] == "BGS"}
    assert bgs["自评"][4] == int(((frame.department == "BGS") & (frame.view == "self")).sum()) == 12
    assert bgs["自评"][3] == 30 and abs(bgs["自评"][5] - 12 / 30) < 1e-12
    party = [r for r in rows if r[0] == "ALL" and r[2].startswith("自评") and r[2].endswith("· 党员答卷")]
    n_party = int(((frame.view == "self") & (frame.category == "党员")).sum())
    assert party[0][4] == ("已抑制" if scores.rows(department="ALL", kind="self", statistic="respondents_party")
                           ["suppressed"].iat[0] else n_party)
