"""The import screen: an answer file is checked first (the dry-run table), and only then imported."""

from __future__ import annotations

import html

import ipywidgets as w

from .. import api
from .base import WIDE, Shell, Uploaded, button, heading, one_line, row, table, upload_files

PROBLEMS_SHOWN = 20
FORMATS = ("auto", "template", "wjx", "limesurvey")
HOW = {"zh": {"column name": "列名", "mapping": "映射文件"}}  # how the readers found an item's column


class ImportScreen:
    """Upload an answer file, see its dry run (counts, notes, which column became which item), then import it.

    Only the file and format that passed the dry run can be imported; ``on_import()`` is called after an
    import (the coverage is redrawn).
    """

    def __init__(self, shell: Shell, on_import):
        self.shell = s = shell
        self.on_import = on_import
        self._dry = None  # (round, upload name, size, format) of the last successful dry run
        self.file = w.FileUpload(accept=".csv,.xlsx", multiple=False, description=s.t("import_file"))
        self.file.add_class("zf-import-file")
        self.file.layout.width = "auto"
        self.format = w.Dropdown(options=[(s.t(f"fmt_{f}"), f) for f in FORMATS], value="auto",
                                 description=s.t("format"), style=WIDE)
        self.format.add_class("zf-import-format")
        self.dry_button = button(s.t("dry_run"), "zf-dry-run")
        self.import_button = button(s.t("do_import"), "zf-import", button_style="primary", disabled=True)
        self.preview = w.HTML()
        self.preview.add_class("zf-import-preview")
        self.dry_button.on_click(lambda _b: self.dry_run())
        self.import_button.on_click(lambda _b: self.do_import())
        self.file.observe(lambda _c: self.forget(), names="value")
        self.format.observe(lambda _c: self.forget(), names="value")
        self.widget = w.VBox([heading(s.t("h_import")), row([self.file, self.format]),
                              row([self.dry_button, self.import_button]), self.preview])

    def on_round(self, rnd: dict | None) -> None:
        self.dry_button.disabled = rnd is None
        self.preview.value = ""
        self.forget()

    def forget(self) -> None:
        self._dry = None
        self.import_button.disabled = True

    def _key(self):
        files = upload_files(self.file)
        return (self.shell.round and self.shell.round["code"], files[0][0], len(files[0][1]),
                self.format.value) if files else None

    def _run(self, dry_run: bool):
        s = self.shell
        code = s.code()
        if code is None:
            return None
        files = upload_files(self.file)
        if not files:
            s.error(s.t("need_file"))
            return None
        from ..io import ImportProblems

        with Uploaded(*files[0]) as up:
            try:
                return api.import_file(code, up.path, format=self.format.value, dry_run=dry_run, db=s.db)
            except ImportProblems as e:
                items = "".join(f"<li>{html.escape(up.clean(p.in_lang(s.lang)))}</li>" for p in e.problems[:PROBLEMS_SHOWN])
                more = len(e.problems) - PROBLEMS_SHOWN
                if more > 0:
                    items += f"<li>{html.escape(s.t('more_problems', n=more))}</li>"
                self.preview.value = f"<ul class='zf-problems'>{items}</ul>"
                s.error(up.clean(e.in_lang(s.lang)))
            except Exception as e:  # noqa: BLE001
                self.preview.value = ""
                s.error(up.clean(one_line(e, s.lang)))
        return None

    def dry_run(self) -> None:
        """Check the uploaded file without storing anything; a valid file enables the import button."""
        s = self.shell
        self.forget()
        r = self._run(dry_run=True)
        if r is None:
            return
        facts = table([s.t("dry_count"), s.t("dry_format"), s.t("dry_sheet")],
                      [("", [r.sheets, s.t(f"fmt_{r.format}") if r.format in FORMATS else r.format,
                             r.sheet or "—"])], "zf-dry-facts")
        notes = [html.escape(n) for n in r.notes]
        if r.too_fast:
            notes.append(html.escape(s.t("dry_too_fast", n=r.too_fast)))
        if r.previous:
            notes.append(html.escape(s.t("dry_previous", when="；".join(f"{rnd} {d}" for rnd, d in r.previous))))
        if r.round_status != "open":
            notes.append(html.escape(s.t("dry_state", code=r.round, status=s.t(f"status_{r.round_status}"))))
        columns = (f"<details class='zf-dry-columns-box'><summary>{html.escape(s.t('dry_columns', n=len(r.columns)))}"
                   "</summary>" + table([s.t("dry_col_item"), s.t("dry_col_header"), s.t("dry_col_how")],
                                        [("", [item, header, HOW.get(s.lang, {}).get(how, how)])
                                         for item, header, how in r.columns], "zf-dry-columns")
                   + "</details>") if r.columns else ""
        self.preview.value = (f"<b class='zf-dry-head'>{html.escape(s.t('dry_head', n=r.sheets, fmt=r.format))}</b>"
                              + facts + "".join(f"<div class='zf-note'>{n}</div>" for n in notes) + columns)
        s.ok(s.t("dry_ok", n=r.sheets))
        if r.round_status == "open" and not r.previous:
            self._dry = self._key()
            self.import_button.disabled = False

    def do_import(self) -> None:
        """Import the file that passed the dry run."""
        s = self.shell
        if self._dry is None or self._dry != self._key():
            self.forget()
            s.error(s.t("need_dry_run"))
            return
        r = self._run(dry_run=False)
        self.forget()
        if r is not None:
            self.preview.value = ""
            self.file.value = ()
            s.ok(s.t("imported", n=r.stored, fmt=r.format, round=r.round))
            self.on_import()
