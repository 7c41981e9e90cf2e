"""Hostile and broken files: each is refused with a clear message, and the store is left exactly as it was.

The big or binary ones are generated here (seeded), not committed.
"""

from __future__ import annotations

import io
import random
import re
import zipfile

import pytest
from openpyxl import Workbook

from tests.io_support import SAMPLES, snapshot
from zuofeng.errors import InputFileError
from zuofeng.io import ImportProblems, import_file
from zuofeng.io.files import MAX_BYTES


@pytest.fixture
def roster_file(paper_roster_file):
    """This module's ballots carry no tokens: every department of its rounds votes on paper."""
    return paper_roster_file


ITEMS = [f"q{n:02d}" for n in range(1, 23)]
HEADER = "kind,department,target,category,overall,comment," + ",".join(ITEMS)
GOOD_ROW = "self,BGS,,党员,,," + ",".join(["2"] * 22)


def junk_bytes(tmp_path):
    p = tmp_path / "junk.csv"
    p.write_bytes(random.Random(1).randbytes(10 * 1024 * 1024))
    return p


def junk_text(tmp_path):
    rng = random.Random(2)
    alphabet = "abcdefghijklmnopqrstuvwxyz 0123456789作风问题整改"
    lines = ["".join(rng.choice(alphabet) for _ in range(2000)) for _ in range(100)]
    p = tmp_path / "junk_text.csv"
    p.write_text("\n".join(lines * 42), encoding="utf-8")  # 10 MB of plausible-looking text
    assert p.stat().st_size > 10 * 1024 * 1024
    return p


def binary(tmp_path):
    p = tmp_path / "image.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    return p


def nul_in_text(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_text(HEADER + "\n" + GOOD_ROW.replace("党员", "党\x00员") + "\n", encoding="utf-8")
    return p


def formulas(tmp_path):
    return SAMPLES / "hostile_formulas.csv"


def formula_cells_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(GOOD_ROW.split(","))
    ws["G2"] = "=1+2"  # q01 as a formula
    ws["F2"] = "=HYPERLINK(\"http://example.invalid\",\"click\")"
    p = tmp_path / "formula.xlsx"
    wb.save(p)
    return p


def wrong_sheet(tmp_path):
    return SAMPLES / "wjx_summary_only.xlsx"


def truncated_xlsx(tmp_path):
    data = (SAMPLES / "template_ballots.xlsx").read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def truncated_csv_row(tmp_path):
    text = (SAMPLES / "limesurvey_peer.csv").read_text(encoding="utf-8-sig")
    cut = text.index("\n", len(text) // 2) + 200  # inside a record, after a field
    cut = text.index('","', cut) + 1
    p = tmp_path / "cut.csv"
    p.write_text(text[:cut], encoding="utf-8-sig")
    return p


def truncated_csv_quote(tmp_path):
    text = (SAMPLES / "limesurvey_peer.csv").read_text(encoding="utf-8-sig")
    cut = text.index('"2022-11', len(text) // 2) + 5  # inside a quoted field
    p = tmp_path / "cut_quote.csv"
    p.write_text(text[:cut], encoding="utf-8-sig")
    return p


def mixed_encodings(tmp_path):
    lines = (SAMPLES / "template_ballots.csv").read_text(encoding="utf-8-sig").splitlines()
    p = tmp_path / "mixed.csv"
    p.write_bytes("\n".join(lines[:6]).encode("utf-8") + b"\n" + "\n".join(lines[6:]).encode("gbk"))
    return p


def neither_utf8_nor_gbk(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes(HEADER.encode() + b"\n" + GOOD_ROW.replace("党员", "").encode() + b",\xff\xfe\xff\n")
    return p


def utf16(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_bytes((HEADER + "\n" + GOOD_ROW + "\n").encode("utf-16"))
    return p


def old_xls(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    return p


def html_page(tmp_path):
    p = tmp_path / "download.xlsx"
    p.write_text("<!DOCTYPE html><html><head><title>问卷星 登录</title></head><body>请先登录</body></html>",
                 encoding="utf-8")
    return p


def oversize(tmp_path):
    p = tmp_path / "huge.csv"
    with p.open("wb") as f:
        f.write((HEADER + "\n").encode())
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    return p


def zip_bomb(tmp_path):
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            block = b"<row/>" * (1024 * 1024 // 6)
            for _ in range(270):
                f.write(block)
    assert p.stat().st_size < 2 * 1024 * 1024
    return p


def zip_not_xlsx(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    p = tmp_path / "archive.xlsx"
    p.write_bytes(buf.getvalue())
    return p


def empty(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"\n \r\n")
    return p


def long_cell(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text(HEADER + "\n" + GOOD_ROW.replace("党员,,,", "党员,," + "长" * 20000 + ",") + "\n", encoding="utf-8")
    return p


def too_many_columns(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text(HEADER + "," + ",".join(f"x{i}" for i in range(1200)) + "\n", encoding="utf-8")
    return p


def header_only(tmp_path):
    p = tmp_path / "header_only.csv"
    p.write_text(HEADER + "\n", encoding="utf-8")
    return p


def formula_in_limesurvey_comment(tmp_path):
    text = (SAMPLES / "limesurvey_peer.csv").read_text(encoding="utf-8-sig")
    p = tmp_path / "ls.csv"
    p.write_text(text.replace('"建议：公开整改台账"', '"=cmd|\' /C calc\'!A0"', 1), encoding="utf-8-sig")
    return p


CASES = {
    "10 MB of random bytes": (junk_bytes, None, InputFileError, "binary data"),
    "10 MB of random text": (junk_text, None, InputFileError, "has a header row of the template, 问卷星 or LimeSurvey"),
    "binary data named .csv": (binary, None, InputFileError, "binary data"),
    "NUL inside a text file": (nul_in_text, None, InputFileError, "binary data"),
    "=cmd| formulas in cells": (formulas, None, ImportProblems, "5 problems.*formula"),
    "formula cells in an .xlsx": (formula_cells_xlsx, None, ImportProblems, "formula"),
    "a workbook with the wrong sheet": (wrong_sheet, None, InputFileError, "no sheet \\('统计'\\) has a header row"),
    "an .xlsx cut in half": (truncated_xlsx, None, InputFileError, "not a readable .xlsx file"),
    "a CSV cut inside a row": (truncated_csv_row, "limesurvey_peer.yaml", InputFileError, "cut short"),
    "a CSV cut inside a quoted field": (truncated_csv_quote, "limesurvey_peer.yaml", InputFileError,
                                        "not a readable CSV file"),
    "UTF-8 and GBK mixed": (mixed_encodings, None, InputFileError, "mixed encodings: line 2 is UTF-8 but line 7 is GBK"),
    "neither UTF-8 nor GBK": (neither_utf8_nor_gbk, None, InputFileError, "unreadable encoding at line 2"),
    "UTF-16 text": (utf16, None, InputFileError, "UTF-16"),
    "an old .xls workbook": (old_xls, None, InputFileError, "old Excel .xls"),
    "an HTML page saved as .xlsx": (html_page, None, InputFileError, "HTML"),
    "larger than the size limit": (oversize, None, InputFileError, "larger than the limit of 16 MB"),
    "a zip bomb": (zip_bomb, None, InputFileError, "unpacks to .* MB, more than the limit"),
    "a zip that is not a workbook": (zip_not_xlsx, None, InputFileError, "not an .xlsx workbook"),
    "an empty file": (empty, None, InputFileError, "the file is empty"),
    "a 20,000-character cell": (long_cell, None, InputFileError, "longer than 10000 characters"),
    "1,200 extra columns": (too_many_columns, None, InputFileError, "more than 1000 columns"),
    "a header and no ballots": (header_only, None, ImportProblems, "no ballots"),
    "a formula in a LimeSurvey comment": (formula_in_limesurvey_comment, "limesurvey_peer.yaml", ImportProblems,
                                          "G03Q02: looks like a spreadsheet formula"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_and_the_store_is_unchanged(open_round, tmp_path, case):
    engine, rnd = open_round
    import_file(engine, rnd, SAMPLES / "template_ballots.csv")  # a store with data in it
    before = snapshot(engine)
    build, mapping, error, message = CASES[case]
    path = build(tmp_path)
    with pytest.raises(error) as e:
        import_file(engine, rnd, path, mapping=None if mapping is None else SAMPLES / mapping)
    assert re.search(message, e.value.en), e.value.en  # the patterns above are the English sentences
    assert e.value.message != e.value.en and "\n" not in e.value.message  # said in Chinese too, on one line
    assert snapshot(engine) == before
    # A dry run refuses the same way.
    with pytest.raises(error) as again:
        import_file(engine, rnd, path, mapping=None if mapping is None else SAMPLES / mapping, dry_run=True)
    assert (again.value.message, again.value.en) == (e.value.message, e.value.en)


def test_formula_problems_point_at_each_cell():
    from zuofeng.instrument import load_instrument
    from zuofeng.io import parse
    depts = {c: {"name": n} for c, n in (("BGS", "办公室"), ("KJG", "科技馆"))}
    with pytest.raises(ImportProblems) as e:
        parse(SAMPLES / "hostile_formulas.csv", load_instrument(), depts)
    assert {(p.row, p.column) for p in e.value.problems} == {
        (2, "comment"), (3, "department"), (4, "target"), (4, "q01"), (5, "comment")}


def test_a_missing_file_or_a_folder_is_refused(open_round, tmp_path):
    engine, rnd = open_round
    for p in (tmp_path / "nope.csv", tmp_path):
        with pytest.raises(InputFileError, match="找不到文件") as e:
            import_file(engine, rnd, p)
        assert e.value.en == f"file not found: {p}"
