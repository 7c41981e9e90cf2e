"""Rosters in the encodings analysts have, rounds and their states, and errors that leave the store unchanged."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("body, message, message_en", [
    ("code,name,unit_type\nA,甲,机关部室\n", "名册缺少列 headcount", "lacks column\\(s\\) headcount"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,5\nB,乙,机关部室,x\n", "第 3 行：headcount 必须是整数，而不是 'x'",
     "line 3: headcount must be a whole number"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,5\nA,乙,机关部室,6\n", "第 3 行：部门代码 'A' 重复（首次出现在第 2 行）",
     "line 3: duplicate department code 'A' \\(first on line 2\\)"),
    ("code,name,unit_type,headcount\nA,甲,机关部室,0\n", "第 2 行：headcount（人数）至少为 1",
     "line 2: headcount must be at least 1"),
    ("code,name,unit_type,headcount,party_members\nA,甲,机关部室,5,6\n",
     "第 2 行：party_members（党员人数）6 超过 headcount（人数）5", "line 2: party_members 6 exceeds headcount 5"),
    ("code,name,unit_type,headcount\nA B,甲,机关部室,5\n", "第 2 行：部门代码 'A B' 必须由", "line 2: code 'A B' must be"),
    ("code,name,unit_type,headcount\nA,,机关部室,5\n", "第 2 行：name（名称）为空", "line 2: name is empty"),
    ("code,name,unit_type,headcount,peer_targets\nA,甲,机关部室,5,Z\n", "第 2 行：peer_targets 中的部门 'Z' 不在名册中",
     "line 2: peer_targets names unknown department 'Z'"),
    ("code,name,unit_type,headcount,code\nA,甲,机关部室,5,A\n", "列 code 重复", "duplicate column\\(s\\) code"),
    ("", "名册是空的", "roster is empty"),
])
def test_bad_roster_names_line_and_column(tmp_path, body, message, message_en):
    p = tmp_path / "r.csv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as e:
        read_roster(p)
    assert re.search(message_en, e.value.en), e.value.en


def test_unreadable_roster(tmp_path):
    with pytest.raises(InputFileError, match="找不到名册文件") as e:
        read_roster(tmp_path / "missing.csv")
    assert e.value.en.startswith("roster file not found: ")
    p = tmp_path / "bin.csv"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFileError, match="无法识别的编码|不是文本文件") as e:
        read_roster(p)
    assert re.search("unreadable encoding|not a text file", e.value.en)
    x = tmp_path / "fake.xlsx"
    x.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputFileError, match="无法读取的 .xlsx 文件") as e:
        read_roster(x)
    assert "not a readable .xlsx" in e.value.en


def _counts(engine):
    with engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(rounds)),
                c.scalar(select(func.count()).select_from(departments)))


def test_round_lifecycle(engine, roster_file):
    rnd = create_round(engine, "R0", title="基线", roster=roster_file, k_min=4)
    assert (rnd["status"], rnd["k_min"], rnd["k_comment"], rnd["instrument_version"]) == ("draft", 4, 10, 1)
    assert rnd["eval_scores"] == {"好": 100, "较好": 80, "一般": 60, "差": 40}
    assert set_status(engine, "R0", "open")["status"] == "open"
    with pytest.raises(RoundError, match="轮次 R0 状态为开放，不能开放") as e:
        set_status(engine, "R0", "open")
    assert e.value.en == "round R0 is open; cannot open it"
    closed = set_status(engine, "R0", "closed")
    assert closed["status"] == "closed" and closed["closed_on"] is not None
    with pytest.raises(RoundError, match="状态为已关闭，不能关闭") as e:
        set_status(engine, "R0", "closed")
    assert e.value.en == "round R0 is closed; cannot close it"
    r1 = create_round(engine, "R1", title="终期", roster=roster_file, previous="R0")
    assert r1["previous"] == "R0"
    assert [r["code"] for r in list_rounds(engine)] == ["R0", "R1"]


@pytest.mark.parametrize("kwargs, message, message_en", [
    ({"code": "R 1"}, "轮次代码 'R 1' 必须由", "round code 'R 1' must be"),
    ({"k_min": 2}, "--k-min 2 低于下限 3", "below the floor of 3"),
    ({"k_min": 5, "k_comment": 4}, "--k-comment 4 不能小于 --k-min 5", "--k-comment 4 must be at least --k-min 5"),
    ({"previous": "R9"}, "轮次 'R9' 不存在", "unknown round 'R9'"),
    ({"title": "  "}, "轮次标题为空", "round title is empty"),
])
def test_round_create_errors_leave_store_unchanged(engine, roster_file, kwargs, message, message_en):
    create_round(engine, "R0", title="基线", roster=roster_file)
    before = _counts(engine)
    args = {"code": "R1", "title": "t", "roster": roster_file} | kwargs
    code = args.pop("code")
    with pytest.raises(RoundError, match=message) as e:
        create_round(engine, code, **args)
    assert message_en in e.value.en
    assert _counts(engine) == before


def test_duplicate_round_and_bad_roster_leave_store_unchanged(engine, roster_file, tmp_path):
    create_round(engine, "R0", title="基线", roster=roster_file)
    before = _counts(engine)
    with pytest.raises(RoundError, match="轮次 R0 已存在") as e:
        create_round(engine, "R0", title="again", roster=roster_file)
    assert e.value.en == "round R0 already exists"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,unit_type,headcount\nA,甲,机关部室,5\nA,乙,机关部室,5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="部门代码 'A' 重复"):
        create_round(engine, "R1", title="t", roster=bad)
    assert _counts(engine) == before


def test_unknown_round_lists_known_ones(engine, roster_file):
    with pytest.raises(RoundError, match="还没有轮次（zuofeng round create）"):
        set_status(engine, "R0", "open")
    create_round(engine, "R0", title="基线", roster=roster_file)
    with pytest.raises(RoundError, match="轮次 'X' 不存在；已有轮次：R0"):
        set_status(engine, "X", "open")
