"""The rounds screen: every round newest first, a new round from an uploaded roster, open and close."""

from __future__ import annotations

import html

import ipywidgets as w

from .. import api
from .base import WIDE, Shell, Uploaded, button, heading, line_of, row, table, upload_files

ROSTER_CONTEXT = 2  # lines shown above and below the roster line an error names


class RoundsScreen:
    """Pick a round (newest first, with a table of all), create one, open or close it after a confirmation.

    ``on_change(rnd)`` is called whenever the picked round (or its state) changes.
    """

    def __init__(self, shell: Shell, on_change):
        self.shell, self.on_change = shell, on_change
        s = shell
        self._rounds: dict[str, dict] = {}
        self._pending = None  # the action waiting for confirmation
        self.store = w.HTML()
        self.picker = w.Dropdown(description=s.t("round"), options=[], style=WIDE)
        self.picker.add_class("zf-round")
        self.info = w.HTML()
        self.info.add_class("zf-round-info")
        self.list = w.HTML()
        self.list.add_class("zf-rounds")
        self.code = w.Text(description=s.t("code"), placeholder=s.t("code_hint"), style=WIDE)
        self.code.add_class("zf-code")
        self.title = w.Text(description=s.t("title_field"), placeholder=s.t("title_hint"), style=WIDE)
        self.title.add_class("zf-title")
        self.k_min = w.BoundedIntText(value=5, min=3, max=1000, description="k", style=WIDE,
                                      layout=w.Layout(width="120px"))
        self.previous = w.Dropdown(description=s.t("previous"), options=[("—", "")], style=WIDE)
        self.roster = w.FileUpload(accept=".csv,.xlsx", multiple=False, description=s.t("roster"))
        self.roster.add_class("zf-roster")
        self.roster.layout.width = "auto"
        self.roster_problem = w.HTML()
        self.roster_problem.add_class("zf-roster-problem")
        self.create_button = button(s.t("create"), "zf-create", button_style="primary")
        self.open_button = button(s.t("open"), "zf-open")
        self.close_button = button(s.t("close"), "zf-close")
        self.simulate_button = button(s.t("simulate"), "zf-simulate")
        self.confirm_text = w.HTML()
        self.confirm_button = button(s.t("confirm"), "zf-confirm", button_style="danger")
        self.cancel_button = button(s.t("cancel"), "zf-cancel")
        self.confirm_box = row([self.confirm_text, self.confirm_button, self.cancel_button])
        self.confirm_box.layout.display = "none"

        self.create_button.on_click(lambda _b: self.create())
        self.open_button.on_click(lambda _b: self.ask("open"))
        self.close_button.on_click(lambda _b: self.ask("close"))
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.simulate_button.on_click(lambda _b: self.simulate())
        self.picker.observe(lambda _c: self.select(), names="value")

        self.widget = w.VBox([
            self.store, heading(s.t("h_rounds")), row([self.picker, self.info]),
            row([self.open_button, self.close_button, self.simulate_button]), self.confirm_box, self.list,
            w.HTML(f"<b>{html.escape(s.t('new_round'))}</b>"), row([self.code, self.title]),
            row([self.k_min, self.previous]), row([self.roster, self.create_button]), self.roster_problem])

    # --- the list ----------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Fill the picker and the table from the store, newest first (a missing store: its one line)."""
        s = self.shell
        from sqlalchemy.engine import make_url

        try:
            shown = make_url(api.store_url(s.db)).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001
            shown = api.store_url(s.db)
        self.store.value = f"<small>{html.escape(s.t('store'))}：<code>{html.escape(shown)}</code></small>"
        try:
            rounds = api.list_rounds(newest_first=True, db=s.db)
        except Exception as e:  # noqa: BLE001
            from .base import one_line

            rounds = []
            s.error(one_line(e, s.lang))
        self._rounds = {r["code"]: r for r in rounds}
        codes = list(self._rounds)
        keep = select if select in codes else (self.picker.value if self.picker.value in codes else None)
        self.picker.options = codes  # the title is shown beside it and in the table
        self.previous.options = [("—", "")] + [(c, c) for c in codes]
        self.picker.value = keep if keep is not None else (codes[0] if codes else None)
        self.select()

    def status_text(self, status: str) -> str:
        return self.shell.t(f"status_{status}")

    def select(self) -> None:
        """Show the picked round's state and enable what its state allows."""
        s = self.shell
        rnd = self._rounds.get(self.picker.value) if self.picker.value else None
        s.round = rnd
        if rnd is None:
            self.info.value = f"<i>{html.escape(s.t('no_rounds'))}</i>"
        else:
            self.info.value = (f"<b>{html.escape(rnd['title'])}</b> · <span class='zf-state zf-{rnd['status']}'>"
                               f"{html.escape(self.status_text(rnd['status']))}</span> · k = {rnd['k_min']}")
        head = [s.t(k) for k in ("col_code", "col_title", "col_status", "col_created", "col_previous", "col_k")]
        rows = [("zf-picked" if r is rnd else "",
                 [r["code"], r["title"], self.status_text(r["status"]), r["created_on"] or "—", r["previous"] or "—",
                  r["k_min"]]) for r in self._rounds.values()]
        self.list.value = table(head, rows, "zf-round-list") if rows else ""
        status = rnd["status"] if rnd else None
        self.open_button.disabled = status not in ("draft", "closed")
        self.close_button.disabled = status != "open"
        self.simulate_button.disabled = status != "open"
        self.cancel()
        self.on_change(rnd)

    # --- a new round -------------------------------------------------------------------------
    def create(self) -> None:
        """Create a draft round from the code, title, k, previous round and the uploaded roster."""
        s = self.shell
        files = upload_files(self.roster)
        self.roster_problem.value = ""
        if not files:
            s.error(s.t("need_roster"))
            return
        with Uploaded(*files[0]) as up:
            rnd = s.run(api.create_round, self.code.value.strip(), title=self.title.value, roster=up.path,
                        k_min=self.k_min.value, previous=self.previous.value or None, db=s.db, clean=up.clean)
            if rnd is None:
                self.show_roster_line(up)
                return
        self.roster.value = ()
        self.code.value = self.title.value = ""
        self.reload(select=rnd["code"])
        s.ok(s.t("created", code=rnd["code"], instrument=rnd["instrument_id"], version=rnd["instrument_version"]))

    def show_roster_line(self, up: Uploaded) -> None:
        """Under a roster error naming a line: that line of the file (highlighted) with its neighbours."""
        line = line_of(self.shell.message.value)
        if line is None:
            return
        try:
            lines = api.roster_rows(up.path)
        except Exception:  # noqa: BLE001 - the error above already says what is wrong with the file
            return
        first, last = max(2, line - ROSTER_CONTEXT), min(len(lines), line + ROSTER_CONTEXT)
        shown = [1, *range(first, last + 1)] if line > 1 else [1]  # the header line first
        width = max((len(lines[n - 1]) for n in shown if n <= len(lines)), default=0)
        head = ["#", *lines[0], *[""] * (width - len(lines[0]))] if lines else ["#"]
        rows = [("zf-bad" if n == line else "", [n, *lines[n - 1], *[""] * (width - len(lines[n - 1]))])
                for n in shown[1:]]
        caption = html.escape(self.shell.t("roster_row", line=line))
        self.roster_problem.value = f"<div class='zf-roster-caption'>{caption}</div>" + table(head, rows,
                                                                                              "zf-roster-lines")

    # --- open, close, simulate ---------------------------------------------------------------
    def ask(self, action: str) -> None:
        """Ask for confirmation before opening or closing the round."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        self._pending = (action, code)
        text = s.t("ask_open" if action == "open" else "ask_close", code=code)
        self.confirm_text.value = f"<b class='zf-confirm-text'>{html.escape(text)}</b>"
        self.confirm_box.layout.display = "flex"

    def cancel(self) -> None:
        self._pending = None
        self.confirm_box.layout.display = "none"

    def confirm(self) -> None:
        """Do the action that was asked for."""
        s = self.shell
        if self._pending is None:
            return
        action, code = self._pending
        self.cancel()
        rnd = s.run(api.open_round if action == "open" else api.close_round, code, db=s.db)
        if rnd is None:
            return
        self.reload(select=code)
        if action == "open":
            s.ok(s.t("opened", code=code, k=rnd["k_min"], kc=rnd["k_comment"]))
        else:
            s.ok(s.t("closed", code=code))

    def simulate(self) -> None:
        """Fill the open round with synthetic answers (for trying the console out)."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        n = s.run(api.simulate_round, code, seed=1, db=s.db)
        if n is not None:
            s.ok(s.t("simulated", code=code, n=n))
            self.on_change(s.round)
