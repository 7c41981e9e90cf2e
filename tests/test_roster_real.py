"""Rosters as offices keep them: title rows and merged cells, Chinese headers, full-width digits, 合计."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from tests.io_support import SAMPLES
from zuofeng.errors import InputFileError
from zuofeng.roster import read_roster

EXPECTED = [("BGS", "办公室", "机关部室", 12, 9, "机关", ("XHB",)),
            ("XHB", "学会部", "机关部室", 8, 6, "机关", ()),
            ("KPB", "科普部", "机关部室", 10, 7, "机关", ("BGS",)),
            ("KJG", "科技馆", "事业单位", 25, 12, "事业单位", ()),
            ("ZX", "服务中心", "中心", 4, 3, "事业单位", ())]


def _tuples(rows):
    return [(r.code, r.name, r.unit_type, r.headcount, r.party_members, r.division, r.peer_targets) for r in rows]


def test_office_workbook_with_title_rows_merged_cells_and_total():
    # Title merged over A1:G1, a note row, a blank row, the unit type merged down three offices,
    # full-width digits, a 合计 row with formulas, trailing blank rows.
    assert _tuples(read_roster(SAMPLES / "roster_office.xlsx")) == EXPECTED


def test_gbk_csv_with_chinese_headers_full_width_digits_and_total():
    raw = (SAMPLES / "roster_chinese_gbk.csv").read_bytes()
    assert "１２".encode("gbk") in raw and "合计".encode("gbk") in raw
    assert _tuples(read_roster(SAMPLES / "roster_chinese_gbk.csv")) == EXPECTED


def _write(tmp_path, rows, name="r.xlsx"):
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    p = tmp_path / name
    wb.save(p)
    return p


HEAD = ["code", "name", "unit_type", "headcount", "party_members"]


def test_a_total_that_disagrees_is_refused_with_its_line(tmp_path):
    p = _write(tmp_path, [["部门名单"], HEAD, ["A", "甲", "机关部室", 5, 2], ["B", "乙", "机关部室", 6, 3],
                          [None, "合计", None, 12, 5]])
    with pytest.raises(InputFileError, match="第 5 行：合计行的 headcount（人数）为 12，但各部门合计为 11") as e:
        read_roster(p)
    assert "line 5: the 合计 row says headcount 12, but the departments add up to 11" in e.value.en
    p = _write(tmp_path, [HEAD, ["A", "甲", "机关部室", 5, 2], ["B", "乙", "机关部室", 6, 3], ["总计", None, None, 11, 4]],
               "r2.xlsx")
    with pytest.raises(InputFileError, match="第 4 行：总计行的 party_members（党员人数）为 4，但各部门合计为 5") as e:
        read_roster(p)
    assert "line 4: the 总计 row says party_members 4, but the departments add up to 5" in e.value.en


def test_subtotal_rows_are_left_out(tmp_path):
    p = _write(tmp_path, [HEAD, ["A", "甲", "机关部室", 5, 2], ["小计", None, None, 5, 2],
                          ["B", "乙", "事业单位", 6, 3], ["小计", None, None, 6, 3], [None, "合计", None, 11, 5]])
    assert [(r.code, r.headcount) for r in read_roster(p)] == [("A", 5), ("B", 6)]


def test_line_numbers_are_the_files_own_after_title_and_blank_rows(tmp_path):
    p = _write(tmp_path, [["2022年名单"], [], HEAD, ["A", "甲", "机关部室", 5, 2], [], ["B", "乙", "机关部室", "6人", 3]])
    with pytest.raises(InputFileError, match="第 6 行：headcount 必须是整数，而不是 '6人'") as e:
        read_roster(p)
    assert "line 6: headcount must be a whole number, not '6人'" in e.value.en


def test_merged_cells_inside_the_table_fill_their_range(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD + ["division"])
    ws.append(["A", "甲", "机关部室", 5, 2, "机关"])
    ws.append(["B", "乙", None, 6, 3, None])
    ws.append(["C", "丙", None, 7, 3, None])
    ws.merge_cells("C2:C4")
    ws.merge_cells("F2:F4")
    p = tmp_path / "m.xlsx"
    wb.save(p)
    assert [(r.code, r.unit_type, r.division) for r in read_roster(p)] == [
        ("A", "机关部室", "机关"), ("B", "机关部室", "机关"), ("C", "机关部室", "机关")]


def test_without_a_header_row_the_message_is_unchanged(tmp_path):
    p = _write(tmp_path, [["2022年名单"], ["部门", "人数"], ["甲", 5]])
    with pytest.raises(InputFileError, match="名册缺少列 code, unit_type") as e:
        read_roster(p)
    assert "roster lacks column(s) code, unit_type" in e.value.en


def test_a_full_width_code_is_read_as_ascii(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("code,name,unit_type,headcount\nＢＧＳ,办公室,机关部室,１２\n", encoding="utf-8")
    assert [(r.code, r.headcount) for r in read_roster(p)] == [("BGS", 12)]
