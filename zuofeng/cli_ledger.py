"""``zuofeng ledger``: init, export, import, status, problems — thin wrappers over the ledger functions of
:mod:`zuofeng.api` (which find the project's store, and never create one by reading)."""

from __future__ import annotations

import json
import math

import click

from .cli_options import db_option, echo_problems, format_option, group_lang_option, lang_option
from .clihelp import Group
from .messages import header, in_lang, say


@click.group("ledger", cls=Group)
@group_lang_option
def ledger():
    """The rectification ledger (整改台账): problem lists, entries, workbooks, verification."""


@ledger.command("init")
@click.argument("round_code", metavar="ROUND")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scorer's resampling.")
@lang_option
@db_option
def init_cmd(round_code, seed, lang, db):
    """Seed one entry per department × flagged item of ROUND's problem list (safe to run again)."""
    from .api import ledger_init
    n = ledger_init(round_code, seed=seed, db=db)
    click.echo(say("ledger_init", lang, n=n, round=round_code))


@ledger.command("problems")
@click.argument("round_code", metavar="ROUND")
@click.option("--department", default=None, metavar="CODE", help="Only this department.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the list to this .xlsx file.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scorer's resampling.")
@lang_option
@db_option
def problems_cmd(round_code, department, out, seed, lang, db):
    """Print (or write to Excel) the problem list (问题清单) of every department of ROUND."""
    from .api import problem_list
    from .textfmt import table
    df = problem_list(round_code, department=department, lang=lang, out=out, seed=seed, db=db)
    if out:
        click.echo(say("wrote", lang, path=out))
        return
    cols = ["department", "priority", "item", "label", "views", "detail"]
    rows = df[cols].values.tolist()
    click.echo(table(rows, header(lang, *cols)) if rows else say("no_problems", lang))


@ledger.command("export")
@click.argument("round_code", metavar="ROUND")
@click.option("--department", default=None, metavar="CODE", help="Only this department's entries.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The workbook to write (.xlsx).")
@lang_option
@db_option
def export_cmd(round_code, department, out, lang, db):
    """Write the ledger workbook that departments fill in."""
    from .api import ledger_export
    click.echo(say("wrote", lang, path=ledger_export(round_code, out, department=department, db=db)))


@ledger.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check only; store nothing.")
@click.option("--reopen", is_flag=True, help="Allow a status to move back (e.g. 已完成 → 整改中).")
@click.option("--by", default=None, metavar="NAME", help="Who records the changes (default: import FILE).")
@lang_option
@db_option
def import_cmd(file, dry_run, reopen, by, lang, db):
    """Take a filled ledger workbook back: all or nothing."""
    from .api import ledger_import
    from .ledger.workbook import LedgerProblems
    try:
        r = ledger_import(file, dry_run=dry_run, reopen=reopen, by=by, db=db)
    except LedgerProblems as e:
        echo_problems(e.problems, lang)
        raise
    for note in r.notes:
        click.echo(say("note", lang, note=in_lang(note, lang)))
    if r.added_entries:
        click.echo(say("ledger_added", lang, n=r.added_entries, verb=say("would_add" if r.dry_run else "added", lang)))
    click.echo(say("ledger_import", lang, n=r.changed_entries, dry=say("dry_run", lang) if r.dry_run else "",
                   path=r.path, entries=r.entries, round=r.round, fields=r.changed_fields,
                   entry_n=r.changed_entries, verb=say("would_change" if r.dry_run else "changed", lang)))


@ledger.command("status")
@click.argument("round_code", metavar="ROUND")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scorer's resampling.")
@format_option
@lang_option
@db_option
def status_cmd(round_code, seed, fmt, lang, db):
    """Completion, overdue entries and missing evidence per department; verification once the next round exists."""
    from .api import ledger_status
    from .textfmt import table
    summary, entries = ledger_status(round_code, seed=seed, db=db)
    if fmt == "json":
        click.echo(json.dumps(status_json(round_code, summary, entries), ensure_ascii=False, indent=1))
        return
    if summary.empty:
        click.echo(say("ledger_empty", lang, round=round_code))
        return
    rows = [[r.department, r.name, r.entries, r.未启动, r.整改中, r.已完成, r.已销号, f"{r.completion:.0%}", r.overdue,
             r.missing_evidence, r.flagged] for r in summary.itertuples(index=False)]
    click.echo(table(rows, header(lang, "department", "name", "entries", "未启动", "整改中", "已完成", "已销号", "done",
                                  "overdue", "no_evidence", "flagged")))
    nxt = entries["next_round"].iloc[0] if len(entries) else None
    click.echo(say("verified_against", lang, round=nxt) if nxt else say("not_verified", lang))


def status_json(round_code: str, summary, entries) -> dict:
    """The JSON of ``ledger status``: per department and every entry."""
    def plain(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if hasattr(v, "isoformat"):
            return v.isoformat()
        if hasattr(v, "item"):
            return v.item()
        return v

    ents = []
    for e in entries.to_dict("records"):
        ents.append({k: plain(e[k]) for k in ("id", "department", "item", "status", "deadline", "verification",
                                               "measure", "leader", "person", "evidence", "evidence_file",
                                               "review_note", "problem", "self_change", "peer_change",
                                               "flag_detail")} | {"flags": list(e["flags"])})
    return {"round": round_code,
            "next_round": plain(entries["next_round"].iloc[0]) if len(entries) else None,
            "departments": [{k: plain(v) for k, v in r.items()} for r in summary.to_dict("records")],
            "entries": ents}
