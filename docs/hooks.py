"""MkDocs hook: pages that are generated from the code, so that they cannot drift from it.

``<!-- zuofeng:statistics -->`` in a page becomes the table of every published statistic and the
method behind its interval, read from the scorer's own registry (:mod:`zuofeng.score.intervals`), the
same registry every report's methods note is written from.

A Chinese sentence wrapped in the source (a line ending in a Chinese character and the next one starting
with one) is joined back, since a browser shows a line break inside a paragraph as a space ("答了 一半").
"""

from __future__ import annotations

import re

_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_ENDS_CJK = re.compile(f"[{_CJK}]$")
_STARTS_CJK = re.compile(f"^\\s*[{_CJK}]")
_BLOCK_START = re.compile(r"^\s*([-*+>|#]|\d+\.\s|```|~~~|<)")


def join_chinese_lines(markdown: str) -> str:
    r"""Join each wrapped line of Chinese prose to the line before it, outside fenced code blocks.

    >>> join_chinese_lines("导入是全有\n  或全无。\n- 列表\n\n```\n代码\n行\n```")
    '导入是全有或全无。\n- 列表\n\n```\n代码\n行\n```'
    """
    out: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            out.append(line)
            continue
        if (not fenced and out and _ENDS_CJK.search(out[-1]) and _STARTS_CJK.match(line)
                and not _BLOCK_START.match(line) and not out[-1].lstrip().startswith(("|", "#", "!!!", "???"))):
            out[-1] += line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def _statistics_table() -> str:
    from zuofeng.score.intervals import INTERVALS, METHODS

    rows = ["| 统计量 statistic | 方法 id | 区间与检验 | interval and test |", "|---|---|---|---|"]
    for stat, method in INTERVALS.items():
        zh, en = METHODS[method]
        rows.append(f"| `{stat}` | `{method}` | {zh} | {en} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 - the MkDocs hook signature
    if "<!-- zuofeng:statistics -->" in markdown:
        markdown = markdown.replace("<!-- zuofeng:statistics -->", _statistics_table())
    return join_chinese_lines(markdown)
