"""Every problem listed for a refused import or ledger workbook is said in Chinese and in English.

The package's source is read: each ``Problem(...)``, ``problems.add(...)``, ``LedgerProblem(...)`` and
``raise BadValue(...)`` gives a Chinese text first and an English one after it, so no new problem can
slip in one language only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import zuofeng
from zuofeng.io import Problem
from zuofeng.ledger import LedgerProblem

PACKAGE = Path(zuofeng.__file__).parent
HAN = re.compile(r"[\u4e00-\u9fff]")
#: call name → position of the Chinese text (the English one follows it)
SITES = {"Problem": 2, "add": 2, "LedgerProblem": 0, "BadValue": 0}


def problem_sites():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in SITES:
                continue
            if name == "add" and not (isinstance(func, ast.Attribute) and "problems" in ast.unparse(func.value)):
                continue
            yield f"{path.relative_to(PACKAGE)}:{node.lineno}", SITES[name], node


def literal_text(node: ast.expr) -> str | None:
    """The constant parts of a string or f-string, or None for a name, a caught error's text or another
    expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Attribute) and v.value.attr == "message"
               for v in node.values):
            return None  # a caught error's Chinese sentence, with its place
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        parts = [literal_text(node.left), literal_text(node.right)]
        return "".join(p for p in parts if p is not None)
    return None


def test_every_problem_site_gives_chinese_then_english():
    sites = list(problem_sites())
    assert len(sites) > 50  # the source was read: imports (template, exports, mapping) and the ledger workbook
    bad = []
    for where, i, node in sites:
        if any(isinstance(a, ast.Starred) for a in node.args):  # a (Chinese, English) pair read earlier
            continue
        if len(node.args) < i + 2:
            bad.append(f"{where}: no English text")
            continue
        zh, en = literal_text(node.args[i]), literal_text(node.args[i + 1])
        if zh is not None and not HAN.search(zh):
            bad.append(f"{where}: the first text is not Chinese: {zh!r}")
        if zh is not None and en is not None and zh == en:
            bad.append(f"{where}: the same text twice")
        if isinstance(node.args[i], ast.Attribute) and node.args[i].attr == "en":
            bad.append(f"{where}: the English text given as the Chinese one")
    assert not bad, "\n".join(bad)


def test_a_problem_says_its_place_in_each_language():
    p = Problem(3, "token", "该答题码已经使用过", "this token has already been used")
    assert str(p) == p.in_lang("zh") == "第 3 行，token 列：该答题码已经使用过"
    assert p.in_lang("en") == "row 3, column token: this token has already been used"
    assert Problem(None, None, "文件没有表头行", "the file has no header row").in_lang("en") == "the file has no header row"
    one = Problem(2, None, "只有中文")
    assert one.en == "只有中文" and one.in_lang("en") == "row 2: 只有中文"
    cell = LedgerProblem("整改台账!I3 (完成时限)：公式；不接受公式", "整改台账!I3 (完成时限): a formula; formulas are not accepted")
    assert str(cell) == cell.in_lang("zh") and cell.in_lang("en").endswith(": a formula; formulas are not accepted")
