"""zuofeng (作风): anonymous self and peer surveys for a work-style improvement campaign.

The functions of :mod:`zuofeng.api` are available here too (``zuofeng.list_rounds()``); they are
imported on first use, so ``import zuofeng`` stays light.
"""

__version__ = "0.1.0"

_API = frozenset({
    "backup", "close_round", "round_coverage", "create_round", "run_demo", "demo_roster", "export", "import_file",
    "import_template", "issue_slips", "list_rounds", "open_round", "open_store", "render_audience_report", "render_reports",
    "report_folder", "report_source", "score_round", "simulate_round", "store_url", "token_status",
    "ledger_add", "ledger_entries", "ledger_export", "ledger_history", "ledger_import", "ledger_init",
    "ledger_status", "ledger_update", "problem_list",
    "report_archive", "ledger_workbooks", "roster_rows", "share_page",
})


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'zuofeng' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
