"""Ballot accounting on import: more sheets than a department has staff (or 党员 sheets than Party members)
void the count, as on paper, so the whole file is refused with the numbers and nothing is stored."""

from __future__ import annotations

import csv

import pytest

from tests.io_support import snapshot
from zuofeng.cli import main
from zuofeng.io import ImportProblems, import_file
from zuofeng.rounds import create_round, set_status

ITEMS = [f"q{n:02d}" for n in range(1, 23)]
HEADER = ["token", "kind", "department", "target", "category", "overall", "comment", *ITEMS]
ROSTER = """code,name,unit_type,headcount,party_members,paper
JG,机关党委,机关部室,3,2,是
BGS,办公室,机关部室,6,,是
"""


@pytest.fixture
def paper(engine, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R1", title="基线", roster=roster)
    set_status(engine, "R1", "open")
    return engine


def ballots(path, rows) -> str:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for kind, dept, category in rows:
            w.writerow(["", kind, dept, "", category, "", "", *[str(1 + i % 5) for i in range(22)]])
    return str(path)


def test_more_paper_ballots_than_headcount_exit_2_and_store_nothing(paper, tmp_path, capsys, monkeypatch):
    f = ballots(tmp_path / "b.csv", [("self", "JG", "")] * 4 + [("self", "BGS", "")] * 6)
    before = snapshot(paper)
    monkeypatch.setenv("ZUOFENG_DB", str(paper.url))
    assert main(["import", "R1", f]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("zuofeng: error:") and "未导入任何内容" in err[-1]
    assert len(err) == 2  # the one problem, then the error line
    assert "JG" in err[0] and "将有 4 份" in err[0] and "在编人数 3" in err[0] and "BGS" not in err[0]
    assert snapshot(paper) == before


def test_the_cap_counts_sheets_already_stored(paper, tmp_path):
    assert import_file(paper, "R1", ballots(tmp_path / "a.csv", [("self", "JG", "")] * 2)).stored == 2
    before = snapshot(paper)
    with pytest.raises(ImportProblems) as e:
        import_file(paper, "R1", ballots(tmp_path / "b.csv", [("self", "JG", "非党员")] * 2))
    msg = e.value.problems[0].message
    assert "将有 4 份" in msg and "已存 2 份" in msg and "本文件 2 份" in msg
    assert snapshot(paper) == before
    # exactly the headcount is fine, and each survey has its own count
    assert import_file(paper, "R1", ballots(tmp_path / "c.csv", [("self", "JG", ""), ("peer", "JG", "")] * 1)).stored == 2


def test_more_party_sheets_than_party_members_are_refused(paper, tmp_path):
    before = snapshot(paper)
    with pytest.raises(ImportProblems) as e:
        import_file(paper, "R1", ballots(tmp_path / "b.csv", [("self", "JG", "党员")] * 3))
    [p] = e.value.problems
    assert "党员答卷将有 3 份" in p.message and "党员人数 2" in p.message
    assert snapshot(paper) == before
    assert import_file(paper, "R1", ballots(tmp_path / "ok.csv", [("self", "JG", "党员")] * 2
                                             + [("self", "JG", "非党员")])).stored == 3


def test_a_dry_run_refuses_the_same_way(paper, tmp_path):
    with pytest.raises(ImportProblems):
        import_file(paper, "R1", ballots(tmp_path / "b.csv", [("peer", "BGS", "")] * 7), dry_run=True)


def test_status_counts_issued_returned_valid_and_flags_more_returned_than_issued(paper, tmp_path, capsys):
    from zuofeng.coverage import coverage
    from zuofeng.store import Sheet, store_sheets
    answers = {i: 2 for i in range(1, 23)}
    # four self sheets for a department of three, stored around the import check (e.g. by hand)
    store_sheets(paper, "R1", [Sheet(kind="self", rater="JG", target="JG", answers=answers)] * 4, source="simulate")
    store_sheets(paper, "R1", [Sheet(kind="self", rater="BGS", target="BGS", answers=answers)] * 5, source="simulate")
    rows = {(r["department"], r["view"]): r for r in coverage(paper, "R1")["departments"]}
    jg, bgs = rows[("JG", "self")], rows[("BGS", "self")]
    assert (jg["issued"], jg["responses"], jg["valid"]) == (3, 4, 0) and "收回多于发出" in jg["flags"]
    assert (bgs["issued"], bgs["responses"], bgs["valid"]) == (6, 5, 5) and "收回多于发出" not in bgs["flags"]
    assert main(["status", "R1", "--db", str(paper.url)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("JG") and "自评" in x)
    assert "收回多于发出" in line
