"""The analyst's console: a round from roster to reports, as ipywidgets.

``notebooks/console.ipynb`` only displays :func:`console_app`; ``zuofeng console`` serves that notebook
with Voilà (see :mod:`zuofeng.console_serve`). Every button calls one function of :mod:`zuofeng.api`,
the same ones the command line calls, and shows a user error as the same one line the CLI prints.

Sections: the round (pick one, or create one from a roster uploaded in the page), open and close
(each asks for confirmation), tokens (issued as slips that download straight from the page: the file
never lands on the server's disk), coverage (refreshed every few seconds while the round is open,
盲区 highlighted), import (a dry run first, then the import), scores and reports (a progress bar,
then links to the pages), and the rectification ledger (整改台账: seed it from the problem list, pick a
department, see its entries with their verification and flags, edit one and save it with who recorded it).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import ipywidgets as w

from . import api
from .axes import COVERAGE_VIEWS, kind_label
from .errors import ZuofengError

log = logging.getLogger(__name__)

REPORTS_URL_ENV = "ZUOFENG_CONSOLE_REPORTS_URL"  # set by `zuofeng console`: where its server serves reports/
PROBLEMS_SHOWN = 20
STATUS_ZH = {"draft": "草稿 draft", "open": "开放 open", "closed": "已关闭 closed"}
VIEW_ZH = {v: kind_label(v) for v in COVERAGE_VIEWS}
STYLE = """<style>
.zf-console { max-width: 980px; font-size: 14px; }
.zf-console h3 { margin: 14px 0 4px; border-bottom: 1px solid #ddd; }
.zf-error { color: #b00020; font-weight: bold; }
.zf-ok { color: #1b5e20; }
table.zf-cov { border-collapse: collapse; }
table.zf-cov td, table.zf-cov th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
table.zf-cov td:nth-child(-n+3), table.zf-cov th { text-align: left; }
tr.zf-gap td { background: #ffcdd2; color: #7f0000; font-weight: bold; }
tr.zf-low td { background: #fff3cd; }
.zf-console a { color: #0b57d0; text-decoration: underline; }
.zf-ledger-box { max-width: 100%; overflow-x: auto; }
table.zf-ledger { border-collapse: collapse; }
table.zf-ledger td, table.zf-ledger th { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
table.zf-ledger td.zf-flags { color: #7f0000; }
</style>"""


def one_line(exc: BaseException) -> str:
    """The one line the CLI would print for ``exc`` (no traceback, ever)."""
    if isinstance(exc, ZuofengError):
        return exc.message
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover
        SQLAlchemyError = ()
    if isinstance(exc, SQLAlchemyError):
        return "database: " + (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    log.exception("console: unexpected error")
    return f"unexpected error ({type(exc).__name__}); the server log has the details"


def uploaded(name: str, content: bytes) -> tuple[dict]:
    """A ``FileUpload.value`` holding one file, as the browser sends it (for scripts and tests)."""
    import datetime as dt

    return ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
             "last_modified": dt.datetime.now(dt.UTC)},)


def _upload_files(upload: w.FileUpload) -> list[tuple[str, bytes]]:
    """(name, content) of the files in a FileUpload (ipywidgets 8: a tuple of dicts)."""
    return [(Path(f["name"]).name, bytes(f["content"])) for f in upload.value]


class _Uploaded:
    """An uploaded file written under its own name into a private temporary folder, for the file readers.

    Messages naming the temporary path are shown with the bare file name.
    """

    def __init__(self, name: str, content: bytes):
        self.dir = tempfile.mkdtemp(prefix="zuofeng-upload-")
        os.chmod(self.dir, 0o700)
        self.path = Path(self.dir) / (name or "upload")
        self.path.write_bytes(content)

    def clean(self, message: str) -> str:
        return message.replace(f"{self.dir}{os.sep}", "")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Console:
    """The console's widgets and what each button does. ``widget`` is what a notebook displays.

    Parameters
    ----------
    db : str, optional
        The store (a URL); default the project's (see :mod:`zuofeng.config`).
    refresh : float
        Seconds between coverage refreshes while auto-refresh is on and the round is open.
    auto_refresh : bool
        Start with auto-refresh on.
    jobs : int, optional
        Report workers (default: the number of CPUs).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> c = Console(db=db, auto_refresh=False)
    >>> c.code.value, c.title.value = "R1", "基线测评"
    >>> c.roster.value = uploaded("roster.csv", api.demo_roster().read_bytes())
    >>> c.create_button.click()
    >>> c.round.value, c.message.value
    ('R1', '<span class="zf-ok">created round R1 (zuofeng-2022 v1), status draft</span>')
    >>> tmp.cleanup()
    """

    def __init__(self, db: str | None = None, *, refresh: float = 5.0, auto_refresh: bool = True,
                 jobs: int | None = None):
        self.db = db
        self.refresh_seconds = refresh
        self.jobs = jobs
        self._pending = None  # the action waiting for confirmation
        self._dry = None  # (round, upload name, size, format) of the last successful dry run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.reports_url = os.environ.get(REPORTS_URL_ENV)

        self.store = w.HTML()
        self.message = w.HTML()
        self.message.add_class("zf-message")
        # round: pick or create
        self.round = w.Dropdown(description="轮次 Round", options=[])
        self.round.add_class("zf-round")
        self.round_info = w.HTML()
        self.code = w.Text(description="代码 Code", placeholder="2022-baseline")
        self.code.add_class("zf-code")
        self.title = w.Text(description="标题 Title", placeholder="2022年作风建设基线测评")
        self.title.add_class("zf-title")
        self.k_min = w.BoundedIntText(value=5, min=3, max=1000, description="k")
        self.previous = w.Dropdown(description="对比 Previous", options=[("—", "")])
        self.roster = w.FileUpload(accept=".csv,.xlsx", multiple=False, description="名册 Roster")
        self.roster.add_class("zf-roster")
        self.create_button = w.Button(description="创建轮次 Create", button_style="primary")
        self.create_button.add_class("zf-create")
        # open / close with confirmation
        self.open_button = w.Button(description="开放 Open")
        self.open_button.add_class("zf-open")
        self.close_button = w.Button(description="关闭 Close")
        self.close_button.add_class("zf-close")
        self.confirm_text = w.HTML()
        self.confirm_button = w.Button(description="确认 Confirm", button_style="danger")
        self.confirm_button.add_class("zf-confirm")
        self.cancel_button = w.Button(description="取消 Cancel")
        self.cancel_button.add_class("zf-cancel")
        self.confirm_box = w.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                  layout=w.Layout(display="none"))
        self.simulate_button = w.Button(description="模拟答卷 Simulate", tooltip="synthetic answers (try-out only)")
        self.simulate_button.add_class("zf-simulate")
        # tokens
        self.survey_url = w.Text(description="问卷地址 URL", placeholder="https://survey.example.org/")
        self.extra = w.BoundedIntText(value=0, min=0, max=1000, description="备用 Extra")
        self.issue_button = w.Button(description="发放令牌 Issue tokens")
        self.issue_button.add_class("zf-issue")
        self.slips = w.HTML()
        self.slips.add_class("zf-slips")
        # coverage
        self.auto = w.Checkbox(value=auto_refresh, description=f"自动刷新 every {refresh:g} s")
        self.status_button = w.Button(description="刷新 Refresh")
        self.status_button.add_class("zf-status")
        self.coverage_html = w.HTML()
        self.coverage_html.add_class("zf-coverage")
        # import
        self.import_file = w.FileUpload(accept=".csv,.xlsx", multiple=False, description="答卷文件 File")
        self.import_file.add_class("zf-import-file")
        self.import_format = w.Dropdown(options=["auto", "template", "wjx", "limesurvey"], value="auto",
                                        description="格式 Format")
        self.dry_button = w.Button(description="预检 Dry run")
        self.dry_button.add_class("zf-dry-run")
        self.import_button = w.Button(description="导入 Import", disabled=True)
        self.import_button.add_class("zf-import")
        self.import_preview = w.HTML()
        self.import_preview.add_class("zf-import-preview")
        # scores and reports
        self.score_button = w.Button(description="计分 Score")
        self.score_button.add_class("zf-score")
        self.score_output = w.HTML()
        self.score_output.add_class("zf-score-output")
        self.lang = w.Dropdown(options=[("中文", "zh"), ("English", "en")], value="zh", description="语言 Lang")
        self.report_button = w.Button(description="生成报告 Reports", button_style="primary")
        self.report_button.add_class("zf-report")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="报告 0/0")
        self.progress.add_class("zf-progress")
        self.links = w.HTML()
        self.links.add_class("zf-links")
        # the rectification ledger
        from .ledger.entries import STATUSES

        self.statuses = STATUSES
        self._entries = {}  # id → the picked department's entries as loaded
        self.ledger_init_button = w.Button(description="从问题清单建立台账 Init ledger",
                                           tooltip="one entry per department × flagged item (safe to repeat)")
        self.ledger_init_button.add_class("zf-ledger-init")
        self.ledger_department = w.Dropdown(description="部门 Department", options=[])
        self.ledger_department.add_class("zf-ledger-department")
        self.ledger_table = w.HTML()
        self.ledger_table.add_class("zf-ledger-table")
        self.ledger_entry = w.Dropdown(description="条目 Entry", options=[])
        self.ledger_entry.add_class("zf-ledger-entry")
        self.ledger_problem = w.HTML()
        self.ledger_measure = w.Textarea(description="整改措施 Measure", rows=3)
        self.ledger_leader = w.Text(description="责任领导 Leader")
        self.ledger_person = w.Text(description="责任人 Person")
        self.ledger_deadline = w.DatePicker(description="完成时限 Deadline")
        self.ledger_status = w.Dropdown(description="状态 Status", options=list(STATUSES))
        self.ledger_status.add_class("zf-ledger-status")
        self.ledger_reopen = w.Checkbox(value=False, description="允许回退 Reopen (status may move back)")
        self.ledger_evidence = w.Textarea(description="佐证材料 Evidence", rows=2)
        self.ledger_evidence_file = w.Text(description="佐证文件 Evidence file")
        self.ledger_review = w.Textarea(description="审核意见 Review note", rows=2)
        self.ledger_by = w.Text(description="记录人 Recorded by", placeholder="王明")
        self.ledger_by.add_class("zf-ledger-by")
        self.ledger_save_button = w.Button(description="保存 Save", button_style="primary", disabled=True)
        self.ledger_save_button.add_class("zf-ledger-save")
        self.ledger_form = w.VBox([], layout=w.Layout(display="none"))

        self.create_button.on_click(lambda _b: self.create())
        self.open_button.on_click(lambda _b: self.ask("open"))
        self.close_button.on_click(lambda _b: self.ask("close"))
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.simulate_button.on_click(lambda _b: self.simulate())
        self.issue_button.on_click(lambda _b: self.issue())
        self.status_button.on_click(lambda _b: self.refresh_coverage())
        self.dry_button.on_click(lambda _b: self.dry_run())
        self.import_button.on_click(lambda _b: self.do_import())
        self.score_button.on_click(lambda _b: self.score())
        self.report_button.on_click(lambda _b: self.render())
        self.ledger_init_button.on_click(lambda _b: self.ledger_init())
        self.ledger_save_button.on_click(lambda _b: self.ledger_save())
        self.ledger_department.observe(lambda _c: self.ledger_load(), names="value")
        self.ledger_entry.observe(lambda _c: self.ledger_pick(), names="value")
        self.ledger_reopen.observe(lambda _c: self._status_options(), names="value")
        self.round.observe(lambda _c: self.select(), names="value")
        self.import_file.observe(lambda _c: self._forget_dry_run(), names="value")
        self.import_format.observe(lambda _c: self._forget_dry_run(), names="value")
        self.auto.observe(lambda _c: self._auto_changed(), names="value")

        def h(text: str) -> w.HTML:
            return w.HTML(f"<h3>{text}</h3>")

        def row(children) -> w.HBox:
            return w.HBox(children, layout=w.Layout(flex_flow="row wrap"))  # wraps on a narrow screen

        wide = {"description_width": "initial"}
        for x in (self.round, self.code, self.title, self.k_min, self.previous, self.survey_url, self.extra,
                  self.import_format, self.lang, self.progress, self.ledger_department, self.ledger_entry,
                  self.ledger_measure, self.ledger_leader, self.ledger_person, self.ledger_deadline, self.ledger_status,
                  self.ledger_evidence, self.ledger_evidence_file, self.ledger_review, self.ledger_by):
            x.style = wide
        for x in (self.roster, self.import_file, self.create_button, self.open_button, self.close_button,
                  self.confirm_button, self.cancel_button, self.simulate_button, self.issue_button,
                  self.status_button, self.dry_button, self.import_button, self.score_button, self.report_button,
                  self.ledger_init_button, self.ledger_save_button):
            x.layout.width = "auto"
        for x in (self.ledger_measure, self.ledger_evidence, self.ledger_review):
            x.layout.width = "100%"
        self.ledger_form.children = [
            self.ledger_problem, self.ledger_measure, row([self.ledger_leader, self.ledger_person]),
            row([self.ledger_deadline, self.ledger_status, self.ledger_reopen]), self.ledger_evidence,
            self.ledger_evidence_file, self.ledger_review, row([self.ledger_by, self.ledger_save_button])]
        self.widget = w.VBox([
            w.HTML(STYLE), self.store,
            self.message,
            h("轮次 Round"), row([self.round, self.round_info]),
            w.HTML("<b>新建轮次 New round</b>"), row([self.code, self.title]),
            row([self.k_min, self.previous]), row([self.roster, self.create_button]),
            h("开放与关闭 Open and close"), row([self.open_button, self.close_button, self.simulate_button]),
            self.confirm_box,
            h("令牌 Tokens"), row([self.survey_url, self.extra]), row([self.issue_button]), self.slips,
            h("覆盖率 Coverage (盲区 = nobody answered)"), row([self.status_button, self.auto]),
            self.coverage_html,
            h("导入 Import"), row([self.import_file, self.import_format]),
            row([self.dry_button, self.import_button]), self.import_preview,
            h("计分与报告 Scores and reports"), row([self.score_button, self.lang, self.report_button]),
            self.score_output, self.progress, self.links,
            h("整改台账 Rectification ledger"), row([self.ledger_department, self.ledger_init_button]),
            self.ledger_table, row([self.ledger_entry]), self.ledger_form,
        ])
        self.widget.add_class("zf-console")
        self.reload_rounds()
        self._auto_changed()

    # --- plumbing ----------------------------------------------------------------------------
    def _url(self) -> str:
        return api.store_url(self.db)

    def ok(self, text: str) -> None:
        self.message.value = f'<span class="zf-ok">{html.escape(text)}</span>'

    def error(self, text: str) -> None:
        self.message.value = f'<span class="zf-error">{html.escape(text)}</span>'

    def _run(self, fn, *args, clean=None, **kwargs):
        """Call ``fn``; a failure becomes the one-line error shown in the page (returns None)."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every failure is shown as one line, never a traceback
            text = one_line(e)
            self.error(clean(text) if clean else text)
            return None

    def _current(self) -> str | None:
        if not self.round.value:
            self.error("pick a round first, or create one")
            return None
        return self.round.value

    # --- rounds ------------------------------------------------------------------------------
    def reload_rounds(self, select: str | None = None) -> None:
        """Fill the round picker from the store (a missing store: the one line saying how to create one)."""
        self.store.value = f"<small>store: <code>{html.escape(self._shown_url())}</code></small>"
        try:
            rounds = api.list_rounds(db=self.db)
        except Exception as e:  # noqa: BLE001
            rounds = []
            self.error(one_line(e))
        self._rounds = {r["code"]: r for r in rounds}
        codes = list(self._rounds)
        keep = select if select in codes else (self.round.value if self.round.value in codes else None)
        self.round.options = codes
        self.previous.options = [("—", "")] + [(c, c) for c in codes]
        self.round.value = keep if keep is not None else (codes[-1] if codes else None)
        self.select()

    def _shown_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self._url()).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001
            return self._url()

    def select(self) -> None:
        """Show the picked round's state and enable what its state allows."""
        rnd = self._rounds.get(self.round.value) if self.round.value else None
        if rnd is None:
            self.round_info.value = "<i>no rounds yet: create one below</i>"
        else:
            prev = f" · previous {html.escape(rnd['previous'])}" if rnd["previous"] else ""
            self.round_info.value = (f"<b>{html.escape(rnd['title'])}</b> · "
                                     f"<span class='zf-state'>{STATUS_ZH[rnd['status']]}</span> · k = {rnd['k_min']}"
                                     f"{prev}")
        status = rnd["status"] if rnd else None
        self.open_button.disabled = status not in ("draft", "closed")
        self.close_button.disabled = status != "open"
        self.simulate_button.disabled = status != "open"
        for b in (self.issue_button, self.status_button, self.dry_button, self.score_button, self.report_button,
                  self.ledger_init_button):
            b.disabled = rnd is None
        self.cancel()
        self._forget_dry_run()
        if rnd is not None:
            self.refresh_coverage(quiet=True)
        else:
            self.coverage_html.value = ""
        self.ledger_departments()

    def create(self) -> None:
        """Create a draft round from the code, title, k, previous round and the uploaded roster."""
        files = _upload_files(self.roster)
        if not files:
            self.error("upload a roster first (CSV or .xlsx: code, name, unit_type, headcount …)")
            return
        up = _Uploaded(*files[0])
        try:
            rnd = self._run(api.create_round, self.code.value.strip(), title=self.title.value,
                            roster=up.path, k_min=self.k_min.value, previous=self.previous.value or None,
                            db=self.db, clean=up.clean)
        finally:
            up.close()
        if rnd is None:
            return
        self.roster.value = ()
        self.code.value = self.title.value = ""
        self.reload_rounds(select=rnd["code"])
        self.ok(f"created round {rnd['code']} ({rnd['instrument_id']} v{rnd['instrument_version']}), status draft")

    # --- open and close ----------------------------------------------------------------------
    def ask(self, action: str) -> None:
        """Ask for confirmation before opening or closing the round."""
        code = self._current()
        if code is None:
            return
        self._pending = (action, code)
        if action == "open":
            text = f"开放轮次 {code}？开放后阈值 k 固定。Open round {code}? Its thresholds become fixed."
        else:
            text = f"关闭轮次 {code}？关闭后不再接受答卷。Close round {code}? No more answers are accepted."
        self.confirm_text.value = f"<b class='zf-confirm-text'>{html.escape(text)}</b>"
        self.confirm_box.layout.display = "flex"

    def cancel(self) -> None:
        self._pending = None
        self.confirm_box.layout.display = "none"

    def confirm(self) -> None:
        """Do the action that was asked for."""
        if self._pending is None:
            return
        action, code = self._pending
        self.cancel()
        fn = api.open_round if action == "open" else api.close_round
        rnd = self._run(fn, code, db=self.db)
        if rnd is None:
            return
        self.reload_rounds(select=code)
        if action == "open":
            self.ok(f"round {code} is open (k = {rnd['k_min']}, comments k = {rnd['k_comment']})")
        else:
            self.ok(f"round {code} is closed")

    def simulate(self) -> None:
        """Fill the open round with synthetic answers (for trying the console out)."""
        code = self._current()
        if code is None:
            return
        n = self._run(api.simulate_round, code, seed=1, db=self.db)
        if n is not None:
            self.ok(f"stored {n} simulated answer sheets in round {code}")
            self.refresh_coverage(quiet=True)

    # --- tokens ------------------------------------------------------------------------------
    def issue(self) -> None:
        """Issue the missing tokens; the slips become a download link (never a file on the server)."""
        code = self._current()
        if code is None:
            return
        tmp = tempfile.mkdtemp(prefix="zuofeng-slips-")
        os.chmod(tmp, 0o700)
        try:
            out = Path(tmp) / f"slips-{code}.html"
            r = self._run(api.issue_slips, code, extra=self.extra.value, out=out,
                          url=self.survey_url.value.strip() or None, db=self.db)
            if r is None:
                return
            if not r.issued:
                self.slips.value = ""
                self.ok(f"nothing to issue in round {code}: every scope has its tokens (add spares with Extra)")
                return
            data = base64.b64encode(out.read_bytes()).decode("ascii")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        views = ", ".join(f"{v} {n}" for v, n in sorted(r.by_view.items()))
        self.slips.value = (
            f'<a class="zf-slips-link" download="slips-{html.escape(code)}.html" '
            f'href="data:text/html;charset=utf-8;base64,{data}">下载令牌条 Download slips-{html.escape(code)}.html '
            f"({r.issued} slips, {r.pages} A4 pages)</a><br><small>The file holds live tokens: print it, then "
            "delete it. Lost slips cannot be reprinted.</small>")
        key = f"; created the token key {r.key_path}: back it up offline" if r.key_created else ""
        self.ok(f"issued {r.issued} new tokens in round {code} ({views}){key}")

    # --- coverage ----------------------------------------------------------------------------
    def refresh_coverage(self, quiet: bool = False) -> None:
        """Redraw the coverage table (盲区 rows highlighted)."""
        code = self.round.value
        if not code:
            return
        with self._lock:
            try:
                cov = api.round_coverage(code, db=self.db)
            except Exception as e:  # noqa: BLE001
                if not quiet:
                    self.error(one_line(e))
                return
            self.coverage_html.value = coverage_table(cov)

    def _auto_changed(self) -> None:
        if self.auto.value and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._tick, name="zuofeng-coverage", daemon=True)
            self._thread.start()
        elif not self.auto.value:
            self.stop()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            rnd = self._rounds.get(self.round.value) if self.round.value else None
            if rnd is not None and rnd["status"] == "open":
                self.refresh_coverage(quiet=True)

    def stop(self) -> None:
        """Stop the auto-refresh thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.refresh_seconds + 5)
        self._thread = None

    # --- import ------------------------------------------------------------------------------
    def _forget_dry_run(self) -> None:
        self._dry = None
        self.import_button.disabled = True

    def _upload_key(self):
        files = _upload_files(self.import_file)
        return (self.round.value, files[0][0], len(files[0][1]), self.import_format.value) if files else None

    def _import(self, dry_run: bool):
        code = self._current()
        if code is None:
            return None
        files = _upload_files(self.import_file)
        if not files:
            self.error("upload an answer file first (the ballot template, a 问卷星 download or a LimeSurvey export)")
            return None
        from .io import ImportProblems

        up = _Uploaded(*files[0])
        try:
            return api.import_file(code, up.path, format=self.import_format.value, dry_run=dry_run, db=self.db)
        except ImportProblems as e:
            rows = "".join(f"<li>{html.escape(up.clean(str(p)))}</li>" for p in e.problems[:PROBLEMS_SHOWN])
            more = len(e.problems) - PROBLEMS_SHOWN
            more_line = f"<li>… and {more} more</li>" if more > 0 else ""
            self.import_preview.value = f"<ul class='zf-problems'>{rows}{more_line}</ul>"
            self.error(up.clean(e.message))
        except Exception as e:  # noqa: BLE001
            self.import_preview.value = ""
            self.error(up.clean(one_line(e)))
        finally:
            up.close()
        return None

    def dry_run(self) -> None:
        """Check the uploaded file without storing anything; a valid file enables the import button."""
        self._forget_dry_run()
        r = self._import(dry_run=True)
        if r is None:
            return
        notes = "".join(f"<li>note: {html.escape(n)}</li>" for n in r.notes)
        if r.previous:
            notes += "<li>note: the same content was imported before: " + html.escape(
                "; ".join(f"round {rnd} on {d}" for rnd, d in r.previous)) + "</li>"
        state = "" if r.round_status == "open" else f"; round {r.round} is {r.round_status}: open it before importing"
        self.import_preview.value = (f"<b>dry run</b>: {r.sheets} answer sheets ({html.escape(r.format)}) are valid; "
                                     f"nothing stored{html.escape(state)}<ul>{notes}</ul>")
        self.ok(f"dry run: {r.sheets} answer sheets are valid; nothing stored")
        if r.round_status == "open" and not r.previous:
            self._dry = self._upload_key()
            self.import_button.disabled = False

    def do_import(self) -> None:
        """Import the file that passed the dry run."""
        if self._dry is None or self._dry != self._upload_key():
            self._forget_dry_run()
            self.error("run the dry run on this file first")
            return
        r = self._import(dry_run=False)
        self._forget_dry_run()
        if r is not None:
            self.import_preview.value = ""
            self.import_file.value = ()
            self.ok(f"imported {r.stored} answer sheets ({r.format}) into round {r.round}")
            self.refresh_coverage(quiet=True)

    # --- scores and reports ------------------------------------------------------------------
    def score(self) -> None:
        """Score the round and show the short summary."""
        code = self._current()
        if code is None:
            return
        from .score.export import summary_text

        scores = self._run(api.score_round, code, db=self.db)
        if scores is not None:
            self.score_output.value = f"<pre>{html.escape(summary_text(scores))}</pre>"
            self.ok(f"scored round {code}: {len(scores.table)} figures")

    def _on_progress(self, done: int, total: int, name: str) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress.description = f"报告 {done}/{total}"

    def render(self) -> None:
        """Render the round's reports with a progress bar, then link every page."""
        code = self._current()
        if code is None:
            return
        from .report.batch import ReportBatchError

        self.progress.value, self.progress.description, self.links.value = 0, "报告 …", ""
        self.report_button.disabled = True
        failed = None
        try:
            result = api.render_reports(code, jobs=self.jobs, lang=self.lang.value, progress=False, db=self.db,
                                        on_progress=self._on_progress)
        except ReportBatchError as e:
            failed, result = e.message, None
        except Exception as e:  # noqa: BLE001
            self.error(one_line(e))
            return
        finally:
            self.report_button.disabled = False
        folder = api.report_folder(code)
        self.links.value = report_links(folder, self.link_base())
        if failed:
            self.error(failed)
        else:
            self.ok(f"{len(result.results)} reports in {result.seconds:.1f} s: {result.index}")

    # --- the rectification ledger ------------------------------------------------------------
    def ledger_departments(self, select: str | None = None) -> None:
        """List the picked round's departments that have ledger entries (none picked: nothing is loaded)."""
        code = self.round.value
        options = []
        if code:
            try:
                counts = api.ledger_entries(code, verify=False, db=self.db)["department"].value_counts()
                names = {r["department"]: r["name"] for r in api.round_coverage(code, db=self.db)["departments"]}
                options = [(f"{d} {names.get(d, '')} ({counts[d]})", d) for d in sorted(counts.index)]
            except Exception as e:  # noqa: BLE001
                self.error(one_line(e))
        self.ledger_department.options = options
        self.ledger_department.value = select if select in dict(options).values() else None
        self.ledger_load()

    def ledger_load(self) -> None:
        """Show the picked department's entries (status, verification, flags) and offer each for editing."""
        code, dept = self.round.value, self.ledger_department.value
        keep = self.ledger_entry.value
        self._entries = {}
        df = self._run(api.ledger_entries, code, department=dept, db=self.db) if code and dept else None
        if df is None:
            self.ledger_table.value = ""
            self.ledger_entry.options = []
            self.ledger_entry.value = None
            self.ledger_pick()
            return
        self._entries = {int(r["id"]): r for r in df.to_dict("records")}
        self.ledger_table.value = ledger_table(df)
        self.ledger_entry.options = [(f"#{i} {e['problem'][:40]}", i) for i, e in self._entries.items()]
        self.ledger_entry.value = keep if keep in self._entries else (next(iter(self._entries), None))
        self.ledger_pick()

    def ledger_pick(self) -> None:
        """Fill the form with the picked entry."""
        e = self._entries.get(self.ledger_entry.value)
        self.ledger_form.layout.display = "none" if e is None else "flex"
        self.ledger_save_button.disabled = e is None
        if e is None:
            return
        self.ledger_problem.value = (f"<b>#{e['id']}</b> {html.escape(str(e['department']))} · "
                                     f"{html.escape(str(e['problem']))}")
        self.ledger_measure.value = e["measure"] or ""
        self.ledger_leader.value = e["leader"] or ""
        self.ledger_person.value = e["person"] or ""
        self.ledger_deadline.value = e["deadline"] if isinstance(e["deadline"], dt.date) else None
        self.ledger_evidence.value = e["evidence"] or ""
        self.ledger_evidence_file.value = e["evidence_file"] or ""
        self.ledger_review.value = e["review_note"] or ""
        self.ledger_reopen.value = False
        self._status_options()
        self.ledger_status.value = e["status"]

    def _status_options(self) -> None:
        """Statuses the picked entry may move to: forward only, unless reopen is ticked."""
        e = self._entries.get(self.ledger_entry.value)
        if e is None:
            return
        was = self.ledger_status.value
        first = 0 if self.ledger_reopen.value else self.statuses.index(e["status"])
        options = list(self.statuses[first:])
        self.ledger_status.options = options
        self.ledger_status.value = was if was in options else e["status"]

    def ledger_save(self) -> None:
        """Save the form through :func:`zuofeng.api.ledger_update`; every changed field goes into the history."""
        e = self._entries.get(self.ledger_entry.value)
        if e is None:
            self.error("pick a ledger entry first")
            return
        changes = {"measure": self.ledger_measure.value, "leader": self.ledger_leader.value,
                   "person": self.ledger_person.value, "deadline": self.ledger_deadline.value,
                   "status": self.ledger_status.value, "evidence": self.ledger_evidence.value,
                   "evidence_file": self.ledger_evidence_file.value, "review_note": self.ledger_review.value}
        n = self._run(api.ledger_update, e["id"], by=self.ledger_by.value, reopen=self.ledger_reopen.value,
                      db=self.db, **changes)
        if n is None:
            return
        self.ledger_load()
        self.ok(f"entry #{e['id']}: {n} field(s) changed, recorded by {self.ledger_by.value.strip()}")

    def ledger_init(self) -> None:
        """Seed the round's ledger from its problem list (scores the round; safe to repeat)."""
        code = self._current()
        if code is None:
            return
        by = self.ledger_by.value.strip()
        n = self._run(api.ledger_init, code, db=self.db, **({"by": by} if by else {}))
        if n is None:
            return
        self.ledger_departments(select=self.ledger_department.value)
        self.ok(f"ledger {code}: {n} new entr{'y' if n == 1 else 'ies'} from the problem list")

    def link_base(self) -> str:
        """URL prefix of the project's ``reports/`` folder: ``zuofeng console``'s own route, else JupyterLab's
        ``/files/`` route (``make lab`` serves the project folder)."""
        if self.reports_url:
            return self.reports_url.rstrip("/") + "/"
        from .config import project_home

        rel = os.path.relpath(api.report_folder("x").parent, project_home())
        return "/files/" + "/".join(Path(rel).parts) + "/"


def coverage_table(cov: dict) -> str:
    """The coverage of a round as an HTML table; rows of a 盲区 (nobody answered) are highlighted."""
    head = "".join(f"<th>{h}</th>" for h in
                   ("代码 code", "部门 name", "卷 kind", "已答 answered", "人数 staff", "覆盖率 coverage", "标记 flags"))
    rows = []
    for r in cov["departments"]:
        cls = "zf-gap" if "盲区" in r["flags"] else ("zf-low" if "低于k" in r["flags"] else "")
        cells = (r["department"], r["name"], VIEW_ZH.get(r["view"], r["view"]), r["responses"], r["headcount"],
                 f"{r['coverage']:.0%}", " ".join(r["flags"]))
        rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    summary = " · ".join(f"{VIEW_ZH.get(v, v)} {s['responses']}/{s['headcount']} ({s['coverage']:.0%})"
                         for v, s in cov["summary"].items())
    gaps = sum("盲区" in r["flags"] for r in cov["departments"])
    return (f"<div class='zf-cov-summary'>{html.escape(cov['round'])} ({html.escape(cov['status'])}): "
            f"{html.escape(summary)} · 盲区 {gaps}</div>"
            f"<table class='zf-cov'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def ledger_table(df) -> str:
    """A department's ledger entries as an HTML table: status, deadline, people, verification and flags."""
    from .ledger.verify import FLAG_TEXT, VERIFICATION_TEXT

    head = "".join(f"<th>{h}</th>" for h in ("编号 id", "条目 item", "问题 problem", "状态 status", "时限 deadline",
                                             "责任领导 leader", "责任人 person", "核验 verification", "标记 flags"))
    rows = []
    for e in df.to_dict("records"):
        ver = VERIFICATION_TEXT["zh"].get(e.get("verification"), "—") if e.get("verification") else "—"
        flags = "、".join(FLAG_TEXT["zh"].get(f, f) for f in e.get("flags") or [])
        cells = [e["id"], e["item"] or "—", e["problem"], e["status"], e["deadline"] or "—", e["leader"] or "—",
                 e["person"] or "—", ver]
        rows.append(f"<tr data-id='{int(e['id'])}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + f"<td class='zf-flags' title='{html.escape(e.get('flag_detail') or '')}'>"
                      f"{html.escape(flags)}</td></tr>")
    if not rows:
        return "<i>no ledger entries</i>"
    return (f"<div class='zf-ledger-box'><table class='zf-ledger'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def report_links(folder: Path, base: str) -> str:
    """Links to the index and every page of a report folder (from its manifest)."""
    import json

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    prefix = base + folder.name + "/"
    items = [(f"<li><a class='zf-index-link' href='{html.escape(prefix)}index.html' target='_blank'>"
              f"index.html</a> — {html.escape(str(folder / 'index.html'))}</li>")]
    for name, r in manifest.get("reports", {}).items():
        if r.get("html"):
            state = "" if r.get("ok", True) else " ✗"
            items.append(f"<li><a href='{html.escape(prefix + r['html'])}' target='_blank'>"
                         f"{html.escape(name)}</a>{state}</li>")
    return "<ul class='zf-report-links'>" + "".join(items) + "</ul>"


def console_app(db: str | None = None, **kwargs) -> Console:
    """Build the console and display it (what ``notebooks/console.ipynb`` calls)."""
    from IPython.display import display

    console = Console(db=db or None, **kwargs)
    display(console.widget)
    return console
