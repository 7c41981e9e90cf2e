"""The ledger workbook: what it contains, a lossless round trip through Excel, and hostile workbooks
refused with the store unchanged."""

from __future__ import annotations

import datetime as dt

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
from zuofeng.ledger.workbook import HEADER, LEDGER_SHEET, META_SHEET
from zuofeng.store import open_engine

COL = {h: get_column_letter(i) for i, h in enumerate(HEADER, start=1)}


@pytest.fixture
def ledger(sqlite_url):
    engine = open_engine(sqlite_url)
    simulated_round(engine, "B")
    init_ledger(engine, "B")
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
    assert ws.max_row == n + 1
    for r in range(2, n + 2):
        for h in ("编号", "部门代码", "部门", "条目", "问题"):
            assert ws[f"{COL[h]}{r}"].protection.locked, h
        for h in ("整改措施", "状态", "完成时限", "佐证材料"):
            assert not ws[f"{COL[h]}{r}"].protection.locked, h
        assert ws[f"{COL['完成时限']}{r}"].number_format == "yyyy-mm-dd"
        assert ws[f"{COL['部门代码']}{r}"].value == "KJG"
        assert ws[f"{COL['问题']}{r}"].fill.fgColor.rgb.endswith("DDDDDD")  # key columns are grey
    kinds = {dv.type: (dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation}
    assert kinds["list"] == ('"未启动,整改中,已完成,已销号"', f"{COL['状态']}2:{COL['状态']}{n + 1}")
    assert kinds["date"][1] == f"{COL['完成时限']}2:{COL['完成时限']}{n + 1}"
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    fields = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert (fields["round"], fields["department"]) == ("B", "KJG")


@pytest.mark.parametrize("department", ["KJG", None])
def test_round_trip_is_lossless(ledger, tmp_path, department):
    first = export_workbook(ledger, "B", tmp_path / "a.xlsx", department=department)
    wb = load_workbook(first)
    ws = wb[LEDGER_SHEET]
    _fill(ws, range(2, ws.max_row + 1))
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    r = import_workbook(ledger, filled)
    assert r.entries == ws.max_row - 1 and r.changed_entries == r.entries
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
    text = "\n".join([e.value.message, *e.value.problems])
    for x in expected:
        assert x in text, text
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
    e = _refused(ledger, _edited(ledger, tmp_path, edit), f"row 2, column {COL['问题']} (问题): key column edited",
                 f"row 3, column {COL['条目']} (条目): key column edited", f"row 4, column {COL['部门代码']} (部门代码)")
    assert len(e.problems) == 3


def test_a_workbook_of_another_round_or_department_is_refused(ledger, tmp_path):
    from tests.ledger_support import simulated_round as make
    make(ledger, "C", previous="B", seed=5)
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
    _refused(ledger, _edited(ledger, tmp_path, unknown), "round '2099-final', which is not in this store")

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
    _refused(ledger, path, f"row 2, column {COL['状态']} (状态): status may not move back from 已完成 to 整改中")
    import_workbook(ledger, path, reopen=True, by="x")
    assert entries_frame(ledger, "B").set_index("id").loc[eid, "status"] == "整改中"


def test_formulas_are_refused(ledger, tmp_path):
    def formulas(wb):
        ws = wb[LEDGER_SHEET]
        ws[f"{COL['整改措施']}2"] = '=HYPERLINK("http://evil.example","点击")'
        ws[f"{COL['问题']}3"] = "=1+1"
        wb["说明"]["C1"] = "=cmd|' /C calc'!A0"
    e = _refused(ledger, _edited(ledger, tmp_path, formulas), f"sheet 整改台账, row 2, column {COL['整改措施']}",
                 f"sheet 整改台账, row 3, column {COL['问题']}", "sheet 说明, row 1, column C", "a formula")
    assert sum("formula" in p for p in e.problems) == 3


def test_oversize_and_non_workbooks_are_refused(ledger, tmp_path):
    from zuofeng.errors import InputFileError
    from zuofeng.io.files import MAX_BYTES
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (MAX_BYTES + 1))
    before = dump(ledger)
    with pytest.raises(InputFileError, match="larger than the limit"):
        import_workbook(ledger, big, by="x")
    (tmp_path / "t.xlsx").write_text("编号,状态\n1,已完成\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not an .xlsx workbook"):
        import_workbook(ledger, tmp_path / "t.xlsx", by="x")
    from openpyxl import Workbook
    Workbook().save(tmp_path / "plain.xlsx")
    with pytest.raises(LedgerProblems, match="not a zuofeng ledger workbook"):
        import_workbook(ledger, tmp_path / "plain.xlsx", by="x")
    assert dump(ledger) == before


def test_a_workbook_unpacking_beyond_the_limit_is_refused(ledger, tmp_path, monkeypatch):
    from zuofeng.errors import InputFileError
    from zuofeng.io import files
    path = export_workbook(ledger, "B", tmp_path / "a.xlsx")
    monkeypatch.setattr(files, "MAX_UNZIPPED", 1000)  # the answer import's limit, lowered for the test
    before = dump(ledger)
    with pytest.raises(InputFileError, match="unpacks to"):
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
        ws[f"A{ws.max_row + 1}"] = None
        ws[f"{COL['问题']}{ws.max_row + 1}"] = "新增一行"
        ws[f"{COL['审核意见']}6"] = "好"
        ws["P6"] = "表外"
        ws.append(list(next(ws.iter_rows(min_row=7, max_row=7, values_only=True))))  # a repeated row
    e = _refused(ledger, _edited(ledger, tmp_path, bad),
                 f"row 2, column {COL['佐证材料']} (佐证材料): 已销号 (closed) needs evidence",
                 f"row 3, column {COL['完成时限']} (完成时限): not a date",
                 f"row 4, column {COL['状态']} (状态): status '搞定了' is not allowed",
                 f"row 5, column {COL['责任人']} (责任人): person is longer than 100 characters",
                 f"row 5, column {COL['整改措施']} (整改措施): measure is longer than 2000 characters",
                 "no entry number (rows may not be added", "row 6, column P", "repeats row 7")
    assert len(e.problems) == 8


def test_import_on_sqlite_and_postgresql(engine, tmp_path):
    simulated_round(engine, "B")
    init_ledger(engine, "B")
    wb = load_workbook(export_workbook(engine, "B", tmp_path / "a.xlsx", department="KJG"))
    ws = wb[LEDGER_SHEET]
    _fill(ws, range(2, ws.max_row + 1))
    wb.save(tmp_path / "filled.xlsx")
    ws[f"{COL['问题']}2"] = "问题改了"
    wb.save(tmp_path / "hostile.xlsx")
    _refused(engine, tmp_path / "hostile.xlsx", "key column edited")
    import_workbook(engine, tmp_path / "filled.xlsx", by="刘建国")
    again = export_workbook(engine, "B", tmp_path / "b.xlsx", department="KJG")
    assert _cells(again) == _cells(tmp_path / "filled.xlsx")
