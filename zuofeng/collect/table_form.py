"""The 民主测评 table of the peer survey: every other department on the respondent's table, one per screen.

For each department the respondent gives the overall rating (好/较好/一般/差, or 不了解) and one rating
per dimension heading on the item scale (1 不存在 … 5 非常突出, or 不了解); "不了解该部门" answers all six
with 不了解 at once. One department is shown at a time, with 上一个/下一个 and a progress count, so that it
stays quick on a phone; the other departments' rows stay in the page (hidden), so the page script keeps
every answer on the device exactly as it keeps the 22 items (``zuofeng.collect.server.page_template``).

Like ``zuofeng.collect.survey`` this runs in the respondent's kernel: ipywidgets and the standard library.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as w

from ..axes import TABLE_FORM
from ..instrument import Instrument
from ..sheet import Sheet

DONT_KNOW = 0  # the widget value of 不了解, as on the 22 items

TEXT = {
    "zh": {"heading": "民主测评表：对其他部门的评价",
           "hint": "请逐一评价下列 {n} 个部门：总体评价，以及五个方面的问题是否存在"
                   "（1 不存在，2 个别存在，3 一定程度存在，4 比较突出，5 非常突出）。不熟悉的部门请点“不了解该部门”。",
           "overall": "总体评价", "prev": "上一个", "next": "下一个", "unknown": "不了解该部门",
           "position": "第 {i} / {n} 个部门", "done": "已评完 {done} / {n} 个部门",
           "dont_know": "不了解", "label": "民主测评表中的「{dept}」"},
    "en": {"heading": "Evaluation table: the other departments",
           "hint": "Rate each of these {n} departments: the overall rating, and how present the problems of "
                   "each of the five areas are (1 none … 5 very serious). For a department you do not know, "
                   "press \"I don't know this department\".",
           "overall": "Overall rating", "prev": "Previous", "next": "Next", "unknown": "I don't know this department",
           "position": "Department {i} of {n}", "done": "{done} of {n} departments rated",
           "dont_know": "Don't know", "label": "{dept} in the evaluation table"},
}

CSS = """<style>
.zf-table .zf-trow { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4em 0.6em 0.6em; }
.zf-table .zf-trow h4 { font-size: 1.1em; margin: 0.2em 0 0.4em; }
.zf-table .zf-tdim { font-weight: 600; margin: 0.45em 0 0.1em; }
.zf-survey .zf-table .widget-toggle-buttons .widget-toggle-button { min-width: 2.6em; padding: 0.2em 0.3em;
  margin: 0 3px 4px 0; flex: 0 1 auto; }
.zf-survey .zf-table .zf-tnav .widget-button { min-width: 6em; margin: 0 6px 0 0; }
.zf-table .zf-tnav { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 0.4em 0; }
.zf-table .zf-trow.zf-missing { background: #fff5e6; outline: 3px solid #bc4c00; }
@media (max-width: 600px) {
  .zf-survey .zf-table .widget-toggle-buttons .widget-toggle-button { flex: 0 1 auto; min-width: 2.6em; }
  .zf-table .zf-trow { padding: 0.3em 0.4em 0.5em; }
}
</style>"""


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


class EvaluationTable:
    """The table's widgets and answers for one respondent.

    Parameters
    ----------
    shared : zuofeng.collect.survey._Shared
        The page's shared layouts and styles.
    instrument : Instrument
        Gives the overall scale and the dimensions.
    targets : list of (code, name)
        The departments on the respondent's table, in order (``zuofeng.axes.table_targets``).
    lang : {"zh", "en"}
    on_change : callable
        Called whenever an answer changes (the page refreshes its progress).

    Attributes
    ----------
    overall : dict[str, ToggleButtons]
        Department code → its overall rating (an option value, ``DONT_KNOW``, or None).
    dims : dict[str, list[ToggleButtons]]
        Department code → its rating of each dimension heading (1..5, ``DONT_KNOW`` or None).
    current : int
        The position of the department on screen.
    """

    def __init__(self, shared, instrument: Instrument, targets: list[tuple[str, str]], lang: str,
                 on_change: Callable[[object], None]):
        t = self.t = TEXT[lang]
        self.codes = [c for c, _ in targets]
        self.names: Mapping[str, str] = dict(targets)
        self.n_dims = len(instrument.dimensions)
        _html = shared.html_widget
        overall_opts = [(o.text.get(lang), o.value) for o in instrument.overall_scale.options]
        overall_opts.append((instrument.overall_scale.missing.get(lang), DONT_KNOW))
        scale = [(str(o.value), o.value) for o in instrument.item_scale.options] + [(t["dont_know"], DONT_KNOW)]
        self.overall: dict[str, w.ToggleButtons] = {}
        self.dims: dict[str, list[w.ToggleButtons]] = {}
        self.rows: dict[str, w.VBox] = {}
        for i, code in enumerate(self.codes):
            ov = shared.choices(overall_opts)
            ov.add_class(f"zf-t{i}-ov")
            ov.add_class("zf-choice")
            ov.observe(on_change, names="value")
            parts = [_html(f"<h4>{_esc(self.names[code])}</h4><div class='zf-tdim'>{_esc(t['overall'])}</div>"), ov]
            self.overall[code], self.dims[code] = ov, []
            for j, d in enumerate(instrument.dimensions, start=1):
                tb = shared.choices(scale)
                tb.add_class(f"zf-t{i}-d{j}")
                tb.add_class("zf-choice")
                tb.observe(on_change, names="value")
                self.dims[code].append(tb)
                mark = f"{d.id}、" if lang == "zh" else f"{j}. "
                parts += [_html(f"<div class='zf-tdim'>{_esc(mark)}{_esc(d.label.get(lang))}</div>"), tb]
            unknown = w.Button(description=t["unknown"])
            unknown.add_class("zf-tunknown")
            unknown.on_click(lambda _b, c=code: self.dont_know(c))
            parts.append(unknown)
            row = w.VBox(parts, layout=w.Layout(width="100%", display="none"))
            row.add_class("zf-trow")
            self.rows[code] = row
        self.prev_button = w.Button(description=t["prev"])
        self.prev_button.add_class("zf-tprev")
        self.prev_button.on_click(lambda _b: self.show(self.current - 1))
        self.next_button = w.Button(description=t["next"], button_style="primary")
        self.next_button.add_class("zf-tnext")
        self.next_button.on_click(lambda _b: self.show(self.current + 1))
        self.position = _html("", "zf-tposition")
        nav = w.HBox([self.prev_button, self.next_button, self.position])
        nav.add_class("zf-tnav")
        self.status = _html("", "zf-tstatus")
        head = _html(f"{CSS}<h3>{_esc(t['heading'])}</h3><p>{_esc(t['hint'].format(n=len(self.codes)))}</p>")
        self.widget = shared.vbox([head, self.status, *self.rows.values(), nav], wide=True)
        self.widget.add_class("zf-table")
        self.current = 0
        self.show(0)

    # --- state ------------------------------------------------------------------------------

    def answered(self, code: str) -> bool:
        """Whether every question about the department has an answer (不了解 counts)."""
        return self.overall[code].value is not None and all(tb.value is not None for tb in self.dims[code])

    def missing(self) -> list[str]:
        """The departments with a question left unanswered, in table order."""
        return [c for c in self.codes if not self.answered(c)]

    def show(self, position: int) -> None:
        """Put the department at ``position`` on screen (clamped to the table)."""
        if not self.codes:
            return
        self.current = max(0, min(position, len(self.codes) - 1))
        for i, code in enumerate(self.codes):
            self.rows[code].layout.display = None if i == self.current else "none"
        self.prev_button.disabled = self.current == 0
        self.next_button.disabled = self.current == len(self.codes) - 1
        self.refresh()

    def refresh(self) -> None:
        n = len(self.codes)
        self.position.value = f"<span class='zf-muted'>{_esc(self.t['position'].format(i=self.current + 1, n=n))}</span>"
        done = n - len(self.missing())
        self.status.value = f"<span class='zf-muted'>{_esc(self.t['done'].format(done=done, n=n))}</span>"
        for code in self.codes:
            if self.answered(code):
                self.rows[code].remove_class("zf-missing")

    def dont_know(self, code: str) -> None:
        """Answer 不了解 to every question about ``code`` and move on to the next department."""
        self.overall[code].value = DONT_KNOW
        for tb in self.dims[code]:
            tb.value = DONT_KNOW
        self.show(self.codes.index(code) + 1)

    def point_at(self, missing: list[str]) -> None:
        """Mark the departments left unanswered and put the first of them on screen."""
        for code in self.codes:
            self.rows[code].remove_class("zf-missing")
            self.rows[code].remove_class("zf-first-missing")
        for code in missing:
            self.rows[code].add_class("zf-missing")
        if missing:
            self.rows[missing[0]].add_class("zf-first-missing")
            self.show(self.codes.index(missing[0]))

    def label(self, code: str) -> str:
        return self.t["label"].format(dept=self.names[code])

    def sheets(self, kind: str, rater: str, category: str | None) -> list[Sheet]:
        """One table row per department (form ``table``), as it stands; 不了解 as None."""
        out = []
        for code in self.codes:
            ov = self.overall[code].value
            answers = {j: (None if tb.value in (None, DONT_KNOW) else tb.value)
                       for j, tb in enumerate(self.dims[code], start=1)}
            out.append(Sheet(kind=kind, rater=rater, target=code, answers=answers, category=category,
                             overall=None if ov in (None, DONT_KNOW) else ov, form=TABLE_FORM))
        return out

    def reset(self) -> None:
        for code in self.codes:
            self.overall[code].value = None
            for tb in self.dims[code]:
                tb.value = None
