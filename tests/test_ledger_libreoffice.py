"""The ledger workbook through LibreOffice, as departments that fill it in LibreOffice Calc send it back:
an exported workbook opened and saved by ``soffice --headless --convert-to xlsx`` imports unchanged, and
one filled with a deadline written as people write it, a 自查问题 row and a merged cell imports as the
README describes. Required on CI (``.ci/run`` installs ``libreoffice-calc-nogui``)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.ledger_support import dump, simulated_round
from tests.support.ci import require_or_skip
from zuofeng.ledger import entries_frame, export_workbook, import_workbook, init_ledger
from zuofeng.ledger.workbook import HEADER, LEDGER_SHEET, META_SHEET
from zuofeng.store import open_engine

pytestmark = pytest.mark.slow

COL = {h: get_column_letter(i) for i, h in enumerate(HEADER, start=1)}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture
def ledger(sqlite_url):
    engine = open_engine(sqlite_url)
    simulated_round(engine, "B")
    init_ledger(engine, "B")
    from zuofeng.ledger.entries import add_entry
    from zuofeng.ledger.entries import entries_frame as frame
    for item in (3, 5, 9, 13):   # KJG has at least four entries, whatever the simulated round flags
        if len(frame(engine, "B", "KJG")) < 4:
            add_entry(engine, "B", "KJG", f"第{item}项问题", item=item, by="测试")
    yield engine
    engine.dispose()


def through_libreoffice(path: Path, tmp_path: Path) -> Path:
    """``path`` opened and saved again as .xlsx by LibreOffice Calc (headless, a profile of its own)."""
    require_or_skip(SOFFICE is not None, "LibreOffice (soffice) is not installed")
    out = tmp_path / "libreoffice"
    out.mkdir(exist_ok=True)
    r = subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                       check=False, capture_output=True, text=True, timeout=240)
    saved = out / path.name
    assert r.returncode == 0 and saved.exists(), r.stdout + r.stderr
    assert saved.read_bytes() != path.read_bytes()  # really written again, by LibreOffice
    return saved


def test_an_exported_workbook_saved_by_libreoffice_imports_unchanged(ledger, tmp_path):
    exported = export_workbook(ledger, "B", tmp_path / "KJG.xlsx", department="KJG")
    saved = through_libreoffice(exported, tmp_path)
    wb = load_workbook(saved)
    assert wb.sheetnames == load_workbook(exported).sheetnames
    assert META_SHEET in wb.sheetnames and wb[META_SHEET].sheet_state != "visible"  # still hidden
    before = dump(ledger)
    r = import_workbook(ledger, saved)
    assert (r.entries, r.changed_entries, r.changed_fields, r.added_entries, r.notes) == (
        len(entries_frame(ledger, "B", "KJG")), 0, 0, 0, ())
    assert dump(ledger) == before


def test_a_workbook_filled_and_saved_in_libreoffice_imports_as_described(ledger, tmp_path):
    """2027年3月底 read as 2027-03-31, 长期坚持 as a standing measure, a 自查问题 row added as a new entry of
    the department, a merged 责任领导 cell filled into the rows it spans and said in the notes."""
    exported = export_workbook(ledger, "B", tmp_path / "KJG.xlsx", department="KJG")
    wb = load_workbook(exported)
    ws = wb[LEDGER_SHEET]
    n = sum(1 for (v,) in ws.iter_rows(min_row=2, max_col=1, values_only=True) if v is not None)
    ids = [ws[f"A{r}"].value for r in range(2, n + 2)]
    ws[f"{COL['完成时限']}2"] = "2027年3月底"
    ws[f"{COL['完成时限']}3"] = "长期坚持"
    ws[f"{COL['整改措施']}2"] = "每月召开一次推进会，由责任人逐项销号"
    ws[f"{COL['状态']}2"] = "整改中"
    ws[f"{COL['责任领导']}2"] = "王主任"
    ws.merge_cells(f"{COL['责任领导']}2:{COL['责任领导']}4")
    own = n + 2  # the first spare row
    ws[f"{COL['问题']}{own}"] = "会议多、文件多，基层负担重"
    ws[f"{COL['整改措施']}{own}"] = "每月合并会议，压减文件三成"
    ws[f"{COL['完成时限']}{own}"] = "2027.6.30"
    ws[f"{COL['状态']}{own}"] = "整改中"
    filled = tmp_path / "filled" / "KJG.xlsx"
    filled.parent.mkdir()
    wb.save(filled)
    saved = through_libreoffice(filled, tmp_path)
    assert f"{COL['责任领导']}2:{COL['责任领导']}4" in {str(m) for m in load_workbook(saved)[LEDGER_SHEET]
                                                       .merged_cells.ranges}  # LibreOffice kept the merge

    r = import_workbook(ledger, saved, by="刘建国")
    assert r.added_entries == 1 and r.entries == n + 1
    assert r.notes == ((f"merged cells 整改台账!{COL['责任领导']}2:{COL['责任领导']}4: its value was filled "
                       "into each of the 3 rows it spans"),)
    e = entries_frame(ledger, "B", "KJG").set_index("id")
    assert e.loc[ids[0], "deadline"] == dt.date(2027, 3, 31) and not e.loc[ids[0], "standing"]
    assert e.loc[ids[0], "status"] == "整改中" and e.loc[ids[0], "measure"] == "每月召开一次推进会，由责任人逐项销号"
    assert e.loc[ids[1], "deadline"] is None and e.loc[ids[1], "standing"]
    assert e.loc[ids[:3], "leader"].tolist() == ["王主任"] * 3 and e.loc[ids[3], "leader"] is None
    added = e[~e.index.isin(ids)].iloc[0]
    assert (added["department"], added["problem"], added["measure"], added["deadline"], added["status"]) == (
        "KJG", "会议多、文件多，基层负担重", "每月合并会议，压减文件三成", dt.date(2027, 6, 30), "整改中")
