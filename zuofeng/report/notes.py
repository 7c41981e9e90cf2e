"""The scorer's notes (problem list) and details (data-quality flags) in the report's language.

The engine writes them in Chinese; the Chinese pages show them as they are, the English pages rebuild
them from the same figures (the row's value, the round's rules) so that no column is left empty.
"""

from __future__ import annotations

import re

from . import names as S
from .fmt import fmt_value
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
