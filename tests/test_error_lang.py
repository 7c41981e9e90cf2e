"""Every user error is said in Chinese by default and in English with ``--lang en``.

The package's ``raise`` statements are read from the source: each one of a ZuofengError subclass whose
constructor takes ``en`` must give it (the Chinese text first), so no new error can slip in English
only. Then a few refusals are driven through the CLI in both languages.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import zuofeng
from zuofeng.cli import main
from zuofeng.demo import demo_roster
from zuofeng.errors import ZuofengError

PACKAGE = Path(zuofeng.__file__).parent
HAN = re.compile(r"[\u4e00-\u9fff]")


def error_classes() -> dict[str, type]:
    for m in pkgutil.walk_packages([str(PACKAGE)], "zuofeng."):
        if m.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(m.name)
        except ImportError:   # a module of an optional extra
            continue
    out, todo = {}, [ZuofengError]
    while todo:
        c = todo.pop()
        out[c.__name__] = c
        todo.extend(c.__subclasses__())
    return out


def en_position(cls: type) -> int | None:
    """The position of ``en`` in the constructor's arguments (None: the class words both itself)."""
    params = [p for p in inspect.signature(cls.__init__).parameters.values()][1:]
    names = [p.name for p in params]
    return names.index("en") if "en" in names else None


def raise_sites():
    classes = error_classes()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in classes:
                yield path.relative_to(PACKAGE.parent), node.lineno, classes[name], node.exc


def text_of(node) -> str:
    """The literal parts of a string expression (f-string pieces, concatenations, conditionals)."""
    return "".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def test_every_raise_of_a_user_error_gives_chinese_and_english():
    missing, not_chinese = [], []
    sites = list(raise_sites())
    assert len(sites) > 100   # the walk found the package's raises
    for where, line, cls, call in sites:
        pos = en_position(cls)
        if pos is None:
            continue
        en = call.args[pos] if len(call.args) > pos else next((k.value for k in call.keywords if k.arg == "en"), None)
        if en is None:
            missing.append(f"{where}:{line}")
            continue
        zh = call.args[0] if call.args else None
        literal = text_of(zh) if zh is not None else ""
        if isinstance(zh, (ast.Constant, ast.JoinedStr, ast.BinOp)) and literal.strip() and not HAN.search(literal):
            not_chinese.append(f"{where}:{line}")
    assert not missing, f"raised in English only: {missing}"
    assert not not_chinese, f"first text is not Chinese: {not_chinese}"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'z.db'}"
    assert main(["round", "create", "R1", "--title", "基线", "--roster", str(demo_roster()), "--db", url]) == 0
    return url


@pytest.mark.parametrize("args", [
    ["round", "open", "NOPE"],                                            # unknown round
    ["round", "create", "R1", "--title", "再建", "--roster", "{roster}"],  # duplicate round
    ["round", "create", "R2", "--title", "x", "--roster", "{missing}"],   # roster not found
    ["score", "R1"],                                                       # a draft round
    ["tokens", "issue", "NOPE", "--kind", "self", "--out", "{out}"],        # tokens of an unknown round
])
def test_refusals_are_chinese_by_default_and_english_on_request(db, tmp_path, capsys, args):
    args = [a.format(roster=demo_roster(), missing=tmp_path / "none.csv", out=tmp_path / "s.html") for a in args]
    assert main([*args, "--db", db]) == 2
    zh = capsys.readouterr().err.strip().splitlines()[-1]
    assert main([*args, "--lang", "en", "--db", db]) == 2
    en = capsys.readouterr().err.strip().splitlines()[-1]
    assert zh.startswith("zuofeng: error:") and en.startswith("zuofeng: error:")
    assert HAN.search(zh.removeprefix("zuofeng: error:")), zh
    assert not HAN.search(en.replace("基线", "").replace("再建", "")), en
    assert zh != en
