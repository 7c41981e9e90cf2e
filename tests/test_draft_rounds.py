"""A draft round, or an open round without answer sheets, is one line and exit 2 for every command that scores
(#21.3): `score`, `report` (every audience, one department), `export` and the console's buttons — no
traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.store import ROSTER_CSV
from zuofeng.cli import main
from zuofeng.console import Console

DRAFT = ("草稿", "zuofeng round open D1")
EMPTY = ("还没有答卷", "zuofeng simulate E1")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # the default report folder would land here
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'zuofeng.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    for code, title in (("D1", "草稿"), ("E1", "无答卷")):
        assert main(["round", "create", code, "--title", title, "--roster", str(roster), "--db", db]) == 0
    assert main(["round", "open", "E1", "--db", db]) == 0
    return db


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.name not in ("zuofeng.db", "roster.csv") and "home" not in p.relative_to(root).parts[:1]}


COMMANDS = [
    ["score", "{r}"],
    ["score", "{r}", "--out", "scores.xlsx"],
    ["report", "{r}"],
    ["report", "{r}", "--out", "out"],
    ["report", "{r}", "--department", "BGS"],
    ["report", "{r}", "--audience", "inspection"],
    ["report", "{r}", "--audience", "public"],
    ["export", "{r}", "--out", "x.xlsx"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:1] + a[2:]))
@pytest.mark.parametrize("rnd, words", [("D1", DRAFT), ("E1", EMPTY)], ids=["draft", "no answers"])
def test_one_line_exit_2_and_nothing_written(store, tmp_path, capsys, args, rnd, words):
    before = files(tmp_path)
    capsys.readouterr()
    code = main([a.format(r=rnd) for a in args] + ["--db", store])
    out, err = capsys.readouterr()
    assert code == 2, (args, err)
    assert out == "" and len(err.strip().splitlines()) == 1, (args, err)
    assert "Traceback" not in err and all(w in err for w in words), (args, err)
    assert files(tmp_path) == before, (args, files(tmp_path) - before)


def test_in_chinese_by_default_when_the_language_is_chinese(store, capsys):
    capsys.readouterr()
    assert main(["report", "D1", "--lang", "zh", "--db", store]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "轮次 D1 是草稿" in err
    assert main(["report", "D1", "--lang", "en", "--db", store]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "round D1 is a draft and has no answers yet" in err


def test_the_console_shows_the_one_line_for_every_scoring_button(store, tmp_path):
    c = Console(db=store, auto_refresh=False, jobs=1)
    for rnd, line in (("D1", "轮次 D1 还是草稿，没有答卷：请先开放轮次并收集答卷"),
                      ("E1", "轮次 E1 还没有答卷：请先收集或导入答卷")):
        c.rounds.picker.value = rnd
        before = files(tmp_path)
        for name in ("score_button", "report_button", "dl_scores", "dl_export"):
            getattr(c.reports, name).click()
            message = c.message.value
            assert line in message and "Traceback" not in message, (rnd, name, message)
            assert c.reports.downloads.value == "", (rnd, name)
        assert files(tmp_path) == before, rnd
