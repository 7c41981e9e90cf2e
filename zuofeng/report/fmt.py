"""How figures are written in reports and in the index: one formatter per statistic, one HTML escaper.

Every number a page shows goes through ``fmt_value`` (and tests compare pages with ``Scores`` through
the same function). Every user-supplied string goes through ``esc``. Suppressed figures are never
formatted: ``cell`` writes the word for "suppressed" instead.
"""

from __future__ import annotations

import base64
import html
import math

from . import names as S
from .strings import t

PERCENT = {"coverage", "problem_rate", "satisfaction", "red_line_share"}
ONE_DECIMAL = {"index", "eval_score", "composite", "headline"}
TWO_DECIMALS = {"mean", "sd", "alpha", "icc1", "icc2", "rwg_j"}
SIGNED_ONE = {S.GAP, S.CHANGE}
SIGNED_TWO: set[str] = set()
P_VALUES = {S.CHANGE_P, S.CHANGE_Q, S.GAP_P, S.GAP_Q, S.ICC_P}
INTEGER = {"respondents", "respondents_table", "headcount", "n", "rank", "rank_low", "rank_high", "count"}
BOOLEAN = {"red_line_alert", "gap_flag", "bottom"}


def esc(value) -> str:
    """HTML-escape any value (quotes too: values also land in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def fmt_value(statistic: str, value, lang: str = "zh") -> str:
    """The text of one figure: ``fmt_value("index", 72.345) == "72.3"``; missing → "—".

    >>> fmt_value("satisfaction", 0.8571)
    '85.7%'
    >>> fmt_value("change", 3.04)
    '+3.0'
    >>> fmt_value("change_p", 0.0004)
    '<0.001'
    """
    if is_missing(value):
        return t("not_available", lang)
    if statistic in BOOLEAN:
        return t("yes", lang) if bool(value) else t("no", lang)
    v = float(value)
    if statistic in PERCENT:
        return f"{100 * v:.1f}%"
    if statistic in ONE_DECIMAL:
        return f"{v:.1f}"
    if statistic in ("icc1", "icc2") and v <= 0:
        return t("icc_le_zero", lang)
    if statistic in TWO_DECIMALS:
        return f"{v:.2f}"
    if statistic in SIGNED_ONE:
        return f"{v:+.1f}"
    if statistic in SIGNED_TWO:
        return f"{v:+.2f}"
    if statistic in INTEGER:
        return f"{v:.0f}"
    if statistic in P_VALUES:
        return "<0.001" if v < 0.001 else f"{v:.3f}"
    return f"{v:.3g}"


def fmt_ci(statistic: str, low, high, lang: str = "zh") -> str:
    """``[68.1, 76.0]`` in the statistic's own format; empty when either end is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{fmt_value(statistic, low, lang)}, {fmt_value(statistic, high, lang)}]"


def data_attrs(**kw) -> str:
    """``data-*`` attributes that tie a page element to its row of the scores table."""
    return "".join(f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in kw.items() if v is not None)


def cell(row, lang: str = "zh", statistic: str | None = None, with_ci: bool = False, hidden: str | None = None,
         **attrs) -> str:
    """A ``<td>`` for one row of the scores table (a mapping with statistic/value/ci/suppressed); a
    suppressed row shows ``hidden`` (why it is hidden, :func:`zuofeng.report.notes.hidden_note`) when
    given, else the word for suppressed."""
    if row is None:
        return f'<td class="num na">{esc(t("not_available", lang))}</td>'
    stat = statistic or row["statistic"]
    a = data_attrs(stat=row.get("statistic", stat), dept=row.get("department"), kind=row.get("kind"),
                   level=row.get("level"), key=row.get("key"), **attrs)
    if bool(row.get("suppressed")):
        return f'<td class="suppressed"{a}>{esc(hidden or t("suppressed", lang))}</td>'
    text = fmt_value(stat, row.get("value"), lang)
    if with_ci:
        ci = fmt_ci(stat, row.get("ci_low"), row.get("ci_high"), lang)
        if ci:
            text = f"{text} {ci}"
    flag = " flag" if stat in BOOLEAN and bool(row.get("value")) and not is_missing(row.get("value")) else ""
    return f'<td class="num{flag}"{a}>{esc(text)}</td>'


def table(header: list[str], rows: list[list[str]], cls: str = "zf-table", caption: str | None = None) -> str:
    """An HTML table in its own horizontally scrolling box (a wide table never makes a phone page scroll
    sideways); ``header`` is plain text (escaped here), ``rows`` are ready ``<td>``/``<th>`` strings."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table></div>')


def td(text, cls: str | None = None, **attrs) -> str:
    """A text cell (escaped)."""
    c = f' class="{cls}"' if cls else ""
    return f"<td{c}{data_attrs(**attrs)}>{esc(text)}</td>"


def figure(png: bytes, alt: str, caption: str | None = None) -> str:
    """An embedded PNG with alt text (and an optional caption), as HTML."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{src}" alt="{esc(alt)}">{cap}</figure>'


class Block:
    """A piece of a report page: HTML for the notebook and its export, plain text for the console.

    >>> Block("<p>x</p>", "x")._repr_html_()
    '<div class="zf"><p>x</p></div>'
    """

    def __init__(self, html_text: str, text: str = ""):
        self.html = html_text
        self.text = text

    def _repr_html_(self) -> str:
        return f'<div class="zf">{self.html}</div>'

    def __repr__(self) -> str:
        return self.text or "(report block)"

    def __add__(self, other: Block) -> Block:
        return Block(self.html + other.html, "\n".join(x for x in (self.text, other.text) if x))


def card(label: str, row, lang: str = "zh", statistic: str | None = None, with_ci: bool = True,
         extra: str = "", hidden: str | None = None) -> str:
    """A headline figure: label, value (or the word for suppressed, with ``hidden``, why, below it), interval."""
    if row is None:
        return ""
    stat = statistic or row["statistic"]
    a = data_attrs(stat=row.get("statistic", stat), dept=row.get("department"), kind=row.get("kind"),
                   level=row.get("level"), key=row.get("key"))
    if bool(row.get("suppressed")):
        value, ci, cls = t("suppressed", lang), hidden or "", "value suppressed"
        for sep in ("：", ": "):   # the reason under the word, without repeating it
            ci = ci.removeprefix(value + sep)
    else:
        value = fmt_value(stat, row.get("value"), lang)
        ci = fmt_ci(stat, row.get("ci_low"), row.get("ci_high"), lang) if with_ci else ""
        cls = "value"
    return (f'<div class="card"><div class="label">{esc(label)}</div><div class="{cls}"{a}>{esc(value)}</div>'
            f'<div class="ci">{esc(ci)}{esc(extra)}</div></div>')


def preliminary_banner(meta: dict, lang: str = "zh") -> str:
    """The visible 初步结果 banner of scores taken while the round was open (empty when it was closed);
    the text is :func:`zuofeng.score.core.preliminary_note`."""
    from ..score.core import preliminary_note

    note = preliminary_note(meta, lang)
    return f'<div class="preliminary" role="note" data-preliminary="1">{esc(note)}</div>' if note else ""
