"""The import command: problem lists with a limit, dry runs, templates that round-trip, usage errors."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook

from tests.io_support import SAMPLES, snapshot, stored_sheets
from zuofeng.cli import main
from zuofeng.cli_options import PROBLEMS_SHOWN


@pytest.fixture
def roster_file(paper_roster_file):
    """This module's ballots carry no tokens: every department of its rounds votes on paper."""
    return paper_roster_file


ITEMS = [f"q{n:02d}" for n in range(1, 23)]


@pytest.fixture
def cli_round(open_round):
    engine, rnd = open_round
    return engine, rnd, engine.url.render_as_string(hide_password=False)


def test_problems_are_listed_up_to_a_limit_then_counted(cli_round, tmp_path, capsys):
    engine, rnd, url = cli_round
    p = tmp_path / "bad.csv"
    rows = [["kind", "department", *ITEMS]] + [["self", "BGS", *(["9"] * 22)] for _ in range(3)]
    with p.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    before = snapshot(engine)
    assert main(["import", rnd, str(p), "--db", url]) == 2
    err = capsys.readouterr().err.splitlines()
    listed = [line for line in err if line.startswith("  第 ")]
    assert len(listed) == PROBLEMS_SHOWN and listed[0].startswith("  第 2 行，q01 列：'9' 不是答案；请用 1–5")
    assert err[-2] == f"  ……另有 {66 - PROBLEMS_SHOWN} 处"
    assert err[-1].startswith(f"zuofeng: error: {p}：66 处问题，未导入任何内容；第一处：第 2 行，q01 列：")
    assert main(["import", rnd, str(p), "--db", url, "--lang", "en"]) == 2
    err = capsys.readouterr().err.splitlines()
    listed = [line for line in err if line.startswith("  row ")]
    assert len(listed) == PROBLEMS_SHOWN and listed[0].startswith("  row 2, column q01: '9' is not an answer")
    assert not any("不是答案" in line for line in err)
    assert snapshot(engine) == before


def test_dry_run_then_import_then_refused_repeat(cli_round, capsys):
    engine, rnd, url = cli_round
    f = str(SAMPLES / "wjx_code_peer.csv")
    m = str(SAMPLES / "wjx_code_peer.yaml")
    assert main(["import", rnd, f, "--mapping", m, "--dry-run", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "试导入" in out and "21 份答卷全部有效；未存入任何内容" in out and stored_sheets(engine, rnd) == []
    assert main(["import", rnd, f, "--mapping", m, "--db", url]) == 0
    assert "导入 21 份答卷" in capsys.readouterr().out
    assert main(["import", rnd, f, "--mapping", m, "--db", url]) == 2
    assert "同样的内容已导入过" in capsys.readouterr().err
    # forced, the same sheets again would outnumber XHB's staff (8): the count voids it, nothing stored
    assert main(["import", rnd, f, "--mapping", m, "--force", "--db", url]) == 2
    assert "多于在编人数 8" in capsys.readouterr().err
    assert len(stored_sheets(engine, rnd)) == 21


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_template_written_by_the_command_round_trips(cli_round, tmp_path, suffix, capsys):
    engine, rnd, url = cli_round
    t = tmp_path / f"t{suffix}"
    assert main(["import", "--template", str(t), rnd, "--db", url]) == 0
    ballots = [["", "self", "KJG", "", "党员", "", "", *[str(1 + i % 5) for i in range(22)]],
               ["", "peer", "KPB", "BGS", "", "较好", "请多下基层", *(["2"] * 21 + ["不了解"])]]
    if suffix == ".xlsx":
        wb = load_workbook(t)
        assert wb.sheetnames == ["答卷", "说明", "部门"] and wb["答卷"].freeze_panes == "D3"
        assert [r[0] for r in wb["部门"].iter_rows(min_row=2, values_only=True)] == ["BGS", "KJG", "KPB", "XHB", "ZX"]
        for b in ballots:
            wb["答卷"].append([int(c) if c.isdigit() else (c or None) for c in b])
        wb.save(t)
    else:  # a spreadsheet saves every column of the header, the 民主测评 table's empty ones too
        width = len(next(csv.reader(t.open(encoding="utf-8-sig"))))
        with t.open("a", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(b + [""] * (width - len(b)) for b in ballots)
    assert main(["import", rnd, str(t), "--db", url]) == 0
    got = stored_sheets(engine, rnd)
    assert [(s[0], s[1], s[2], s[3], s[4], s[5]) for s in got] == [
        ("peer", "KPB", "BGS", None, "较好", "请多下基层"), ("self", "KJG", "KJG", "党员", None, None)]
    assert got[0][7:] == (2,) * 21 + (None,)


def test_usage_errors(cli_round, tmp_path, capsys):
    _engine, rnd, url = cli_round
    assert main(["import", rnd, "--db", url]) == 2
    assert "请给出 ROUND 和 FILE" in capsys.readouterr().err
    assert main(["import", rnd, str(SAMPLES / "template_ballots.csv"), "--template", str(tmp_path / "t.csv")]) == 2
    assert "只能给一个" in capsys.readouterr().err
    assert main(["import", "--template", str(tmp_path / "t.txt")]) == 2
    assert "模板文件应以 .xlsx 或 .csv 结尾" in capsys.readouterr().err
