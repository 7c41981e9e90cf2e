"""The methods note every report ends with: instrument and its version, the announced 6 aspects /
27 problems against the 5 / 22 listed, scales, thresholds and suppression, weights, the rules behind the
flags, the interval of every figure as the scores record it (``meta["intervals"]``), reliability."""

from __future__ import annotations

import pandas as pd

from ..axes import KINDS, OUTSIDE_MODES, VIEWS
from .fmt import Block, esc, fmt_value, table, td
from .notes import shown_cell
from .strings import label, t
from .view import ALL, OVERALL, ScoreView

#: the figures whose interval each page shows (statistic of ``Scores.meta["intervals"]``), in page order
DEPARTMENT_FIGURES = ("mean", "index", "problem_rate", "satisfaction", "eval_score", "all", "composite", "gap",
                      "change", "alpha", "rank", "organisation")
OVERVIEW_FIGURES = ("mean", "index", "satisfaction", "all", "change", "alpha", "rank", "organisation")
FIGURE_LABEL = {"mean": "mean", "index": "index", "problem_rate": "problem_rate", "satisfaction": "satisfaction",
                "eval_score": "eval_score", "all": "kind_all", "composite": "composite", "gap": "gap",
                "change": "change", "alpha": "alpha", "rank": "rank_range", "organisation": "org_figures"}


def interval_methods(v: ScoreView, figures) -> list[str]:
    """"figure: method" for each of ``figures`` that the scores record a method for
    (``meta["intervals"]``, written in words by :func:`zuofeng.score.intervals.method_text`)."""
    from ..score.intervals import method_text

    used = v.meta.get("intervals") or {}
    if not v.meta.get("group_weights"):
        figures = [f for f in figures if f != "composite"]
    sep = "：" if v.lang == "zh" else ": "
    return [f"{t(FIGURE_LABEL[f], v.lang) if f in FIGURE_LABEL else f}{sep}{method_text(used[f], v.lang)}"
            for f in figures if f in used]


def detectable_text(v: ScoreView, code: str) -> str:
    """"本部门样本量下，可检出的最小变化约为…": per view, the smallest change of the overall index the
    department's comparison could detect (80% power, two-sided 5%; :mod:`zuofeng.score.power`), from the
    change's interval where this round has one, else from the index interval for a next round of the
    same size. Empty when no view is published."""
    import pandas as pd

    from ..axes import VIEWS
    from ..score import power

    L = v.lang
    parts = []
    for kind in VIEWS:
        ch = v.row(code, kind, "overall", OVERALL, "change")
        ix = v.row(code, kind, "overall", OVERALL, "index")
        if ch is not None and not ch["suppressed"] and pd.notna(ch["ci_low"]):
            mdc = float(power.from_change(ch["ci_low"], ch["ci_high"]))
        elif ix is not None and not ix["suppressed"] and pd.notna(ix["ci_low"]):
            mdc = float(power.from_index(ix["ci_low"], ix["ci_high"]))
        else:
            continue
        parts.append(t("mdc_view", L, kind=v.kind_label(kind), mdc=f"{mdc:.0f}"))
    if not parts:
        return ""
    return t("mdc", L, views=("、" if L == "zh" else ", ").join(parts), power=f"{power.POWER:.0%}")


def methods_block(v: ScoreView, department: str | None = None) -> Block:
    L, inst, meta = v.lang, v.instrument, v.meta
    sep = "；" if L == "zh" else "; "
    scale = " / ".join(f"{o.value} {o.text.get(L)}" for o in inst.item_scale.options)
    problem = "、".join(inst.item_scale.options[p - 1].text.get(L) for p in inst.problem_values) if L == "zh" else \
        " or ".join(inst.item_scale.options[p - 1].text.get(L) for p in inst.problem_values)
    scores = meta.get("eval_scores") or {o.value: o.score for o in inst.overall_scale.options}
    names = {o.value: o.text.get(L) for o in inst.overall_scale.options}
    options = " / ".join(names.get(k, k) for k in scores)
    satisfied = "+".join(o.text.get(L) for o in inst.overall_scale.options if o.satisfied)
    score_txt = ", ".join(f"{names.get(k, k)} {float(s):g}" for k, s in scores.items())
    red = [it for it in inst.items if it.red_line]
    paras = [
        t("m_instrument", L, title=inst.title.get(L), id=inst.id, version=inst.version),
        inst.count_note.get(L),
        t("m_scale", L, scale=scale, missing=inst.item_scale.missing.get(L), problem=problem),
        t("m_overall", L, options=options, satisfied=satisfied, scores=score_txt),
    ]
    weights = meta.get("group_weights")
    if weights:
        paras.append(t("m_weights", L, weights=", ".join(f"{v.kind_label(k)} {float(w):g}" for k, w in weights.items())))
    mode = meta.get("outside")
    if mode in ("all", "division"):
        paras.append(t("m_outside", L, mode=OUTSIDE_MODES[mode][L == "en"].split("：")[0],
                       whom=t(f"m_outside_{mode}", L)))
    paras.append(t("m_k", L, k=meta.get("k_min"), kc=meta.get("k_comment")))
    rules = meta.get("rules") or {}
    if red:
        items = sep.join(f"{it.number}. {it.label.get(L)}" for it in red)
        if department:  # a department sees red-line items as ordinary items, never the red-line rule
            paras.append(t("m_redline_dept", L, items=items))
        else:
            paras.append(t("m_redline", L, items=items, share=f"{inst.red_line_share:.0%}",
                           count=rules.get("red_line_min_count", "—"),
                           values="/".join(inst.item_scale.options[x - 1].text.get(L) for x in inst.red_line_values)))
    if department and rules:
        paras.append(t("m_problem_rules", L, rate=f"{float(rules.get('problem_rate', 0)):.0%}",
                       n=rules.get("min_answers", "—")))
    if methods := interval_methods(v, DEPARTMENT_FIGURES if department else OVERVIEW_FIGURES):
        paras.append(t("m_intervals", L, methods=sep.join(methods)))
    if meta.get("seed") is not None:
        n_boot = int(meta.get("n_boot") or 10000)
        paras.append(t("m_seed", L, seed=meta.get("seed"), n_boot=f"{n_boot:,}",
                       mc=f"{(0.025 * 0.975 / n_boot) ** 0.5:.4f}"))
    html = "".join(f"<p>{esc(p)}</p>" for p in paras)
    # reliability: Cronbach's alpha per dimension and view (never pooled over views of the same people),
    # for this department when given, else the organisation
    unit = department or ALL
    keys = [("overall" if key == OVERALL else "dimension", key) for key in v.dim_ids + [OVERALL]]
    # a view without a single α row (an outside view rated on the 民主测评 table only) gets no column
    def shown(r) -> bool:
        return r is not None and (bool(r["suppressed"]) or pd.notna(r["value"]))

    kinds = [k for k in VIEWS if any(shown(v.row(unit, k, level, key, "alpha")) for level, key in keys)]
    rows = []
    for level, key in keys:
        name = t("overall", L) if key == OVERALL else v.dim_label(key)
        rows.append([td(name)] + [shown_cell(v, v.row(unit, kind, level, key, "alpha"), with_ci=True) for kind in kinds])
    header = [t("dimension", L)] + [f"{t('alpha', L)} · {v.dept_name(unit)} · {v.kind_label(kind)}" for kind in kinds]
    if kinds:
        html += table(header, rows)
    if department:
        sup = v.scores.suppression
        sup = sup[sup["department"] == department]
        if not sup.empty:
            groups = []
            for r in sup.itertuples(index=False):
                cat = "" if r.category is None or r.category != r.category else f" · {r.category}"
                groups.append(f"{v.kind_label(r.kind) if r.kind in KINDS else r.kind}{cat}"
                              f"（{label('reason', r.reason, L)}）" if L == "zh" else
                              f"{v.kind_label(r.kind) if r.kind in KINDS else r.kind}{cat} ({label('reason', r.reason, L)})")
            html += f"<p>{esc(t('m_suppressed_groups', L, groups=sep.join(groups)))}</p>"
    n = meta.get("n_responses")
    if n is not None:
        html += f"<p class=\"note\">{esc(t('responses_total', L))}: {esc(fmt_value('n', n))}</p>"
    return Block(f"<h2>{esc(t('sec_methods', L))}</h2>" + html)
