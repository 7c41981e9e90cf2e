"""``zuofeng ledger``: the README's commands end to end, the status JSON, and user errors as one line
(after the listed workbook problems) with exit code 2 and nothing written."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from tests.ledger_support import dump, simulated_round
from zuofeng.cli import main
from zuofeng.ledger import chain_scores, history_frame
from zuofeng.ledger.workbook import HEADER, LEDGER_SHEET
from zuofeng.store import open_engine

STATUS = HEADER.index("状态") + 1
EVIDENCE = HEADER.index("佐证材料") + 1


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path):
    db = f"sqlite:///{tmp_path / 'z.db'}"
    engine = open_engine(db)
    simulated_round(engine, "B")
    simulated_round(engine, "F", previous="B", seed=2)
    yield db, engine
    engine.dispose()


def test_ledger_commands(capsys, tmp_path, store):
    db, engine = store
    code, out, _ = run(capsys, "ledger", "init", "B", "--db", db)
    n = int(out.split("新增 ")[1].split()[0])
    assert code == 0 and n >= 2  # a simulated round flags a few items once small groups are protected
    code, out, _ = run(capsys, "ledger", "init", "B", "--db", db)
    assert code == 0 and "新增 0 条" in out
    code, out, _ = run(capsys, "ledger", "problems", "B", "--department", "KJG", "--db", db)
    assert code == 0 and "KJG" in out and "n=" in out and "BGS" not in out
    code, out, _ = run(capsys, "ledger", "problems", "B", "--lang", "en", "--out", str(tmp_path / "p.xlsx"), "--db", db)
    assert code == 0 and (tmp_path / "p.xlsx").exists()

    wb_path = tmp_path / "KJG.xlsx"
    assert run(capsys, "ledger", "export", "B", "--department", "KJG", "--out", str(wb_path), "--db", db)[0] == 0
    wb = load_workbook(wb_path)
    ws = wb[LEDGER_SHEET]
    ws.cell(row=2, column=STATUS, value="已销号")
    ws.cell(row=2, column=EVIDENCE, value="整改报告")
    ws.cell(row=2, column=HEADER.index("整改措施") + 1, value="由刘建国负责，每月检查一次")
    ws.cell(row=3, column=STATUS, value="整改中")
    wb.save(wb_path)
    before = dump(engine)
    code, out, _ = run(capsys, "ledger", "import", str(wb_path), "--dry-run", "--db", db)
    assert code == 0 and "试导入" in out and "将修改 2 条中的 4 项" in out
    assert dump(engine) == before
    code, out, _ = run(capsys, "ledger", "import", str(wb_path), "--by", "刘建国", "--db", db)
    assert code == 0 and "修改了 2 条中的 4 项" in out

    code, out, _ = run(capsys, "ledger", "status", "B", "--format", "json", "--db", db)
    data = json.loads(out)
    assert code == 0 and data["round"] == "B" and data["next_round"] == "F"
    assert len(data["entries"]) == n
    for e in data["entries"]:
        assert {"department", "item", "status", "deadline", "verification", "flags"} <= set(e)
        assert e["item"] is None or 1 <= e["item"] <= 22
        assert (e["verification"] is None) == (e["status"] not in ("已完成", "已销号"))
    closed = [e for e in data["entries"] if e["status"] == "已销号"]
    assert len(closed) == 1 and closed[0]["verification"] in ("effective", "not_effective", "worse", "unverifiable")
    kjg = next(d for d in data["departments"] if d["department"] == "KJG")
    assert kjg["已销号"] == 1 and kjg["整改中"] == 1 and kjg["completion"] == pytest.approx(1 / kjg["entries"])
    code, out, _ = run(capsys, "ledger", "status", "B", "--db", db)
    assert code == 0 and "KJG" in out and "已用 F 核验" in out
    assert out.splitlines()[0].split() == ["部门", "名称", "条目", "未启动", "整改中", "已完成", "已销号", "完成率",
                                           "逾期", "缺佐证", "有标记"]
    code, out, _ = run(capsys, "ledger", "status", "B", "--lang", "en", "--db", db)
    assert code == 0 and "verified against F" in out and "已用" not in out
    assert out.splitlines()[0].split() == ["department", "name", "entries", "not", "started", "in", "progress",
                                           "done", "closed", "done", "overdue", "no", "evidence", "flagged"]
    h = history_frame(engine, "B")
    assert set(h.loc[h["field"] != "created", "recorded_by"]) == {"刘建国"}
    assert [s.meta["round"] for s in chain_scores(engine, "F")] == ["B", "F"]


def test_ledger_errors_are_one_line_exit_2(capsys, tmp_path, store):
    db, engine = store
    code, out, err = run(capsys, "ledger", "init", "NOPE", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "轮次 'NOPE' 不存在" in err
    code, out, err = run(capsys, "ledger", "init", "NOPE", "--db", db, "--lang", "en")
    assert code == 2 and err.count("\n") == 1 and "unknown round 'NOPE'" in err
    code, _, err = run(capsys, "ledger", "export", "B", "--out", str(tmp_path / "x.xlsx"), "--db", db)
    assert code == 2 and "还没有台账条目" in err and not (tmp_path / "x.xlsx").exists()
    run(capsys, "ledger", "init", "B", "--db", db)
    code, _, err = run(capsys, "ledger", "export", "B", "--out", str(tmp_path / "x.csv"), "--db", db)
    assert code == 2 and "工作簿应为 .xlsx 文件" in err
    code, _, err = run(capsys, "ledger", "export", "B", "--department", "NOPE", "--out", str(tmp_path / "x.xlsx"),
                       "--db", db)
    assert code == 2 and "中没有部门 'NOPE'" in err
    path = tmp_path / "bad.xlsx"
    run(capsys, "ledger", "export", "B", "--out", str(path), "--db", db)
    wb = load_workbook(path)
    wb[LEDGER_SHEET].cell(row=2, column=STATUS, value="已销号")
    wb[LEDGER_SHEET].cell(row=3, column=2, value="XXX")
    wb.save(path)
    before = dump(engine)
    code, out, err = run(capsys, "ledger", "import", str(path), "--db", db)
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert lines[-1].startswith("zuofeng: error:") and "2 处问题；未存入任何内容" in lines[-1]
    assert any("整改台账!K2 (佐证材料)" in x for x in lines[:-1])
    assert any("整改台账!B3 (部门代码)：关键列被改动" in x for x in lines[:-1])
    assert not any("key column edited" in x for x in lines)
    code, out, err = run(capsys, "ledger", "import", str(path), "--lang", "en", "--db", db)
    lines = err.splitlines()
    assert code == 2 and out == "" and "2 problem(s); nothing stored" in lines[-1]
    assert any("整改台账!B3 (部门代码): key column edited" in x for x in lines[:-1])
    assert any("整改台账!K2 (佐证材料): 已销号 (closed) needs evidence" in x for x in lines[:-1])
    assert dump(engine) == before
    code, _, err = run(capsys, "ledger", "import", str(tmp_path / "missing.xlsx"), "--db", db)
    assert code == 2 and err.count("\n") == 1 and "找不到文件：" in err
