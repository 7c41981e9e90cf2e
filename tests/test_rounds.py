"""Rosters in the encodings analysts have, rounds and their states, and errors that leave the store unchanged."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.support.store import ROSTER_CSV
from zuofeng.errors import InputFileError, RoundError
from zuofeng.roster import read_roster
from zuofeng.rounds import create_round, list_rounds, set_status
from zuofeng.store import departments, rounds


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_roster_csv_encodings(tmp_path, encoding):
    p = tmp_path / "r.csv"
    p.write_bytes(ROSTER_CSV.encode(encoding))
    rows = read_roster(p)
    assert [r.code for r in rows] == ["BGS", "XHB", "KPB", "KJG", "ZX"]
    assert rows[0].name == "办公室" and rows[3].unit_type == "事业单位" and rows[3].headcount == 25
    assert rows[0].party_members == 9 and rows[0].peer_targets == ("XHB",) and rows[1].peer_targets == ()


def test_roster_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    for line in ROSTER_CSV.strip().splitlines():
        cells = line.split(",")
        ws.append([int(c) if c.isdigit() else (c or None) for c in cells])
    p = tmp_path / "r.xlsx"
    wb.save(p)
    rows = read_roster(p)
    assert [(r.code, r.headcount, r.party_members) for r in rows][:2] == [("BGS", 12, 9), ("XHB", 8, 6)]


@pytest.mark.parametrize("body, message", [
    ("code,name,unit_type\nA,甲,机关部室\n", "lacks column\\(s\\) headcount"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,5\nB,乙,机关部室,x\n", "line 3: headcount must be a whole number"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,5\nA,乙,机关部室,6\n", "line 3: duplicate department code 'A' \\(first on line 2\\)"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,0\n", "line 2: headcount must be at least 1"),
    ("code,name,unit_type,headcount,party_members\nA,甲,机关部室,5,6\n", "line 2: party_members 6 exceeds headcount 5"),
    ("code,name,unit_type,headcount\nA B,甲,机关部室,5\n", "line 2: code 'A B' must be"),
    ("code,name,unit_type,headcount\nA,,机关部室,5\n", "line 2: name is empty"),
    ("code,name,unit_type,headcount,peer_targets\nA,甲,机关部室,5,Z\n", "line 2: peer_targets names unknown department 'Z'"),
    ("code,name,unit_type,headcount,code\nA,甲,机关部室,5,A\n", "duplicate column\\(s\\) code"),
    ("", "roster is empty"),
])
def test_bad_roster_names_line_and_column(tmp_path, body, message):
    p = tmp_path / "r.csv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_roster(p)


def test_unreadable_roster(tmp_path):
    with pytest.raises(InputFileError, match="roster file not found"):
        read_roster(tmp_path / "missing.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFileError, match="unreadable encoding|not a text file"):
        read_roster(p)
    x = tmp_path / "fake.xlsx"
    x.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputFileError, match="not a readable .xlsx"):
        read_roster(x)


def _counts(engine):
    with engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(rounds)),
                c.scalar(select(func.count()).select_from(departments)))


def test_round_lifecycle(engine, roster_file):
    rnd = create_round(engine, "R0", title="基线", roster=roster_file, k_min=4)
    assert (rnd["status"], rnd["k_min"], rnd["k_comment"], rnd["instrument_version"]) == ("draft", 4, 10, 1)
    assert rnd["eval_scores"] == {"好": 100, "较好": 80, "一般": 60, "差": 40}
    assert set_status(engine, "R0", "open")["status"] == "open"
    with pytest.raises(RoundError, match="round R0 is open; cannot open it"):
        set_status(engine, "R0", "open")
    closed = set_status(engine, "R0", "closed")
    assert closed["status"] == "closed" and closed["closed_on"] is not None
    with pytest.raises(RoundError, match="is closed; cannot close it"):
        set_status(engine, "R0", "closed")
    r1 = create_round(engine, "R1", title="终期", roster=roster_file, previous="R0")
    assert r1["previous"] == "R0"
    assert [r["code"] for r in list_rounds(engine)] == ["R0", "R1"]


@pytest.mark.parametrize("kwargs, message", [
    ({"code": "R 1"}, "round code 'R 1' must be"),
    ({"k_min": 2}, "below the floor of 3"),
    ({"k_min": 5, "k_comment": 4}, "--k-comment 4 must be at least --k-min 5"),
    ({"previous": "R9"}, "轮次 'R9' 不存在"),
    ({"title": "  "}, "round title is empty"),
])
def test_round_create_errors_leave_store_unchanged(engine, roster_file, kwargs, message):
    create_round(engine, "R0", title="基线", roster=roster_file)
    before = _counts(engine)
    args = {"code": "R1", "title": "t", "roster": roster_file} | kwargs
    code = args.pop("code")
    with pytest.raises(RoundError, match=message):
        create_round(engine, code, **args)
    assert _counts(engine) == before


def test_duplicate_round_and_bad_roster_leave_store_unchanged(engine, roster_file, tmp_path):
    create_round(engine, "R0", title="基线", roster=roster_file)
    before = _counts(engine)
    with pytest.raises(RoundError, match="round R0 already exists"):
        create_round(engine, "R0", title="again", roster=roster_file)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,unit_type,headcount\nA,甲,机关部室,5\nA,乙,机关部室,5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="duplicate department code"):
        create_round(engine, "R1", title="t", roster=bad)
    assert _counts(engine) == before


def test_unknown_round_lists_known_ones(engine, roster_file):
    with pytest.raises(RoundError, match="还没有轮次（zuofeng round create）"):
        set_status(engine, "R0", "open")
    create_round(engine, "R0", title="基线", roster=roster_file)
    with pytest.raises(RoundError, match="轮次 'X' 不存在；已有轮次：R0"):
        set_status(engine, "X", "open")
