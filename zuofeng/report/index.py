"""``index.html`` of a report folder: every report with its headline figures, and every failure named."""

from __future__ import annotations

import os
from pathlib import Path

from .fmt import esc, preliminary_banner, table, td
from .notebook_html import page_style
from .notes import shown_cell
from .strings import t
from .view import ALL, OVERALL, ScoreView


def _link(href: str | None, text: str) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>' if href else ""


def _status(entry: dict | None, lang: str) -> str:
    if entry is None:
        return td("")
    if entry.get("ok"):
        return td(t("ok", lang), cls="ok", status="ok")
    return (f'<td class="failed" data-status="failed">{esc(t("failed", lang))}: '
            f'{esc(entry.get("error") or "")}</td>')


def index_html(scores, reports: dict[str, dict], lang: str = "zh", font_face: str = "") -> str:
    """The page: headline figures of the organisation and of each department, links, status."""
    v = ScoreView(scores, lang)
    L = v.lang
    meta = v.meta
    title = t("index_title", L, title=v.title())
    lead = t("lead_overview", L, round_title=v.title(), round=meta["round"], n_dept=len(v.codes),
             n=meta.get("n_responses", ""), scored_on=v.scored_on())

    def links(entry):
        if not entry:
            return td("")
        parts = [_link(entry.get("html"), t("html", L)), _link(entry.get("ipynb"), t("notebook", L))]
        return "<td>" + " · ".join(p for p in parts if p) + "</td>"

    def figures(code):
        return [shown_cell(v, v.row(code, "all", "overall", OVERALL, "respondents")),
                shown_cell(v, v.row(code, "all", "overall", OVERALL, "index"), with_ci=True),
                shown_cell(v, v.row(code, "all", "evaluation", OVERALL, "satisfaction")),
                shown_cell(v, v.row(code, "all", "evaluation", OVERALL, "eval_score")),
                shown_cell(v, v.row(code, "all", "overall", OVERALL, "rank")) if code != ALL else td("")]

    ov = reports.get("overview")
    rows = [[td(""), td(t("overview_title", L)), td(""), *figures(ALL), links(ov), _status(ov, L)]]
    for d in v.departments.to_dict("records"):
        entry = reports.get(d["code"])
        rows.append([td(d["code"], dept=d["code"]), td(v.dept_name(d["code"])), td(d["unit_type"]), *figures(d["code"]),
                     links(entry), _status(entry, L)])
    header = [t("code", L), t("name", L), t("unit_type", L), t("respondents", L),
              f"{t('index', L)} {t('ci', L)}", t("satisfaction", L), t("eval_score", L), t("rank", L),
              t("report", L), t("status", L)]
    failed = [n for n, e in reports.items() if not e.get("ok")]
    note = f'<p class="note">{esc(t("failed_note", L))}</p>' if failed else ""
    body = (f"<h1>{esc(title)}</h1>{preliminary_banner(meta, L)}<p class=\"lead\">{esc(lead)}</p>"
            f'<p class="legend">{esc(t("legend_index", L))}</p>'
            f'<p class="legend">{esc(t("legend_suppressed", L, k=v.k_min))}</p>'
            + table(header, rows) + note)
    lang_code = "en" if L == "en" else "zh-CN"
    return (f'<!DOCTYPE html>\n<html lang="{lang_code}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{esc(title)}</title>\n'
            f'<meta name="generator" content="zuofeng">\n<style>\n{page_style(font_face)}\n</style>\n</head>\n'
            f'<body>\n<main class="zf">\n{body}\n</main>\n</body>\n</html>\n')


def write_index(scores, reports: dict[str, dict], path: str | Path, lang: str = "zh", font_face: str = "") -> Path:
    """Write ``index.html`` (through a temporary file and a rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(index_html(scores, reports, lang, font_face), encoding="utf-8")
    os.replace(tmp, path)
    return path
