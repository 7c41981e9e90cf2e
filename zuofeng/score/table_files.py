"""Writing the long table (CSV, Excel, Parquet) and the short summary `zuofeng score` prints.

Every string cell of a CSV or Excel export is neutralised against formula injection: a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``. Files are
written to a temporary name and renamed, so nothing is half-written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..axes import VIEWS
from ..textfmt import formula_safe
from ..textfmt import table as text_table
from .core import Scores, preliminary_note, score_round
from .prepare import ScoreError
from .snapshot import replacing
from .suppress import ALL
from .table import LEVELS

SUFFIXES = (".csv", ".xlsx", ".parquet")


def neutralise(value):
    """Prefix a string that a spreadsheet would run as a formula with ``'``; leave anything else alone.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"x\\")"), neutralise("-1"), neutralise("办公室"), neutralise(3.5)
    ('\\'=HYPERLINK("x")', "'-1", '办公室', 3.5)
    """
    return formula_safe(value) if isinstance(value, str) else value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def check_out_path(path: str | os.PathLike) -> Path:
    """The output path, if its suffix is one we write and its folder exists; else a ScoreError."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ScoreError(f"--out {path}：不支持后缀 {path.suffix or '(none)'!r}；可用：{'、'.join(SUFFIXES)}",
                         f"--out {path}: unsupported suffix {path.suffix or '(none)'!r}; "
                         f"allowed: {', '.join(SUFFIXES)}")
    if not path.parent.is_dir():
        raise ScoreError(f"--out {path}：文件夹 {path.parent} 不存在",
                         f"--out {path}: folder {path.parent} does not exist")
    return path


def write_table(scores: Scores, path: str | os.PathLike) -> Path:
    """Write the long table to ``path``: .csv (UTF-8 with BOM), .xlsx (one sheet per level, frozen
    header) or .parquet; return the path."""
    path = check_out_path(path)
    suffix = path.suffix.lower()
    with replacing(path, suffix) as tmp:
        if suffix == ".csv":
            neutralise_frame(scores.table).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".parquet":
            scores.table.to_parquet(tmp, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for level in LEVELS:
                    part = neutralise_frame(scores.table[scores.table["level"] == level])
                    part.to_excel(xw, sheet_name=level, index=False, freeze_panes=(1, 0))
    return path


def score_to_file(engine, round_code: str, out: str | os.PathLike | None = None, seed: int = 1) -> Scores:
    """What `zuofeng score` does: score the round and, if ``out`` is given, write its long table there.

    The suffix of ``out`` is checked before any scoring, so a bad one costs nothing and writes nothing.
    """
    if out is not None:
        check_out_path(out)
    scores = score_round(engine, round_code, seed=seed)
    if out is not None:
        write_table(scores, out)
    return scores


def _fmt(v, spec: str) -> str:
    return "—" if v is None or pd.isna(v) else format(v, spec)


SUMMARY = {
    "zh": {"head": "轮次 {round}（{title}）  k = {k}，意见建议 k = {k_comment}，答卷 {n} 份",
           "all": "全组织",
           "columns": ["代码", "名称", "自评指数", "内部互评指数", "外部互评指数", "满意度", "排名(范围)"],
           "tail": "抑制单元 {suppressed} 个（*）；问题清单 {problems} 条，其中红线 {red} 条；数据质量标记 {quality} 条"},
    "en": {"head": "round {round} ({title})  k = {k}, comments k = {k_comment}, {n} answer sheets",
           "all": "organisation",
           "columns": ["code", "name", "self index", "inside peer index", "outside peer index", "satisfaction",
                       "rank (range)"],
           "tail": "suppressed cells: {suppressed} (*); problem list: {problems}, red-line: {red}; "
                   "data-quality flags: {quality}"},
}


def summary_text(scores: Scores, lang: str = "zh") -> str:
    """A short plain-text summary: the overall index per department and view, satisfaction, rank range,
    then counts of suppressed cells, problems and quality flags. Suppressed cells show as *."""
    t = scores.table
    m = scores.meta
    words = SUMMARY["en" if lang == "en" else "zh"]
    answered = m["n_responses"] if m.get("n_responses") is not None else "*"
    title = (m.get("title_en") or m.get("title", "")) if lang == "en" else m.get("title", "")
    lines = [words["head"].format(round=m["round"], title=title, k=m["k_min"], k_comment=m["k_comment"],
                                  n=answered)]
    if note := preliminary_note(m):
        lines.insert(0, note)
    ov = t[(t["level"] == "overall") & (t["key"] == "overall")]
    idx = ov[ov["statistic"] == "index"].set_index(["department", "kind"])
    sat = t[(t["statistic"] == "satisfaction")].set_index(["department", "kind"])
    rank = ov[ov["statistic"] == "rank"].set_index(["department", "kind"])
    names = dict(zip(scores.departments["code"], scores.departments["name"]))
    rows = []
    for code in [ALL, *scores.departments["code"]]:
        row = [code, names.get(code, words["all"])]
        for view in VIEWS:
            r = idx.loc[(code, view)] if (code, view) in idx.index else None
            row.append("" if r is None else ("*" if r["suppressed"] else _fmt(r["value"], ".1f")))
        s = sat.loc[(code, "all")] if (code, "all") in sat.index else None
        row.append("" if s is None else ("*" if s["suppressed"] else _fmt(s["value"], ".0%")))
        rk = rank.loc[(code, "all")] if (code, "all") in rank.index else None
        row.append("" if rk is None else f"{_fmt(rk['value'], '.0f')} ({_fmt(rk['ci_low'], '.0f')}–"
                                         f"{_fmt(rk['ci_high'], '.0f')})")
        rows.append(row)
    lines.append(text_table(rows, words["columns"]))
    red = scores.problems[scores.problems["rule"] == "red_line"]
    lines.append(words["tail"].format(suppressed=len(scores.suppression), problems=len(scores.problems), red=len(red),
                                      quality=len(scores.quality)))
    return "\n".join(lines)
