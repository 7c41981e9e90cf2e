"""Chinese in charts: the font comes with the Python dependencies, every drawn character has a glyph,
and tofu (empty boxes) would be caught."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zuofeng.instrument import load_instrument
from zuofeng.report import charts, fonts
from zuofeng.report.strings import STRINGS


def _png_pixels(text: str, family: str) -> np.ndarray:
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(0.6, 0.6), dpi=100)
    fig.text(0.5, 0.5, text, fontsize=28, ha="center", va="center", family=family)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(buf, format="png")
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))


def test_the_cjk_font_is_the_one_shipped_with_the_python_dependencies():
    import pylopdf_fonts_zh_cn
    from matplotlib import font_manager as fm

    path = fonts.font_path()
    assert path.is_file() and path.suffix == ".otf"
    assert Path(pylopdf_fonts_zh_cn.__file__).parent in path.parents  # a wheel, not a system font
    assert fonts.setup_matplotlib() == "Noto Sans SC"
    with __import__("matplotlib").rc_context(charts.style()):
        found = fm.findfont(fm.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert Path(found) == path


def test_glyphs_are_real_and_a_font_without_them_draws_identical_boxes():
    fonts.setup_matplotlib()
    zuo, feng = _png_pixels("作", "Noto Sans SC"), _png_pixels("风", "Noto Sans SC")
    assert (zuo < 128).sum() > 30 and (feng < 128).sum() > 30
    assert not np.array_equal(zuo, feng), "two different characters drew the same shape"
    # the check is sensitive: without a CJK font both characters become the same empty box
    assert np.array_equal(_png_pixels("作", "DejaVu Sans"), _png_pixels("风", "DejaVu Sans"))


@pytest.fixture
def captured(monkeypatch):
    """Every figure a chart function renders, kept for inspection."""
    figs = []
    original = charts.render

    def keep(fig, alt, caption=None):
        figs.append(fig)
        return original(fig, alt, caption)

    monkeypatch.setattr(charts, "render", keep)
    return figs


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_covers_every_character_it_draws(lang, captured):
    inst = load_instrument()
    items = [f"{it.number}. {it.label.get(lang)}" for it in inst.items]
    dims = [f"{d.id} {d.label.get(lang)}" for d in inst.dimensions]
    names = ["办公室", "组织人事部", "学会学术部", "科技馆", "科技咨询服务中心", "驻村工作队", "乡村科普工作队"]
    words = [s[1 if lang == "en" else 0] for s in STRINGS.values()]
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "Glyph … missing from font(s)" becomes a failure
        html = [
            charts.index_bars(pd.DataFrame({"label": dims * 3, "group": np.repeat(["self", "peer_inside", "all"], 5),
                                            "group_label": np.repeat(words[:3], 5), "value": rng.uniform(50, 90, 15),
                                            "lo": 40.0, "hi": 95.0}), words[3], words[4], "alt"),
            charts.item_dots(pd.DataFrame({"label": items, "value": rng.uniform(50, 90, 22), "lo": 40.0, "hi": 95.0,
                                           "red_line": [it.red_line for it in inst.items]}), words[5], words[6], "alt",
                             (words[7], words[8])),
            charts.heatmap(pd.DataFrame(rng.uniform(50, 90, (len(names), 5)), index=names, columns=dims),
                           pd.DataFrame(rng.random((len(names), 5)) < 0.2, index=names, columns=dims),
                           words[9], "alt", "已抑制" if lang == "zh" else "suppressed"),
            charts.interval_dots(pd.DataFrame({"label": names + ["全组织"], "value": rng.uniform(-5, 5, 8), "lo": -9.0,
                                               "hi": 9.0, "flag": [True] + [False] * 7}), words[10], words[11], "alt",
                                 xlim=(-10, 10), zero_line=True, legend=("p ≥ 0.05", "p < 0.05")),
        ]
    assert len(captured) == 4 and all("<img" in h and 'alt="alt"' in h for h in html)
    for fig in captured:
        drawn = fonts.drawn_text(fig)
        assert drawn.strip()
        assert fonts.missing_glyphs(fig) == set(), fonts.missing_glyphs(fig)
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for fig in captured for ch in fonts.drawn_text(fig))


def test_a_character_without_a_glyph_fails_the_chart():
    with pytest.raises(fonts.GlyphMissingError, match="U\\+E000"):
        charts.interval_dots(pd.DataFrame({"label": ["科普部\ue000"], "value": [1.0], "lo": [0.0], "hi": [2.0],
                                           "flag": [False]}), "t", "x", "alt")


def test_a_chart_drawn_in_a_font_without_cjk_fails():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.suptitle("作风", family="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        charts.render(fig, "alt")


def test_user_text_with_dollars_is_drawn_literally(captured):
    charts.interval_dots(pd.DataFrame({"label": ["$x^2$ 部"], "value": [1.0], "lo": [0.0], "hi": [2.0],
                                       "flag": [False]}), "t", "x", "alt")
    labels = [t.get_text() for t in captured[0].axes[0].get_yticklabels()]
    assert labels == [r"\$x^2\$ 部"]  # escaped: no mathtext
