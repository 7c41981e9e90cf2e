"""The README's round, run as a new analyst would type it: every command of its 一轮测评 block, in that
order, on a fresh project folder (``zuofeng serve`` is the one command that waits for respondents; the
synthetic answers of ``zuofeng simulate``, which the README names for trying it out, stand in for them)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from zuofeng.cli import main
from zuofeng.demo import demo_roster

README = Path(__file__).parents[1] / "README.md"


def round_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## 一轮测评", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("  #")[0])[1:] for line in block.splitlines() if line.startswith("zuofeng ")]


def test_the_readme_is_short_and_names_its_two_commands_first():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert text.index("make demo") < 400 and text.index("make test") < 400
    for link in ("docs/guide/round.md", "docs/threat-model.md", "docs/reference/cli.md"):
        assert link in text and (README.parent / link).is_file(), link


def test_the_readme_round_runs_as_written(tmp_path, monkeypatch, capsys):
    commands = round_commands()
    assert len(commands) >= 10 and [c[0] for c in commands[:2]] == ["round", "round"]
    assert {"tokens", "serve", "score", "report", "ledger"} <= {c[0] for c in commands}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.setenv("ZUOFENG_KEY_FILE", str(tmp_path / "token.key"))
    monkeypatch.delenv("ZUOFENG_DB", raising=False)
    shutil.copy(demo_roster(), tmp_path / "roster.csv")
    for args in commands:
        if args[0] == "serve":   # respondents answer here; the README's simulate gives their sheets instead
            args = ["simulate", args[1], "--seed", "1"]
        code = main(args)
        _, err = capsys.readouterr()
        assert code == 0, (args, err)
        assert "Traceback" not in err
    assert (tmp_path / "slips.html").is_file() and (tmp_path / "scores.parquet").is_file()
    assert (tmp_path / "KJG-台账.xlsx").is_file()
    assert any((tmp_path / "reports").iterdir())
