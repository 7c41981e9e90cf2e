"""The sections of the overview for the leading group. Each method returns a ``Block``."""

from __future__ import annotations

import pandas as pd

from ..axes import COVERAGE_VIEWS, KINDS, VIEWS
from . import charts
from . import names as S
from .findings import LedgerProgress, findings_block
from .fmt import Block, cell, data_attrs, esc, fmt_value, preliminary_banner, table, td
from .gaps import gap_labels
from .methods import methods_block
from .notes import quality_detail, shown_card, shown_cell
from .redline import inspection_rendered, red_line_matters
from .strings import label, t
from .view import ALL, OVERALL, ScoreView


class OverviewReport:
    """The whole organisation: every department side by side, for the leading group.

    Sections in page order: ``header``, ``findings`` (主要发现), ``heatmap``, ``coverage``, ``ranking``,
    ``trend``, ``red_lines`` (how many matters went to inspection), ``quality``, ``appendix``
    (reliability and agreement, with how to read them), ``methods``.
    """

    def __init__(self, view: ScoreView, ledger: LedgerProgress | None = None):
        self.v = view
        self.L = view.lang
        self.ledger = ledger

    def findings(self) -> Block:
        """主要发现: a few plain sentences, every figure from the score table."""
        return findings_block(self.v, self.ledger)

    def _h2(self, key: str) -> str:
        return f"<h2>{esc(t(key, self.L))}</h2>"

    def _name(self, code: str) -> str:
        return self.v.dept_name(code)

    def header(self) -> Block:
        v, L = self.v, self.L
        lead = t("lead_overview", L, round_title=v.title(), round=v.meta["round"], n_dept=len(v.codes),
                 n=v.meta.get("n_responses", ""), scored_on=v.scored_on())
        def shown(label: str, row, with_ci: bool = True) -> str:   # a hidden headline figure says why
            return shown_card(v, label, row, with_ci=with_ci)

        cards = "".join([
            shown(t("respondents", L), v.row(ALL, "all", "overall", OVERALL, "respondents"), with_ci=False),
            shown(f"{t('coverage', L)} · {v.kind_label('self')}", v.row(ALL, "self", "overall", OVERALL, "coverage"),
                  with_ci=False),
            shown(f"{t('coverage', L)} · {v.kind_label('peer_inside')}",
                  v.row(ALL, "peer_inside", "overall", OVERALL, "coverage"), with_ci=False),
            shown(t("index", L), v.row(ALL, "all", "overall", OVERALL, "index")),
            shown(t("satisfaction", L), v.row(ALL, "all", "evaluation", OVERALL, "satisfaction")),
        ])
        html = (f"<h1>{esc(v.title())} · {esc(t('overview_title', L))}</h1>{preliminary_banner(v.meta, L)}"
                f"<p class=\"lead\">{esc(lead)}</p>"
                f'<div class="cards">{cards}</div><p class="legend">{esc(t("legend_index", L))}</p>'
                f'<p class="legend">{esc(t("legend_suppressed", L, k=v.k_min))}</p>')
        return Block(html, f"{v.title()} · {t('overview_title', L)}")

    def _cell(self, row, with_ci: bool = False) -> str:
        """A figure's cell; a hidden one says why (the score table's note), never the bare word."""
        return shown_cell(self.v, row, with_ci=with_ci)

    def _outside(self, row, code: str, level: str, key: str) -> dict | None:
        """The published outside index (民主测评, ``peer_outside``) that stands in for a hidden combined
        index ``row`` of the heat map of all raters; None where there is none to show."""
        if row is None or not bool(row["suppressed"]):
            return None
        out = self.v.row(code, "peer_outside", level, key, "index")
        if out is None or bool(out["suppressed"]) or pd.isna(out["value"]):
            return None
        return out

    def heatmap(self, kind: str = "all") -> Block:
        """The index of every department per dimension. On the map of all raters (``all``), a department
        whose combined index is hidden shows its outside index (民主测评), marked as such; a figure
        that cannot be shown says why."""
        v, L = self.v, self.L
        cols = v.dim_ids + [OVERALL]
        col_labels = [v.dim_label(d) for d in v.dim_ids] + [t("overall", L)]
        vals, hidden, marked, rows = [], [], [], []
        for code in v.codes:
            rv, rh, rm, cells = [], [], [], []
            for key in cols:
                level = "overall" if key == OVERALL else "dimension"
                r = v.row(code, kind, level, key, "index")
                out = self._outside(r, code, level, key) if kind == "all" else None
                if out is not None:
                    rv.append(float(out["value"]))
                    rh.append(False)
                    rm.append(True)
                    a = data_attrs(stat="index", dept=code, kind=out["kind"], level=level, key=key, stands_for=kind)
                    cells.append(f'<td class="num outside"{a}>{esc(fmt_value("index", out["value"], L))}'
                                 f'{esc(t("outside_mark", L))}</td>')
                    continue
                sup = r is None or bool(r["suppressed"])
                rv.append(float("nan") if sup or pd.isna(r["value"]) else float(r["value"]))
                rh.append(r is not None and bool(r["suppressed"]))
                rm.append(False)
                cells.append(self._cell(r))
            vals.append(rv)
            hidden.append(rh)
            marked.append(rm)
            rows.append([td(code), td(self._name(code)), *cells])
        labels = [f"{self._name(c)}" for c in v.codes]
        values = pd.DataFrame(vals, index=labels, columns=col_labels)
        supp = pd.DataFrame(hidden, index=labels, columns=col_labels)
        marks = pd.DataFrame(marked, index=labels, columns=col_labels, dtype=bool)
        word = f"{t('suppressed', L)}\n" + ("（{}）" if L == "zh" else "({})").format(t("reason_protected", L))
        chart = charts.heatmap(values, supp, f"{t('index', L)} · {v.kind_label(kind)}", t("alt_heatmap", L),
                               word, marked=marks)
        org = [td(ALL), td(self._name(ALL))] + [
            self._cell(v.row(ALL, kind, "overall" if k == OVERALL else "dimension", k, "index")) for k in cols]
        legend = (f'<p class="legend">{esc(t("outside_legend", L, kind=v.kind_label("peer_outside")))}</p>'
                  if marks.to_numpy().any() else "")
        html = self._h2("ov_heatmap") + chart + table([t("code", L), t("department", L), *col_labels], rows + [org])
        return Block(html + legend)

    def coverage(self) -> Block:
        v, L = self.v, self.L
        rows, plot = [], []
        for code in v.codes:
            cells, flags = [], gap_labels(v, code)
            for k in VIEWS:
                resp = v.row(code, k, "overall", OVERALL, "respondents")
                cells.append(self._cell(resp))
                if k == "peer_outside":
                    cells.append(self._cell(v.row(code, k, "overall", OVERALL, "respondents_table")))
                if k != "peer_outside":
                    cov = v.row(code, k, "overall", OVERALL, "coverage")
                    cells.append(self._cell(cov))
                    if cov is not None and not cov["suppressed"] and pd.notna(cov["value"]):
                        plot.append({"label": self._name(code), "group": k, "group_label": v.kind_label(k),
                                     "value": 100 * float(cov["value"]), "lo": float("nan"), "hi": float("nan")})
            rows.append([td(code), td(self._name(code)), *cells,
                         td("；".join(flags) if L == "zh" else "; ".join(flags), cls="flag wrap" if flags else "wrap")])
        header = [t("code", L), t("department", L),
                  f"{t('respondents', L)} · {v.kind_label('self')}", t("coverage", L),
                  f"{t('respondents', L)} · {v.kind_label('peer_inside')}", t("coverage", L),
                  f"{t('respondents', L)} · {v.kind_label('peer_outside')}", t("respondents_table", L), t("gaps", L)]
        chart = ""
        if plot:
            top = max(110.0, max(p["value"] for p in plot) + 5)
            chart = charts.index_bars(pd.DataFrame(plot), t("coverage", L), f"{t('chart_coverage_axis', L)} (%)",
                                      t("alt_coverage", L), xlim=(0, top))
        return Block(self._h2("ov_coverage") + chart + table(header, rows))

    def ranking(self, kind: str = "all") -> Block:
        v, L = self.v, self.L
        recs = []
        for code in v.codes:
            idx = v.row(code, kind, "overall", OVERALL, "index")
            rank = v.row(code, kind, "overall", OVERALL, "rank")
            recs.append({"code": code, "idx": idx, "rank": rank,
                         "order": v.value(code, kind, "overall", OVERALL, "rank")})
        recs.sort(key=lambda r: (r["order"] is None, r["order"] or 0, r["code"]))
        rows, plot = [], []
        for r in recs:
            code = r["code"]
            lo = v.row(code, kind, "overall", OVERALL, "rank_low")
            hi = v.row(code, kind, "overall", OVERALL, "rank_high")
            bottom = v.row(code, kind, "overall", OVERALL, "bottom")
            rows.append([self._cell(r["rank"]), self._cell(lo), self._cell(hi), td(code), td(self._name(code)),
                         self._cell(r["idx"], with_ci=True), self._cell(bottom)])
            i = r["idx"]
            if i is not None and not i["suppressed"] and pd.notna(i["value"]):
                plot.append({"label": self._name(code), "value": i["value"], "lo": i["ci_low"], "hi": i["ci_high"],
                             "flag": bool(v.value(code, kind, "overall", OVERALL, "bottom") or 0)})
        header = [t("rank", L), f"{t('rank_range', L)} ↓", f"{t('rank_range', L)} ↑", t("code", L),
                  t("department", L), f"{t('index', L)} {t('ci', L)}", t("bottom", L)]
        chart = ""
        if plot:
            chart = charts.interval_dots(pd.DataFrame(plot), f"{t('index', L)} · {v.kind_label(kind)}",
                                         t("chart_index_axis", L), t("alt_ranking", L),
                                         legend=(t("department", L), t("bottom", L)))
        return Block(self._h2("ov_ranking") + chart + table(header, rows) + f'<p class="note">{esc(t("rank_note", L))}</p>')

    def reliability(self) -> Block:
        v, L = self.v, self.L
        rows = []
        for key in v.dim_ids + [OVERALL]:
            level = "overall" if key == OVERALL else "dimension"
            label = t("overall", L) if key == OVERALL else v.dim_label(key)
            rows.append([td(label)] + [self._cell(v.row(ALL, k, level, key, "alpha"), with_ci=True) for k in VIEWS] +
                        [self._cell(v.row(ALL, k, level, key, s)) for k in COVERAGE_VIEWS for s in ("icc1", "icc2")])
        header = [t("dimension", L), *(f"{t('alpha', L)} · {v.kind_label(k)} {t('ci', L)}" for k in VIEWS),
                  *(f"ICC({i}) · {v.kind_label(k)}" for k in COVERAGE_VIEWS for i in (1, 2))]
        rwg = [[td(code), td(self._name(code))] + [self._cell(v.row(code, k, "overall", OVERALL, "rwg_j")) for k in VIEWS]
               for code in v.codes]
        rwg_t = table([t("code", L), t("department", L)] + [f"rwg(j) · {v.kind_label(k)}" for k in VIEWS], rwg)
        guide = "".join(f"<li>{esc(t(k, L))}</li>" for k in ("read_alpha", "read_icc1", "read_icc2", "read_rwg"))
        return Block(self._h2("ov_reliability") + f'<p class="lead">{esc(t("appendix_intro", L))}</p>'
                     f'<ul class="guide">{guide}</ul>' + table(header, rows) + rwg_t)

    def appendix(self) -> Block:
        """Reliability and agreement (α, ICC, rwg(j)) with a guide for lay readers."""
        return self.reliability()

    def trend(self, kind: str = "all") -> Block:
        v, L = self.v, self.L
        if not v.meta.get("previous"):
            return Block(self._h2("ov_trend") + f"<p>{esc(t('no_previous', L))}</p>")
        rows, plot = [], []
        for code in [ALL] + v.codes:
            r = v.row(code, kind, "overall", OVERALL, S.CHANGE)
            p = v.row(code, kind, "overall", OVERALL, S.CHANGE_P)
            rows.append([td(code), td(self._name(code)), self._cell(r, with_ci=True), self._cell(p),
                         self._cell(v.row(code, kind, "overall", OVERALL, S.CHANGE_Q))])
            if r is not None and not r["suppressed"] and pd.notna(r["value"]):
                pv = v.value(code, kind, "overall", OVERALL, S.CHANGE_P)
                plot.append({"label": self._name(code), "value": r["value"], "lo": r["ci_low"], "hi": r["ci_high"],
                             "flag": pv is not None and pv < 0.05})
        chart = ""
        if plot:
            d = pd.DataFrame(plot)
            span = max(10.0, float(pd.concat([d["lo"], d["hi"], d["value"]]).abs().max()) + 2)
            chart = charts.interval_dots(d, f"{t('change', L)} · {v.kind_label(kind)}", t("change", L),
                                         t("alt_trend", L), xlim=(-span, span), zero_line=True,
                                         legend=("p ≥ 0.05", "p < 0.05"))
        header = [t("code", L), t("department", L), f"{t('change', L)} {t('ci', L)}", t("change_p", L),
                  t("change_q", L)]
        prev = f"<p class=\"lead\">{esc(t('previous', L))}: {esc(v.meta['previous'])}</p>"
        return Block(self._h2("ov_trend") + prev + chart + table(header, rows) +
                     f'<p class="note">{esc(t("change_note", L))}</p><p class="note">{esc(t("effect_note", L))}</p>')

    def red_lines(self) -> Block:
        """How many red-line matters went to the discipline-inspection team; no department is named here."""
        v, L = self.v, self.L
        matters = red_line_matters(v)
        if not matters:
            return Block(self._h2("ov_redline") + f"<p>{esc(t('no_redline', L))}</p>")
        sent = inspection_rendered(v.meta)
        text = t("redline_count" if sent else "redline_count_pending", L, n=len(matters),
                 depts=len({m.department for m in matters}), share=f"{v.instrument.red_line_share:.0%}",
                 count=(v.meta.get("rules") or {}).get("red_line_min_count", "—"), round=v.meta["round"])
        return Block(self._h2("ov_redline") + f'<p data-redline-matters="{len(matters)}">{esc(text)}</p>')

    def quality(self) -> Block:
        v, L = self.v, self.L
        q = v.scores.quality
        if q.empty:
            return Block(self._h2("ov_quality") + f"<p>{esc(t('no_quality', L))}</p>")
        rows = [[td(self._name(r.department) if r.department in v.codes or r.department == ALL else r.department),
                 td(v.kind_label(r.kind) if r.kind in KINDS else r.kind), td(label("flag", r.flag, L)),
                 cell({"statistic": "count", "value": r.count, "suppressed": False}, L),
                 td(quality_detail(v, r.flag, r.detail, r.department, r.kind), cls="wrap")] for r in q.itertuples(index=False)]
        return Block(self._h2("ov_quality") + table([t("department", L), t("kind", L), t("flag", L), t("count", L),
                                                     t("detail", L)], rows) +
                     f'<p class="note">{esc(t("quality_note", L))}</p>')

    def methods(self) -> Block:
        return methods_block(self.v)
