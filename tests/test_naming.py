"""One name for the respondent's code: 答题码 in every Chinese string a user reads (package messages,
pages, slips, workbooks, notebooks, report templates) and in the README; never 口令, 令牌 or an English
"token" inside Chinese text. A template column named ``token`` (``token：`` or ``token 列``) and a command
(``zuofeng tokens issue``) are names, not prose, and may stand in Chinese text."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")
OTHER_NAMES = re.compile(r"口令|令牌")
#: "token" as a word, unless it names the template's column (token： / token 列) or a command
ENGLISH = re.compile(r"(?<![A-Za-z_])tokens?(?![A-Za-z_])(?!\s*列)(?!：)", re.IGNORECASE)
COMMAND = re.compile(r"zuofeng [a-z][a-z -]*")
#: Files left out of the check (none: the console package is checked like every other module)
NOT_YET: set[str] = set()


def py_strings(path: Path):
    """The string constants of a module that users can read: every one but the docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def notebook_texts(path: Path):
    for n, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        yield n, "".join(cell["source"])


def bad_name(text: str) -> str | None:
    if m := OTHER_NAMES.search(text):
        return m.group(0)
    if HAN.search(text):
        for chunk in re.split(r"[\n。；]", COMMAND.sub("", text)):
            if HAN.search(chunk) and (m := ENGLISH.search(chunk)):
                return m.group(0)
    return None


def user_texts():
    for p in sorted((ROOT / "zuofeng").rglob("*.py")):
        rel = p.relative_to(ROOT).as_posix()
        if rel not in NOT_YET:
            for line, s in py_strings(p):
                yield f"{rel}:{line}", s
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell, s in notebook_texts(p):
            yield f"{p.relative_to(ROOT).as_posix()} cell {cell}", s
    for p in sorted((ROOT / "zuofeng" / "templates").rglob("*")):
        if p.is_file():
            for line, s in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                yield f"{p.relative_to(ROOT).as_posix()}:{line}", s


def test_the_checker_finds_the_other_names():
    assert bad_name("请输入口令") == "口令" and bad_name("发放令牌") == "令牌"
    assert bad_name("请输入 token 后提交") == "token" and bad_name("已发放 3 个 tokens") == "tokens"
    assert bad_name("token：照抄纸条上的答题码") is None and bad_name("token 列可留空") is None
    assert bad_name("请先运行 zuofeng tokens issue R1") is None
    assert bad_name("type the token and submit") is None  # English text says token


def test_every_chinese_text_calls_the_code_答题码():
    found = [(where, bad_name(s), s[:80]) for where, s in user_texts() if bad_name(s)]
    assert found == []


def test_the_manual_has_no_other_chinese_name():
    """The README and the documentation say 答题码 and only that in Chinese (the English guide says token,
    and says once that it is called 答题码 in every Chinese text)."""
    from tests.manual import manual

    text = manual()
    assert not OTHER_NAMES.search(text)
    assert "called 答题码 in every Chinese page, slip, message and file" in text
    assert "答题码" in (ROOT / "README.md").read_text(encoding="utf-8")
