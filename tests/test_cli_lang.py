"""Chinese first: every command's output and help in Chinese by default, English with ``--lang en``."""

from __future__ import annotations

import re
from pathlib import Path

import click
import openpyxl
import pytest

from zuofeng.cli import cli, main
from zuofeng.clihelp import HELP_ZH, key, lang_of
from zuofeng.demo import demo_roster
from zuofeng.messages import MESSAGES, say
from zuofeng.simulate import simulate
from zuofeng.store import open_engine

HAN = re.compile(r"[\u4e00-\u9fff]")
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # characters or full-width punctuation
#: Commands whose output is another program's: the console prints the login of its own server.
NO_LANG = {("console",)}


def commands(cmd=cli, path=()):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(None):
            yield from commands(cmd.commands[name], path + (name,))


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scored(tmp_path, capsys):
    """A simulated round with tokens issued and a seeded ledger: every command has something to say."""
    db = f"sqlite:///{tmp_path / 'z.db'}"
    engine = open_engine(db)
    assert main(["round", "create", "R1", "--title", "基线", "--roster", str(demo_roster()), "--db", db]) == 0
    assert main(["round", "open", "R1", "--db", db]) == 0
    assert main(["tokens", "issue", "R1", "--kind", "self", "--out", str(tmp_path / "s.html"), "--db", db]) == 0
    simulate(engine, "R1", seed=1)
    assert main(["ledger", "init", "R1", "--db", db]) == 0
    engine.dispose()
    capsys.readouterr()
    return db


def test_every_command_and_option_has_chinese_help():
    missing = []
    for path, cmd in commands():
        texts = [cmd.help] + [p.help for p in cmd.params if isinstance(p, click.Option)]
        missing += [(" ".join(path), t) for t in texts if t and key(t) not in HELP_ZH]
    assert missing == []
    assert all(HAN.search(zh) for zh in HELP_ZH.values())


def test_every_command_takes_lang():
    for path, cmd in commands():
        if path in NO_LANG:
            continue
        assert "lang" in {p.name for p in cmd.params}, path


def test_lang_is_read_from_anywhere_on_the_line():
    assert lang_of(["status", "R1", "--lang", "en"]) == "en"
    assert lang_of(["--lang=en", "status"]) == "en"
    assert lang_of(["status", "R1"]) == "zh"
    assert lang_of(["import", "R1", "--", "--lang", "en"]) == "zh"  # after -- it is a file name


@pytest.mark.parametrize("args", [(), ("status",), ("score",), ("export",), ("tokens",), ("tokens", "status"),
                                  ("ledger",), ("ledger", "status"), ("round", "create"), ("report",)])
def test_help_is_chinese_by_default_and_english_on_request(capsys, args):
    code, out, _ = run(capsys, *args, "--help")
    assert code == 0 and out.startswith("用法：zuofeng") and "选项" in out and "显示本帮助并退出" in out
    assert "Show this message" not in out and "Usage:" not in out
    code, out, _ = run(capsys, *args, "--help", "--lang", "en")
    assert code == 0 and out.startswith("Usage: zuofeng") and "Show this message and exit." in out
    assert "显示本帮助" not in out and "用法" not in out


def test_help_shows_defaults_in_chinese(capsys):
    code, out, _ = run(capsys, "status", "--help")
    assert code == 0 and "[默认：table]" in out and "default:" not in out
    code, out, _ = run(capsys, "round", "create", "--help")
    assert code == 0 and "[必填]" in out and "[默认：5]" in out and "公布结果的最小组人数" in out


def test_group_help_lists_commands_in_chinese(capsys):
    _code, out, _ = run(capsys, "--help")
    assert "命令" in out and re.search(r"status\s+各部门、各视角的参与覆盖情况", out)
    assert re.search(r"tokens\s+发放匿名答题码", out)


def test_status_in_chinese_then_english(capsys, scored):
    code, out, _ = run(capsys, "status", "R1", "--db", scored)
    assert code == 0 and out.startswith("轮次 R1（开放），k = 5")
    assert out.splitlines()[1].split()[:4] == ["代码", "名称", "视角", "发出"] and "覆盖率" in out
    assert "自评：" in out and "有标记的部门×视角" in out and "self" not in out and "coverage" not in out
    code, out, _ = run(capsys, "status", "R1", "--lang", "en", "--db", scored)
    assert code == 0 and out.startswith("round R1 (open), k = 5")
    assert out.splitlines()[1].split()[:4] == ["code", "name", "view", "issued"]
    assert "Self-rating: " in out and "flagged: " in out and "覆盖率" not in out and "发出" not in out


def test_score_summary_in_chinese_then_english(capsys, scored):
    code, out, _ = run(capsys, "score", "R1", "--db", scored)
    assert code == 0 and "轮次 R1（基线）" in out and "自评指数" in out and "问题清单" in out
    code, out, _ = run(capsys, "score", "R1", "--lang", "en", "--db", scored)
    assert code == 0 and "round R1" in out and "self index" in out and "problem list: " in out
    assert "自评指数" not in out and "问题清单" not in out and "全组织" not in out


def test_export_in_chinese_then_english(capsys, scored, tmp_path):
    out_zh, out_en = tmp_path / "zh.xlsx", tmp_path / "en.xlsx"
    code, out, _ = run(capsys, "export", "R1", "--out", str(out_zh), "--db", scored)
    assert code == 0 and out.startswith(f"已写入 {out_zh}：") and "份答卷" in out
    code, out, _ = run(capsys, "export", "R1", "--out", str(out_en), "--lang", "en", "--db", scored)
    assert code == 0 and out.startswith(f"wrote {out_en}: ") and "answer sheets" in out
    zh, en = openpyxl.load_workbook(out_zh), openpyxl.load_workbook(out_en)
    for tab, zh_words, en_words in (("得分", ["部门", "统计量", "数值", "已抑制"], ["department", "statistic", "value"]),
                                    ("覆盖率", ["部门", "覆盖率"], ["department", "coverage"]),
                                    ("答卷", ["被评部门", "视角"], ["rated department", "view"]),
                                    ("数据质量", ["部门", "标记"], ["department", "flag"])):
        row = 2 if tab == "答卷" else 1
        head_zh = [c.value for c in zh[tab][row]]
        head_en = [c.value for c in en[tab][row]]
        assert set(zh_words) <= set(head_zh) and not set(en_words) & set(head_zh), tab
        assert set(en_words) <= set(head_en) and not set(zh_words) & set(head_en), tab


def test_tokens_status_in_chinese_then_english(capsys, scored):
    code, out, _ = run(capsys, "tokens", "status", "R1", "--db", scored)
    assert code == 0 and "合计：已用" in out and re.search(r"BGS\s+自评\s+BGS", out)
    code, out, _ = run(capsys, "tokens", "status", "R1", "--lang", "en", "--db", scored)
    assert code == 0 and "total: " in out and " used (" in out and re.search(r"BGS\s+self\s+BGS", out)
    assert "合计" not in out and "自评" not in out


def test_ledger_status_in_chinese_then_english(capsys, scored):
    code, out, _ = run(capsys, "ledger", "status", "R1", "--db", scored)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["部门", "名称", "条目"]
    assert "尚未核验" in out and "完成率" in out and "entries" not in out
    code, out, _ = run(capsys, "ledger", "status", "R1", "--lang", "en", "--db", scored)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["department", "name", "entries"]
    assert "not verified yet" in out and "尚未核验" not in out and "完成率" not in out


def test_other_commands_in_chinese_then_english(capsys, scored, tmp_path):
    code, out, _ = run(capsys, "round", "list", "--db", scored)
    assert code == 0 and out.split()[:2] == ["轮次", "状态"] and "开放" in out
    code, out, _ = run(capsys, "round", "list", "--lang", "en", "--db", scored)
    assert code == 0 and out.split()[:2] == ["round", "status"] and " open " in out
    code, out, _ = run(capsys, "ledger", "init", "R1", "--db", scored)
    assert out == "台账 R1：新增 0 条\n"
    code, out, _ = run(capsys, "ledger", "init", "R1", "--lang", "en", "--db", scored)
    assert out == "ledger R1: 0 new entries\n"
    code, out, _ = run(capsys, "backup", "--out", str(tmp_path / "b.db"), "--db", scored)
    assert code == 0 and out.startswith("已将 ") and "1 个轮次" in out
    code, out, _ = run(capsys, "backup", "--out", str(tmp_path / "c.db"), "--lang", "en", "--db", scored)
    assert code == 0 and out.startswith("backed up ") and "rounds: 1; " in out
    code, out, _ = run(capsys, "round", "close", "R1", "--lang", "en", "--db", scored)
    assert out == "round R1 is closed\n"


def test_version_has_no_english_word(capsys):
    from importlib.metadata import version
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"zuofeng {version('zuofeng')}\n"


def test_usage_errors_are_framed_in_the_lines_language(capsys):
    code, _, err = run(capsys, "round", "create", "R1")
    assert code == 2 and err.startswith("用法：zuofeng round create") and "错误：" in err and "--help' 查看帮助" in err
    code, _, err = run(capsys, "round", "create", "R1", "--lang", "en")
    assert code == 2 and err.startswith("Usage: zuofeng round create") and "Error: " in err


def test_english_plurals_follow_the_count_and_never_reach_chinese():
    assert say("ledger_init", "en", n=1, round="R") == "ledger R: 1 new entry"
    assert say("ledger_init", "en", n=2, round="R") == "ledger R: 2 new entries"
    assert say("ledger_init", "zh", n=1, round="R") == "台账 R：新增 1 条"
    for name, (zh, _en) in MESSAGES.items():
        assert isinstance(zh, str) and (CHINESE.search(zh) or name == "error"), name  # the prefix is the program's
        prose = re.sub(r"zuofeng [a-z -]+|\{\w+\}", "", zh)  # commands and fields named in a message
        assert not re.search(r"\b(entries|sheets|tokens|rows|reports|rounds)\b|\(s\)", prose), name


def test_import_notes_and_dry_run_table_in_chinese_then_english(capsys, tmp_path):
    samples = Path(__file__).parent / "data" / "io"
    db = f"sqlite:///{tmp_path / 'z.db'}"
    assert main(["round", "create", "R", "--title", "t", "--roster", str(samples / "roster_office.xlsx"), "--db", db]) == 0
    assert main(["round", "open", "R", "--db", db]) == 0
    capsys.readouterr()
    args = ["import", "R", str(samples / "wjx_code_peer.csv"), "--mapping", str(samples / "wjx_code_peer.yaml"),
            "--dry-run", "--db", db]
    code, out, _ = run(capsys, *args)
    assert code == 0 and "说明：4 份答卷答题过快，已标记（保留，未删除）" in out
    assert out.splitlines()[1].split() == ["题号", "列", "匹配方式"] and "(s)" not in out
    code, out, _ = run(capsys, *args, "--lang", "en")
    assert code == 0 and "note: 4 answer sheets flagged as answered too fast (kept, not deleted)" in out
    assert out.splitlines()[1].split() == ["item", "column", "matched", "by"] and "说明" not in out
    assert say("too_fast", "en", n=1) == "1 answer sheet flagged as answered too fast (kept, not deleted)"
