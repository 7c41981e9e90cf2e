"""The analyst's console: a whole round, from roster to reports and downloads, as ipywidgets.

``notebooks/console.ipynb`` only displays :func:`console_app`; ``zuofeng console`` serves that notebook
with Voilà (see :mod:`zuofeng.console_serve`). One module per screen, each calling :mod:`zuofeng.api`
only (the same functions the command line calls) and showing a user error as the same one line:

- :mod:`.rounds_screen`: every round newest first; a new round from an uploaded roster (an error shows the
  roster line it names); open and close, each after a confirmation;
- :mod:`.tokens_screen`: 答题码 issued as slips that download from the page, and the share page (link + QR);
- :mod:`.coverage_screen`: answers per department and survey, refreshed while the round is open, 盲区 in red;
- :mod:`.imports`: an answer file's dry-run table first, then the import;
- :mod:`.reports`: score, render with a progress bar, download the scores, the export and the reports;
- :mod:`.ledger`: the rectification ledger (整改台账): progress, workbooks, entries to edit.

Every word is Chinese by default and English with ``lang="en"`` (:mod:`.text`).
"""

from __future__ import annotations

import html

import ipywidgets as w

from .base import REPORTS_URL_ENV, STYLE, Shell, one_line, uploaded
from .coverage_screen import VIEW_ZH, CoverageScreen, coverage_table
from .imports import ImportScreen
from .ledger import LedgerScreen, ledger_table
from .reports import ReportsScreen, report_links
from .rounds_screen import RoundsScreen
from .text import check_lang
from .tokens_screen import TokensScreen

__all__ = ["REPORTS_URL_ENV", "VIEW_ZH", "Console", "console_app", "coverage_table", "ledger_table", "one_line",
           "report_links", "uploaded"]


class Console:
    """The console's screens on one page. ``widget`` is what a notebook displays.

    Parameters
    ----------
    db : str, optional
        The store (a URL); default the project's (see :mod:`zuofeng.config`).
    lang : {"zh", "en"}
        The console's language (Chinese by default).
    refresh : float
        Seconds between coverage refreshes while auto-refresh is on and the round is open.
    auto_refresh : bool
        Start with auto-refresh on.
    jobs : int, optional
        Report workers (default: the number of CPUs).

    Examples
    --------
    >>> import tempfile
    >>> from zuofeng import api
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> c = Console(db=db, auto_refresh=False)
    >>> c.rounds.code.value, c.rounds.title.value = "R1", "基线测评"
    >>> c.rounds.roster.value = uploaded("roster.csv", api.demo_roster().read_bytes())
    >>> c.rounds.create_button.click()
    >>> c.rounds.picker.value, c.message.value
    ('R1', '<span class="zf-ok">已创建轮次 R1（问卷 zuofeng-2022 第 1 版），状态：草稿</span>')
    >>> tmp.cleanup()
    """

    def __init__(self, db: str | None = None, *, lang: str = "zh", refresh: float = 5.0, auto_refresh: bool = True,
                 jobs: int | None = None):
        self.shell = Shell(db, check_lang(lang))
        self.db, self.lang = db, lang
        self.message = self.shell.message
        self.tokens = TokensScreen(self.shell)
        self.coverage = CoverageScreen(self.shell, refresh=refresh, auto_refresh=auto_refresh)
        self.imports = ImportScreen(self.shell, on_import=lambda: self.coverage.refresh(quiet=True))
        self.reports = ReportsScreen(self.shell, jobs=jobs)
        self.ledger = LedgerScreen(self.shell)
        self.screens = (self.tokens, self.coverage, self.imports, self.reports, self.ledger)
        self.rounds = RoundsScreen(self.shell, on_change=self._round_changed)
        self.store = self.rounds.store
        self.widget = w.VBox([w.HTML(STYLE), w.HTML(f"<h2>{html.escape(self.shell.t('title'))}</h2>"),
                              self.message, self.rounds.widget, *(s.widget for s in self.screens)])
        self.widget.add_class("zf-console")
        self.rounds.reload()

    def _round_changed(self, rnd: dict | None) -> None:
        for screen in self.screens:
            screen.on_round(rnd)

    def stop(self) -> None:
        """Stop the coverage auto-refresh."""
        self.coverage.stop()


def console_app(db: str | None = None, lang: str = "zh", **kwargs) -> Console:
    """Build the console and display it (what ``notebooks/console.ipynb`` calls)."""
    from IPython.display import display

    console = Console(db=db or None, lang=lang or "zh", **kwargs)
    display(console.widget)
    return console
