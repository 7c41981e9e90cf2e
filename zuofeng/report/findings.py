"""主要发现 (main findings): the few sentences the overview opens with, generated from ``Scores``.

Every figure in the text is a published row of the score table written by ``fmt_value`` (or a count of
such rows, of coverage gaps or of red-line matters); nothing is computed here that the engine did not
publish. Whether a change is an improvement is read from its Benjamini–Hochberg q-value, the one the
tables print beside it (q < 0.05 and positive: improved; negative: worse; else no clear change:
:func:`zuofeng.score.compare.direction`); where q < 0.05 the 95% interval excludes 0 too.

Ledger progress (整改台账) joins the findings once the ledger exists: pass ``ledger`` (see
``LedgerProgress``) to ``main_findings``; until then the sentence is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import names as S
from .fmt import Block, esc, fmt_ci, fmt_value, is_missing
from .gaps import gaps_of
from .redline import inspection_rendered, red_line_matters
from .strings import t
from .view import ALL, OVERALL, ScoreView

WEAKEST_ITEMS = 3


@dataclass(frozen=True)
class LedgerProgress:
    """Hook for the rectification ledger: how many ledger entries there are and how many are done.

    The ledger subpackage builds one from its own tables and passes it to ``main_findings`` (and so to
    ``OverviewReport(..., ledger=...)``)."""

    entries: int
    done: int
    overdue: int = 0


def _published(row) -> bool:
    return row is not None and not bool(row["suppressed"]) and not is_missing(row["value"])


def _num(row, L) -> str:
    return fmt_value(row["statistic"], row["value"], L)


def _with_ci(row, L) -> str:
    ci = fmt_ci(row["statistic"], row["ci_low"], row["ci_high"], L)
    return f"{_num(row, L)}（95%区间 {ci}）" if L == "zh" and ci else (
        f"{_num(row, L)} (95% interval {ci})" if ci else _num(row, L))


def direction(row, q_row) -> str:
    """``improved``, ``worse`` or ``unclear`` from a change row and its q-value row."""
    from ..score.compare import direction as by_q

    q = float("nan") if not _published(q_row) else float(q_row["value"])
    return by_q(float(row["value"]), q)


def main_findings(v: ScoreView, ledger: LedgerProgress | None = None) -> list[str]:
    """The sentences of 主要发现, in order: overall picture, weakest conduct, change, blind spots, red-line
    matters routed to inspection, ledger progress (when given)."""
    L = v.lang
    sep = "、" if L == "zh" else ", "
    out = []
    # 1. overall
    idx = v.row(ALL, "all", S.LEVEL_OVERALL, OVERALL, S.INDEX)
    sat = v.row(ALL, "all", S.LEVEL_EVALUATION, OVERALL, S.SATISFACTION)
    resp = v.row(ALL, "all", S.LEVEL_OVERALL, OVERALL, S.RESPONDENTS)
    if _published(idx) and _published(resp):
        s = t("f_overall", L, n=_num(resp, L), index=_with_ci(idx, L))
        if _published(sat):
            s += t("f_satisfaction", L, sat=_num(sat, L))
        out.append(s)
    # 2. weakest conduct: the weakest dimension and the weakest items, organisation, all raters
    dims = [(v.row(ALL, "all", S.LEVEL_DIMENSION, d, S.INDEX), d) for d in v.dim_ids]
    dims = [(r, d) for r, d in dims if _published(r)]
    items = [(v.row(ALL, "all", S.LEVEL_ITEM, k, S.INDEX), k) for k in v.item_keys]
    items = sorted([(r, k) for r, k in items if _published(r)], key=lambda x: (x[0]["value"], x[1]))
    if dims:   # the weakest dimension stands even when the organisation's item figures are hidden
        wd, d = min(dims, key=lambda x: (x[0]["value"], x[1]))
        worst = sep.join(t("f_item", L, label=v.item(k).label.get(L), index=_num(r, L))
                         for r, k in items[:WEAKEST_ITEMS])
        hidden = len(v.item_keys) - len(items)
        tail = (t("f_weakest_none", L) if not items else t("f_weakest_items", L, items=worst) if not hidden
                else t("f_weakest_some", L, shown=len(items), items=worst, hidden=hidden))
        out.append(t("f_weakest", L, dim=v.dim_label(d), dim_index=_num(wd, L)) + tail)
    # 3. change since the previous round
    if v.meta.get("previous"):
        ch = v.row(ALL, "all", S.LEVEL_OVERALL, OVERALL, S.CHANGE)
        if _published(ch):
            q = v.row(ALL, "all", S.LEVEL_OVERALL, OVERALL, S.CHANGE_Q)
            s = t(f"f_change_{direction(ch, q)}", L, previous=v.meta["previous"], change=_with_ci(ch, L))
            groups = {"improved": [], "worse": [], "unclear": []}
            for d in v.dim_ids:
                r = v.row(ALL, "all", S.LEVEL_DIMENSION, d, S.CHANGE)
                if _published(r):
                    groups[direction(r, v.row(ALL, "all", S.LEVEL_DIMENSION, d, S.CHANGE_Q))].append(t("f_dim_change", L, dim=v.dim_label(d), change=_num(r, L)))
            for g in ("improved", "unclear", "worse"):
                if groups[g]:
                    s += t(f"f_dims_{g}", L, dims=sep.join(groups[g]))
            out.append(s)
    # 4. blind spots
    gaps = gaps_of(v.scores)
    if gaps is not None:
        blind = [g for g in gaps if "盲区" in g["flags"]]
        below = [g for g in gaps if "低于k" in g["flags"]]
        depts = {g["department"] for g in gaps}
        if gaps:
            s = t("f_gaps", L, groups=len(gaps), depts=len(depts))
            s += t("f_gaps_blind", L, n=len(blind)) if blind else ""
            s += t("f_gaps_below", L, n=len(below)) if below else ""
            over = list(dict.fromkeys(g["department"] for g in gaps if "收回多于发出" in g["flags"]))
            if over:   # a count with more ballots than were issued is void: every report says so
                s += t("f_gaps_over", L, depts=("、" if L == "zh" else ", ").join(
                    v.dept_name(c) if c in v.codes else c for c in over))
            out.append(s)
        else:
            out.append(t("f_no_gaps", L))
    # 5. red-line matters routed to inspection
    matters = red_line_matters(v)
    if matters:
        out.append(t("f_redline" if inspection_rendered(v.meta) else "f_redline_pending", L, n=len(matters),
                     depts=len({m.department for m in matters})))
    else:
        out.append(t("f_no_redline", L))
    # 6. ledger progress (hook: filled in once the rectification ledger exists)
    if ledger is not None:
        out.append(t("f_ledger", L, entries=ledger.entries, done=ledger.done, overdue=ledger.overdue))
    return out


def findings_block(v: ScoreView, ledger: LedgerProgress | None = None) -> Block:
    """主要发现 as a list under its heading."""
    sentences = main_findings(v, ledger)
    items = "".join(f"<li>{esc(s)}</li>" for s in sentences)
    return Block(f'<h2>{esc(t("ov_findings", v.lang))}</h2><ol class="findings">{items}</ol>'
                 f'<p class="note">{esc(t("f_note", v.lang))}</p>', "\n".join(sentences))
