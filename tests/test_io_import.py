"""Imports of every format: what is stored equals the file read independently (pandas and plain dicts
written here), all or nothing, dry runs, fingerprints, and nothing from a tool's metadata stored."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest

from tests.io_support import (
    DEPT_NAMES,
    DEPT_ORDER,
    OVERALL,
    SAMPLES,
    SCALE_TEXT,
    snapshot,
    sort_sheets,
    stored_sheets,
)
from zuofeng.errors import InputFileError, RoundError
from zuofeng.io import ImportProblems, import_file
from zuofeng.io.mapping import load_mapping
from zuofeng.rounds import create_round, set_status


@pytest.fixture
def roster_file(paper_roster_file):
    """This module's ballots carry no tokens: every department of its rounds votes on paper."""
    return paper_roster_file


ITEMS = [f"q{n:02d}" for n in range(1, 23)]


def _blank(s: str):
    return None if s in ("", "(空)") else s


# --- what each sample file should store, read without zuofeng -----------------------------------

def expected_template(frame: pd.DataFrame) -> list[tuple]:
    out = []
    for r in frame.to_dict("records"):
        def item(s):
            s = unicodedata.normalize("NFKC", str(s)).strip()
            return None if s in ("", "不了解", "nan", "None") else int(float(s))
        rater = r["department"]
        target = r["target"] if str(r["target"]) not in ("", "nan", "None") else rater
        norm = {k: ("" if str(r[k]) in ("nan", "None") else str(r[k])) for k in ("category", "overall", "comment")}
        out.append((r["kind"], rater, target, _blank(norm["category"]), _blank(norm["overall"]),
                    _blank(norm["comment"]), None) + tuple(item(r[k]) for k in ITEMS))
    return sort_sheets(out)


def expected_wjx_text() -> list[tuple]:
    df = pd.read_excel(SAMPLES / "wjx_text_self.xlsx", dtype=str)
    items = [c for c in df.columns if c.startswith("第3题(")]
    assert len(items) == 22
    party = {"中共党员": "党员", "群众": "非党员"}
    out = []
    for r in df.to_dict("records"):
        dept = DEPT_NAMES[r["1、您所在的部门："]]
        secs = int(r["所用时间"].removesuffix("秒"))
        out.append(("self", dept, dept, party[r["2、您的政治面貌："]], None, _blank(r["4、对本部门作风建设的意见建议："]),
                    secs < 60) + tuple(SCALE_TEXT[r[c]] for c in items))
    return sort_sheets(out)


def expected_wjx_code() -> list[tuple]:
    df = pd.read_csv(SAMPLES / "wjx_code_peer.csv", encoding="gbk", dtype=str, keep_default_na=False)
    items = list(df.columns[9:31])
    assert items[0].startswith("4、对习近平") and items[-1].startswith("25、")
    out = []
    for r in df.to_dict("records"):
        def code(s):
            return None if s in ("6", "-3") else int(s)
        ov = int(r["26、对该部门作风建设的总体评价："])
        out.append(("peer", DEPT_ORDER[int(r["1、您所在的部门："]) - 1], DEPT_ORDER[int(r["2、您评价的部门："]) - 1],
                    {"1": "党员", "2": "非党员"}[r["3、您的政治面貌："]], OVERALL[ov - 1] if ov <= 4 else None,
                    _blank(r["27、意见建议："]), int(r["所用时间"].removesuffix("秒")) < 45)
                   + tuple(code(r[c]) for c in items))
    return sort_sheets(out)


def expected_limesurvey() -> list[tuple]:
    df = pd.read_csv(SAMPLES / "limesurvey_peer.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    df = df[df["submitdate"] != ""]
    out = []
    for r in df.to_dict("records"):
        def code(s):
            return None if s == "AO06" else int(s.removeprefix("AO"))
        ov = int(r["G03Q01"].removeprefix("A"))
        out.append(("peer", DEPT_ORDER[int(r["G01Q01"][1:]) - 1], DEPT_ORDER[int(r["G01Q02"][1:]) - 1],
                    {"A1": "党员", "A2": "非党员"}[r["G01Q03"]], OVERALL[ov - 1] if ov <= 4 else None,
                    _blank(r["G03Q02"]), float(r["interviewtime"]) < 60)
                   + tuple(code(r[f"G02Q01[SQ{n:03d}]"]) for n in range(1, 23)))
    return sort_sheets(out)


CASES = {
    "template_csv": ("template_ballots.csv", None, "template",
                     lambda: expected_template(pd.read_csv(SAMPLES / "template_ballots.csv", encoding="utf-8-sig",
                                                           skiprows=[1], dtype=str, keep_default_na=False)
                                               .query("kind != ''"))),
    "template_xlsx": ("template_ballots.xlsx", None, "template",
                      lambda: expected_template(pd.read_excel(SAMPLES / "template_ballots.xlsx", sheet_name="答卷",
                                                              skiprows=[1], dtype=str))),
    "wjx_text_xlsx": ("wjx_text_self.xlsx", None, "wjx", expected_wjx_text),
    "wjx_code_gbk_csv": ("wjx_code_peer.csv", "wjx_code_peer.yaml", "wjx", expected_wjx_code),
    "limesurvey_csv": ("limesurvey_peer.csv", "limesurvey_peer.yaml", "limesurvey", expected_limesurvey),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_format_stores_what_the_file_says(open_round, case):
    engine, rnd = open_round
    name, mapping, fmt, expected = CASES[case]
    want = expected()
    r = import_file(engine, rnd, SAMPLES / name, mapping=None if mapping is None else SAMPLES / mapping)
    assert (r.format, r.stored, r.sheets) == (fmt, len(want), len(want))
    assert stored_sheets(engine, rnd) == want
    assert r.too_fast == sum(1 for w in want if w[6])
    with engine.connect() as c:
        from sqlalchemy import select

        from zuofeng.store import responses
        assert set(c.scalars(select(responses.c.source))) == {"import"}


def test_samples_cover_the_cases_they_claim():
    # The expectations above are only worth something if the files hold the awkward cases.
    t = (SAMPLES / "template_ballots.csv").read_bytes()
    assert t.startswith(b"\xef\xbb\xbf") and "３".encode() in t and "不了解".encode() in t
    w = (SAMPLES / "wjx_code_peer.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        w.decode("utf-8")
    assert ",-3," in w.decode("gbk") and "(空)" in w.decode("gbk")
    ls = (SAMPLES / "limesurvey_peer.csv").read_text(encoding="utf-8-sig")
    assert ls.startswith('"id","submitdate"') and '"AO06"' in ls and ',"",' in ls
    assert any(s[6] for s in expected_wjx_text()) and any(s[4] is None for s in expected_wjx_code())
    assert any(None in s[7:] for s in expected_wjx_code()) and any(s[6] for s in expected_limesurvey())


def test_limesurvey_unsubmitted_responses_are_left_out_and_said_so(open_round):
    engine, rnd = open_round
    r = import_file(engine, rnd, SAMPLES / "limesurvey_peer.csv", mapping=SAMPLES / "limesurvey_peer.yaml")
    assert any("2 incomplete" in n for n in r.notes)
    raw = pd.read_csv(SAMPLES / "limesurvey_peer.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert r.stored == (raw["submitdate"] != "").sum() == len(raw) - 2


def test_tool_metadata_is_never_stored(open_round):
    engine, rnd = open_round
    import_file(engine, rnd, SAMPLES / "wjx_text_self.xlsx")
    import_file(engine, rnd, SAMPLES / "limesurvey_peer.csv", mapping=SAMPLES / "limesurvey_peer.yaml")
    meta = pd.read_excel(SAMPLES / "wjx_text_self.xlsx", dtype=str)
    secrets = set(meta["来自IP"]) | set(meta["提交答卷时间"]) | set(meta["所用时间"])
    ls = pd.read_csv(SAMPLES / "limesurvey_peer.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    secrets |= {s for s in ls["seed"]} | {s for s in ls["submitdate"] if s}
    from sqlalchemy import inspect, text
    dump = []
    with engine.connect() as c:
        for table in inspect(engine).get_table_names():
            dump += [str(v) for row in c.execute(text(f'SELECT * FROM "{table}"')).all() for v in row]
    blob = "\n".join(dump)
    leaked = [s for s in secrets if s in blob]
    assert leaked == []
    assert "秒" not in blob and "浙江" not in blob


def test_a_bad_row_imports_nothing_and_every_problem_is_listed(open_round, tmp_path):
    engine, rnd = open_round
    lines = (SAMPLES / "template_ballots.csv").read_text(encoding="utf-8-sig").splitlines()
    body = lines[2].split(",")
    bad1 = ["peer", "NOPE"] + body[2:6] + ["7"] + body[7:]          # unknown department, value 7
    bad2 = body[:4] + ["优秀"] + body[5:12] + ["0"] + body[13:]       # overall on self, item 0
    p = tmp_path / "b.csv"
    p.write_text("\n".join(lines[:5] + [",".join(bad1)] + lines[5:9] + [",".join(bad2)]), encoding="utf-8")
    before = snapshot(engine)
    with pytest.raises(ImportProblems) as e:
        import_file(engine, rnd, p)
    where = {(pr.row, pr.column) for pr in e.value.problems}
    assert where == {(6, "department"), (6, "q01"), (11, "overall"), (11, "q07")}
    assert "：4 处问题，未导入任何内容；第一处：第 6 行，department 列：" in e.value.message
    assert "4 problems, nothing imported; first: row 6, column department: " in e.value.en
    assert snapshot(engine) == before


@pytest.mark.parametrize("body, row, column, message", [
    ("kind,department,q01\nself,BGS,1\n", 1, None, ("缺少列 q02", "missing column(s) q02")),
    ("kind,department,kind," + ",".join(ITEMS) + "\n", 1, "kind", ("重复的列", "duplicate column")),
    ("kind,department,qq," + ",".join(ITEMS) + "\n", 1, "qq", ("未知的列", "unknown column")),
])
def test_header_problems_name_row_and_column(open_round, tmp_path, body, row, column, message):
    engine, rnd = open_round
    p = tmp_path / "h.csv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(ImportProblems) as e:
        import_file(engine, rnd, p, format="template")
    first = e.value.problems[0]
    assert (first.row, first.column) == (row, column)
    assert message[0] in first.message and message[0] in e.value.message and message[0] in str(first)
    assert message[1] in first.en and message[1] in e.value.en and message[1] in first.in_lang("en")


def test_import_problems_survive_pickling():
    import pickle

    from zuofeng.io import Problem
    e = ImportProblems.of("f.csv", [Problem(3, "q01", "bad"), Problem(None, None, "worse")])
    again = pickle.loads(pickle.dumps(e))
    assert again.problems == e.problems and again.message == e.message and isinstance(again, InputFileError)


def test_dry_run_stores_nothing_even_in_a_draft_round(engine, roster_file):
    from zuofeng.rounds import create_round
    create_round(engine, "R0", title="草稿", roster=roster_file)
    before = snapshot(engine)
    r = import_file(engine, "R0", SAMPLES / "template_ballots.csv", dry_run=True)
    assert (r.dry_run, r.stored, r.sheets, r.round_status) == (True, 0, 24, "draft")
    assert snapshot(engine) == before
    with pytest.raises(RoundError, match="轮次 R0 状态为草稿，未开放：不接受答卷"):
        import_file(engine, "R0", SAMPLES / "template_ballots.csv")
    assert snapshot(engine) == before  # no fingerprint either


def test_same_content_is_refused_unless_forced_in_any_encoding(open_round, roster_file, tmp_path):
    engine, rnd = open_round
    first = import_file(engine, rnd, SAMPLES / "template_ballots.csv")
    gbk = tmp_path / "same_gbk.csv"
    gbk.write_bytes((SAMPLES / "template_ballots.csv").read_text(encoding="utf-8-sig").encode("gbk"))
    before = snapshot(engine)
    with pytest.raises(InputFileError, match=r"同样的内容已导入过（\d{4}-\d\d-\d\d 导入轮次 R1）.*--force"):
        import_file(engine, rnd, gbk)
    assert snapshot(engine) == before
    again = import_file(engine, rnd, gbk, force=True)
    assert again.fingerprint == first.fingerprint and again.stored == 24 and again.previous
    assert len(stored_sheets(engine, rnd)) == 48
    create_round(engine, "R2", title="中期", roster=roster_file)  # R1 is full: BGS (12 staff) has 10 inside-view sheets
    set_status(engine, "R2", "open")
    other = import_file(engine, "R2", SAMPLES / "template_ballots.xlsx")  # other ballots: another fingerprint
    assert other.fingerprint != first.fingerprint


def test_mapping_can_fix_the_department_for_a_whole_file(open_round, tmp_path):
    engine, rnd = open_round
    df = pd.read_excel(SAMPLES / "wjx_text_self.xlsx", dtype=str).drop(columns=["1、您所在的部门："])
    df = df.head(12)  # the whole file, as one department's, would outnumber KJG's Party members
    df.to_csv(tmp_path / "kjg.csv", index=False, encoding="gbk")
    (tmp_path / "m.yaml").write_text("department: KJG\n", encoding="utf-8")
    with pytest.raises(ImportProblems, match="没有一列给出填写人的部门"):
        import_file(engine, rnd, tmp_path / "kjg.csv")
    r = import_file(engine, rnd, tmp_path / "kjg.csv", mapping=tmp_path / "m.yaml")
    assert {s[1] for s in stored_sheets(engine, rnd)} == {"KJG"} and r.stored == len(df)


@pytest.mark.parametrize("text, message, en", [
    ("colums: {}\n", "未知的键 colums", "unknown key\\(s\\) colums"),
    ("kind: boss\n", "kind 应为 self、peer 之一", "kind must be one of self, peer"),
    ("values: {items: {A1: 7}}\n", "values.items.A1 应为 1..5 或 null", "values.items.A1 must be 1..5 or null"),
    ("columns: [1, 2]\n", "columns 应为映射", "columns must be a mapping"),
    ("format: [wjx\n", "不是有效的 YAML", "not valid YAML"),
])
def test_bad_mapping_files_are_refused(tmp_path, text, message, en):
    p = tmp_path / "m.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as e:
        load_mapping(p)
    assert re.search(en, e.value.en)


def test_mapping_naming_a_missing_column_is_a_problem(open_round, tmp_path):
    engine, rnd = open_round
    (tmp_path / "m.yaml").write_text("columns: {department: G09Q09}\n", encoding="utf-8")
    before = snapshot(engine)
    with pytest.raises(ImportProblems, match="department：没有列 'G09Q09'"):
        import_file(engine, rnd, SAMPLES / "limesurvey_peer.csv", mapping=tmp_path / "m.yaml")
    assert snapshot(engine) == before


def test_format_option_and_mapping_must_agree(open_round):
    engine, rnd = open_round
    with pytest.raises(InputFileError, match="--format wjx 与映射文件的格式 limesurvey 不一致"):
        import_file(engine, rnd, SAMPLES / "limesurvey_peer.csv", format="wjx", mapping=SAMPLES / "limesurvey_peer.yaml")


def test_import_on_both_backends_records_the_fingerprint_in_the_same_transaction(open_round, monkeypatch):
    """On SQLite and PostgreSQL: a failure after the sheets are written leaves neither sheets nor fingerprint."""
    engine, rnd = open_round
    import zuofeng.io.importer as imp
    before = snapshot(engine)

    real_insert = imp.import_fingerprints.insert

    class Boom(Exception):
        pass

    def failing_insert(*a, **k):
        raise Boom("disk full")

    monkeypatch.setattr(imp.import_fingerprints, "insert", failing_insert)
    with pytest.raises(Boom):
        import_file(engine, rnd, SAMPLES / "wjx_text_self.xlsx")
    assert snapshot(engine) == before
    monkeypatch.setattr(imp.import_fingerprints, "insert", real_insert)
    r = import_file(engine, rnd, SAMPLES / "wjx_text_self.xlsx")
    fps = snapshot(engine)[2]
    assert r.stored == 21 and len(fps) == 1 and fps[0][:4] == (rnd, r.fingerprint, "wjx", "21")


# --- 问卷星 and LimeSurvey header styles -------------------------------------------------------

def _wjx_file(tmp_path, item_headers: list[str], extra_first: list[str] = (), extra_last: list[str] = ()):
    """A small 问卷星 text download: 6 sheets of department BGS, item n answered (n % 5) + 1."""
    meta = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
    header = meta + list(extra_first) + item_headers + list(extra_last)
    rows = []
    for i in range(6):
        cells = [str(i + 1), "2022/3/1 9:00:00", "200秒", "微信", "N/A", "1.2.3.4(浙江-杭州)"]
        cells += ["办公室"] * len(extra_first)
        cells += [list(SCALE_TEXT)[n % 5] for n in range(1, 23)]
        cells += ["办公室"] * len(extra_last)
        rows.append(cells)
    p = tmp_path / "wjx.csv"
    with p.open("w", encoding="gbk", newline="") as f:
        import csv
        csv.writer(f).writerows([header, *rows])
    return p


def _items():
    from zuofeng.instrument import load_instrument
    return load_instrument().items


@pytest.mark.parametrize("style", ["matrix_labels", "q_numbers", "cut_titles", "numbered_full"])
def test_wjx_items_are_found_by_text_label_or_number(open_round, tmp_path, style):
    engine, rnd = open_round
    its = _items()
    if style == "matrix_labels":
        p = _wjx_file(tmp_path, [f"第2题({it.label.zh})" for it in its], extra_first=["1、您所在的部门："])
    elif style == "q_numbers":  # no titles at all: question N is item N; the department question after them
        p = _wjx_file(tmp_path, [f"Q{it.number}" for it in its], extra_last=["23、您所在的部门："])
    elif style == "cut_titles":  # long titles cut short by the download, numbered after a first question
        p = _wjx_file(tmp_path, [f"{it.number + 1}、{it.text.zh[:14]}…" for it in its], extra_first=["1、您所在的部门："])
    else:
        p = _wjx_file(tmp_path, [f"{it.number + 1}、{it.text.zh}" for it in its], extra_first=["1、所在部门"])
    r = import_file(engine, rnd, p)
    assert r.stored == 6
    assert {s[7:] for s in stored_sheets(engine, rnd)} == {tuple((n % 5) + 1 for n in range(1, 23))}
    assert {s[1] for s in stored_sheets(engine, rnd)} == {"BGS"}


def test_wjx_two_columns_for_one_item_is_a_problem(open_round, tmp_path):
    engine, rnd = open_round
    headers = [f"第2题({it.label.zh})" for it in _items()]
    p = _wjx_file(tmp_path, headers, extra_first=["1、您所在的部门："], extra_last=["第9题(理论学习流于形式)"])
    before = snapshot(engine)
    with pytest.raises(ImportProblems, match="条目 1 可能是其中任一列"):
        import_file(engine, rnd, p)
    assert snapshot(engine) == before


def test_limesurvey_items_without_a_mapping_when_one_array_has_a_row_per_item(open_round, tmp_path):
    engine, rnd = open_round
    (tmp_path / "m.yaml").write_text(
        "kind: peer\ncolumns: {department: G01Q01, target: G01Q02, category: G01Q03, overall: G03Q01, comment: G03Q02}\n"
        "values:\n  department: {A1: BGS, A2: XHB, A3: KPB, A4: KJG, A5: ZX}\n"
        "  target: {A1: BGS, A2: XHB, A3: KPB, A4: KJG, A5: ZX}\n", encoding="utf-8")
    r = import_file(engine, rnd, SAMPLES / "limesurvey_peer.csv", mapping=tmp_path / "m.yaml")
    # Default codes: AO01…AO05 are the scale, AO06 不了解; A1/A2 党员/非党员; A1…A4 好…差, A5 不了解.
    assert r.format == "limesurvey" and stored_sheets(engine, rnd) == expected_limesurvey()


def test_stored_order_is_not_the_files_order(open_round):
    """Rows are stored under random ids in random order: the table's own order says nothing of the file's."""
    engine, rnd = open_round
    import_file(engine, rnd, SAMPLES / "wjx_text_self.xlsx")
    from sqlalchemy import select

    from zuofeng.store import answers
    with engine.connect() as c:
        stored = c.execute(select(answers.c.response_id, answers.c.item, answers.c.value)).all()  # physical order
    by_sheet: dict[str, list] = {}
    for rid, item, value in stored:
        by_sheet.setdefault(rid, []).append(value)
    in_table = [tuple(v) for v in by_sheet.values()]
    df = pd.read_excel(SAMPLES / "wjx_text_self.xlsx", dtype=str)
    in_file = [tuple(SCALE_TEXT[df.at[i, c]] for c in df.columns if c.startswith("第3题(")) for i in range(len(df))]
    assert sorted(in_table, key=repr) == sorted(in_file, key=repr) and in_table != in_file


def test_the_data_sheet_is_found_behind_a_summary_sheet_or_named(open_round, tmp_path):
    from openpyxl import Workbook, load_workbook
    engine, rnd = open_round
    src = load_workbook(SAMPLES / "wjx_text_self.xlsx").active
    wb = Workbook()
    wb.active.title = "统计"
    wb.active.append(["选项", "小计"])
    data = wb.create_sheet("答卷数据")
    for row in src.iter_rows(values_only=True):
        data.append(row)
    p = tmp_path / "two_sheets.xlsx"
    wb.save(p)
    r = import_file(engine, rnd, p, dry_run=True)
    assert (r.sheet, r.sheets) == ("答卷数据", 21)
    for sheet, message in (("统计", "工作表（'统计'）中都没有录入模板、问卷星或 LimeSurvey的表头行"),
                           ("nope", "没有名为 'nope' 的工作表")):
        (tmp_path / "m.yaml").write_text(f"sheet: {sheet}\n", encoding="utf-8")
        with pytest.raises(InputFileError, match=message):
            import_file(engine, rnd, p, mapping=tmp_path / "m.yaml", dry_run=True)
