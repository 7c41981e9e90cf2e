"""The scores and reports screen: score, render the reports with a progress bar, and download the results.

A draft round, or a round without answers, gets one line saying what to do first (never a traceback);
an open round's results are said to be preliminary. Downloads: the scores (.xlsx, as ``zuofeng score
--out``), the data export (.xlsx, as ``zuofeng export``) and the report folder (.zip).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import ipywidgets as w

from .. import api
from .base import WIDE, Scratch, Shell, button, heading, log, offer, one_line, row


def answers_in(cov: dict) -> int:
    """How many answer sheets a round holds, from its coverage (own views plus outside views received)."""
    return sum(s["responses"] for s in cov["summary"].values()) + sum(cov["peer_outside_received"].values())


def report_links(folder: Path, base: str, index_label: str = "index.html", labels: dict | None = None) -> str:
    """Links to the index and every page of a report folder (from its manifest); ``labels`` names the pages."""
    labels = labels or {}
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    prefix = base + folder.name + "/"
    items = [(f"<li><a class='zf-index-link' href='{html.escape(prefix)}index.html' target='_blank'>"
              f"{html.escape(index_label)}</a></li>")]
    for name, r in manifest.get("reports", {}).items():
        if r.get("html"):
            state = "" if r.get("ok", True) else " ✗"
            items.append(f"<li><a href='{html.escape(prefix + r['html'])}' target='_blank'>"
                         f"{html.escape(labels.get(name, name))}</a>{state}</li>")
    return "<ul class='zf-report-links'>" + "".join(items) + "</ul>"


class ReportsScreen:
    """Score, render (with a progress bar and links to every page) and the download buttons."""

    def __init__(self, shell: Shell, *, jobs: int | None = None):
        self.shell = s = shell
        self.jobs = jobs
        self.score_button = button(s.t("score"), "zf-score")
        self.lang = w.Dropdown(options=[("中文", "zh"), ("English", "en")], value=s.lang, description=s.t("lang"),
                               style=WIDE)
        self.lang.add_class("zf-report-lang")
        self.report_button = button(s.t("render"), "zf-report", button_style="primary")
        self.output = w.HTML()
        self.output.add_class("zf-score-output")
        self.progress = w.IntProgress(value=0, min=0, max=1, description=s.t("progress", done=0, total=0),
                                      style=WIDE)
        self.progress.add_class("zf-progress")
        self.links = w.HTML()
        self.links.add_class("zf-links")
        self.dl_scores = button(s.t("b_scores"), "zf-dl-scores")
        self.dl_export = button(s.t("b_export"), "zf-dl-export")
        self.dl_reports = button(s.t("b_reports"), "zf-dl-reports")
        self.downloads = w.HTML()
        self.downloads.add_class("zf-downloads")
        self.score_button.on_click(lambda _b: self.score())
        self.report_button.on_click(lambda _b: self.render())
        self.dl_scores.on_click(lambda _b: self.download("scores"))
        self.dl_export.on_click(lambda _b: self.download("export"))
        self.dl_reports.on_click(lambda _b: self.download("reports"))
        self.widget = w.VBox([heading(s.t("h_reports")), row([self.score_button, self.lang, self.report_button]),
                              self.output, self.progress, self.links,
                              w.HTML(f"<b>{html.escape(s.t('downloads'))}</b>"),
                              row([self.dl_scores, self.dl_export, self.dl_reports]), self.downloads])

    def on_round(self, rnd: dict | None) -> None:
        for b in (self.score_button, self.report_button, self.dl_scores, self.dl_export, self.dl_reports):
            b.disabled = rnd is None
        self.output.value = self.links.value = self.downloads.value = ""
        self.progress.value, self.progress.description = 0, self.shell.t("progress", done=0, total=0)
        if rnd is not None:
            self.links.value = self._links(rnd["code"])

    def _links(self, code: str) -> str:
        """The links to the round's rendered pages, named as the analyst knows them (总体报告, 办公室 BGS …)."""
        s = self.shell
        folder = api.report_folder(code)
        if not (folder / "manifest.json").is_file():
            return ""
        labels = {"overview": s.t("overview")}
        try:
            labels |= {r["department"]: f"{r['name']}（{r['department']}）"
                       for r in api.round_coverage(code, db=s.db)["departments"]}
        except Exception:  # noqa: BLE001 - the codes alone still link the pages
            log.warning("console: no department names for the report links of %s", code)
        return report_links(folder, s.link_base(), s.t("index"), labels)

    def ready(self) -> str | None:
        """The picked round's code if it has answers to score; else None after saying, in one line, why not."""
        s = self.shell
        code = s.code()
        if code is None:
            return None
        if s.round["status"] == "draft":
            s.error(s.t("draft_no_answers", code=code))
            return None
        cov = s.run(api.round_coverage, code, db=s.db)
        if cov is None:
            return None
        if not answers_in(cov):
            s.error(s.t("no_answers", code=code))
            return None
        return code

    def _preliminary(self, text: str) -> str:
        s = self.shell
        if s.round and s.round["status"] == "open":
            return text + "；" + s.t("preliminary", code=s.round["code"]) if s.lang == "zh" else \
                text + "; " + s.t("preliminary", code=s.round["code"])
        return text

    def score(self) -> None:
        """Score the round and show the short summary."""
        s = self.shell
        code = self.ready()
        if code is None:
            return
        from ..score.table_files import summary_text

        scores = s.run(api.score_round, code, db=s.db)
        if scores is not None:
            self.output.value = f"<pre class='zf-summary'>{html.escape(summary_text(scores))}</pre>"
            s.ok(self._preliminary(s.t("scored", code=code, n=len(scores.table))))

    def _on_progress(self, done: int, total: int, name: str) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress.description = self.shell.t("progress", done=done, total=total)

    def render(self) -> None:
        """Render the round's reports with a progress bar, then link every page."""
        s = self.shell
        code = self.ready()
        if code is None:
            return
        from ..report.batch import ReportBatchError

        self.progress.value, self.links.value = 0, ""
        self.progress.description = s.t("progress", done=0, total="…")
        self.report_button.disabled = True
        failed = None
        try:
            result = api.render_reports(code, jobs=self.jobs, lang=self.lang.value, progress=False, db=s.db,
                                        on_progress=self._on_progress)
        except ReportBatchError as e:
            failed, result = e.in_lang(s.lang), None
        except Exception as e:  # noqa: BLE001
            s.error(one_line(e, s.lang))
            return
        finally:
            self.report_button.disabled = False
        self.links.value = self._links(code)
        if failed:
            s.error(failed)
        else:
            s.ok(self._preliminary(s.t("reports_done", n=len(result.results), s=result.seconds)))

    def download(self, what: str) -> None:
        """Write the scores, the export or the report archive and offer it as a download link."""
        s = self.shell
        self.downloads.value = ""
        code = self.ready() if what != "reports" else s.code()
        if code is None:
            return
        with Scratch() as tmp:
            if what == "scores":
                path = tmp / f"scores-{code}.xlsx"
                done = s.run(api.score_round, code, out=path, db=s.db)
            elif what == "export":
                path = tmp / f"{code}.xlsx"
                done = s.run(api.export, code, path, db=s.db)
            else:
                path = tmp / f"reports-{code}.zip"
                done = s.run(api.report_archive, code, path)
            if done is None:
                return
            link = offer(path, s.t(f"dl_{what}", code=code), f"zf-{what}-link")
        self.downloads.value = link
