"""The Python API: every command wraps one of its functions, each is documented with a runnable example,
``import zuofeng`` stays light, and every entry point finds the project's store."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import zuofeng
from zuofeng import api
from zuofeng.cli import main
from zuofeng.errors import ZuofengError

# command line → the api function it wraps
COMMANDS = {
    ("round", "create", "R1", "--title", "t", "--roster", "r.csv"): "create_round",
    ("round", "open", "R1"): "open_round",
    ("round", "close", "R1"): "close_round",
    ("round", "list"): "list_rounds",
    ("tokens", "issue", "R1"): "issue_slips",
    ("tokens", "status", "R1"): "token_status",
    ("status", "R1"): "round_coverage",
    ("simulate", "R1"): "simulate_round",
    ("import", "R1", "f.csv", "--dry-run"): "import_file",
    ("import", "--template", "t.xlsx"): "import_template",
    ("score", "R1"): "score_round",
    ("report", "R1"): "render_reports",
    ("report", "R1", "--audience", "public"): "render_audience_report",
    ("report", "R1", "--audience", "inspection"): "render_audience_report",
    ("export", "R1", "--out", "x.xlsx"): "export",
    ("backup", "--out", "b.db"): "backup",
    ("demo",): "run_demo",
    ("ledger", "problems", "R1"): "problem_list",
    ("ledger", "init", "R1"): "ledger_init",
    ("ledger", "export", "R1", "--out", "l.xlsx"): "ledger_export",
    ("ledger", "import", "l.xlsx", "--dry-run"): "ledger_import",
    ("ledger", "status", "R1"): "ledger_status",
}


@pytest.mark.parametrize("args", list(COMMANDS), ids=lambda a: " ".join(a[:2]))
def test_every_command_is_a_thin_wrapper_over_the_api(args, monkeypatch, capsys):
    name = COMMANDS[args]
    seen = {}

    def stand_in(*a, **k):
        seen.update(k, args=a)
        raise ZuofengError(f"{name} was called")

    monkeypatch.setattr(api, name, stand_in)
    assert main(list(args) + ["--db", "sqlite:///nowhere.db"] * (args[0] != "demo")) == 2
    assert capsys.readouterr().err == f"zuofeng: error: {name} was called\n"
    if args[0] != "demo":
        assert seen["db"] == "sqlite:///nowhere.db"


def test_every_api_function_has_a_numpydoc_docstring_with_an_example():
    for name in api.__all__:
        fn = getattr(api, name)
        doc = inspect.getdoc(fn) or ""
        assert doc and doc.splitlines()[0].endswith("."), f"{name}: no summary line"
        if name != "run_demo":  # renders thirteen reports: run by `make demo` and tests/test_report_cli.py instead
            assert ">>> " in doc, f"{name}: no example"
        assert getattr(zuofeng, name) is fn  # also at the package's top level


def test_import_zuofeng_is_light_and_the_api_is_at_the_top_level():
    code = ("import sys, zuofeng\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'pandas', 'numpy', 'sqlalchemy', 'papermill', 'scipy', 'zuofeng.api'})\n"
            "assert not heavy, heavy\n"
            "assert callable(zuofeng.list_rounds) and 'zuofeng.api' in sys.modules\n"
            "assert 'sqlalchemy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    with pytest.raises(AttributeError):
        zuofeng.no_such_function  # noqa: B018


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("ZUOFENG_DB", raising=False)
    monkeypatch.delenv("ZUOFENG_HOME", raising=False)
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "zuofeng"\n', encoding="utf-8")
    monkeypatch.chdir(root / "notebooks")
    return root


def test_serve_and_the_console_look_for_the_projects_store(project, capsys):
    from zuofeng.console import Console

    assert main(["serve", "R1", "--port", "1"]) == 2
    assert str(project / "data" / "zuofeng.db") in capsys.readouterr().err
    console = Console(auto_refresh=False)
    assert f"sqlite:///{project / 'data' / 'zuofeng.db'}" in console.store.value
    assert "找不到 zuofeng 数据库" in console.message.value
    assert not (project / "data").exists() and not (project / "notebooks" / "data").exists()


def test_the_api_finds_the_store_from_a_subfolder_and_only_create_round_creates_it(project):
    with pytest.raises(ZuofengError, match="找不到 zuofeng 数据库") as e:
        api.list_rounds()
    assert e.value.en.startswith(f"no zuofeng store at {project / 'data' / 'zuofeng.db'}: create one with")
    assert not (project / "data").exists()
    api.create_round("R1", title="基线", roster=api.demo_roster())
    assert (project / "data" / "zuofeng.db").is_file()
    assert [r["code"] for r in api.list_rounds()] == ["R1"]
    assert api.report_folder("R1") == project / "reports" / "R1"


def test_the_api_on_sqlite_and_postgresql(db_url, roster_file):
    """The same calls with a URL or with an engine from open_store, on both kinds of store."""
    api.create_round("R1", title="基线", roster=roster_file, db=db_url)
    engine = api.open_store(db_url)
    try:
        api.open_round("R1", db=engine)
        n = api.simulate_round("R1", seed=2, db=engine)
        cov = api.round_coverage("R1", db=db_url)
        answered = sum(s["responses"] for s in cov["summary"].values()) + sum(cov["peer_outside_received"].values())
        assert n == answered > 0
        api.close_round("R1", db=engine)
        assert [(r["code"], r["status"]) for r in api.list_rounds(db=engine)] == [("R1", "closed")]
        assert api.score_round("R1", db=engine).meta["n_responses"] == n
    finally:
        engine.dispose()


def test_the_ledger_commands_find_the_projects_store_and_never_create_one(project, capsys):
    for args in (["ledger", "status", "R1"], ["ledger", "init", "R1"], ["ledger", "problems", "R1"],
                 ["ledger", "export", "R1", "--out", "l.xlsx"]):
        assert main(args) == 2
        assert f"找不到 zuofeng 数据库 {project / 'data' / 'zuofeng.db'}" in capsys.readouterr().err
    assert not (project / "data").exists() and not (project / "notebooks" / "data").exists()
    api.create_round("R1", title="基线", roster=api.demo_roster())
    assert main(["ledger", "status", "R1"]) == 0  # the project's store, found from notebooks/
    assert capsys.readouterr().out == "台账 R1：还没有条目（zuofeng ledger init R1）\n"


def test_the_ledger_api_on_sqlite_and_postgresql(db_url, roster_file):
    import datetime as dt

    from zuofeng.ledger import LedgerError

    api.create_round("R1", title="基线", roster=roster_file, db=db_url)
    api.open_round("R1", db=db_url)
    api.simulate_round("R1", seed=2, db=db_url)
    engine = api.open_store(db_url)
    try:
        problems = api.problem_list("R1", db=engine)
        assert api.ledger_init("R1", db=engine) == len(problems) > 0
        assert api.ledger_init("R1", db=db_url) == 0
        dept = problems["department"].iloc[0]
        mine = api.ledger_entries("R1", department=dept, db=engine)
        assert set(mine["department"]) == {dept} and len(mine) == (problems["department"] == dept).sum()
        eid = int(mine["id"].iloc[0])
        assert api.ledger_update(eid, by="王明", status="整改中", leader="张三", deadline="2022-06-30", db=db_url) == 3
        with pytest.raises(LedgerError, match="状态不能从 整改中 退回到 未启动"):
            api.ledger_update(eid, by="王明", status="未启动", db=engine)
        with pytest.raises(LedgerError, match="deadline（整改期限）必须是日期（YYYY-MM-DD），而不是 'June'") as e:
            api.ledger_update(eid, by="王明", deadline="June", db=engine)
        assert e.value.en == "deadline must be a date (YYYY-MM-DD), not 'June'"
        row = api.ledger_entries("R1", department=dept, verify=False, db=engine).set_index("id").loc[eid]
        assert (row["status"], row["leader"], row["deadline"]) == ("整改中", "张三", dt.date(2022, 6, 30))
        hist = api.ledger_history("R1", entry_id=eid, db=engine)
        assert hist[["recorded_by", "field", "old_value", "new_value"]].values.tolist() == [
            ["zuofeng ledger init", "created", None, hist["new_value"].iloc[0]],
            ["王明", "status", "未启动", "整改中"], ["王明", "leader", None, "张三"],
            ["王明", "deadline", None, "2022-06-30"]]
        summary, entries = api.ledger_status("R1", as_of=dt.date(2022, 7, 1), db=engine)
        assert summary.set_index("department").loc[dept, "overdue"] == 1
        assert "overdue" in entries.set_index("id").loc[eid, "flags"]
        with pytest.raises(LedgerError, match="轮次 R1 中没有部门 'NOPE'") as e:
            api.ledger_entries("R1", department="NOPE", db=engine)
        assert e.value.en == "unknown department 'NOPE' in round R1"
    finally:
        engine.dispose()


def test_the_readme_lists_every_api_function_and_the_command_it_backs():
    import re

    from tests.manual import page
    section = page("guide/api.md")
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [name for line in rows for name in re.findall(r"`(\w+)`", line.split(" | ")[0])]
    assert sorted(listed) == sorted(api.__all__)
    by_command = {}
    for line in rows:
        names, command = line.strip("| ").split(" | ")
        for name in re.findall(r"`(\w+)`", names):
            by_command[name] = command
    # every command of COMMANDS is named in the row of the function it wraps
    for args, name in COMMANDS.items():
        words = [a for a in args if not a.startswith("-") and a.isalpha()]
        assert words[0] in by_command[name] and words[-1] in by_command[name], (args, name)
