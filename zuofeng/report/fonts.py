"""The CJK font that arrives with the Python dependencies, registered for charts and embedded in pages.

Charts: ``setup_matplotlib()`` registers Noto Sans SC from the ``pylopdf-fonts-zh-cn`` wheel with
``fontManager.addfont`` and puts it first in ``font.sans-serif`` (DejaVu Sans second, for the few
symbols it lacks). Nothing is downloaded and no system font is needed.

Pages: ``font_face_css(text)`` embeds a subset of the same font (only the characters a page uses) as
a data URI, so the rendered HTML shows real glyphs even on a machine without any CJK font.
"""

from __future__ import annotations

import base64
import io
import warnings
from functools import lru_cache
from pathlib import Path

CJK_FAMILY = "Noto Sans SC"
FALLBACK_FAMILY = "DejaVu Sans"
PAGE_FAMILY = "ZuofengSans"
# Characters every page needs whatever its content: ASCII, Latin-1 punctuation, CJK punctuation.
BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "±×÷·–—‘’“”…‰′″→←↑↓≤≥≠≈−①②③④⑤、。，；：？！（）《》【】「」『』·％～＋＝＜＞"


class GlyphMissingError(RuntimeError):
    """A chart would draw an empty box (tofu) for a character no registered font covers."""


def font_path() -> Path:
    """Path of the packaged Noto Sans SC (OFL-1.1) font file."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@lru_cache(maxsize=1)
def setup_matplotlib() -> str:
    """Register the CJK font with matplotlib (Agg) and make it the first sans-serif family.

    Safe to call many times; returns the family name. Pyplot is not needed: charts are drawn on
    ``matplotlib.figure.Figure`` objects.
    """
    from matplotlib import font_manager as fm

    path = str(font_path())
    fm.fontManager.addfont(path)
    name = fm.FontProperties(fname=path).get_name()
    apply_rc()
    return name


def apply_rc() -> None:
    """(Re)apply the font settings to ``matplotlib.rcParams``."""
    import matplotlib

    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [CJK_FAMILY, FALLBACK_FAMILY]
    matplotlib.rcParams["axes.unicode_minus"] = False


@lru_cache(maxsize=8)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as f:
        return frozenset(f.getBestCmap())


def covered_codepoints() -> frozenset[int]:
    """Code points covered by the fonts charts draw with (the CJK font, then DejaVu Sans)."""
    from matplotlib import font_manager as fm

    setup_matplotlib()
    dejavu = fm.findfont(fm.FontProperties(family=[FALLBACK_FAMILY]), fallback_to_default=False)
    return _cmap(str(font_path())) | _cmap(dejavu)


def drawn_text(fig) -> str:
    """Every character of every visible text artist on a figure (titles, labels, ticks, annotations)."""
    from matplotlib.text import Text

    return "".join(t.get_text() for t in fig.findobj(Text) if t.get_visible())


def missing_glyphs(fig) -> set[str]:
    """Characters drawn on ``fig`` that no chart font covers (would render as empty boxes)."""
    have = covered_codepoints()
    return {ch for ch in drawn_text(fig) if not ch.isspace() and ord(ch) not in have}


def check_glyphs(fig, strict: bool = True) -> set[str]:
    """Raise GlyphMissingError (strict) or warn when ``fig`` draws a character the fonts lack."""
    missing = missing_glyphs(fig)
    if missing:
        msg = "chart text has characters without a glyph: " + " ".join(
            f"{ch!r} U+{ord(ch):04X}" for ch in sorted(missing))
        if strict:
            raise GlyphMissingError(msg)
        warnings.warn(msg, stacklevel=2)
    return missing


def mpl_escape(text: str) -> str:
    """Make user text literal for matplotlib: ``$`` would start mathtext."""
    return str(text).replace("$", r"\$")


@lru_cache(maxsize=4)
def _subset_b64(chars: str) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.notdef_outline = True
    opts.name_IDs = ["*"]
    with TTFont(str(font_path()), lazy=True) as font:
        sub = subset.Subsetter(opts)
        sub.populate(text=chars)
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the CJK font subset to the characters of ``text``.

    Subsetting the 8 MB font costs about a second, so a batch calls this once with every string its
    pages can show and shares the result.
    """
    chars = "".join(sorted(set(BASE_CHARS) | {ch for ch in text if not ch.isspace() and ord(ch) >= 0x20}))
    data = _subset_b64(chars)
    return (f'@font-face {{ font-family: "{PAGE_FAMILY}"; font-style: normal; font-weight: 100 900; '
            f'src: url(data:font/otf;base64,{data}) format("opentype"); }}')


PAGE_FONT_STACK = (f'"{PAGE_FAMILY}", "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
                   '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')
