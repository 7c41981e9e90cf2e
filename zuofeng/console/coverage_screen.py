"""The coverage screen: answers per department and survey against staff, refreshed while the round is open.

Rows where nobody answered (盲区) are red, rows under k yellow; the counts are those of ``zuofeng status``
(:func:`zuofeng.api.round_coverage`).
"""

from __future__ import annotations

import datetime as dt
import html
import threading

import ipywidgets as w

from .. import api
from ..axes import COVERAGE_VIEWS, kind_label
from .base import Shell, button, heading, one_line, row, table
from .text import t

VIEW_ZH = {v: kind_label(v) for v in COVERAGE_VIEWS}


def coverage_table(cov: dict, lang: str = "zh") -> str:
    """The coverage of a round as an HTML table; rows of a 盲区 (nobody answered) are highlighted."""
    head = [t(k, lang) for k in ("cov_department", "cov_name", "cov_view", "cov_issued", "cov_responses",
                                 "cov_headcount", "cov_coverage", "cov_flags")]
    rows = []
    for r in cov["departments"]:
        cls = "zf-gap" if "盲区" in r["flags"] else ("zf-low" if "低于k" in r["flags"] else "")
        rows.append((cls, [r["department"], r["name"], kind_label(r["view"], lang), r["issued"], r["responses"],
                           r["headcount"], f"{r['coverage']:.0%}", " ".join(r["flags"])]))
    summary = " · ".join(f"{kind_label(v, lang)} {s['responses']}/{s['headcount']} ({s['coverage']:.0%})"
                         for v, s in cov["summary"].items() if v in COVERAGE_VIEWS)
    gaps = sum("盲区" in r["flags"] for r in cov["departments"])
    status = t(f"status_{cov['status']}", lang)
    return (f"<div class='zf-cov-summary'>{html.escape(cov['round'])}（{html.escape(status)}）："
            f"{html.escape(summary)} · {html.escape(t('gaps', lang))} {gaps}</div>"
            + table(head, rows, "zf-cov"))


class CoverageScreen:
    """The coverage table, its refresh button and the auto-refresh that runs while the round is open."""

    def __init__(self, shell: Shell, *, refresh: float = 5.0, auto_refresh: bool = True):
        self.shell = s = shell
        self.refresh_seconds = refresh
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.status_button = button(s.t("refresh"), "zf-status")
        self.auto = w.Checkbox(value=auto_refresh, description=s.t("auto", s=refresh), indent=False)
        self.auto.add_class("zf-auto")
        self.html = w.HTML()
        self.html.add_class("zf-coverage")
        self.stamp = w.HTML()
        self.stamp.add_class("zf-coverage-time")
        self.status_button.on_click(lambda _b: self.refresh())
        self.auto.observe(lambda _c: self._auto_changed(), names="value")
        self.widget = w.VBox([heading(s.t("h_coverage")), w.HTML(f"<small>{html.escape(s.t('coverage_legend'))}"
                                                                  "</small>"),
                              row([self.status_button, self.auto, self.stamp]), self.html])
        self._auto_changed()

    def on_round(self, rnd: dict | None) -> None:
        self.status_button.disabled = rnd is None
        if rnd is None:
            self.html.value = self.stamp.value = ""
        else:
            self.refresh(quiet=True)

    def refresh(self, quiet: bool = False) -> None:
        """Redraw the coverage table (盲区 rows highlighted)."""
        s = self.shell
        rnd = s.round
        if rnd is None:
            return
        with self._lock:
            try:
                cov = api.round_coverage(rnd["code"], db=s.db)
            except Exception as e:  # noqa: BLE001
                if not quiet:
                    s.error(one_line(e, s.lang))
                return
            self.html.value = coverage_table(cov, s.lang)
            self.stamp.value = f"<small>{html.escape(s.t('refreshed', time=f'{dt.datetime.now():%H:%M:%S}'))}</small>"

    def _auto_changed(self) -> None:
        if self.auto.value and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._tick, name="zuofeng-coverage", daemon=True)
            self._thread.start()
        elif not self.auto.value:
            self.stop()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            rnd = self.shell.round
            if rnd is not None and rnd["status"] == "open":
                self.refresh(quiet=True)

    def stop(self) -> None:
        """Stop the auto-refresh thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.refresh_seconds + 5)
        self._thread = None
