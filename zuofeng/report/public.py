"""The public summary (宣传): organisation-level figures only, for the unit's website and WeChat account.

``render_public`` writes ``public.html`` and ``public.png`` (a long image 1080 px wide for a WeChat
post) into ``reports/<round>-public``. Both are drawn from ``public_facts``, which reads only the
organisation's rows (``ALL``) of the score table and leaves out anything suppressed: participation and
coverage, the overall index and its change since the previous round, satisfaction, the five
dimensions. No department name or code, no comment, no suppressed group.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ZuofengError
from ..score.core import preliminary_note
from . import names as S
from .fmt import esc, fmt_ci, fmt_value, is_missing, preliminary_banner
from .page import html_page, write_file
from .strings import t
from .view import ALL, OVERALL, ScoreView

MARKER = ".zuofeng-public"
PAGE, IMAGE = "public.html", "public.png"
IMAGE_WIDTH_PX = 1080
DPI = 100


@dataclass(frozen=True)
class Fact:
    """One published organisation-level figure: its label, value text and interval text."""

    label: str
    value: str
    ci: str = ""


def _fact(v: ScoreView, label_key: str, kind: str, level: str, key: str, statistic: str, with_ci=True) -> Fact | None:
    r = v.row(ALL, kind, level, key, statistic)
    if r is None or bool(r["suppressed"]) or is_missing(r["value"]):
        return None
    ci = fmt_ci(statistic, r["ci_low"], r["ci_high"], v.lang) if with_ci else ""
    return Fact(t(label_key, v.lang) if label_key else v.dim_label(key), fmt_value(statistic, r["value"], v.lang), ci)


def public_facts(v: ScoreView, ledger=None) -> dict[str, list[Fact]]:
    """The figures of the public summary, by section (``participation``, ``index``, ``dimensions``);
    with ``ledger`` (a ``findings.LedgerProgress``) also the rectification measures completed."""
    lv = S.LEVEL_OVERALL
    participation = [
        _fact(v, "pub_respondents", "all", lv, OVERALL, S.RESPONDENTS, False),
        _fact(v, "pub_coverage_self", "self", lv, OVERALL, S.COVERAGE, False),
        _fact(v, "pub_coverage_peer", "peer_inside", lv, OVERALL, S.COVERAGE, False),
        Fact(t("pub_departments", v.lang), str(len(v.codes))),
    ]
    index = [_fact(v, "pub_index", "all", lv, OVERALL, S.INDEX),
             _fact(v, "pub_satisfaction", "all", S.LEVEL_EVALUATION, OVERALL, S.SATISFACTION, False)]
    if v.meta.get("previous"):
        index.append(_fact(v, "pub_change", "all", lv, OVERALL, S.CHANGE))
    if ledger is not None and ledger.entries:
        index.append(Fact(t("pub_ledger", v.lang), f"{ledger.done}/{ledger.entries}"))
    dims = [_fact(v, "", "all", S.LEVEL_DIMENSION, d, S.INDEX) for d in v.dim_ids]
    return {"participation": [f for f in participation if f], "index": [f for f in index if f],
            "dimensions": [f for f in dims if f]}


def public_html(v: ScoreView, font_face: str = "", ledger=None) -> str:
    L = v.lang
    facts = public_facts(v, ledger)
    title = t("pub_title", L, title=v.title())

    def cards(fs):
        return '<div class="cards">' + "".join(
            f'<div class="card"><div class="label">{esc(f.label)}</div><div class="value">{esc(f.value)}</div>'
            f'<div class="ci">{esc(f.ci)}</div></div>' for f in fs) + "</div>"

    body = (f"<h1>{esc(title)}</h1>{preliminary_banner(v.meta, L)}<p class=\"lead\">{esc(t('pub_lead', L))}</p>"
            f"<h2>{esc(t('pub_participation', L))}</h2>{cards(facts['participation'])}"
            f"<h2>{esc(t('pub_index', L))}</h2>{cards(facts['index'])}"
            f"<h2>{esc(t('pub_dims', L))}</h2>{cards(facts['dimensions'])}"
            f"<figure class=\"fit\"><img src=\"{IMAGE}\" alt=\"{esc(t('pub_dims', L))}\"></figure>"
            f"<p class=\"note\">{esc(t('pub_footer', L))}</p>")
    return html_page(title, body, L, font_face)


def public_figure(v: ScoreView, ledger=None):
    """The long image: title, participation, index, the five dimensions as bars; 1080 px wide."""
    import matplotlib

    from .charts import PALETTE, style
    from .fonts import mpl_escape

    L = v.lang
    facts = public_facts(v, ledger)
    dims = [(f, v.value(ALL, "all", S.LEVEL_DIMENSION, d, S.INDEX)) for d, f in
            zip(v.dim_ids, [_fact(v, "", "all", S.LEVEL_DIMENSION, d, S.INDEX) for d in v.dim_ids])]
    dims = [(f, float(x)) for f, x in dims if f is not None and x is not None]
    from matplotlib.figure import Figure

    height = 10.0 + 0.9 * len(dims) + 0.5 * max(0, len(facts["index"]) - 3) + (1.0 if preliminary_note(v.meta, L) else 0.0)
    with matplotlib.rc_context(style()):
        fig = Figure(figsize=(IMAGE_WIDTH_PX / DPI, height), dpi=DPI)
        fig.patch.set_facecolor("white")
        y = 1 - 0.9 / height

        def line(text, size, color="#1f2328", x=0.06, dy=0.0):
            nonlocal y
            fig.text(x, y, mpl_escape(text), fontsize=size, color=color, va="top")
            y -= dy / height

        for part in _wrap(t("pub_title", L, title=v.title()), 17):
            line(part, 30, dy=0.65)
        for part in _wrap(t("pub_lead", L), 44):
            line(part, 15, "#57606a", dy=0.4)
        for part in _wrap(preliminary_note(v.meta, L), 40):
            line(part, 16, "#9a6700", dy=0.45)
        y -= 0.4 / height
        for sec in ("participation", "index"):
            line(t(f"pub_{sec}", L), 22, "#c8102e", dy=0.6)
            for f in facts[sec]:
                fig.text(0.08, y, mpl_escape(f.label), fontsize=17, color="#57606a", va="top")
                fig.text(0.94, y, mpl_escape(f"{f.value} {f.ci}".strip()), fontsize=20,
                         ha="right", va="top")
                y -= 0.5 / height
            y -= 0.25 / height
        line(t("pub_dims", L), 22, "#c8102e", dy=0.55)
        if dims:
            top = y - 0.1 / height
            ax = fig.add_axes([0.30, 1.2 / height, 0.62, top - 1.2 / height])
            labels = [mpl_escape(f.label) for f, _ in dims]
            ax.barh(range(len(dims)), [x for _, x in dims], color=PALETTE["all"], height=0.6)
            for i, (f, x) in enumerate(dims):
                ax.text(min(x, 100) - 1, i, mpl_escape(f.value), ha="right", va="center", color="white", fontsize=17)
            ax.set_yticks(range(len(dims)), labels, fontsize=17)
            ax.set_ylim(len(dims) - 0.5, -0.5)
            ax.set_xlim(0, 100)
            ax.tick_params(axis="x", labelsize=13)
        for i, part in enumerate(_wrap(t("pub_footer", L), 44)):
            fig.text(0.06, (0.75 - 0.3 * i) / height, mpl_escape(part), fontsize=13, color="#57606a", va="top")
    return fig


def _wrap(text: str, width: float) -> list[str]:
    """Greedy lines of at most ``width`` em (a Chinese character is one em, a Latin one about half),
    breaking at spaces, after "·", or between Chinese characters."""
    import re

    def em(x: str) -> float:
        return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in x)

    tokens = re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+", text)
    lines, cur = [], ""
    for tok in tokens:
        if cur and not tok.isspace() and em(cur + tok) > width:
            lines.append(cur.rstrip())
            cur = tok
        elif not (tok.isspace() and not cur):
            cur += tok
    lines.append(cur.rstrip())
    return lines


def public_png(v: ScoreView, ledger=None) -> bytes:
    from .fonts import check_glyphs

    fig = public_figure(v, ledger)
    check_glyphs(fig, strict=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def public_folder(round_code: str, out: str | Path | None = None) -> Path:
    return Path(out) if out else Path("reports") / f"{round_code}-public"


def write_public(scores, out: str | Path, lang: str = "zh", ledger=None) -> Path:
    """Write ``public.html`` and ``public.png`` into ``out`` (replacing an earlier summary); return the page.
    ``ledger`` (a ``findings.LedgerProgress``) adds the rectification measures completed."""
    from .fonts import font_face_css

    target = Path(out)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file())):
        raise ZuofengError(f"{target} 已存在，但不是公开摘要文件夹：请另选 --out",
                           f"{target} exists and is not a public summary folder; choose another --out")
    v = ScoreView(scores, lang)
    html = public_html(v, font_face_css(_page_text(v)), ledger)
    png = public_png(v, ledger)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged.chmod(0o755)
        write_file(staged / PAGE, html)
        write_file(staged / IMAGE, png)
        write_file(staged / MARKER, f"zuofeng public summary of round {scores.meta['round']}\n")
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staged.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staged.rename(target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return target / PAGE


def _page_text(v: ScoreView) -> str:
    """Every character of the public page (to subset the font): no department name is among them."""
    from .strings import STRINGS

    return "".join(z for z, _ in STRINGS.values()) + v.title() + "".join(v.dim_label(d) for d in v.dim_ids)


def render_public(round_code: str, *, out: str | Path | None = None, db: str | None = None, lang: str = "zh",
                  seed: int = 1, scores=None) -> Path:
    """Score ``round_code`` (unless ``scores`` are given) and write its public summary into ``out``
    (default ``reports/<round>-public``). Returns the page's path."""
    from .scores_source import score_for_report

    if lang not in ("zh", "en"):
        raise ZuofengError(f"--lang 应为 zh 或 en，而不是 {lang!r}",
                           f"--lang must be zh or en, not {lang!r}")
    from .ledger_view import ledger_progress

    target = public_folder(round_code, out)
    scores = scores if scores is not None else score_for_report(db, round_code, seed)
    return write_public(scores, target, lang, ledger_progress(round_code, db or "", scores=scores))
