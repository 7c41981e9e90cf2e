"""The sections of a department report. Each method returns a ``Block`` that a notebook cell displays.

Every figure comes from ``Scores`` through ``ScoreView`` and is written by ``fmt``; every string from
the roster, the round or a respondent is escaped; a hidden figure says why (the scores' note), never a number.
"""

from __future__ import annotations

import pandas as pd

from ..axes import KINDS, PEER_VIEWS, VIEWS
from . import charts
from . import names as S
from .fmt import Block, esc, fmt_value, preliminary_banner, table, td
from .gaps import gap_entries, gap_text
from .methods import detectable_text, methods_block
from .notes import hidden_note, problem_note, quality_detail, shown_card, shown_cell
from .redline import clue_words
from .strings import label, t
from .view import ALL, OVERALL, ScoreView


def group_note_en(row: dict, siblings: pd.DataFrame, k: int) -> str | None:
    """The English note of a row of ``Scores.groups``, from its reason or, for a composite, from the
    groups it used and the weights of its unit and kind's group rows (``siblings``)."""
    from ..score.groups import note_text

    if row["statistic"] != "group_composite":
        return note_text(None if pd.isna(row["reason"]) else row["reason"], None, [], k, "en")
    idx = siblings[siblings["statistic"] == "index"]
    used = [] if pd.isna(row["groups_used"]) else str(row["groups_used"]).split("、")
    weight = dict(zip(idx["group"], idx["weight"]))
    return note_text(None, [(g, float(weight[g])) for g in used], [g for g in idx["group"] if g not in used], k, "en")


def headline_cards(v: ScoreView, code: str) -> str:
    """The headline figures of a department (also shown in the index)."""
    L = v.lang
    parts = [
        shown_card(v, t("respondents", L), v.row(code, "all", "overall", OVERALL, "respondents"), with_ci=False),
        shown_card(v, f"{t('index', L)}（{t('kind_all', L)}）" if L == "zh" else f"{t('index', L)}, {t('kind_all', L).lower()}",
                   v.row(code, "all", "overall", OVERALL, "index")),
        shown_card(v, t("satisfaction", L), v.row(code, "all", "evaluation", OVERALL, "satisfaction")),
        shown_card(v, t("eval_score", L), v.row(code, "all", "evaluation", OVERALL, "eval_score")),
        shown_card(v, t("composite", L), v.row(code, "all", "overall", OVERALL, "composite"), with_ci=False),
    ]
    rank = v.row(code, "all", "overall", OVERALL, "rank")
    if rank is not None:
        lo, hi = (v.value(code, "all", "overall", OVERALL, s) for s in ("rank_low", "rank_high"))
        extra = "" if lo is None or hi is None else f"{fmt_value('rank', lo)}–{fmt_value('rank', hi)}"
        parts.append(shown_card(v, t("rank", L), rank, with_ci=False, extra=extra))
    return '<div class="cards">' + "".join(parts) + "</div>"


class DepartmentReport:
    """One department's report, section by section."""

    def __init__(self, view: ScoreView, code: str):
        self.v = view
        self.code = code
        self.info = view.dept(code)
        self.name = view.dept_name(code)
        self.L = view.lang

    # -- helpers -----------------------------------------------------------------------------------
    def _h2(self, key: str) -> str:
        return f"<h2>{esc(t(key, self.L))}</h2>"

    def _has(self, kind: str, level: str, key: str, statistic: str) -> bool:
        """Whether the row exists and is either published with a value or suppressed (a view nobody was
        asked for, with no answers, has no column in this department's tables)."""
        r = self.v.row(self.code, kind, level, key, statistic)
        return r is not None and (bool(r["suppressed"]) or not pd.isna(r["value"]))

    def _pool(self) -> tuple[str, str, list[str]] | None:
        """The department's division pool (归口) as (unit, name, member names), or None."""
        from ..score.suppress import division_pools

        for unit, (name, members) in division_pools(self.v.departments).items():
            if self.code in members:
                return unit, name, [self.v.dept_name(m) for m in members]
        return None

    def _published(self, unit: str, kind: str, level: str, key: str, statistic: str = "index") -> bool:
        r = self.v.row(unit, kind, level, key, statistic)
        return r is not None and not r["suppressed"] and pd.notna(r["value"])

    def _answered(self, kind: str) -> bool:
        return (self.v.value(self.code, kind, "overall", OVERALL, "respondents") or 0) > 0

    def _pooled_kinds(self) -> list[str]:
        """The kinds the department has sheets in whose own overall index is hidden while the division
        pool's is published."""
        pool = self._pool()
        if pool is None:
            return []
        return [k for k in KINDS if self._answered(k) and not self._published(self.code, k, "overall", OVERALL)
                and self._published(pool[0], k, "overall", OVERALL)]

    def _pool_note(self, kinds: list[str]) -> str:
        pool = self._pool()
        if not kinds or pool is None:
            return ""
        sep = "、" if self.L == "zh" else ", "
        text = t("pool_note", self.L, kinds=sep.join(self.v.kind_label(k) for k in kinds), pool=pool[1],
                 members=sep.join(pool[2]))
        return f'<p class="note pooled">{esc(text)}</p>'

    def _suppressed_note(self) -> str:
        return f'<p class="legend">{esc(t("legend_suppressed", self.L, k=self.v.k_min))}</p>'

    # -- sections ----------------------------------------------------------------------------------
    def header(self) -> Block:
        v, L = self.v, self.L
        lead = t("lead_dept", L, unit_type=self.info["unit_type"], round_title=v.title(), round=v.meta["round"],
                 scored_on=v.scored_on())
        html = (f'<h1 data-dept="{esc(self.code)}">{esc(t("dept_title", L, name=self.name))}</h1>'
                f'{preliminary_banner(v.meta, L)}<p class="lead">{esc(lead)}</p>{headline_cards(v, self.code)}'
                f'<p class="legend">{esc(t("legend_index", L))}</p>{self._suppressed_note()}')
        return Block(html, t("dept_title", L, name=self.name))

    def coverage(self) -> Block:
        v, L, c = self.v, self.L, self.code
        cat_stats = [s for s in ("respondents_party", "respondents_non_party", "respondents_no_category")
                     if any(v.row(c, k, "overall", OVERALL, s) is not None for k in VIEWS)]
        cat_names = {"respondents_party": ("党员", "Party members"), "respondents_non_party": ("非党员", "Non-members"),
                     "respondents_no_category": ("未填", "Not stated")}
        rows = []
        entries = gap_entries(v, c)
        for k in VIEWS:
            resp = v.row(c, k, "overall", OVERALL, "respondents")
            if resp is None:
                continue
            gaps = [gap_text(v, kind, rater, flags, with_kind=False) for kind, rater, flags in entries if kind == k]
            cats = [shown_cell(v, v.row(c, k, "overall", OVERALL, s), statistic="respondents") for s in cat_stats]
            rows.append([td(v.kind_label(k)), shown_cell(v, resp), shown_cell(v, v.row(c, k, "overall", OVERALL, "headcount")),
                         shown_cell(v, v.row(c, k, "overall", OVERALL, "coverage")), *cats,
                         td(("；" if L == "zh" else "; ").join(gaps) or t("none", L),
                            cls="flag wrap" if gaps else "wrap")])
        header = [t("kind", L), t("respondents", L), t("headcount", L), t("coverage", L),
                  *[cat_names[s][1 if L == "en" else 0] for s in cat_stats], t("gaps", L)]
        return Block(self._h2("sec_coverage") + table(header, rows))

    def overall(self) -> Block:
        v, L, c = self.v, self.L, self.code
        rows = []
        for k in KINDS:
            if v.row(c, k, "overall", OVERALL, "index") is None:
                continue
            rows.append([td(v.kind_label(k)),
                         shown_cell(v, v.row(c, k, "overall", OVERALL, "respondents")),
                         shown_cell(v, v.row(c, k, "overall", OVERALL, "index"), with_ci=True),
                         shown_cell(v, v.row(c, k, "evaluation", OVERALL, "satisfaction"), with_ci=True),
                         shown_cell(v, v.row(c, k, "evaluation", OVERALL, "eval_score"), with_ci=True)])
        pooled, pool = self._pooled_kinds(), self._pool()
        for k in pooled:   # where the department's own figure is hidden: its division pool's (归口合并)
            u = pool[0]
            rows.append([td(t("pool_kind", L, pool=pool[1], kind=v.kind_label(k)), cls="pooled"),
                         shown_cell(v, v.row(u, k, "overall", OVERALL, "respondents")),
                         shown_cell(v, v.row(u, k, "overall", OVERALL, "index"), with_ci=True),
                         shown_cell(v, v.row(u, k, "evaluation", OVERALL, "satisfaction"), with_ci=True),
                         shown_cell(v, v.row(u, k, "evaluation", OVERALL, "eval_score"), with_ci=True)])
        header = [t("kind", L), t("respondents", L), f"{t('index', L)} {t('ci', L)}",
                  f"{t('satisfaction', L)} {t('ci', L)}", f"{t('eval_score', L)} {t('ci', L)}"]
        comp = [(lvl, v.row(c, "all", lvl, OVERALL, "composite")) for lvl in ("overall", "evaluation")]
        extra = ""
        if any(r is not None for _, r in comp):
            crow = [[td(t("index", L) if lvl == "overall" else t("eval_score", L)), shown_cell(v, r)]
                    for lvl, r in comp if r is not None]
            extra = f"<h3>{esc(t('composite', L))}</h3>" + table([t("value", L), t("composite", L)], crow)
        return Block(self._h2("sec_overall") + self._pool_note(pooled) + table(header, rows) + self._outside_sources() + extra
                     + self._groups())

    def _groups(self) -> str:
        """The index per rater group and the weighted composite per view, with the groups it used
        (rounds with rater groups only: ``Scores.groups``)."""
        v, L, c = self.v, self.L, self.code
        g = getattr(v.scores, "groups", None)
        if g is None or not len(g) or not (g["department"] == c).any():
            return ""
        rows = []
        mine = g[g["department"] == c]
        for r in mine.to_dict("records"):
            composite = r["statistic"] == "group_composite"
            note = "" if pd.isna(r["note"]) else r["note"]
            if L == "en":  # the stored note is Chinese: the same words in English, from the same rows
                note = group_note_en(r, mine[mine["kind"] == r["kind"]], v.k_min) or ""
            name = t("group_composite", L) if composite else r["group"]
            value = (f'<td class="num suppressed">{esc(self._group_why(name, note))}</td>' if r["suppressed"]
                     else f'<td class="num">{esc(fmt_value("index", r["value"], L))}</td>')
            n = "" if pd.isna(r["n"]) else str(int(r["n"]))
            weight = "" if composite or pd.isna(r["weight"]) else f"{r['weight']:g}"
            rows.append([td(v.kind_label(r["kind"])), td(name, cls="group-composite" if composite else None,
                                                         group=name), value, td(n, cls="num"), td(weight, cls="num"),
                         td(note)])
        header = [t("kind", L), t("rater_group", L), t("index", L), t("respondents", L), t("group_weight", L),
                  t("note", L)]
        return (f"<h3>{esc(t('sec_groups', L))}</h3>" + table(header, rows) +
                f'<p class="note">{esc(t("groups_note", L, k=v.k_min))}</p>')

    def _group_why(self, name: str, note: str) -> str:
        """Why a group's (or a composite's) index is hidden: the group row's note after the word for
        suppressed (the composite's note without its leading label), else the scores' general wording."""
        sep = "：" if self.L == "zh" else ": "
        note = note.removeprefix(name + sep).strip()
        if not note:
            return hidden_note(self.v, None)
        return f"{t('suppressed', self.L)}{sep}{note}"

    def _outside_sources(self) -> str:
        """Which of the outside view's figures come from the 民主测评 table and which from the 22 items."""
        v, L, c = self.v, self.L, self.code
        n, tab = (v.row(c, "peer_outside", "overall", OVERALL, s) for s in ("respondents", "respondents_table"))
        if n is None or tab is None or n["suppressed"] or tab["suppressed"] or not (tab["value"] > 0):
            return ""
        n, tab = int(n["value"]), int(tab["value"])
        return f"<p class='note'>{esc(t('outside_sources', L, n=n, table=tab, items=n - tab))}</p>"

    def dimensions(self) -> Block:
        v, L, c = self.v, self.L, self.code
        rows, plot = [], []
        kinds = [k for k in KINDS if any(self._has(k, "dimension", d, "index") for d in v.dim_ids)]
        # the chart shows all raters, or, where that combination is hidden, the first view that is published
        def published(k: str, d: str) -> bool:
            r = v.row(c, k, "dimension", d, "index")
            return r is not None and not r["suppressed"] and pd.notna(r["value"])

        shown = next((k for k in ("all", "peer_inside", "self", "peer_outside")
                      if any(published(k, d) for d in v.dim_ids)), "all")
        for d in v.dim_ids:
            cells = []
            for k in kinds:
                r = v.row(c, k, "dimension", d, "index")
                cells.append(shown_cell(v, r, with_ci=True))
            rows.append([td(v.dim_label(d)), *cells])
            r = v.row(c, shown, "dimension", d, "index")
            if r is not None and not r["suppressed"] and pd.notna(r["value"]):
                plot.append({"label": v.dim_label(d), "group": shown, "group_label": v.kind_label(shown),
                             "value": r["value"], "lo": r["ci_low"], "hi": r["ci_high"]})
        header = [t("dimension", L)] + [v.kind_label(k) for k in kinds]
        pool, pooled, note = self._pool(), [], ""
        if pool is not None:   # the division pool's figures where the department's own are hidden
            pooled = [k for k in KINDS if self._answered(k) and any(self._has(k, "dimension", d, "index") for d in v.dim_ids)
                      and not any(published(k, d) for d in v.dim_ids)
                      and any(self._published(pool[0], k, "dimension", d) for d in v.dim_ids)]
            for row, d in zip(rows, v.dim_ids):
                row += [shown_cell(v, v.row(pool[0], k, "dimension", d, "index"), with_ci=True) for k in pooled]
            header += [t("pool_kind", L, pool=pool[1], kind=v.kind_label(k)) for k in pooled]
            note = self._pool_note(pooled)
        title_kind, chart_name = v.kind_label(shown), self.name
        if not plot and pooled:   # nothing of its own to draw: draw the pool's
            shown = next(k for k in ("all", "peer_inside", "self", "peer_outside") + tuple(KINDS) if k in pooled)
            title_kind = t("pool_kind", L, pool=pool[1], kind=v.kind_label(shown))
            chart_name = pool[1]
            for d in v.dim_ids:
                r = v.row(pool[0], shown, "dimension", d, "index")
                if r is not None and not r["suppressed"] and pd.notna(r["value"]):
                    plot.append({"label": v.dim_label(d), "group": shown, "group_label": title_kind,
                                 "value": r["value"], "lo": r["ci_low"], "hi": r["ci_high"]})
        chart = ""
        if plot:
            chart = charts.index_bars(pd.DataFrame(plot), t("chart_dims", L, kind=title_kind),
                                      t("chart_index_axis", L),
                                      t("alt_dimensions", L, name=chart_name, kinds=title_kind))
        return Block(self._h2("sec_dimensions") + note + chart + table(header, rows))

    def items(self) -> Block:
        v, L, c = self.v, self.L, self.code
        kind = next((k for k in ("all", "peer_inside", "self", "peer_outside")
                     if v.value(c, k, "overall", OVERALL, "index") is not None), None)
        if kind is None:
            return Block(self._h2("sec_items") + f"<p>{esc(hidden_note(v, v.row(c, 'all', 'overall', OVERALL, 'index')))}</p>" + self._suppressed_note())
        recs = []
        for key in v.item_keys:
            r = v.row(c, kind, "item", key, "index")
            recs.append({"key": key, "value": None if r is None or r["suppressed"] else r["value"],
                         "lo": r and r["ci_low"], "hi": r and r["ci_high"], "red_line": v.item(key).red_line})
        df = pd.DataFrame(recs)
        df["value"] = pd.to_numeric(df["value"])
        df = df.sort_values(["value", "key"], na_position="last", kind="stable").reset_index(drop=True)
        listed = self._listed()
        rows = []
        for pos, rec in enumerate(df.itertuples(index=False), start=1):
            it = v.item(rec.key)
            name = v.key_label(rec.key) + (f"（{t('red_line_item', L)}）" if L == "zh" else f" ({t('red_line_item', L)})"
                                           ) * bool(it.red_line)
            hits = listed.get(rec.key, [])
            rows.append([td(pos), td(name, key=rec.key), td(v.dim_label(it.dimension)),
                         shown_cell(v, v.row(c, kind, "item", rec.key, "index"), with_ci=True),
                         shown_cell(v, v.row(c, kind, "item", rec.key, "problem_rate")),
                         td(("；" if L == "zh" else "; ").join(hits) or t("no", L), cls="flag" if hits else None,
                            listed="1" if hits else "0")])
        plot = df.dropna(subset=["value"]).assign(label=lambda x: [v.key_label(k) for k in x["key"]])
        chart = ""
        if not plot.empty:
            legend = (t("legend_item", L), t("legend_red_item", L))
            title = t("chart_dims", L, kind=v.kind_label(kind))
            chart = charts.item_dots(plot, title, t("chart_index_axis", L),
                                     t("alt_items", L, name=self.name), legend)
        header = ["#", t("item", L), t("dimension", L), f"{t('index', L)} {t('ci', L)}", t("problem_rate", L),
                  t("in_problem_list", L)]
        basis = f'<p class="note">{esc(t("basis", L, kind=v.kind_label(kind)))}</p>'
        return Block(self._h2("sec_items") + basis + chart + table(header, rows) +
                     f'<p class="note">{esc(t("redline_dept_note", L))}</p>')

    def _problem_rows(self) -> pd.DataFrame:
        """The department's problem list as its report shows it: the rows departments see
        (:func:`zuofeng.ledger.problems.department_rows`, the same as its ledger's list and workbook)."""
        from ..ledger.problems import department_rows

        return department_rows(self.v.scores.problems, self.code)

    def _listed(self) -> dict[str, list[str]]:
        """Item key → "view: rule" texts of the problem list (the 22-item table and the list agree)."""
        out: dict[str, list[str]] = {}
        for r in self._problem_rows().itertuples(index=False):
            text = f"{self.v.kind_label(r.kind)}·{label('rule', r.rule, self.L)}" if self.L == "zh" else \
                f"{self.v.kind_label(r.kind)}: {label('rule', r.rule, self.L)}"
            out.setdefault(r.key, []).append(text)
        return out

    def self_vs_peer(self) -> Block:
        v, L, c = self.v, self.L, self.code
        keys = [OVERALL] + v.dim_ids
        plot, rows = [], []
        for key in keys:
            level = "overall" if key == OVERALL else "dimension"
            label = v.key_label(key) if key == OVERALL else v.dim_label(key)
            for k in VIEWS:
                r = v.row(c, k, level, key, "index")
                if r is not None and not r["suppressed"] and pd.notna(r["value"]):
                    plot.append({"label": label, "group": k, "group_label": v.kind_label(k), "value": r["value"],
                                 "lo": r["ci_low"], "hi": r["ci_high"]})
            rows.append([td(label)] + [x for pk in PEER_VIEWS for x in (
                shown_cell(v, v.row(c, pk, level, key, "gap"), with_ci=True), self._gap_flag(pk, level, key))])
        header = [t("dimension", L)] + [x for pk in PEER_VIEWS for x in (
            f"{t('gap', L)} · {v.kind_label(pk)}", t("gap_flag", L))]
        chart = ""
        if plot:
            chart = charts.index_bars(pd.DataFrame(plot), t("chart_self_peer", L), t("chart_index_axis", L), t("alt_self_peer", L, name=self.name))
        return Block(self._h2("sec_self_peer") + chart + table(header, rows) +
                     f'<p class="note">{esc(t("gap_note", L, n=self._min_answers()))}</p>')

    def _min_answers(self):
        return (self.v.meta.get("rules") or {}).get("min_answers", "—")

    def _gap_flag(self, kind: str, level: str, key: str) -> str:
        """The 差距明显 cell; a 否 whose interval excludes 0 says which rule kept it from 是."""
        v, c = self.v, self.code
        flag, gap = v.row(c, kind, level, key, "gap_flag"), v.row(c, kind, level, key, "gap")
        published = flag is not None and not flag["suppressed"] and pd.notna(flag["value"])
        if published and float(flag["value"]) == 0 and gap is not None and not gap["suppressed"] \
                and (gap["ci_low"] > 0 or gap["ci_high"] < 0):
            q = v.row(c, kind, level, key, "gap_q")
            if q is not None and pd.notna(q["value"]) and float(q["value"]) >= 0.05:
                return td(t("gap_q_high", self.L), cls="wrap", rule="q")
            return td(t("gap_few", self.L, n=self._min_answers()), cls="wrap", rule="min_answers")
        return shown_cell(v, flag)

    def change(self) -> Block:
        v, L, c = self.v, self.L, self.code
        mdc = detectable_text(v, c)
        mdc = f'<p class="note" data-mdc="1">{esc(mdc)}</p>' if mdc else ""
        if not v.meta.get("previous"):
            return Block(self._h2("sec_change") + f"<p>{esc(t('no_previous', L))}</p>" + mdc)
        rows = []
        for key in [OVERALL] + v.dim_ids:
            level = "overall" if key == OVERALL else "dimension"
            for k in KINDS:
                r = v.row(c, k, level, key, S.CHANGE)
                if r is None:
                    continue
                rows.append([td(v.key_label(key) if key == OVERALL else v.dim_label(key)), td(v.kind_label(k)),
                             shown_cell(v, r, with_ci=True), shown_cell(v, v.row(c, k, level, key, S.CHANGE_P)),
                             shown_cell(v, v.row(c, k, level, key, S.CHANGE_Q))])
        header = [t("dimension", L), t("kind", L), f"{t('change', L)} {t('ci', L)}", t("change_p", L),
                  t("change_q", L)]
        prev = f"<p class=\"lead\">{esc(t('previous', L))}: {esc(v.meta['previous'])}</p>"
        body = table(header, rows) if rows else f"<p>{esc(t('no_rows', L))}</p>"
        return Block(self._h2("sec_change") + prev + body + mdc + f'<p class="note">{esc(t("change_note", L))}</p>'
                     f'<p class="note">{esc(t("effect_note", L))}</p>')

    def problems(self) -> Block:
        v, L, c = self.v, self.L, self.code
        p = self._problem_rows()
        if p.empty:
            plist = f"<p>{esc(t('no_problems', L))}</p>"
        else:
            rows = []
            for r in p.itertuples(index=False):
                name = label("rule", r.rule, L)
                stat = "problem_rate" if r.rule == "problem_rate" else "index"
                rows.append([td(v.key_label(r.key), key=r.key), td(v.kind_label(r.kind)), td(name),
                             shown_cell(v, {"statistic": stat, "value": r.value, "suppressed": False, "department": c,
                                   "kind": r.kind, "key": r.key}, rule=r.rule),
                             td(problem_note(v, r.rule, r.value, r.note, c, r.kind, r.key), cls="wrap")])
            plist = table([t("item", L), t("kind", L), t("rule", L), t("value", L), t("note", L)], rows)
        q = v.scores.quality
        q = q[q["department"] == c]
        if q.empty:
            qual = f"<p>{esc(t('no_quality', L))}</p>"
        else:
            qual = table([t("kind", L), t("flag", L), t("count", L), t("detail", L)],
                         [[td(v.kind_label(r.kind) if r.kind in KINDS else r.kind), td(label("flag", r.flag, L)),
                           shown_cell(v, {"statistic": "count", "value": r.count, "suppressed": False}),
                           td(quality_detail(v, r.flag, r.detail, c, r.kind), cls="wrap")] for r in q.itertuples(index=False)])
        return Block(self._h2("sec_problems") + plist + f"<h3>{esc(t('sec_quality_flags', L))}</h3>" + qual +
                     f'<p class="note">{esc(t("quality_note", L))}</p>')

    def comments(self) -> Block:
        """Published suggestions of this department, except those with a clue word: they go to the
        discipline-inspection team only (``redline.clue_comments``), and the page says so every time."""
        v, L, c = self.v, self.L, self.code
        words = clue_words(v)
        cm = v.scores.comments
        cm = cm[(cm["department"] == c) & ~cm["comment"].astype(str).map(lambda x: any(w in x for w in words))]
        clue_note = f'<p class="note">{esc(t("clue_note", L))}</p>'
        if cm.empty:
            return Block(self._h2("sec_comments") +
                         f"<p>{esc(t('no_comments', L, k=v.meta.get('k_comment', '')))}</p>" + clue_note)
        parts = []
        for kind, grp in cm.groupby("kind", sort=False):
            parts.append(f"<h3>{esc(v.kind_label(kind) if kind in KINDS else kind)}</h3>")
            parts += [f"<blockquote>{esc(x)}</blockquote>" for x in grp["comment"]]
        return Block(self._h2("sec_comments") + "".join(parts) + f'<p class="note">{esc(t("comments_note", L))}</p>'
                     + clue_note)

    def methods(self) -> Block:
        return methods_block(self.v, department=self.code)


__all__ = ["ALL", "DepartmentReport", "headline_cards"]
