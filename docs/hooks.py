"""MkDocs hook: pages that are generated from the code, so that they cannot drift from it.

``<!-- zuofeng:statistics -->`` in a page becomes the table of every published statistic and the
method behind its interval, read from the scorer's own registry (:mod:`zuofeng.score.intervals`), the
same registry every report's methods note is written from.
"""

from __future__ import annotations


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
    return markdown
