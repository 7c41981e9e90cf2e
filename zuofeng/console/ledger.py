"""The ledger screen (整改台账): seed it from the problem list, its progress per department, the departments'
workbooks as one download, and one department's entries to view and edit (every change goes into the history).
"""

from __future__ import annotations

import datetime as dt
import html

import ipywidgets as w

from .. import api
from .base import WIDE, Scratch, Shell, button, heading, offer, row, table
from .text import t


def ledger_table(df, lang: str = "zh") -> str:
    """A department's ledger entries as an HTML table: status, deadline, people, verification and flags."""
    from ..ledger.verify import FLAG_TEXT, VERIFICATION_TEXT

    head = "".join(f"<th>{html.escape(t(k, lang))}</th>" for k in (
        "l_id", "l_item", "l_problem", "l_status", "l_deadline", "l_leader", "l_person", "l_verification", "l_flags"))
    rows = []
    for e in df.to_dict("records"):
        ver = VERIFICATION_TEXT[lang].get(e.get("verification"), "—") if e.get("verification") else "—"
        flags = "、".join(FLAG_TEXT[lang].get(f, f) for f in e.get("flags") or [])
        cells = [e["id"], e["item"] or "—", e["problem"], e["status"], e["deadline"] or "—", e["leader"] or "—",
                 e["person"] or "—", ver]
        rows.append(f"<tr data-id='{int(e['id'])}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + f"<td class='zf-flags' title='{html.escape(e.get('flag_detail') or '')}'>"
                      f"{html.escape(flags)}</td></tr>")
    if not rows:
        return f"<i>{html.escape(t('ledger_none', lang))}</i>"
    return (f"<div class='zf-box'><table class='zf-table zf-ledger'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def status_table(summary, lang: str = "zh") -> str:
    """The ledger's progress per department (as ``zuofeng ledger status``)."""
    from ..ledger.entries import STATUSES

    head = [t("s_name", lang), t("s_entries", lang), *STATUSES, t("s_completion", lang), t("s_overdue", lang),
            t("s_missing_evidence", lang), t("s_flagged", lang)]
    rows = [("", [f"{r['department']} {r['name']}", int(r["entries"]), *[int(r[s]) for s in STATUSES],
                  f"{r['completion']:.0%}", int(r["overdue"]), int(r["missing_evidence"]), int(r["flagged"])])
            for r in summary.to_dict("records")]
    return table(head, rows, "zf-ledger-summary") if rows else f"<i>{html.escape(t('ledger_none', lang))}</i>"


class LedgerScreen:
    """Seed, follow and edit the rectification ledger of the picked round."""

    def __init__(self, shell: Shell):
        from ..ledger.entries import STATUSES

        self.shell = s = shell
        self.statuses = STATUSES
        self._entries: dict[int, dict] = {}  # id → the picked department's entries as loaded
        self.init_button = button(s.t("ledger_init"), "zf-ledger-init")
        self.status_button = button(s.t("ledger_status"), "zf-ledger-progress")
        self.workbooks_button = button(s.t("b_ledger"), "zf-dl-ledger")
        self.summary = w.HTML()
        self.summary.add_class("zf-ledger-status-table")
        self.workbooks = w.HTML()
        self.workbooks.add_class("zf-ledger-workbooks")
        self.department = w.Dropdown(description=s.t("ledger_department"), options=[], style=WIDE)
        self.department.add_class("zf-ledger-department")
        self.table = w.HTML()
        self.table.add_class("zf-ledger-table")
        self.entry = w.Dropdown(description=s.t("ledger_entry"), options=[], style=WIDE,
                                layout=w.Layout(max_width="100%"))
        self.entry.add_class("zf-ledger-entry")
        self.problem = w.HTML()
        self.measure = w.Textarea(description=s.t("measure"), rows=3, style=WIDE, layout=w.Layout(width="100%"))
        self.leader = w.Text(description=s.t("leader"), style=WIDE)
        self.person = w.Text(description=s.t("person"), style=WIDE)
        self.deadline = w.DatePicker(description=s.t("deadline"), style=WIDE)
        self.status = w.Dropdown(description=s.t("status"), options=list(STATUSES), style=WIDE)
        self.status.add_class("zf-ledger-status")
        self.reopen = w.Checkbox(value=False, description=s.t("reopen"), indent=False)
        self.evidence = w.Textarea(description=s.t("evidence"), rows=2, style=WIDE, layout=w.Layout(width="100%"))
        self.evidence_file = w.Text(description=s.t("evidence_file"), style=WIDE)
        self.review = w.Textarea(description=s.t("review"), rows=2, style=WIDE, layout=w.Layout(width="100%"))
        self.by = w.Text(description=s.t("by"), placeholder=s.t("by_hint"), style=WIDE)
        self.by.add_class("zf-ledger-by")
        self.save_button = button(s.t("save"), "zf-ledger-save", button_style="primary", disabled=True)
        self.form = w.VBox([self.problem, self.measure, row([self.leader, self.person]),
                            row([self.deadline, self.status, self.reopen]), self.evidence, self.evidence_file,
                            self.review, row([self.by, self.save_button])], layout=w.Layout(display="none"))

        self.init_button.on_click(lambda _b: self.init())
        self.status_button.on_click(lambda _b: self.show_status())
        self.workbooks_button.on_click(lambda _b: self.download_workbooks())
        self.save_button.on_click(lambda _b: self.save())
        self.department.observe(lambda _c: self.load(), names="value")
        self.entry.observe(lambda _c: self.pick(), names="value")
        self.reopen.observe(lambda _c: self._status_options(), names="value")
        self.widget = w.VBox([heading(s.t("h_ledger")),
                              row([self.init_button, self.status_button, self.workbooks_button]),
                              self.summary, self.workbooks, row([self.department]), self.table, row([self.entry]),
                              self.form])

    def on_round(self, rnd: dict | None) -> None:
        for b in (self.init_button, self.status_button, self.workbooks_button):
            b.disabled = rnd is None
        self.summary.value = self.workbooks.value = ""
        self.departments()

    def departments(self, select: str | None = None) -> None:
        """List the picked round's departments that have ledger entries (none picked: nothing is loaded)."""
        s = self.shell
        options = []
        if s.round is not None:
            code = s.round["code"]
            from .base import one_line

            try:
                counts = api.ledger_entries(code, verify=False, db=s.db)["department"].value_counts()
                names = {r["department"]: r["name"] for r in api.round_coverage(code, db=s.db)["departments"]}
                options = [(f"{d} {names.get(d, '')} ({counts[d]})", d) for d in sorted(counts.index)]
            except Exception as e:  # noqa: BLE001
                s.error(one_line(e, s.lang))
        self.department.options = options
        self.department.value = select if select in dict(options).values() else None
        self.load()

    def load(self) -> None:
        """Show the picked department's entries (status, verification, flags) and offer each for editing."""
        s = self.shell
        code = s.round["code"] if s.round else None
        dept = self.department.value
        keep = self.entry.value
        self._entries = {}
        df = s.run(api.ledger_entries, code, department=dept, db=s.db) if code and dept else None
        if df is None:
            self.table.value = ""
            self.entry.options = []
            self.entry.value = None
            self.pick()
            return
        self._entries = {int(r["id"]): r for r in df.to_dict("records")}
        self.table.value = ledger_table(df, s.lang)
        self.entry.options = [(f"#{i} {e['problem'][:40]}", i) for i, e in self._entries.items()]
        self.entry.value = keep if keep in self._entries else (next(iter(self._entries), None))
        self.pick()

    def pick(self) -> None:
        """Fill the form with the picked entry."""
        e = self._entries.get(self.entry.value)
        self.form.layout.display = "none" if e is None else "flex"
        self.save_button.disabled = e is None
        if e is None:
            return
        self.problem.value = (f"<b>#{e['id']}</b> {html.escape(str(e['department']))} · "
                              f"{html.escape(str(e['problem']))}")
        self.measure.value = e["measure"] or ""
        self.leader.value = e["leader"] or ""
        self.person.value = e["person"] or ""
        self.deadline.value = e["deadline"] if isinstance(e["deadline"], dt.date) else None
        self.evidence.value = e["evidence"] or ""
        self.evidence_file.value = e["evidence_file"] or ""
        self.review.value = e["review_note"] or ""
        self.reopen.value = False
        self._status_options()
        self.status.value = e["status"]

    def _status_options(self) -> None:
        """Statuses the picked entry may move to: forward only, unless reopen is ticked."""
        e = self._entries.get(self.entry.value)
        if e is None:
            return
        was = self.status.value
        first = 0 if self.reopen.value else self.statuses.index(e["status"])
        options = list(self.statuses[first:])
        self.status.options = options
        self.status.value = was if was in options else e["status"]

    def save(self) -> None:
        """Save the form through :func:`zuofeng.api.ledger_update`; every changed field goes into the history."""
        s = self.shell
        e = self._entries.get(self.entry.value)
        if e is None:
            s.error(s.t("pick_entry"))
            return
        changes = {"measure": self.measure.value, "leader": self.leader.value, "person": self.person.value,
                   "deadline": self.deadline.value, "status": self.status.value, "evidence": self.evidence.value,
                   "evidence_file": self.evidence_file.value, "review_note": self.review.value}
        n = s.run(api.ledger_update, e["id"], by=self.by.value, reopen=self.reopen.value, db=s.db, **changes)
        if n is None:
            return
        self.load()
        s.ok(s.t("saved", id=e["id"], n=n, by=self.by.value.strip()))

    def init(self) -> None:
        """Seed the round's ledger from its problem list (scores the round; safe to repeat)."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        if s.round["status"] == "draft":
            s.error(s.t("draft_no_answers", code=code))
            return
        by = self.by.value.strip()
        n = s.run(api.ledger_init, code, db=s.db, **({"by": by} if by else {}))
        if n is None:
            return
        self.departments(select=self.department.value)
        s.ok(s.t("ledger_inited", code=code, n=n))

    def show_status(self) -> None:
        """The ledger's progress per department (completion, overdue, missing evidence, flagged)."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        got = s.run(api.ledger_status, code, db=s.db)
        if got is not None:
            self.summary.value = status_table(got[0], s.lang)
            self.departments(select=self.department.value)  # entries added meanwhile (the API, another analyst)

    def download_workbooks(self) -> None:
        """Every department's ledger workbook (one .xlsx each) in one .zip, as a download link."""
        s = self.shell
        self.workbooks.value = ""
        code = s.code()
        if code is None:
            return
        with Scratch() as tmp:
            got = s.run(api.ledger_workbooks, code, tmp / f"ledger-{code}.zip", db=s.db)
            if got is None:
                return
            self.workbooks.value = offer(got[0], s.t("dl_ledger", code=code), "zf-ledger-link")
