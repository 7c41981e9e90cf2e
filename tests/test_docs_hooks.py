"""The manual's build hook joins wrapped Chinese lines, and nothing else."""

from __future__ import annotations

import importlib.util
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)


def test_a_wrapped_chinese_sentence_is_one_line_again():
    assert hooks.join_chinese_lines("每个部门至少答了\n一半的条目。") == "每个部门至少答了一半的条目。"
    # a list item's wrapped continuation joins its item
    assert hooks.join_chinese_lines("- 录入模板：填写\n  答题码。") == "- 录入模板：填写答题码。"


def test_blocks_and_english_keep_their_line_breaks():
    for text in ("## 操作步骤\n导入是全有或全无。",        # a heading
                 "第一行。\n- 列表项",                    # a list after a paragraph
                 "| 列 | 值 |\n中文",                     # a table row
                 "!!! 注意\n    内容",                    # an admonition's title
                 "```\n代码\n注释\n```",                  # fenced code
                 "a sentence that wraps\nin English",     # English: the space is right
                 "中文后接\n`zuofeng import`"):           # code after Chinese
        assert hooks.join_chinese_lines(text) == text


def test_no_guide_page_keeps_a_wrapped_chinese_line():
    import re

    cjk = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
    wrapped = re.compile(f"[{cjk}]\n[ \t]*[{cjk}]")
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert len(pages) >= 8
    before = sum(bool(wrapped.search(p.read_text(encoding="utf-8"))) for p in pages)
    assert before >= 1   # the sources do wrap, so the hook has work to do
    for p in pages:
        joined = hooks.join_chinese_lines(p.read_text(encoding="utf-8"))
        outside_code = re.sub(r"```.*?```", "", joined, flags=re.DOTALL)
        lines = outside_code.split("\n")
        for a, b in pairwise(lines):
            if re.search(f"[{cjk}]$", a) and re.match(f"\\s*[{cjk}]", b):
                assert a.lstrip().startswith(("#", "|", "!!!")), (p.name, a, b)
