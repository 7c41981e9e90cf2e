"""问卷星 and LimeSurvey exports laid out as those services write them, imported without a hand-written
item mapping: matrix columns ``N、(row)`` and ``N、row``, renumbered questions, a matrix split into one
question per dimension, LimeSurvey groups per dimension, code, code-and-text and full-text headers.

Each file is written here from seeded answers. What the import stores is checked against item means
computed from the raw file with pandas and this module's own decoding tables, never with zuofeng's.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import func, select

from zuofeng.cli import main
from zuofeng.errors import InputFileError
from zuofeng.instrument import load_instrument
from zuofeng.io import ImportProblems, import_file
from zuofeng.store import answers, responses

INST = load_instrument()
ITEMS = INST.items
DIMS = [[it.number for it in d.items] for d in INST.dimensions]
DEPTS = {"BGS": "办公室", "XHB": "学会部", "KPB": "科普部", "KJG": "科技馆", "ZX": "服务中心"}
ORDER = list(DEPTS)
SCALE = ["不存在", "个别存在", "一定程度存在", "比较突出", "非常突出"]
OVERALL = ["好", "较好", "一般", "差"]
WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
LS_META = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]


def people(seed: int, n: int, peer: bool) -> list[dict]:
    """Seeded respondents: department, rated department, party member or not, 22 answers (None = 不了解)."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        dept = rng.choice(ORDER)
        level = 1.5 + ORDER.index(dept) * 0.4
        items = [None if rng.random() < 0.07 else min(5, max(1, round(rng.gauss(level, 0.9)))) for _ in ITEMS]
        out.append({"dept": dept, "target": rng.choice(ORDER) if peer else dept, "party": rng.random() < 0.6,
                    "items": items, "overall": (rng.randint(1, 4) if rng.random() > 0.1 else None) if peer else None,
                    "comment": "建议减少会议" if k % 7 == 0 else "",
                    "secs": 35 if k % 9 == 4 else rng.randint(30, 600)})
    return out


def wjx_meta(seq: int, p: dict) -> list:
    return [seq, f"2022/3/{1 + seq % 20} 10:{seq % 60:02d}:{seq * 7 % 60:02d}", f"{p['secs']}秒", "微信", "N/A",
            f"112.10.{seq}.9(浙江-杭州)"]


def write_xlsx(path, header: list[str], rows: list[list]) -> None:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def write_csv(path, header: list[str], rows: list[list], *, encoding: str, quote_all: bool = False,
              trailing_blank: bool = False) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    if trailing_blank:
        buf.write("\r\n")
    path.write_bytes(buf.getvalue().encode(encoding))


# --- the exports -----------------------------------------------------------------------------------
# Each writer returns (file, the 22 item headers in item order, how each cell reads as a number).

def wjx_matrix_text_xlsx(tmp_path):
    """按选项文本 .xlsx, peer survey: one 矩阵单选 of 22 rows headed ``4、(official text)``."""
    ps = people(1, 30, peer=True)
    items = [f"4、({it.text.zh})" for it in ITEMS]
    header = WJX_META + ["1、您所在的部门：", "2、您评价的部门：", "3、您的政治面貌：", *items,
                         "5、您对该部门作风建设的总体评价：", "6、您的意见和建议："]
    rows = [wjx_meta(s, p) + [DEPTS[p["dept"]], DEPTS[p["target"]], "中共党员" if p["party"] else "群众",
                              *["不了解" if a is None else SCALE[a - 1] for a in p["items"]],
                              "不了解" if p["overall"] is None else OVERALL[p["overall"] - 1], p["comment"] or "(空)"]
            for s, p in enumerate(ps, 1)]
    f = tmp_path / "wjx_matrix.xlsx"
    write_xlsx(f, header, rows)
    return f, items, {t: i + 1 for i, t in enumerate(SCALE)} | {"不了解": np.nan}


def variant(text: str, k: int) -> str:
    """The official text as units retype it: half-width commas, spaces, the place name filled in."""
    t = text.replace("，", ",") if k % 2 else text.replace("、", " 、")
    return t.replace("**", "浙江").replace("*", "浙江") if k % 3 == 2 else t


def wjx_renumbered_codes_gbk(tmp_path):
    """按选项序号, GBK .csv, self survey: extra questions first, so the matrix is question 7, headed
    ``7、row text`` (no brackets), texts retyped with other punctuation and the ``*`` filled in."""
    ps = people(2, 26, peer=False)
    ps[3]["items"][10] = "skip"
    items = [f"7、{variant(it.text.zh, k)}" for k, it in enumerate(ITEMS)]
    header = WJX_META + ["1、您的性别：", "2、您的年龄段：", "3、您所在的部门：", "4、您的政治面貌：", "5、(其他)",
                         "6、您在本单位工作的年限：", *items, "8、意见建议："]
    rows = [wjx_meta(s, p) + [str(1 + s % 2), str(1 + s % 4), str(ORDER.index(p["dept"]) + 1),
                              "1" if p["party"] else "2", "", str(1 + s % 3),
                              *["-3" if a == "skip" else "6" if a is None else str(a) for a in p["items"]],
                              p["comment"] or "(空)"]
            for s, p in enumerate(ps, 1)]
    f = tmp_path / "wjx_renumbered.csv"
    write_csv(f, header, rows, encoding="gbk")
    return f, items, {str(i): float(i) for i in range(1, 6)} | {"6": np.nan, "-3": np.nan}


def wjx_split_positions_xlsx(tmp_path):
    """按选项文本 .xlsx, self survey: the matrix split into five questions (one per dimension), rows
    titled only by their number within the question."""
    ps = people(3, 24, peer=False)
    items = [f"{3 + d}、({k + 1})" for d, dim in enumerate(DIMS) for k in range(len(dim))]
    header = WJX_META + ["1、您所在的部门：", "2、您的政治面貌：", *items, "8、意见建议："]
    rows = [wjx_meta(s, p) + [DEPTS[p["dept"]], "中共党员" if p["party"] else "群众",
                              *["不了解" if a is None else SCALE[a - 1] for a in p["items"]], p["comment"] or "(空)"]
            for s, p in enumerate(ps, 1)]
    f = tmp_path / "wjx_split.xlsx"
    write_xlsx(f, header, rows)
    return f, items, {t: i + 1 for i, t in enumerate(SCALE)} | {"不了解": np.nan}


def wjx_split_labels_gbk(tmp_path):
    """按选项文本, GBK .csv, peer survey: five matrix questions numbered 5-9 whose rows are the
    instrument's short labels, in a shuffled order within each question."""
    ps = people(4, 28, peer=True)
    rng = random.Random(9)
    order = [n for dim in DIMS for n in rng.sample(dim, len(dim))]
    first = {n: 5 + d for d, dim in enumerate(DIMS) for n in dim}
    cols = [f"{first[n]}、({ITEMS[n - 1].label.zh})" for n in order]
    header = WJX_META + ["1、所在部门：", "2、被评部门：", "3、政治面貌：", "4、您的性别：", *cols,
                         "10、总体评价：", "11、意见建议："]
    rows = [wjx_meta(s, p) + [DEPTS[p["dept"]], DEPTS[p["target"]], "党员" if p["party"] else "群众", "男",
                              *["不了解" if p["items"][n - 1] is None else SCALE[p["items"][n - 1] - 1] for n in order],
                              "不了解" if p["overall"] is None else OVERALL[p["overall"] - 1], p["comment"]]
            for s, p in enumerate(ps, 1)]
    f = tmp_path / "wjx_labels.csv"
    write_csv(f, header, rows, encoding="gbk")
    items = [cols[order.index(n)] for n in range(1, 23)]
    return f, items, {t: i + 1 for i, t in enumerate(SCALE)} | {"不了解": np.nan}


def ls_rows(ps: list[dict], dept_code, party, item, overall, secs) -> list[list]:
    rows = []
    for k, p in enumerate(ps, 1):
        done = f"2022-11-{1 + k % 9:02d} 09:{k % 60:02d}:00"
        rows.append([str(k), done, "9", "zh-Hans", str(100000 + k), done, done, dept_code(p["dept"]),
                     dept_code(p["target"]), party(p["party"]), *[item(a) for a in p["items"]],
                     overall(p["overall"]), p["comment"], secs(p["secs"])])
    rows.append([str(len(ps) + 1), "", "2", "zh-Hans", "7", "2022-11-09 09:00:00", "2022-11-09 09:01:00", "A1",
                 "A2", "", *[""] * 22, "", "", "12.5"])  # started, never submitted
    return rows


LS_CODES = {"AO0" + str(i): float(i) for i in range(1, 6)} | {"AO06": np.nan}


def ls_groups_code_and_text(tmp_path):
    """LimeSurvey "question code & question text" headers, one group per dimension (G02…G06), the
    subquestions numbered SQ001…SQ022 across the groups; answer codes; BOM, CRLF, blank last line."""
    ps = people(5, 27, peer=True)
    items, g = [], {n: 2 + d for d, dim in enumerate(DIMS) for n in dim}
    for it in ITEMS:
        items.append(f"G{g[it.number]:02d}Q01[SQ{it.number:03d}]. 请评价下列问题的存在程度 [{it.text.zh}]")
    header = LS_META + ["G01Q01. 您所在的部门", "G01Q02. 您评价的部门", "G01Q03. 您的政治面貌", *items,
                        "G07Q01. 总体评价（民主测评）", "G07Q02. 意见建议", "interviewtime"]
    rows = ls_rows(ps, lambda d: f"A{ORDER.index(d) + 1}", lambda b: "A1" if b else "A2",
                   lambda a: "AO06" if a is None else f"AO0{a}", lambda o: "A5" if o is None else f"A{o}",
                   lambda s: f"{s}.25")
    f = tmp_path / "ls_code_text.csv"
    write_csv(f, header, rows, encoding="utf-8-sig", quote_all=True, trailing_blank=True)
    return f, items, LS_CODES


def ls_groups_codes_only(tmp_path, *, restart: bool):
    """LimeSurvey "question code" headers, one group per dimension; subquestion codes restart in
    every group (SQ001…) or run on (SQ001…SQ022)."""
    ps = people(6, 25, peer=True)
    items = []
    for d, dim in enumerate(DIMS):
        for k, n in enumerate(dim, 1):
            items.append(f"G{d + 2:02d}Q01[SQ{(k if restart else n):03d}]")
    header = LS_META + ["G01Q01", "G01Q02", "G01Q03", *items, "G07Q01", "G07Q02", "interviewtime"]
    rows = ls_rows(ps, lambda d: f"A{ORDER.index(d) + 1}", lambda b: "A1" if b else "A2",
                   lambda a: "AO06" if a is None else f"AO0{a}", lambda o: "A5" if o is None else f"A{o}",
                   lambda s: str(s))
    f = tmp_path / "ls_codes.csv"
    write_csv(f, header, rows, encoding="utf-8-sig", quote_all=True, trailing_blank=True)
    return f, items, LS_CODES


def ls_full_text(tmp_path):
    """LimeSurvey "full question text" headers and full answer texts, one array per dimension."""
    ps = people(7, 22, peer=True)
    heading = {n: d.heading.zh for d in INST.dimensions for n in [it.number for it in d.items]}
    items = [f"{heading[it.number]} [{it.text.zh}]" for it in ITEMS]
    header = ["Response ID", "Date submitted", "Last page", "Start language", "Seed", "Date started",
              "Date last action", "您所在的部门", "您评价的部门", "您的政治面貌", *items, "总体评价", "意见建议",
              "Total time"]
    rows = ls_rows(ps, lambda d: DEPTS[d], lambda b: "中共党员" if b else "群众",
                   lambda a: "不了解" if a is None else SCALE[a - 1], lambda o: "不了解" if o is None else OVERALL[o - 1],
                   lambda s: str(s))
    rows[-1][7:9] = ["办公室", "学会部"]
    f = tmp_path / "ls_full_text.csv"
    write_csv(f, header, rows, encoding="utf-8-sig", quote_all=True, trailing_blank=True)
    return f, items, {t: i + 1 for i, t in enumerate(SCALE)} | {"不了解": np.nan}


def read_raw(path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    raw = path.read_bytes()
    enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gbk"
    df = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
    for col in ("submitdate", "Date submitted"):
        if col in df.columns:
            df = df[df[col] != ""]
    return df


def means_by_hand(path, items: list[str], codes: dict) -> tuple[int, np.ndarray]:
    """Sheets and item means from the raw file: the item columns read with this test's own table."""
    df = read_raw(path)
    values = df[items].apply(lambda col: col.map(codes)).astype(float)
    return len(df), values.mean(skipna=True).to_numpy()


def means_stored(engine, rnd) -> tuple[int, np.ndarray]:
    with engine.connect() as c:
        n = c.scalar(select(func.count()).select_from(responses).where(responses.c.round == rnd))
        rows = dict(c.execute(select(answers.c.item, func.avg(answers.c.value)).group_by(answers.c.item)).all())
    return n, np.array([float(rows[k]) for k in range(1, 23)])


DEPT_VALUES = "values:\n  department: {A1: BGS, A2: XHB, A3: KPB, A4: KJG, A5: ZX}\n" \
              "  target: {A1: BGS, A2: XHB, A3: KPB, A4: KJG, A5: ZX}\n"
CASES = {
    # name: (writer, mapping text or None, kind, how the items are matched)
    "wjx_matrix_text_xlsx": (wjx_matrix_text_xlsx, None, "peer", {"text"}),
    "wjx_renumbered_codes_gbk": (wjx_renumbered_codes_gbk, ("values:\n  department: {1: BGS, 2: XHB, 3: KPB, "
                                 "4: KJG, 5: ZX}\n"), "self", {"text"}),
    "wjx_split_positions_xlsx": (wjx_split_positions_xlsx, None, "self", {"position"}),
    "wjx_split_labels_gbk": (wjx_split_labels_gbk, None, "peer", {"text"}),
    "ls_groups_code_and_text": (ls_groups_code_and_text, DEPT_VALUES, "peer", {"text"}),
    "ls_groups_subquestion_codes": (lambda p: ls_groups_codes_only(p, restart=False),
                                    "columns: {department: G01Q01, target: G01Q02, category: G01Q03, overall: "
                                    "G07Q01, comment: G07Q02}\n" + DEPT_VALUES, "peer", {"subquestion code"}),
    "ls_groups_pattern": (lambda p: ls_groups_codes_only(p, restart=True),
                          "columns: {department: G01Q01, target: G01Q02, category: G01Q03, overall: G07Q01, "
                          "comment: G07Q02, items: 'G{g:02d}Q01[SQ{n:03d}]'}\n" + DEPT_VALUES, "peer", {"pattern"}),
    "ls_groups_position": (lambda p: ls_groups_codes_only(p, restart=True),
                           "columns: {department: G01Q01, target: G01Q02, category: G01Q03, overall: G07Q01, "
                           "comment: G07Q02}\n" + DEPT_VALUES, "peer", {"position"}),
    "ls_full_text": (ls_full_text, None, "peer", {"text"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_real_exports_import_and_item_means_match_the_raw_file(open_round, tmp_path, case):
    engine, rnd = open_round
    writer, mapping_text, kind, how = CASES[case]
    path, item_headers, codes = writer(tmp_path)
    mapping = None
    if mapping_text is not None:
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text(mapping_text, encoding="utf-8")
    dry = import_file(engine, rnd, path, mapping=mapping, dry_run=True)
    assert [(n, col) for n, col, _how in dry.columns] == list(enumerate(item_headers, 1))
    assert {h for _n, _c, h in dry.columns} == how
    r = import_file(engine, rnd, path, mapping=mapping)
    n_raw, means_raw = means_by_hand(path, item_headers, codes)
    n, means = means_stored(engine, rnd)
    assert r.stored == n == n_raw
    assert_allclose(means, means_raw, rtol=0, atol=1e-12)
    with engine.connect() as c:
        assert set(c.scalars(select(responses.c.kind))) == {kind}


def test_the_exports_hold_what_they_claim(tmp_path):
    f, items, _ = wjx_renumbered_codes_gbk(tmp_path)
    raw = f.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "浙江重要讲话" in raw.decode("gbk") and ",-3," in raw.decode("gbk") and not items[0].startswith("7、(")
    f, _, _ = ls_groups_code_and_text(tmp_path)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\"id\",\"submitdate\"") and raw.endswith(b"\r\n\r\n")
    f, items, _ = wjx_split_positions_xlsx(tmp_path)
    assert sorted({h.split("、")[0] for h in items}) == ["3", "4", "5", "6", "7"]


def test_who_rated_whom_and_category_come_from_the_raw_file(open_round, tmp_path):
    engine, rnd = open_round
    path, _items, _ = wjx_matrix_text_xlsx(tmp_path)
    import_file(engine, rnd, path)
    df = read_raw(path)
    names = {v: k for k, v in DEPTS.items()}
    want = sorted(zip(df["1、您所在的部门："].map(names), df["2、您评价的部门："].map(names),
                      df["3、您的政治面貌："].map({"中共党员": "党员", "群众": "非党员"})))
    with engine.connect() as c:
        got = sorted(c.execute(select(responses.c.rater, responses.c.target, responses.c.category)).all())
    assert [tuple(g) for g in got] == want


# --- mappings that say less --------------------------------------------------------------------------

def test_items_n_means_the_rows_of_question_n(open_round, tmp_path):
    engine, rnd = open_round
    path, headers, _ = wjx_matrix_text_xlsx(tmp_path)
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  items: 4\n", encoding="utf-8")
    r = import_file(engine, rnd, path, mapping=m, dry_run=True)
    assert [(n, c, h) for n, c, h in r.columns] == [(n, c, "mapping (position)") for n, c in enumerate(headers, 1)]
    m.write_text("columns:\n  items: 5\n", encoding="utf-8")
    with pytest.raises(ImportProblems, match="第 5 题 有 0 个矩阵行"):
        import_file(engine, rnd, path, mapping=m, dry_run=True)


def test_items_as_a_list_of_matrix_questions_takes_their_rows_in_order(open_round, tmp_path):
    engine, rnd = open_round
    path, headers, _ = wjx_split_positions_xlsx(tmp_path)
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  items: [3, 4, 5, 6, 7]\n", encoding="utf-8")
    r = import_file(engine, rnd, path, mapping=m, dry_run=True)
    assert [c for _n, c, _h in r.columns] == headers


def test_a_row_whose_text_sits_at_another_items_place_is_not_taken_by_position(open_round, tmp_path):
    engine, rnd = open_round
    path, headers, _ = wjx_split_positions_xlsx(tmp_path)
    df = pd.read_excel(path, dtype=str)
    # the first row of question 3 says it is item 2: texts and positions disagree, nothing is guessed
    df = df.rename(columns={headers[0]: f"3、({ITEMS[1].label.zh})"})
    bad = tmp_path / "bad.xlsx"
    write_xlsx(bad, list(df.columns), df.values.tolist())
    with pytest.raises(ImportProblems, match="找不到条目 .* 的列"):
        import_file(engine, rnd, bad, dry_run=True)


# --- the kind of each sheet ------------------------------------------------------------------------------

def test_a_file_with_an_overall_rating_is_a_peer_survey_without_a_mapping(open_round, tmp_path):
    engine, rnd = open_round
    path, _headers, _ = wjx_split_positions_xlsx(tmp_path)
    df = pd.read_excel(path, dtype=str, keep_default_na=False)
    df["9、总体评价："] = ["好", "较好", "一般", "差", "不了解", "好"] * 4
    f = tmp_path / "overall.xlsx"
    write_xlsx(f, list(df.columns), df.values.tolist())
    import_file(engine, rnd, f)
    with engine.connect() as c:
        rows = c.execute(select(responses.c.kind, responses.c.rater, responses.c.target)).all()
    assert {k for k, _r, _t in rows} == {"peer"} and all(r == t for _k, r, t in rows)  # inside view


def test_a_file_mixing_self_and_peer_sheets_is_refused_with_the_reason(open_round, tmp_path):
    engine, rnd = open_round
    path, _headers, _ = wjx_matrix_text_xlsx(tmp_path)
    df = pd.read_excel(path, dtype=str, keep_default_na=False)
    df.loc[[2, 5], "2、您评价的部门："] = "(跳过)"   # skipped by the survey's logic: a self sheet
    df.loc[[2, 5], "5、您对该部门作风建设的总体评价："] = "(跳过)"
    f = tmp_path / "mixed.xlsx"
    write_xlsx(f, list(df.columns), df.values.tolist())
    with pytest.raises(ImportProblems) as e:
        import_file(engine, rnd, f)
    msg = [str(p) for p in e.value.problems]
    assert any("混有自评和互评答卷" in m and "28 份评价某个部门" in m and "第 4、7" in m for m in msg)
    msg = [p.in_lang("en") for p in e.value.problems]
    assert any("mixes self and peer answer sheets" in m and "28 rate a department" in m and "rows 4, 7" in m
               for m in msg)
    m = tmp_path / "m.yaml"
    m.write_text("kind: peer\n", encoding="utf-8")  # the mapping decides: every sheet is peer
    assert import_file(engine, rnd, f, mapping=m).stored == 30


# --- patterns ------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, message, en", [
    ("G{g:02d}Q01[SQ{:03d}]", "中的占位符 {:03d} 有误", "bad placeholder"),
    ("G{g:02d}Q01[SQ{n:03d]", "有误（", "bad pattern"),
    ("G{g:02d}Q01[SQ{n!r}]", "中的占位符 {n!r} 有误", "bad placeholder"),
    ("G{g}Q{g}", "出现两次", "appears twice"),
])
def test_a_bad_pattern_is_one_line_and_exit_code_2(open_round, tmp_path, capsys, pattern, message, en):
    engine, rnd = open_round
    path, _, _ = ls_groups_codes_only(tmp_path, restart=True)
    m = tmp_path / "m.yaml"
    m.write_text(f"columns:\n  department: G01Q01\n  items: '{pattern}'\n", encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    assert main(["import", rnd, str(path), "--mapping", str(m), "--db", url]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert main(["import", rnd, str(path), "--mapping", str(m), "--db", url, "--lang", "en"]) == 2
    assert en in capsys.readouterr().err
    with pytest.raises(InputFileError):
        import_file(engine, rnd, path, mapping=m)


def test_a_pattern_that_matches_too_few_columns_says_so(open_round, tmp_path):
    engine, rnd = open_round
    path, _, _ = ls_groups_codes_only(tmp_path, restart=True)
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  department: G01Q01\n  items: 'G02Q01[SQ{n:03d}]'\n" + DEPT_VALUES, encoding="utf-8")
    with pytest.raises(ImportProblems, match="匹配了 5 列"):
        import_file(engine, rnd, path, mapping=m)


def test_dry_run_prints_the_item_column_table(open_round, tmp_path, capsys):
    engine, rnd = open_round
    path, headers, _ = wjx_split_positions_xlsx(tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["import", rnd, str(path), "--dry-run", "--db", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    top = next(k for k, line in enumerate(lines) if line.split() == ["题号", "列", "匹配方式"])
    table = [line.split() for line in lines[top + 2: top + 24]]
    assert table == [[f"q{n:02d}", h, "位置"] for n, h in enumerate(headers, 1)]


def test_other_ways_of_finding_items_are_named_in_the_dry_run(open_round, tmp_path):
    engine, rnd = open_round
    ps = people(8, 6, peer=False)
    # items asked as separate questions 1-22 whose titles are no item's text: question N is item N
    header = WJX_META + [f"{n}、第{n}题" for n in range(1, 23)] + ["23、您所在的部门："]
    rows = [wjx_meta(s, p) + ["不了解" if a is None else SCALE[a - 1] for a in p["items"]] + [DEPTS[p["dept"]]]
            for s, p in enumerate(ps, 1)]
    f = tmp_path / "numbers.xlsx"
    write_xlsx(f, header, rows)
    assert {h for _n, _c, h in import_file(engine, rnd, f, dry_run=True).columns} == {"question number"}
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  items: {" + ", ".join(f"{n}: {n}" for n in range(1, 23)) + "}\n", encoding="utf-8")
    assert {h for _n, _c, h in import_file(engine, rnd, f, mapping=m, dry_run=True).columns} == {"mapping"}
    t = tmp_path / "t.csv"
    t.write_text("kind,department," + ",".join(f"q{n:02d}" for n in range(1, 23)) + "\nself,BGS," + ",".join("1" * 22)
                 + "\n", encoding="utf-8")
    from zuofeng.io import parse
    parsed, _grid = parse(t, INST, {"BGS": {"name": "办公室"}})
    assert [h for _n, _c, h in parsed.columns] == ["column name"] * 22


@pytest.mark.parametrize("word, category", [
    ("党员", "党员"), ("中共党员", "党员"), ("中共预备党员", "党员"), ("预备党员", "党员"), ("群众", "非党员"),
    ("共青团员", "非党员"), ("团员", "非党员"), ("民主党派", "非党员"), ("民主党派成员", "非党员"), ("无党派", "非党员"),
    ("无党派人士", "非党员"), ("非中共党员", "非党员"), ("其他", "非党员"), ("非党员", "非党员"),
])
def test_category_words_as_the_readme_lists_them(word, category):
    from zuofeng.io.values import ValueReader
    assert ValueReader(INST, {}).category(word) == category


def duration_by_hand(path) -> int:
    """How many sheets the raw file says were answered in under 60 seconds."""
    df = read_raw(path)
    for col, unit in (("所用时间", "秒"), ("interviewtime", ""), ("Total time", "")):
        if col in df.columns:
            return int((df[col].str.removesuffix(unit).astype(float) < 60).sum())
    return 0


@pytest.mark.parametrize("writer", [wjx_matrix_text_xlsx, ls_groups_code_and_text, ls_full_text])
def test_durations_flag_fast_sheets_as_the_raw_file_says(open_round, tmp_path, writer):
    engine, rnd = open_round
    path, _items, _ = writer(tmp_path)
    mapping = None
    if writer is ls_groups_code_and_text:
        mapping = tmp_path / "m.yaml"
        mapping.write_text(DEPT_VALUES, encoding="utf-8")
    r = import_file(engine, rnd, path, mapping=mapping, dry_run=True)
    assert r.too_fast == duration_by_hand(path) > 0


def test_the_readme_dry_run_example_is_what_the_command_prints(open_round, tmp_path, capsys):
    engine, rnd = open_round
    from tests.manual import page
    readme = page("guide/import.md")
    block = readme.split("a 问卷星 download whose 矩阵单选 is question 4):\n\n```\n", 1)[1].split("```", 1)[0]
    path, _items, _ = wjx_matrix_text_xlsx(tmp_path)
    assert main(["import", rnd, str(path), "--dry-run", "--db", engine.url.render_as_string(hide_password=False)]) == 0
    out = capsys.readouterr().out
    assert block.strip().splitlines() == out[out.index("题号  列"):].splitlines()[:4]
