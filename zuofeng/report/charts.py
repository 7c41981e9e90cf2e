"""Seaborn charts of a report, drawn on plain ``Figure`` objects (no pyplot state) with the packaged CJK
font, checked for missing glyphs, and returned as HTML ``<figure>`` elements with alt text.

Chart functions take small tidy frames that the report sections prepare from ``Scores``; they never
compute a statistic. Rows of suppressed groups are simply absent (the heat map hatches them and
writes the word instead of a number).
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from .fmt import figure
from .fonts import CJK_FAMILY, FALLBACK_FAMILY, check_glyphs, mpl_escape, setup_matplotlib

PALETTE = {"self": "#4C72B0", "peer_inside": "#DD8452", "peer_outside": "#55A868", "all": "#8172B3",
           "previous": "#B0B7BF", "current": "#4C72B0"}
RED = "#C8102E"
GREY = "#8C959F"
DPI = 100
WIDTH = 7.8


@lru_cache(maxsize=1)
def style() -> dict:
    """Seaborn's whitegrid style with the CJK font first (seaborn's own styles put Arial first)."""
    import seaborn as sns

    setup_matplotlib()
    rc = dict(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook", font_scale=0.9))
    rc.update({"font.family": "sans-serif", "font.sans-serif": [CJK_FAMILY, FALLBACK_FAMILY],
               "axes.unicode_minus": False, "savefig.dpi": DPI, "axes.titlelocation": "left",
               "axes.titlesize": 12, "axes.titleweight": "normal"})
    return rc


def _figure(height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def render(fig, alt: str, caption: str | None = None) -> str:
    """PNG-encode ``fig`` (refusing any character without a glyph) and wrap it in ``<figure>``."""
    check_glyphs(fig, strict=True)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        fig.savefig(buf, format="png", dpi=DPI)
    return figure(buf.getvalue(), alt, caption)


def _intervals(ax, x, y, lo, hi, color="#24292f"):
    x, y, lo, hi = (np.asarray(v, dtype="float64") for v in (x, y, lo, hi))
    ok = ~(np.isnan(x) | np.isnan(lo) | np.isnan(hi))
    if ok.any():
        ax.errorbar(x[ok], y[ok], xerr=[np.maximum(x[ok] - lo[ok], 0), np.maximum(hi[ok] - x[ok], 0)], fmt="none",
                    ecolor=color, elinewidth=1.1, capsize=2.5, zorder=3)


def wrap_label(text: str, width: int = 12) -> str:
    """A tick label broken into lines of about ``width`` Latin characters (Chinese: at a space, or every
    ``width // 2`` characters), so that neighbouring labels never overlap."""
    import textwrap

    text = str(text)
    if any(ord(ch) > 0x2E80 for ch in text):
        parts = text.split(" ")
        step = max(2, width // 2)
        return "\n".join(p[i:i + step] for p in parts for i in range(0, len(p), step))
    return textwrap.fill(text, width, break_long_words=False) or text


def _labels(ax, labels):
    ax.set_yticks(range(len(labels)), [mpl_escape(s) for s in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)


def index_bars(df: pd.DataFrame, title: str, axis_label: str, alt: str, caption: str | None = None,
               xlim=(0, 100)) -> str:
    """Horizontal bars with 95% intervals, grouped.

    ``df`` columns: ``label`` (one bar group per label, in order), ``group`` (a PALETTE key),
    ``group_label``, ``value``, ``lo``, ``hi``. Absent or NaN rows draw nothing.
    """
    import matplotlib

    labels = list(dict.fromkeys(df["label"]))
    groups = list(dict.fromkeys(df["group"]))
    names = dict(zip(df["group"], df["group_label"]))
    with matplotlib.rc_context(style()):
        fig, ax = _figure(0.9 + len(labels) * (0.28 + 0.14 * len(groups)))
        h = 0.8 / max(1, len(groups))
        for i, g in enumerate(groups):
            sub = df[df["group"] == g].drop_duplicates("label").set_index("label").reindex(labels)
            y = np.arange(len(labels)) - 0.4 + h * (i + 0.5)
            ax.barh(y, sub["value"].to_numpy(dtype="float64"), height=h * 0.9, color=PALETTE.get(g, GREY),
                    label=mpl_escape(names[g]), zorder=2)
            _intervals(ax, sub["value"], y, sub["lo"], sub["hi"])
        _labels(ax, labels)
        ax.set_xlim(*xlim)
        ax.set_xlabel(mpl_escape(axis_label))
        ax.set_title(mpl_escape(title))
        if len(groups) > 1:
            ax.legend(loc="best", fontsize=8.5, frameon=True)
        return render(fig, alt, caption)


def item_dots(df: pd.DataFrame, title: str, axis_label: str, alt: str, legend: tuple[str, str],
              caption: str | None = None) -> str:
    """A dot plot of the items, in the given order (worst first), with 95% intervals.

    ``df`` columns: ``label``, ``value``, ``lo``, ``hi``, ``red_line`` (bool). ``legend`` names the
    ordinary and the red-line items.
    """
    import matplotlib
    import seaborn as sns

    with matplotlib.rc_context(style()):
        fig, ax = _figure(0.9 + 0.27 * len(df))
        d = df.reset_index(drop=True).assign(y=lambda x: np.arange(len(x)),
                                             kind=lambda x: np.where(x["red_line"], legend[1], legend[0]))
        d["kind"] = d["kind"].map(mpl_escape)
        _intervals(ax, d["value"], d["y"], d["lo"], d["hi"], color=GREY)
        sns.scatterplot(data=d, x="value", y="y", hue="kind", palette={mpl_escape(legend[0]): PALETTE["all"],
                        mpl_escape(legend[1]): RED}, s=46, ax=ax, zorder=4, legend=d["red_line"].any())
        _labels(ax, list(df["label"]))
        ax.set_xlim(0, 100)
        ax.set_xlabel(mpl_escape(axis_label))
        ax.set_ylabel("")
        ax.set_title(mpl_escape(title))
        if ax.get_legend() is not None:
            ax.legend(loc="best", fontsize=8.5, frameon=True, title=None)
        return render(fig, alt, caption)


def heatmap(values: pd.DataFrame, suppressed: pd.DataFrame, title: str, alt: str, suppressed_word: str,
            caption: str | None = None, marked: pd.DataFrame | None = None, mark: str = "*") -> str:
    """Rows × columns of an index; suppressed cells are hatched grey with a word, never a number.

    ``values`` and ``suppressed`` (bool) share their index (row labels) and columns (column labels);
    so does ``marked`` (bool, optional): cells whose figure is another than the chart's (the overview's
    outside index of a department whose combined one is hidden), written with ``mark`` after the number.
    """
    import matplotlib
    import seaborn as sns
    from matplotlib.patches import Rectangle

    mask = suppressed.to_numpy(bool) | values.isna().to_numpy()
    shown = values.where(~suppressed.astype(bool))
    flags = np.zeros(values.shape, bool) if marked is None else marked.to_numpy(bool)
    annot = np.array([[("" if np.isnan(x) else f"{x:.1f}" + (mark if f else "")) for x, f in zip(row, frow)]
                      for row, frow in zip(shown.to_numpy("float64"), flags)], dtype=object).reshape(values.shape)
    with matplotlib.rc_context(style()):
        fig, ax = _figure(1.2 + 0.36 * len(values))
        sns.heatmap(shown.astype("float64"), mask=mask, annot=annot, fmt="", cmap="RdYlGn", vmin=40, vmax=100,
                    linewidths=0.6, linecolor="white", cbar_kws={"shrink": 0.6, "pad": 0.02}, ax=ax,
                    xticklabels=[mpl_escape(wrap_label(c, 11)) for c in values.columns],
                    yticklabels=[mpl_escape(r) for r in values.index], annot_kws={"fontsize": 9})
        for (i, j), hidden in np.ndenumerate(suppressed.to_numpy(bool)):
            if hidden:
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="#EAEEF2", edgecolor="#AFB8C1", hatch="///",
                                       linewidth=0.6, zorder=3))
                ax.text(j + 0.5, i + 0.5, mpl_escape(suppressed_word), ha="center", va="center", fontsize=8.5,
                        color="#57606A", zorder=4)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="x", rotation=0)
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(mpl_escape(title))
        return render(fig, alt, caption)


def interval_dots(df: pd.DataFrame, title: str, axis_label: str, alt: str, caption: str | None = None,
                  xlim=(0, 100), zero_line: bool = False, legend: tuple[str, str] | None = None) -> str:
    """One dot with its 95% interval per row, in the given order (ranking, change).

    ``df`` columns: ``label``, ``value``, ``lo``, ``hi``, ``flag`` (bool: drawn in red, named by
    ``legend[1]``).
    """
    import matplotlib
    import seaborn as sns

    with matplotlib.rc_context(style()):
        fig, ax = _figure(0.9 + 0.3 * len(df))
        d = df.reset_index(drop=True).assign(y=lambda x: np.arange(len(x)))
        names = legend or ("", "")
        d["what"] = np.where(d["flag"].astype(bool), mpl_escape(names[1]), mpl_escape(names[0]))
        if zero_line:
            ax.axvline(0, color=GREY, linewidth=1, zorder=1)
        _intervals(ax, d["value"], d["y"], d["lo"], d["hi"], color=GREY)
        sns.scatterplot(data=d, x="value", y="y", hue="what", palette={mpl_escape(names[0]): PALETTE["all"],
                        mpl_escape(names[1]): RED}, s=50, ax=ax, zorder=4, legend=bool(legend) and d["flag"].any())
        _labels(ax, list(df["label"]))
        if xlim is not None:
            ax.set_xlim(*xlim)
        ax.set_xlabel(mpl_escape(axis_label))
        ax.set_ylabel("")
        ax.set_title(mpl_escape(title))
        if ax.get_legend() is not None:
            ax.legend(loc="best", fontsize=8.5, frameon=True, title=None)
        return render(fig, alt, caption)
