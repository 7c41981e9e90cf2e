"""Executed notebook → one self-contained HTML page without input cells.

The page embeds its images (data URIs), its CSS and a subset of the CJK font; the nbconvert template
``zuofeng_report`` drops everything the stock lab template would fetch from the network (require.js,
MathJax, mermaid, widget scripts), so a report opens offline and carries no script at all.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from .fonts import PAGE_FONT_STACK

TEMPLATE = "zuofeng_report"
_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def templates_dir() -> str:
    return str(resources.files("zuofeng") / "templates")


@lru_cache(maxsize=1)
def page_css() -> str:
    """The report stylesheet (without the font face)."""
    return (resources.files("zuofeng") / "templates" / TEMPLATE / "report.css").read_text(encoding="utf-8")


def page_style(font_face: str = "") -> str:
    """Font face + font stack + report stylesheet, for a ``<style>`` element."""
    return f"{font_face}\n:root {{ --zf-font: {PAGE_FONT_STACK}; }}\n{page_css()}"


class ReportExporter:
    """An nbconvert HTMLExporter configured once (it is reused for every notebook of a worker)."""

    def __init__(self, font_face: str = ""):
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        self.style = page_style(font_face)
        self.exporters = {}
        for lang, code in (("zh", "zh-CN"), ("en", "en")):
            ex = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[templates_dir()])
            ex.exclude_input = True
            ex.exclude_input_prompt = True
            ex.exclude_output_prompt = True
            ex.language_code = code
            ex.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"remove_cell"}), enabled=True)
            self.exporters[lang] = ex

    def to_html(self, nb, title: str, lang: str = "zh") -> str:
        """Render an executed notebook node to a page string."""
        nb.metadata["title"] = title
        html, _ = self.exporters["en" if lang == "en" else "zh"].from_notebook_node(
            nb, resources={"zuofeng_css": self.style})
        external = external_references(html)
        if external:
            raise RuntimeError(f"rendered page would load from the network: {external[0]}")
        return html


def external_references(html: str) -> list[str]:
    """Tags in ``html`` that would fetch something from the network (should be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]
