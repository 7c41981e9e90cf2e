"""The restricted report for the discipline-inspection team (纪检监察组).

``render_inspection`` writes ``inspection.html`` into its own folder (default
``reports/<round>-inspection``): the folder is created owner-only (0700) and every file in it is 0600.
Nothing links to it: the batch index of the ordinary reports never names it. Every page carries the
mark 内部 (internal), at the top of the screen and of every printed page.

It holds the red-line matters (``redline.red_line_matters``) with the evidence of every view, and the
suggestions that contain a clue word (``redline.clue_words``). Like every report it shows only what the
scorer published: groups under k are suppressed, suggestions come only from groups with at least
``k_comment`` sheets; the page says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..axes import KINDS, VIEWS
from ..errors import ZuofengError
from . import names as S
from .fmt import esc, is_missing, preliminary_banner, table, td
from .notes import shown_cell
from .page import html_page, write_file
from .redline import clue_comments, clue_words, red_line_matters
from .strings import t
from .view import ScoreView

MARKER = ".zuofeng-inspection"
PAGE = "inspection.html"
DIR_MODE = 0o700
FILE_MODE = 0o600
INTERNAL_CSS = """
.zf .internal-mark { position: sticky; top: 0; z-index: 10; background: #c8102e; color: #fff; font-weight: 700;
  text-align: center; padding: 4px 8px; letter-spacing: 0.3em; }
@media print { .zf .internal-mark { position: fixed; top: 0; left: 0; right: 0; } body { padding-top: 2.2em; } }
.zf mark { background: #ffe08a; }
"""


def inspection_html(v: ScoreView, font_face: str = "") -> str:
    """The inspection page of a round."""
    L = v.lang
    mark = f'<div class="internal-mark" data-internal="1">{esc(t("internal", L))}</div>'
    title = t("insp_title", L, title=v.title())
    parts = [mark, f"<h1>{esc(title)}</h1>", preliminary_banner(v.meta, L),
             f'<p class="lead">{esc(t("insp_lead", L, k=v.k_min, kc=v.meta.get("k_comment", "")))}</p>']
    matters = red_line_matters(v)
    parts.append(f"<h2>{esc(t('insp_redline', L))}</h2>")
    parts.append(f'<p class="note" data-alert-rule="1">{esc(alert_rule_text(v))}</p>')
    if not matters:
        parts.append(f"<p>{esc(t('no_redline', L))}</p>")
    else:
        rows = []
        for m in matters:
            for kind in VIEWS:
                share = v.row(m.department, kind, S.LEVEL_ITEM, m.key, S.RED_LINE_SHARE)
                if share is None:
                    continue
                alert = v.row(m.department, kind, S.LEVEL_ITEM, m.key, S.RED_LINE_ALERT)
                rows.append([td(m.department), td(v.dept_name(m.department)), td(v.key_label(m.key), key=m.key),
                             td(v.kind_label(kind)), shown_cell(v, share, with_ci=True),
                             td(_n(share), cls="num"),
                             shown_cell(v, v.row(m.department, kind, S.LEVEL_ITEM, m.key, S.INDEX), with_ci=True),
                             shown_cell(v, alert)])
        header = [t("code", L), t("department", L), t("item", L), t("kind", L), f"{t('red_line_share', L)} {t('ci', L)}",
                  t("n_answers", L), f"{t('index', L)} {t('ci', L)}", t("red_line_alert", L)]
        parts.append(f'<p data-matters="{len(matters)}">{esc(t("insp_matters", L, n=len(matters)))}</p>')
        parts.append(table(header, rows))
    parts.append(f"<h2>{esc(t('insp_clues', L))}</h2>")
    words = clue_words(v)
    parts.append(f'<p class="note">{esc(t("insp_words", L, words="、".join(words) if L == "zh" else ", ".join(words)))}</p>')
    clues = clue_comments(v)
    if clues.empty:
        parts.append(f"<p>{esc(t('insp_no_clues', L))}</p>")
    else:
        rows = [[td(r.department), td(v.dept_name(r.department) if r.department in v.codes else r.department),
                 td(v.kind_label(r.kind) if r.kind in KINDS else r.kind), td(r.comment, cls="comment"),
                 td("、".join(r.words))] for r in clues.itertuples(index=False)]
        parts.append(table([t("code", L), t("department", L), t("kind", L), t("comment", L), t("clue_words", L)], rows))
    parts.append(f'<p class="note">{esc(t("insp_footer", L))}</p>')
    return html_page(title, "\n".join(parts), L, font_face, INTERNAL_CSS)


def alert_rule_text(v: ScoreView) -> str:
    """The alert rule and its false-alert rate at a true serious share of 2% for the usual group sizes
    (:func:`zuofeng.score.alerts.false_alert_rates`, exact binomial; the study in ``bench/bench_study.py``
    measures it by simulation)."""
    from ..score import alerts

    L, inst = v.lang, v.instrument
    count = int((v.meta.get("rules") or {}).get("red_line_min_count", 3))
    red = [it for it in inst.items if it.red_line]
    tests = len(red) * len(VIEWS)
    rates = alerts.false_alert_rates(share=alerts.STUDY_SHARE, threshold=inst.red_line_share, min_count=count,
                                     tests=tests)
    sep = "；" if L == "zh" else "; "
    text = sep.join(t("insp_rate", L, n=r["n"], rate=f"{r['per_department']:.1%}", x=r["min_serious"])
                    for r in rates)
    values = "/".join(inst.item_scale.options[x - 1].text.get(L) for x in inst.red_line_values)
    return t("insp_rule", L, values=values, share=f"{inst.red_line_share:.0%}", count=count,
             true=f"{alerts.STUDY_SHARE:.0%}", tests=tests, rates=text)


def _n(row) -> str:
    """The number of answers behind a published row (empty for a suppressed one)."""
    n = row.get("n")
    return "" if bool(row.get("suppressed")) or is_missing(n) else f"{float(n):.0f}"


def inspection_exists(round_code: str, folder: str | Path) -> bool:
    """Whether ``folder`` holds an inspection report of ``round_code`` (its page and its marker)."""
    folder = Path(folder)
    try:
        marker = (folder / MARKER).read_text(encoding="utf-8")
    except OSError:
        return False
    return (folder / PAGE).is_file() and marker == _marker_text(round_code)


def _marker_text(round_code: str) -> str:
    return f"zuofeng inspection report of round {round_code}\n"


def inspection_folder(round_code: str, out: str | Path | None = None) -> Path:
    """The default folder ``reports/<round>-inspection``, beside (never inside) the ordinary reports."""
    return Path(out) if out else Path("reports") / f"{round_code}-inspection"


def write_inspection(scores, out: str | Path, lang: str = "zh") -> Path:
    """Write the inspection page into ``out`` (0700, its files 0600); replace an earlier one. Returns
    the page's path."""
    from .fonts import font_face_css
    from .strings import page_chars
    from .swap import MARKER as REPORTS_MARKER

    target = Path(out)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file())):
        raise ZuofengError(f"{target} 已存在，但不是巡察报告文件夹：请另选 --out",
                           f"{target} exists and is not an inspection report folder; choose another --out")
    inside = next((p for p in target.resolve().parents if (p / REPORTS_MARKER).is_file()), None)
    if inside is not None:
        raise ZuofengError(f"{target} 在他人查阅的报告文件夹 {inside} 之内：请为巡察报告另选一个单独的文件夹",
                           f"{target} is inside the report folder {inside}, which others read; "
                           "choose a folder of its own for the inspection report")
    v = ScoreView(scores, lang)
    html = inspection_html(v, font_face_css(page_chars(scores) + t("internal", lang)))
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))  # created 0700
    try:
        os.chmod(staged, DIR_MODE)
        write_file(staged / PAGE, html, FILE_MODE)
        write_file(staged / MARKER, _marker_text(scores.meta["round"]), FILE_MODE)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(staged, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return target / PAGE


def render_inspection(round_code: str, *, out: str | Path | None = None, db: str | None = None, lang: str = "zh",
                      seed: int = 1, scores=None) -> Path:
    """Score ``round_code`` (unless ``scores`` are given) and write its inspection report into ``out``
    (default ``reports/<round>-inspection``, owner-only). Returns the page's path."""
    from .scores_source import score_for_report

    if lang not in ("zh", "en"):
        raise ZuofengError(f"--lang 应为 zh 或 en，而不是 {lang!r}",
                           f"--lang must be zh or en, not {lang!r}")
    target = inspection_folder(round_code, out)
    scores = scores if scores is not None else score_for_report(db, round_code, seed)
    return write_inspection(scores, target, lang)
