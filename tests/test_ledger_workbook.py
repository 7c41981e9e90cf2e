"""The ledger workbook: what it contains, a lossless round trip through Excel, and hostile workbooks
refused with the store unchanged."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.ledger_support import dump, simulated_round
from zuofeng.ledger import (
    LedgerProblems,
    entries_frame,
    export_workbook,
    history_frame,
    import_workbook,
    init_ledger,
    update_entry,
)
from zuofeng.ledger.deadlines import Deadline, read_deadline
from zuofeng.ledger.workbook import HEADER, LEDGER_SHEET, META_SHEET, SPARE_ROWS
from zuofeng.simulate import Effects
from zuofeng.store import get_round, open_engine

COL = {h: get_column_letter(i) for i, h in enumerate(HEADER, start=1)}

# KJG rated worse on six items by itself and its own colleagues, so that its workbook has rows enough for
# the edits below whatever else the simulated round flags
KJG_PROBLEMS = Effects(items={("KJG", view, item): 1.2 for view in ("self", "peer_inside")
                              for item in (2, 4, 6, 8, 13, 17)})


@pytest.fixture
def ledger(sqlite_url):
    engine = open_engine(sqlite_url)
    simulated_round(engine, "B", effects=KJG_PROBLEMS)
    init_ledger(engine, "B")
    assert len(entries_frame(engine, "B", "KJG")) >= 5
    yield engine
    engine.dispose()


def _fill(ws, rows: range):
    """Fill rows as a department would: text with Chinese punctuation, a leading dash, a line break,
    real date cells, every status, evidence where closing."""
    statuses = ["整改中", "已完成", "已销号", "未启动"]
    for n, r in enumerate(rows):
        ws[f"{COL['整改措施']}{r}"] = f"- 第{n + 1}项：每月召开一次推进会；\n由责任人建立台账，逐项销号。"
        ws[f"{COL['责任领导']}{r}"] = "陈馆长"
        ws[f"{COL['责任人']}{r}"] = f"刘建国{n}"
        ws[f"{COL['完成时限']}{r}"] = dt.datetime(2022, 6, 30) + dt.timedelta(days=n)
        ws[f"{COL['状态']}{r}"] = statuses[n % 4]
        if statuses[n % 4] in ("已完成", "已销号"):
            ws[f"{COL['佐证材料']}{r}"] = "会议纪要、整改方案（共3份）"
            ws[f"{COL['佐证文件']}{r}"] = f"佐证-{n}.pdf"
        ws[f"{COL['审核意见']}{r}"] = "同意" if n % 2 else None


def _entry_rows(ws) -> range:
    """The rows of the exported entries (those with an 编号), below the header."""
    return range(2, 2 + sum(1 for (v,) in ws.iter_rows(min_row=2, max_col=1, values_only=True) if v is not None))


def _cells(path):
    ws = load_workbook(path)[LEDGER_SHEET]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_workbook_a_department_fills_in(ledger, tmp_path):
    path = export_workbook(ledger, "B", tmp_path / "KJG.xlsx", department="KJG")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "说明" and LEDGER_SHEET in wb.sheetnames
    assert "已销号必须填写佐证材料" in "".join(str(c.value) for c in wb["说明"]["A"] if c.value)
    ws = wb[LEDGER_SHEET]
    assert [c.value for c in ws[1]] == HEADER
    assert ws.freeze_panes == "B2"
    assert ws.protection.sheet
    n = len(entries_frame(ledger, "B", "KJG"))
    assert ws.max_row == n + 1 + SPARE_ROWS and list(_entry_rows(ws)) == list(range(2, n + 2))
    for r in range(2, n + 2):
        for h in ("编号", "部门代码", "部门", "条目", "问题"):
            assert ws[f"{COL[h]}{r}"].protection.locked, h
        for h in ("整改措施", "状态", "完成时限", "佐证材料"):
            assert not ws[f"{COL[h]}{r}"].protection.locked, h
        assert ws[f"{COL['完成时限']}{r}"].number_format == "yyyy-mm-dd"
        assert ws[f"{COL['部门代码']}{r}"].value == "KJG"
        assert ws[f"{COL['问题']}{r}"].fill.fgColor.rgb.endswith("DDDDDD")  # key columns are grey
    for r in range(n + 2, n + 2 + SPARE_ROWS):  # the rows for 自查问题 are open in every column
        assert all(not ws[f"{COL[h]}{r}"].protection.locked for h in HEADER)
        assert all(ws[f"{COL[h]}{r}"].value is None for h in HEADER)
    last = n + 1 + SPARE_ROWS
    kinds = {dv.type: (dv.formula1, str(dv.sqref), dv.prompt) for dv in ws.data_validations.dataValidation}
    assert kinds["list"][:2] == ('"未启动,整改中,已完成,已销号"', f"{COL['状态']}2:{COL['状态']}{last}")
    # the deadline column prompts for the forms it reads but checks no date: 长期坚持 is a deadline too
    assert kinds[None][1] == f"{COL['完成时限']}2:{COL['完成时限']}{last}" and "长期坚持" in kinds[None][2]
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    fields = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert (fields["round"], fields["department"]) == ("B", "KJG")


@pytest.mark.parametrize("department", ["KJG", None])
def test_round_trip_is_lossless(ledger, tmp_path, department):
    first = export_workbook(ledger, "B", tmp_path / "a.xlsx", department=department)
    wb = load_workbook(first)
    ws = wb[LEDGER_SHEET]
    _fill(ws, _entry_rows(ws))
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    r = import_workbook(ledger, filled)
    assert r.entries == len(_entry_rows(ws)) and r.changed_entries == r.entries and r.added_entries == 0
    h = history_frame(ledger, "B")
    assert set(h.loc[h["field"] != "created", "recorded_by"]) == {"import filled.xlsx"}
    again = export_workbook(ledger, "B", tmp_path / "b.xlsx", department=department)
    assert _cells(again) == _cells(filled)
    e = entries_frame(ledger, "B", department)
    assert e["measure"].str.startswith("- 第").all() and e["measure"].str.contains("\n").all()
    assert e["deadline"].iloc[0] == dt.date(2022, 6, 30)
    before = dump(ledger)
    again_result = import_workbook(ledger, again, by="刘建国")
    assert again_result.changed_fields == 0 and dump(ledger) == before  # nothing new, nothing recorded


def test_dry_run_stores_nothing(ledger, tmp_path):
    wb = load_workbook(export_workbook(ledger, "B", tmp_path / "a.xlsx", department="KJG"))
    _fill(wb[LEDGER_SHEET], range(2, 4))
    wb.save(tmp_path / "f.xlsx")
    before = dump(ledger)
    r = import_workbook(ledger, tmp_path / "f.xlsx", dry_run=True, by="x")
    assert r.dry_run and r.changed_entries == 2 and r.changed_fields > 4
    assert dump(ledger) == before


def _refused(ledger, path, *expected):
    before = dump(ledger)
    with pytest.raises(LedgerProblems) as e:
        import_workbook(ledger, path, by="x")
    text = "\n".join([e.value.message, e.value.en, *(p.en for p in e.value.problems)])
    for x in expected:
        assert x in text, text
    for p in e.value.problems:  # each problem is Chinese by default, at the same cell as its English
        place, said = str(p).split("：", 1)
        assert p.en.startswith(place + ": ") and re.search("[\u4e00-\u9fff]", said) and p.in_lang("en") == p.en, p
        assert p.in_lang("zh") == str(p) != p.en
    assert dump(ledger) == before
    return e.value


def _edited(ledger, tmp_path, edit, department="KJG", name="edited.xlsx"):
    wb = load_workbook(export_workbook(ledger, "B", tmp_path / "a.xlsx", department=department))
    _fill(wb[LEDGER_SHEET], range(2, 4))  # valid changes alongside: none of them may be stored either
    edit(wb)
    wb.save(tmp_path / name)
    return tmp_path / name


def test_edited_key_columns_are_refused(ledger, tmp_path):
    def edit(wb):
        ws = wb[LEDGER_SHEET]
        ws[f"{COL['问题']}2"] = "问题改了"
        ws[f"{COL['条目']}3"] = 1
        ws[f"{COL['部门代码']}4"] = "BGS"
    e = _refused(ledger, _edited(ledger, tmp_path, edit), f"整改台账!{COL['问题']}2 (问题): key column edited",
                 f"整改台账!{COL['条目']}3 (条目): key column edited", f"整改台账!{COL['部门代码']}4 (部门代码)")
    assert len(e.problems) == 3
    assert f"整改台账!{COL['问题']}2 (问题)：关键列被改动（数据库中为 " in str(e.problems[0])


def test_a_workbook_of_another_round_or_department_is_refused(ledger, tmp_path):
    from tests.ledger_support import simulated_round as make
    make(ledger, "C", previous="B", seed=5, effects=KJG_PROBLEMS)
    init_ledger(ledger, "C")
    wb = load_workbook(export_workbook(ledger, "C", tmp_path / "c.xlsx", department="KJG"))
    meta = wb[META_SHEET]
    meta["B2"] = "B"  # pretend to be round B: its entries are not B's
    wb.save(tmp_path / "c-as-b.xlsx")
    _refused(ledger, tmp_path / "c-as-b.xlsx", "is not an entry of round B")

    def other(wb):
        wb[META_SHEET]["B3"] = "XSB"
    _refused(ledger, _edited(ledger, tmp_path, other), "belongs to KJG, not to this workbook's department XSB")

    def unknown(wb):
        wb[META_SHEET]["B2"] = "2099-final"
    _refused(ledger, _edited(ledger, tmp_path, unknown), "这是轮次 '2099-final' 的工作簿，但本数据库中没有这个轮次",
             "round '2099-final', which is not in this store")

    xsb = int(entries_frame(ledger, "B", "XSB")["id"].iloc[0])

    def swapped(wb):
        wb[LEDGER_SHEET]["A2"] = xsb
    _refused(ledger, _edited(ledger, tmp_path, swapped), f"entry {xsb} belongs to XSB")


def test_backwards_status_is_refused_unless_reopened(ledger, tmp_path):
    eid = int(entries_frame(ledger, "B", "KJG")["id"].iloc[0])
    update_entry(ledger, eid, by="x", status="已完成")

    def back(wb):
        wb[LEDGER_SHEET][f"{COL['状态']}2"] = "整改中"
    path = _edited(ledger, tmp_path, back)
    _refused(ledger, path, f"整改台账!{COL['状态']}2 (状态): status may not move back from 已完成 to 整改中")
    import_workbook(ledger, path, reopen=True, by="x")
    assert entries_frame(ledger, "B").set_index("id").loc[eid, "status"] == "整改中"


def test_formulas_are_refused(ledger, tmp_path):
    def formulas(wb):
        ws = wb[LEDGER_SHEET]
        ws[f"{COL['整改措施']}2"] = '=HYPERLINK("http://evil.example","点击")'
        ws[f"{COL['问题']}3"] = "=1+1"
        wb["说明"]["C1"] = "=cmd|' /C calc'!A0"
    e = _refused(ledger, _edited(ledger, tmp_path, formulas), f"整改台账!{COL['整改措施']}2 (整改措施)",
                 f"整改台账!{COL['问题']}3 (问题)", "说明!C1: a formula", "a formula")
    assert sum("formula" in p.en for p in e.problems) == 3
    assert sum("公式；不接受公式" in p for p in e.problems) == 3


def test_oversize_and_non_workbooks_are_refused(ledger, tmp_path):
    from zuofeng.errors import InputFileError
    from zuofeng.io.files import MAX_BYTES
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (MAX_BYTES + 1))
    before = dump(ledger)
    with pytest.raises(InputFileError, match="超过导入文件 16 MB 的上限"):
        import_workbook(ledger, big, by="x")
    (tmp_path / "t.xlsx").write_text("编号,状态\n1,已完成\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="不是 .xlsx 工作簿（请用 zuofeng ledger export 导出）"):
        import_workbook(ledger, tmp_path / "t.xlsx", by="x")
    from openpyxl import Workbook
    Workbook().save(tmp_path / "plain.xlsx")
    with pytest.raises(LedgerProblems, match="不是 zuofeng 的台账工作簿（缺少隐藏工作表"):
        import_workbook(ledger, tmp_path / "plain.xlsx", by="x")
    assert dump(ledger) == before


def test_a_renamed_sheet_and_an_old_xls_say_what_to_do(ledger, tmp_path):
    from zuofeng.errors import InputFileError
    from zuofeng.io.files import OLE_MAGIC

    def rename(wb):
        wb[LEDGER_SHEET].title = "台账"
    e = _refused(ledger, _edited(ledger, tmp_path, rename), f"缺少工作表 {LEDGER_SHEET}（现有工作表：说明、台账）",
                 f"the sheet {LEDGER_SHEET} is missing", "sheets found: 说明, 台账",
                 f"rename the ledger sheet back to {LEDGER_SHEET}")
    assert META_SHEET not in e.en.split("found:")[1]   # the hidden sheet is not offered as a candidate
    assert META_SHEET not in e.message.split("现有工作表：")[1]
    old = tmp_path / "old.xls"
    old.write_bytes(OLE_MAGIC + b"\0" * 512)
    with pytest.raises(InputFileError) as x:
        import_workbook(ledger, old, by="x")
    assert x.value.message.endswith("请先另存为 .xlsx")   # a ledger is never read from .csv
    assert x.value.en.endswith("save it as .xlsx first")


def test_a_workbook_unpacking_beyond_the_limit_is_refused(ledger, tmp_path, monkeypatch):
    from zuofeng.errors import InputFileError
    from zuofeng.io import files
    path = export_workbook(ledger, "B", tmp_path / "a.xlsx")
    monkeypatch.setattr(files, "MAX_UNZIPPED", 1000)  # the answer import's limit, lowered for the test
    before = dump(ledger)
    with pytest.raises(InputFileError, match="工作簿解压后为"):
        import_workbook(ledger, path, by="x")
    assert dump(ledger) == before


def test_bad_values_are_listed_with_sheet_row_and_column(ledger, tmp_path):
    def bad(wb):
        ws = wb[LEDGER_SHEET]
        ws[f"{COL['状态']}2"] = "已销号"
        ws[f"{COL['佐证材料']}2"] = None
        ws[f"{COL['完成时限']}3"] = "下个月"
        ws[f"{COL['状态']}4"] = "搞定了"
        ws[f"{COL['责任人']}5"] = "张" * 101
        ws[f"{COL['整改措施']}5"] = "措" * 2001
        ws[f"{COL['整改措施']}{ws.max_row + 1}"] = "新增一行，没有问题"
        ws[f"{COL['审核意见']}6"] = "好"
        ws["P6"] = "表外"
        ws.append(list(next(ws.iter_rows(min_row=7, max_row=7, values_only=True))))  # a repeated row
    e = _refused(ledger, _edited(ledger, tmp_path, bad),
                 f"整改台账!{COL['佐证材料']}2 (佐证材料): 已销号 (closed) needs evidence",
                 f"整改台账!{COL['完成时限']}3 (完成时限): deadline not understood: '下个月'",
                 f"整改台账!{COL['状态']}4 (状态): status '搞定了' is not allowed",
                 f"整改台账!{COL['责任人']}5 (责任人): person is longer than 100 characters",
                 f"整改台账!{COL['整改措施']}5 (整改措施): measure is longer than 2000 characters",
                 "a row without 编号 is a 自查问题 and needs its problem", "整改台账!P6", "repeats row 7")
    assert len(e.problems) == 8


def test_import_on_sqlite_and_postgresql(engine, tmp_path):
    simulated_round(engine, "B", effects=KJG_PROBLEMS)
    init_ledger(engine, "B")
    assert len(entries_frame(engine, "B", "KJG")) >= 5
    wb = load_workbook(export_workbook(engine, "B", tmp_path / "a.xlsx", department="KJG"))
    ws = wb[LEDGER_SHEET]
    _fill(ws, _entry_rows(ws))
    wb.save(tmp_path / "filled.xlsx")
    ws[f"{COL['问题']}2"] = "问题改了"
    wb.save(tmp_path / "hostile.xlsx")
    _refused(engine, tmp_path / "hostile.xlsx", "key column edited")
    import_workbook(engine, tmp_path / "filled.xlsx", by="刘建国")
    again = export_workbook(engine, "B", tmp_path / "b.xlsx", department="KJG")
    assert _cells(again) == _cells(tmp_path / "filled.xlsx")


# --- workbooks as departments fill them ----------------------------------------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    ("2027年3月底", dt.date(2027, 3, 31)), ("2027年2月末", dt.date(2027, 2, 28)), ("2028年2月底", dt.date(2028, 2, 29)),
    ("3月31日", dt.date(2026, 3, 31)), ("6月底", dt.date(2026, 6, 30)), ("2027.3.31", dt.date(2027, 3, 31)),
    ("2027/3/31", dt.date(2027, 3, 31)), ("2027年3月31日", dt.date(2027, 3, 31)), ("2027年3月1号", dt.date(2027, 3, 1)),
    ("2027年3月31日前", dt.date(2027, 3, 31)), ("２０２７年３月底", dt.date(2027, 3, 31)), ("2027年底", dt.date(2027, 12, 31)),
    (" 2027-03-31 ", dt.date(2027, 3, 31)), (dt.datetime(2027, 3, 31), dt.date(2027, 3, 31)),
    (dt.date(2027, 3, 31), dt.date(2027, 3, 31)), ("长期坚持", "standing"), (None, None), ("  ", None)])
def test_deadlines_as_departments_write_them(cell, expected):
    got = read_deadline(cell, 2026)
    assert got == (Deadline(None, standing=True) if expected == "standing" else Deadline(expected))


@pytest.mark.parametrize("cell", ["下个月", "2027-02-30", "13月1日", "2027年3月", "3.31", "尽快", 46477,
                                  dt.datetime(2027, 3, 31, 9, 30), True])
def test_what_is_not_a_deadline_is_refused(cell):
    with pytest.raises(ValueError):
        read_deadline(cell, 2026)


def test_a_workbook_as_a_department_fills_it(ledger, tmp_path):
    """Deadlines in Chinese forms, a 自查问题 row in the spare rows, a merged 责任领导 cell: imported, and
    exported again as the store now has it."""
    wb = load_workbook(export_workbook(ledger, "B", tmp_path / "a.xlsx", department="KJG"))
    ws = wb[LEDGER_SHEET]
    rows = _entry_rows(ws)
    ids = [ws[f"A{r}"].value for r in rows]
    ws[f"{COL['完成时限']}2"] = "2027年3月底"
    ws[f"{COL['完成时限']}3"] = "3月31日"
    ws[f"{COL['完成时限']}4"] = "长期坚持"
    ws[f"{COL['责任领导']}2"] = "王主任"
    ws.merge_cells(f"{COL['责任领导']}2:{COL['责任领导']}4")
    own = rows.stop  # the first spare row
    ws[f"{COL['问题']}{own}"] = "  会议多、文件多，基层负担重  "
    ws[f"{COL['整改措施']}{own}"] = "每月合并会议，压减文件三成"
    ws[f"{COL['完成时限']}{own}"] = "2027.6.30"
    ws[f"{COL['状态']}{own}"] = "整改中"
    wb.save(tmp_path / "filled.xlsx")

    r = import_workbook(ledger, tmp_path / "filled.xlsx", by="刘建国")
    assert r.added_entries == 1 and r.entries == len(rows) + 1
    note = (f"merged cells 整改台账!{COL['责任领导']}2:{COL['责任领导']}4: its value was filled into "
            "each of the 3 rows it spans")
    assert r.notes == (note,)
    e = entries_frame(ledger, "B", "KJG").set_index("id")
    assert e.loc[ids[0], "deadline"] == dt.date(2027, 3, 31)
    with ledger.connect() as conn:  # a date without a year takes the round's year
        year = (get_round(conn, "B")["closed_on"]).year
    assert e.loc[ids[1], "deadline"] == dt.date(year, 3, 31)
    assert e.loc[ids[2], "deadline"] is None and e.loc[ids[2], "standing"]
    assert not e.loc[ids[0], "standing"] and not e.loc[ids[3], "standing"]
    assert e.loc[ids[:3], "leader"].tolist() == ["王主任"] * 3 and e.loc[ids[3], "leader"] is None
    added = e[~e.index.isin(ids)]
    assert len(added) == 1
    new = added.iloc[0]
    assert (new["department"], new["problem"], new["measure"], new["deadline"], new["status"]) == (
        "KJG", "会议多、文件多，基层负担重", "每月合并会议，压减文件三成", dt.date(2027, 6, 30), "整改中")
    assert pd.isna(new["item"])
    h = history_frame(ledger, "B")
    assert h.loc[(h["entry_id"] == added.index[0]) & (h["field"] == "created"), "recorded_by"].tolist() == ["刘建国"]

    again = load_workbook(export_workbook(ledger, "B", tmp_path / "b.xlsx", department="KJG"))[LEDGER_SHEET]
    assert again[f"{COL['完成时限']}4"].value == "长期坚持"
    assert [again[f"{COL['责任领导']}{r}"].value for r in (2, 3, 4)] == ["王主任"] * 3
    assert len(_entry_rows(again)) == len(rows) + 1
    before = dump(ledger)
    assert import_workbook(ledger, tmp_path / "b.xlsx").changed_fields == 0 and dump(ledger) == before


def test_dry_run_counts_a_new_row_and_stores_nothing(ledger, tmp_path):
    wb = load_workbook(export_workbook(ledger, "B", tmp_path / "a.xlsx", department="KJG"))
    ws = wb[LEDGER_SHEET]
    ws[f"{COL['问题']}{_entry_rows(ws).stop}"] = "自查：值班制度落实不到位"
    wb.save(tmp_path / "f.xlsx")
    before = dump(ledger)
    r = import_workbook(ledger, tmp_path / "f.xlsx", dry_run=True)
    assert r.added_entries == 1 and dump(ledger) == before


def test_bad_own_rows_and_merged_key_cells_are_refused_with_their_cells(ledger, tmp_path):
    def bad(wb):
        ws = wb[LEDGER_SHEET]
        spare = _entry_rows(ws).stop
        ws.merge_cells(f"{COL['问题']}2:{COL['问题']}3")
        ws[f"{COL['问题']}{spare}"] = "别的部门的问题"
        ws[f"{COL['部门代码']}{spare}"] = "BGS"
        ws[f"{COL['问题']}{spare + 1}"] = "自查问题挂在条目上"
        ws[f"{COL['条目']}{spare + 1}"] = 3
        ws[f"{COL['完成时限']}{spare + 2}"] = "年底前"
        ws[f"{COL['整改措施']}{spare + 2}"] = "没有写问题"
    spare = len(entries_frame(ledger, "B", "KJG")) + 2
    e = _refused(ledger, _edited(ledger, tmp_path, bad),
                 f"整改台账!{COL['问题']}2:{COL['问题']}3: merged cells over the header or a key column (问题)",
                 f"整改台账!{COL['部门代码']}{spare} (部门代码): 'BGS' is not this workbook's department KJG",
                 f"整改台账!{COL['条目']}{spare + 1} (条目): a 自查问题 row has no item",
                 f"整改台账!{COL['问题']}{spare + 2} (问题): a row without 编号 is a 自查问题",
                 f"整改台账!{COL['问题']}3 (问题): key column edited")
    assert len(e.problems) == 5, e.problems


def test_an_all_departments_workbook_takes_own_rows_with_their_code(ledger, tmp_path):
    wb = load_workbook(export_workbook(ledger, "B", tmp_path / "a.xlsx"))
    ws = wb[LEDGER_SHEET]
    spare = _entry_rows(ws).stop
    ws[f"{COL['问题']}{spare}"] = "自查：台账更新不及时"
    ws[f"{COL['部门代码']}{spare}"] = "BGS"
    ws[f"{COL['问题']}{spare + 1}"] = "没有部门代码"
    wb.save(tmp_path / "f.xlsx")
    _refused(ledger, tmp_path / "f.xlsx", f"整改台账!{COL['部门代码']}{spare + 1} (部门代码): 自查问题 needs the "
             "department's code")
    ws[f"{COL['部门代码']}{spare + 1}"] = "KJG"
    wb.save(tmp_path / "f.xlsx")
    assert import_workbook(ledger, tmp_path / "f.xlsx").added_entries == 2
    e = entries_frame(ledger, "B")
    assert e.loc[e["problem"] == "自查：台账更新不及时", "department"].tolist() == ["BGS"]
    assert e.loc[e["problem"] == "没有部门代码", "department"].tolist() == ["KJG"]
