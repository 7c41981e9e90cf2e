"""The scorer's notes (problem list) and details (data-quality flags) in the report's language.

The engine writes them in Chinese; the Chinese pages show them as they are, the English pages rebuild
them from the same figures (the row's value, the round's rules) so that no column is left empty.
"""

from __future__ import annotations

import re

from . import names as S
from .fmt import card, cell, fmt_value
from .strings import t
from .view import OVERALL, ScoreView

_UNIFORM = ((re.compile(r"(\d+)/(\d+)份答卷完全相同"), "{0}/{1} answer sheets identical"),
            (re.compile(r"条目平均标准差([\d.]+)"), "mean item SD {0}"),
            (re.compile(r"(\d+)票全部同一评价"), "all {0} votes the same"))


def problem_note(v: ScoreView, rule: str, value, note, department: str | None = None, kind: str | None = None,
                 key: str | None = None) -> str:
    """The note of a problem-list row."""
    if v.lang != "en":
        return note if isinstance(note, str) else ""
    rules = v.meta.get("rules") or {}
    if rule == "red_line":
        return t("en_rule_red_line", "en", value=fmt_value(S.PROBLEM_RATE, value, "en"),
                 threshold=f"{v.instrument.red_line_share:.0%}")
    if rule == "problem_rate":
        thr = rules.get("problem_rate")
        return t("en_rule_problem_rate", "en", value=fmt_value(S.PROBLEM_RATE, value, "en"),
                 threshold="—" if thr is None else f"{float(thr):.0%}")
    if rule == "below_organisation":
        return t("en_rule_below_organisation", "en", value=fmt_value(S.INDEX, value, "en"))
    return str(rule)


def quality_detail(v: ScoreView, flag: str, detail, department: str, kind: str) -> str:
    """The detail of a data-quality flag."""
    if v.lang != "en":
        return detail if isinstance(detail, str) else ""
    rules = v.meta.get("rules") or {}
    text = detail if isinstance(detail, str) else ""
    if flag == "jump":
        if text.startswith("满意度"):
            ch = v.value(department, kind, S.LEVEL_EVALUATION, OVERALL, S.SATISFACTION_CHANGE)
            return t("en_flag_jump_sat", "en", change="—" if ch is None else f"{float(ch):+.2f}",
                     threshold=f"{float(rules.get('jump_satisfaction', 0.3)):g}")
        ch = v.value(department, kind, S.LEVEL_OVERALL, OVERALL, S.CHANGE)
        return t("en_flag_jump", "en", change=fmt_value(S.CHANGE, ch, "en"),
                 threshold=f"{float(rules.get('jump_index', 15)):g}")
    if flag == "uniform_department":
        parts = [tmpl.format(*m.groups()) for rx, tmpl in _UNIFORM for m in [rx.search(text)] if m]
        base = t("en_flag_uniform_department", "en")
        return f"{base}: {'; '.join(parts)}" if parts else base
    key = f"en_flag_{flag}"
    from .strings import STRINGS

    return t(key, "en") if key in STRINGS else str(flag)


#: The scorer's notes of hidden figures (:mod:`zuofeng.score.suppress`), read back for English pages.
_HIDDEN = re.compile(r"^已抑制：为保护匿名，不足(\d+)份(回答|答卷|有效票)的数字")
_POOLED = re.compile(r"^已抑制：为保护匿名，本部门(.+?)结果不单独公布，并入“(.+?)”归口统计（含(.+)）$")
_RESTING = re.compile(r"^已抑制：所依据的(.+)未公布（保护匿名）$")
_RELIABILITY = re.compile(r"^已抑制：完整作答的答卷不足(\d+)份")
_COUNTED = {"回答": "answers", "答卷": "answer sheets", "有效票": "valid votes"}


def hidden_note(v: ScoreView, row) -> str:
    """Why a hidden figure is not shown, in plain words: the row's note as the scorer wrote it (it says
    已抑制 and why) on Chinese pages, the same sentence in English on English pages. A hidden row
    without a note gets the scorer's general wording (:func:`zuofeng.score.suppress.hidden_text`)."""
    from ..score.suppress import hidden_text

    note = row.get("note") if row is not None else None
    note = note if isinstance(note, str) and note else hidden_text(v.k_min)
    if v.lang != "en":
        return note
    if m := _HIDDEN.match(note):
        return t("en_hidden", "en", k=m.group(1), what=_COUNTED[m.group(2)])
    if m := _POOLED.match(note):
        return t("en_pooled", "en", kind=_kinds_en(m.group(1)), pool=m.group(2),
                 members=", ".join(_name_en(v, n) for n in m.group(3).split("、")))
    if m := _RESTING.match(note):
        return t("en_resting", "en", what=_resting_en(m.group(1)))
    if m := _RELIABILITY.match(note):
        return t("en_unreliable", "en", k=m.group(1))
    return t("en_hidden", "en", k=v.k_min, what=_COUNTED["回答"])


def _why(v: ScoreView, row) -> str | None:
    return hidden_note(v, row) if row is not None and bool(row.get("suppressed")) else None


def shown_cell(v: ScoreView, row, statistic: str | None = None, with_ci: bool = False, **attrs) -> str:
    """:func:`zuofeng.report.fmt.cell` of a row of the scores table in the view's language; a hidden
    row says why (:func:`hidden_note`), never the bare word."""
    return cell(row, v.lang, statistic=statistic, with_ci=with_ci, hidden=_why(v, row), **attrs)


def shown_card(v: ScoreView, label: str, row, statistic: str | None = None, with_ci: bool = True,
               extra: str = "") -> str:
    """:func:`zuofeng.report.fmt.card` in the view's language; a hidden figure says why below the word."""
    return card(label, row, v.lang, statistic=statistic, with_ci=with_ci, extra=extra, hidden=_why(v, row))


def _kinds_en(text: str) -> str:
    """``自评、互评（外部门）`` → ``Self, Other departments``: the views' labels in English."""
    from ..axes import KINDS, kind_label

    labels = {kind_label(k): kind_label(k, "en") for k in KINDS}
    return ", ".join(labels.get(part, part) for part in text.split("、"))


def _resting_en(what: str) -> str:
    """The figure a hidden row rests on (``上一轮该组结果``, ``自评结果``, ``本部门互评（外部门）q01``), in English."""
    from ..axes import KINDS, kind_label

    if what == "上一轮该组结果":
        return "this group's figures in the previous round"
    if what.endswith("结果"):
        return f"{_kinds_en(what[:-2])} figures"
    before = what.startswith("上一轮")
    rest = what[3:] if before else what
    unit = "this department's " if rest.startswith("本部门") else ""
    rest = rest[3:] if unit else rest
    for k in sorted(KINDS, key=lambda k: -len(kind_label(k))):
        if rest.startswith(kind_label(k)):
            key = rest[len(kind_label(k)):].strip()
            rest = f"{key} ({kind_label(k, 'en')})" if key else f"{kind_label(k, 'en')} figures"
            break
    return f"{unit}{rest}" + (" in the previous round" if before else "")


def _name_en(v: ScoreView, name: str) -> str:
    """A department's English name from its Chinese one (the name itself when unknown)."""
    codes = {str(r["name"]): str(r["code"]) for r in v.departments.to_dict("records")}
    return v.dept_name(codes[name]) if name in codes else name
