"""Stand-alone report pages (index, inspection, public): one HTML document with the report stylesheet
and an embedded subset of the CJK font, no script, nothing loaded from the network."""

from __future__ import annotations

import os
from pathlib import Path

from .fmt import esc
from .notebook_html import page_style


def html_page(title: str, body: str, lang: str = "zh", font_face: str = "", extra_css: str = "") -> str:
    """A complete page around ``body`` (already escaped HTML)."""
    code = "en" if lang == "en" else "zh-CN"
    return (f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{esc(title)}</title>\n'
            f'<meta name="generator" content="zuofeng">\n<style>\n{page_style(font_face)}\n{extra_css}\n</style>\n'
            f'</head>\n<body>\n<main class="zf">\n{body}\n</main>\n</body>\n</html>\n')


def write_file(path: Path, data: bytes | str, mode: int | None = None) -> Path:
    """Write ``data`` through a temporary file and a rename; with ``mode`` the file is created with it
    (never wider, whatever the umask) before any byte is written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            fd = -1
            f.write(raw)
    finally:
        if fd >= 0:
            os.close(fd)
    os.replace(tmp, path)
    return path
