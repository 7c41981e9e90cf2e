"""``zuofeng report`` and ``zuofeng demo``: user errors are one line and exit code 2, before any work."""

from __future__ import annotations

import pytest

from zuofeng.cli import main


@pytest.fixture
def store(tmp_path, roster_file):
    from zuofeng.rounds import create_round
    from zuofeng.store import open_engine

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    create_round(engine, "R1", title="基线", roster=roster_file)
    engine.dispose()
    return url


@pytest.mark.parametrize(("args", "message", "en"), [
    (["report", "NOPE"], "zuofeng: error: 轮次 'NOPE' 不存在；已有轮次：R1",
     "zuofeng: error: unknown round 'NOPE'; known rounds: R1"),
    (["report", "R1", "--department", "XX"],
     "zuofeng: error: 轮次 R1 中没有部门 'XX'；已有部门：BGS、KJG、KPB、XHB、ZX",
     "zuofeng: error: unknown department 'XX' in round R1; known: BGS, KJG, KPB, XHB, ZX"),
])
def test_report_user_errors_are_one_line(store, tmp_path, capsys, args, message, en):
    out = tmp_path / "out"
    assert main([*args, "--db", store, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == message + "\n"
    assert main([*args, "--db", store, "--out", str(out), "--lang", "en"]) == 2
    assert capsys.readouterr().err == en + "\n"
    assert not out.exists() and not list(tmp_path.glob(".out.*-*")), "something was written"


def test_report_refuses_an_unknown_language_and_a_foreign_folder(store, tmp_path, capsys):
    assert main(["report", "R1", "--db", store, "--lang", "fr"]) == 2
    assert "--lang" in capsys.readouterr().err
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    assert main(["report", "R1", "--db", store, "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zuofeng: error: --out") and err.count("\n") == 1
    assert (foreign / "keep.txt").read_text() == "mine"


def test_demo_refuses_a_store_that_already_has_its_rounds(tmp_path, capsys):
    from zuofeng.demo import BASELINE, demo_roster
    from zuofeng.rounds import create_round
    from zuofeng.store import open_engine

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = open_engine(url)
    create_round(engine, BASELINE[0], title="t", roster=demo_roster())
    engine.dispose()
    assert main(["demo", "--db", url, "--out", str(tmp_path / "demo")]) == 2
    assert capsys.readouterr().err == f"zuofeng: error: 轮次 {BASELINE[0]} 已存在\n"
    assert main(["demo", "--db", url, "--out", str(tmp_path / "demo"), "--lang", "en"]) == 2
    assert capsys.readouterr().err == f"zuofeng: error: round {BASELINE[0]} already exists\n"


def test_a_second_batch_for_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    import time

    from zuofeng.report.swap import ReportFolderError, batch_lock

    target = tmp_path / "R1"
    with batch_lock(target):
        t = time.monotonic()
        with pytest.raises(ReportFolderError, match="另一批报告正在写入"), batch_lock(target, wait=0.5):
            pass
        assert time.monotonic() - t >= 0.5
    with batch_lock(target, wait=0):  # released afterwards
        pass
