"""The rectification ledger (整改台账, DESIGN §7): problem lists, ledger entries and their history, the
department workbook, item-level change between rounds, and verification of each entry marked done.

>>> from zuofeng.ledger import department_problems, init_ledger, export_workbook, import_workbook

Modules: ``problems`` (问题清单), ``entries`` (store and history), ``workbook`` (Excel), ``change``
(item-level change, trend, bottom alert), ``verify`` (verification and flags), ``cli``. Names are
loaded on first use, so the command line starts without pandas.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "bottom_alerts": "change", "item_change": "change", "trend": "change", "chain_scores": "change",
    "STATUSES": "entries", "LedgerError": "entries", "add_entry": "entries", "entries_frame": "entries",
    "history_frame": "entries", "init_ledger": "entries", "update_entry": "entries",
    "department_problems": "problems", "department_rows": "problems", "write_problem_list": "problems",
    "boilerplate_reason": "verify", "ledger_status": "verify", "verify_entries": "verify",
    "LedgerProblem": "workbook", "LedgerProblems": "workbook", "export_workbook": "workbook", "import_workbook": "workbook",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
