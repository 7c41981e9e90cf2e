"""The problem list per department (问题清单): each flagged item once, its views merged.

The scorer's ``Scores.problems`` has one row per department × view × item × rule. A department answers
for an item, not for a view, so here each flagged item appears once per department, saying which views
flagged it and by which rule, with the figure and the number of answers behind it.

What a department sees is decided here, once (:func:`department_rows`): every rule except the red-line
rule, whose rows go to the discipline-inspection team alone (``zuofeng.report.redline``). The problem
list, the ledger seeded from it (and so the department's workbook) and the department report all read
that function, so they cannot disagree; red-line items 10–12 are ordinary items there, flagged only by
the ordinary rules.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes import VIEWS, kind_label
from ..errors import ZuofengError
from ..instrument import load_instrument

VIEW_TEXT = {lang: {v: kind_label(v, lang) for v in VIEWS} for lang in ("zh", "en")}
#: rules whose rows only the discipline-inspection team sees (never a department, its list or workbook)
INSPECTION_RULES = ("red_line",)
#: the rules a department's problem list shows, in this order
RULE_ORDER = ("problem_rate", "below_organisation")
RULE_TEXT = {"zh": {"problem_rate": "问题率", "below_organisation": "低于全组织"},
             "en": {"problem_rate": "problem rate", "below_organisation": "below organisation"}}
RULE_STAT = {"problem_rate": "problem_rate", "below_organisation": "index"}
PROBLEM_COLUMNS = ["department", "department_name", "priority", "item", "key", "label", "dimension", "views",
                   "rules", "detail", "n_views", "worst_problem_rate"]


def _figure(rule: str, value: float, lang: str) -> str:
    if rule == "below_organisation":
        return f"{value:.1f}"
    return f"{value:.1%}"


def department_rows(problems: pd.DataFrame, department: str | None = None) -> pd.DataFrame:
    """The rows of the scorer's problem frame (``Scores.problems``) that departments see: a department's
    (or every department's) rows of the three views, without the rules of :data:`INSPECTION_RULES`.

    The one place that decides it: the problem list (:func:`department_problems`), the ledger seeded
    from it and the department report all call this.
    """
    p = problems[(problems["department"] != "ALL") & problems["kind"].isin(VIEWS)
                 & ~problems["rule"].isin(INSPECTION_RULES)]
    if department is not None:
        p = p[p["department"] == department]
    return p


def department_problems(scores, lang: str = "zh", department: str | None = None) -> pd.DataFrame:
    """The problem list of every department (or one), each flagged item once, in priority order.

    Parameters
    ----------
    scores : Scores
        A scored round (:func:`zuofeng.score.score_round`).
    lang : {"zh", "en"}
        Language of labels, views, rules and the detail text.
    department : str, optional
        Only this department.

    Returns
    -------
    DataFrame
        One row per department × flagged item: ``department, department_name, priority`` (1 = first
        within the department), ``item`` (1–22), ``key``, ``label``, ``dimension``, ``views`` (the views
        that flagged it, e.g. ``自评、互评（本部门）``), ``rules`` (the rules that fired), ``detail`` (each
        view × rule with its figure and n), ``n_views`` and ``worst_problem_rate``. Priority: items
        flagged by more views first, then by the highest problem rate, then by item number. Only the
        rows of :func:`department_rows`: a red-line alert is never on this list (red-line items are,
        when an ordinary rule flags them).
    """
    if lang not in ("zh", "en"):
        raise ZuofengError(f"lang 应为 zh 或 en，而不是 {lang!r}",
                           f"lang must be zh or en, not {lang!r}")
    meta = scores.meta
    inst = load_instrument(meta["instrument_id"], meta["instrument_version"])
    items = {it.key: it for it in inst.items}
    dim_of = {it.key: d for d in inst.dimensions for it in d.items}
    names = dict(zip(scores.departments["code"], scores.departments["name"]))
    p = department_rows(scores.problems, department)
    t = scores.table
    t = t[(t["level"] == "item") & ~t["suppressed"].astype(bool)]
    n_of = t.set_index(["department", "kind", "key", "statistic"])["n"]
    rate_of = t[t["statistic"] == "problem_rate"].set_index(["department", "kind", "key"])["value"]
    rows = []
    for (dept, key), g in p.groupby(["department", "key"], sort=True):
        views = [v for v in VIEWS if v in set(g["kind"])]
        rules = [r for r in RULE_ORDER if r in set(g["rule"])]
        parts = []
        for v in views:
            for r in RULE_ORDER:
                hit = g[(g["kind"] == v) & (g["rule"] == r)]
                if hit.empty:
                    continue
                n = n_of.get((dept, v, key, RULE_STAT[r]), np.nan)
                n_txt = "" if pd.isna(n) else f"，n={int(n)}" if lang == "zh" else f", n={int(n)}"
                sep = "：" if lang == "zh" else ": "
                parts.append(f"{VIEW_TEXT[lang][v]} {RULE_TEXT[lang][r]}{sep}"
                             f"{_figure(r, float(hit['value'].iloc[0]), lang)}{n_txt}")
        rates = [rate_of.get((dept, v, key), np.nan) for v in views]
        worst = float(np.nanmax(rates)) if any(pd.notna(x) for x in rates) else np.nan
        it = items[key]
        rows.append({"department": dept, "department_name": names.get(dept, dept), "item": it.number, "key": key,
                     "label": it.label.get(lang), "dimension": dim_of[key].id,
                     "views": ("、" if lang == "zh" else ", ").join(VIEW_TEXT[lang][v] for v in views),
                     "rules": ("、" if lang == "zh" else ", ").join(RULE_TEXT[lang][r] for r in rules),
                     "detail": ("；" if lang == "zh" else "; ").join(parts), "n_views": len(views),
                     "worst_problem_rate": worst})
    df = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    if df.empty:
        return df.assign(priority=pd.Series(dtype="int64"))
    df = df.sort_values(["department", "n_views", "worst_problem_rate", "item"],
                        ascending=[True, False, False, True], na_position="last")
    df["priority"] = df.groupby("department").cumcount() + 1
    return df[PROBLEM_COLUMNS].reset_index(drop=True)


HEADERS = {"zh": ["部门代码", "部门", "优先级", "条目", "问题（简称）", "维度", "反映视角", "判定规则", "依据（数值与样本量）"],
           "en": ["code", "department", "priority", "item", "problem", "dimension", "views", "rules", "evidence (figure, n)"]}


def write_problem_list(scores, path: str | Path, lang: str = "zh", department: str | None = None) -> Path:
    """Write the problem list (:func:`department_problems`) to an Excel workbook: one sheet, frozen
    header, text cells safe from formula injection; written under a temporary name and renamed."""
    from openpyxl import Workbook

    from ..io.excel import atomic_save, write_rows

    df = department_problems(scores, lang, department)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单" if lang == "zh" else "problems"
    cols = ["department", "department_name", "priority", "item", "label", "dimension", "views", "rules", "detail"]
    write_rows(ws, HEADERS[lang], df[cols].itertuples(index=False))
    return atomic_save(wb, Path(path))
