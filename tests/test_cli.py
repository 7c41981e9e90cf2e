"""The command line: the README's workflow, and every user error as one line on stderr with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from zuofeng.cli import cli, main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(db_file: Path) -> bytes | None:
    """The database content as a dump (the file itself may be touched by WAL checkpoints)."""
    import sqlite3
    if not db_file.exists():
        return None
    with sqlite3.connect(db_file) as c:
        return "\n".join(c.iterdump()).encode()


def test_workflow(capsys, tmp_path, roster_file):
    db = f"sqlite:///{tmp_path / 'z.db'}"
    assert run(capsys, "round", "create", "R1", "--title", "基线", "--roster", str(roster_file), "--db", db)[0] == 0
    assert run(capsys, "round", "open", "R1", "--db", db)[0] == 0
    code, out, _ = run(capsys, "simulate", "R1", "--seed", "2", "--db", db)
    assert code == 0 and "份模拟答卷" in out
    code, out, _ = run(capsys, "status", "R1", "--format", "json", "--db", db)
    cov = json.loads(out)
    assert code == 0 and {r["department"] for r in cov["departments"]} == {"BGS", "XHB", "KPB", "KJG", "ZX"}
    assert cov["summary"]["self"]["responses"] > 0
    code, out, _ = run(capsys, "status", "R1", "--db", db)
    assert "盲区" in out or "未全覆盖" in out or "低于k" in out
    code, out, _ = run(capsys, "round", "list", "--db", db)
    assert "R1" in out and "开放" in out


def test_instrument_show(capsys):
    code, out, _ = run(capsys, "instrument", "show", "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data["items"]) == 22
    assert set(data["items"][0]) >= {"number", "dimension", "text_zh", "label_zh", "text_en", "label_en", "red_line"}
    assert {i["dimension"] for i in data["items"]} == {"一", "二", "三", "四", "五"}
    code, out, _ = run(capsys, "instrument", "show", "--lang", "en")
    assert code == 0 and "Political stance" not in out and "Improving where political stance" in out
    assert out.count("\n  ") >= 22


def test_errors_are_one_line_exit_2_and_change_nothing(capsys, tmp_path, roster_file):
    db_file = tmp_path / "z.db"
    db = f"sqlite:///{db_file}"
    assert run(capsys, "round", "create", "R1", "--title", "t", "--roster", str(roster_file), "--db", db)[0] == 0
    bad_roster = tmp_path / "bad.csv"
    bad_roster.write_text("code,name,unit_type,headcount\nA,甲,机关部室,5\nA,乙,机关部室,x\n", encoding="utf-8")
    # (arguments, the English, the Chinese of the default language or None: that error's Chinese is tested with it)
    cases = [
        (["round", "create", "R2", "--title", "t", "--roster", str(tmp_path / "none.csv")], "roster file not found",
         "找不到名册文件"),
        (["round", "create", "R2", "--title", "t", "--roster", str(bad_roster)], "line 3", "第 3 行"),
        (["round", "create", "R1", "--title", "t", "--roster", str(roster_file)], "already exists", "轮次 R1 已存在"),
        (["round", "open", "NOPE"], "unknown round 'NOPE'", "轮次 'NOPE' 不存在"),
        (["round", "close", "R1"], "is draft; cannot close it", "轮次 R1 状态为草稿，不能关闭"),
        (["simulate", "R1"], "is draft, not open", "轮次 R1 状态为草稿，未开放"),
        (["status", "NOPE"], "unknown round", "轮次 'NOPE' 不存在"),
    ]
    for args, message, message_zh in cases:
        for lang, expected in (("en", message), ("zh", message_zh)):
            before = snapshot(db_file)
            code, out, err = run(capsys, *args, "--db", db, "--lang", lang)
            assert code == 2, args
            assert err.count("\n") == 1 and err.startswith("zuofeng: error: "), (args, err)
            assert expected is None or expected in err, (args, err)
            assert "Traceback" not in err and out == ""
            assert snapshot(db_file) == before, args


def test_unreachable_database_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "round", "list", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert code == 2 and err.startswith("zuofeng: error: 无法打开数据库") and err.count("\n") == 1
    code, _, err = run(capsys, "round", "list", "--db", f"sqlite:///{tmp_path}/no/dir/z.db", "--lang", "en")
    assert code == 2 and err.startswith("zuofeng: error: cannot open database") and "does not exist" in err


def test_usage_error_exit_2(capsys):
    code, _, err = run(capsys, "round", "create", "R1")
    assert code == 2 and "Missing option" in err


def test_default_database_is_data_folder_and_env_var_wins(tmp_path, roster_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZUOFENG_DB", raising=False)
    monkeypatch.delenv("ZUOFENG_HOME", raising=False)
    assert main(["round", "create", "R1", "--title", "t", "--roster", str(roster_file)]) == 0
    assert (tmp_path / "data" / "zuofeng.db").exists()
    monkeypatch.setenv("ZUOFENG_DB", f"sqlite:///{tmp_path / 'other.db'}")
    assert main(["round", "create", "R1", "--title", "t", "--roster", str(roster_file)]) == 0
    assert (tmp_path / "other.db").exists()


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_and_is_in_the_readme():
    from tests.manual import manual
    readme = manual()   # the README and the guide
    for path, cmd in _commands(cli):
        assert (cmd.help or "").strip(), f"zuofeng {' '.join(path)} has no help text"
        if not isinstance(cmd, click.Group):
            assert f"zuofeng {' '.join(path)}" in readme, f"the manual does not mention zuofeng {' '.join(path)}"
        for p in cmd.params:
            if isinstance(p, click.Option):
                assert p.help, f"zuofeng {' '.join(path)} {p.opts[0]} has no help text"


def test_console_script_runs_as_a_real_process(tmp_path):
    exe = Path(sys.executable).with_name("zuofeng")
    env = dict(os.environ, ZUOFENG_DB=f"sqlite:///{tmp_path / 'z.db'}")
    r = subprocess.run([str(exe), "round", "open", "R9"], check=False, capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == (
        f"zuofeng: error: 找不到 zuofeng 数据库 {tmp_path / 'z.db'}：请用 `zuofeng round create ROUND --title T "
        "--roster FILE`（或 `zuofeng demo`）新建一个，或用 --db URL 或 ZUOFENG_DB 指定已有的数据库")
    r = subprocess.run([str(exe), "round", "open", "R9", "--lang", "en"], check=False, capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == (
        f"zuofeng: error: no zuofeng store at {tmp_path / 'z.db'}: create one with `zuofeng round create ROUND "
        "--title T --roster FILE` (or `zuofeng demo`), or name an existing store with --db URL or ZUOFENG_DB")
    assert not (tmp_path / "z.db").exists()


def test_one_store_from_any_folder_of_the_project(tmp_path, roster_file, monkeypatch, capsys):
    """The project folder holds pyproject.toml of zuofeng; a command run in notebooks/ uses its data/zuofeng.db,
    and reading a missing default store creates nothing and says how to create one."""
    monkeypatch.delenv("ZUOFENG_DB", raising=False)
    monkeypatch.delenv("ZUOFENG_HOME", raising=False)
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "zuofeng"\n', encoding="utf-8")
    monkeypatch.chdir(project / "notebooks")
    code, out, err = run(capsys, "round", "list")
    assert code == 2 and err == (f"zuofeng: error: 找不到 zuofeng 数据库 {project / 'data' / 'zuofeng.db'}：请用 "
                                 "`zuofeng round create ROUND --title T --roster FILE`（或 `zuofeng demo`）新建一个，"
                                 "或用 --db URL 或 ZUOFENG_DB 指定已有的数据库\n")
    for args in (["status", "R1"], ["score", "R1"], ["report", "R1"], ["backup", "--out", str(tmp_path / "b.db")]):
        code, _, err = run(capsys, *args)
        assert code == 2 and "找不到 zuofeng 数据库" in err, args
        code, _, err = run(capsys, *args, "--lang", "en")
        assert code == 2 and "no zuofeng store at" in err, args
    assert not (project / "data").exists() and not (project / "notebooks" / "data").exists()
    assert main(["round", "create", "R1", "--title", "t", "--roster", str(roster_file)]) == 0  # creating may create
    assert (project / "data" / "zuofeng.db").is_file() and not (project / "notebooks" / "data").exists()
    monkeypatch.chdir(tmp_path)  # outside the project: ZUOFENG_HOME names it
    monkeypatch.setenv("ZUOFENG_HOME", str(project))
    capsys.readouterr()
    code, out, _ = run(capsys, "round", "list")
    assert code == 0 and out.splitlines()[2].startswith("R1")
