"""The command line: a light wrapper over the library. User errors become one line and exit code 2 here,
and only here (``main``)."""

from __future__ import annotations

import json
import sys

import click

from .axes import DEFAULT_OUTSIDE, OUTSIDE_MODES, outside_mode
from .errors import ZuofengError

db_option = click.option("--db", "db", envvar="ZUOFENG_DB", default=None, metavar="URL",
                         help="Database URL (default: $ZUOFENG_DB, else data/zuofeng.db of the project).")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="Language of the output.")
format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Output format.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zuofeng")
def cli():
    """zuofeng (作风): anonymous self and peer surveys for a work-style improvement campaign."""


# --- instrument ------------------------------------------------------------------------------

@cli.group()
def instrument():
    """The survey instrument (the 22 problem items)."""


@instrument.command("show")
@lang_option
@format_option
@click.option("--version", "version", type=int, default=None, help="Instrument version (default: the newest).")
def instrument_show(lang, fmt, version):
    """Print the items, grouped by dimension."""
    from .instrument import DEFAULT_ID, DEFAULT_VERSION, instrument_json, load_instrument
    inst = load_instrument(DEFAULT_ID, version or DEFAULT_VERSION)
    if fmt == "json":
        click.echo(instrument_json(inst))
        return
    click.echo(f"{inst.title.get(lang)}  ({inst.id} v{inst.version})")
    for d in inst.dimensions:
        click.echo(f"\n({d.id}) {d.heading.get(lang)}")
        for it in d.items:
            mark = " [红线]" if it.red_line and lang == "zh" else (" [red line]" if it.red_line else "")
            click.echo(f"  {it.number:2d}. [{it.label.get(lang)}]{mark} {it.text.get(lang)}")
    scale = " / ".join(f"{o.value} {o.text.get(lang)}" for o in inst.item_scale.options)
    click.echo(f"\n{inst.item_scale.question.get(lang)}: {scale} / {inst.item_scale.missing.get(lang)}")
    click.echo(inst.count_note.get(lang))


# --- rounds ----------------------------------------------------------------------------------

@cli.group("round")
def round_():
    """Create, open, close and list survey rounds."""


@round_.command("create")
@click.argument("round_code", metavar="ROUND")
@click.option("--title", required=True, help="Title shown to respondents and in reports.")
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="Departments: CSV (UTF-8/GBK) or .xlsx with code,name,unit_type,headcount[,party_members,division,peer_targets].")
@click.option("--k-min", type=int, default=5, show_default=True, help="Smallest group that is reported (at least 3).")
@click.option("--k-comment", type=int, default=None, help="Smallest group whose comments are shown (default max(10, k-min)).")
@click.option("--previous", default=None, metavar="R0", help="The round this one is compared with.")
@click.option("--title-en", default=None, help="English title, used by English reports.")
@click.option("--weights", default=None, metavar="self=W,peer_inside=W,peer_outside=W",
              help="Weights of the views in the `all` and composite figures (default equal).")
@click.option("--eval-points", default=None, metavar="好=100,较好=80,一般=60,差=40",
              help="Points of each democratic-evaluation option (default the instrument's).")
@click.option("--outside", type=click.Choice(list(OUTSIDE_MODES)), default=DEFAULT_OUTSIDE, show_default=True,
              help="Who rates a department from outside: every other department on the 民主测评 table (all), "
                   "those of the rater's division (division), or only the roster's peer_targets (targets).")
@db_option
def round_create(round_code, title, roster, k_min, k_comment, previous, title_en, weights, eval_points, outside, db):
    """Create a draft round from a roster."""
    from .api import create_round
    from .rounds import parse_pairs
    rnd = create_round(round_code, title=title, roster=roster, k_min=k_min, k_comment=k_comment, previous=previous,
                       title_en=title_en,
                       group_weights=parse_pairs(weights, "--weights") if weights is not None else None,
                       eval_scores=parse_pairs(eval_points, "--eval-points") if eval_points is not None else None,
                       outside=outside, db=db)
    click.echo(f"created round {rnd['code']} ({rnd['instrument_id']} v{rnd['instrument_version']}), status draft, "
               f"outside {rnd['outside']} ({OUTSIDE_MODES[rnd['outside']][0]})")


@round_.command("open")
@click.argument("round_code", metavar="ROUND")
@db_option
def round_open(round_code, db):
    """Open a round for answers; its thresholds become fixed."""
    from .api import open_round
    rnd = open_round(round_code, db=db)
    click.echo(f"round {rnd['code']} is open (k = {rnd['k_min']}, comments k = {rnd['k_comment']})")


@round_.command("close")
@click.argument("round_code", metavar="ROUND")
@db_option
def round_close(round_code, db):
    """Close a round: no more answers are accepted."""
    from .api import close_round
    rnd = close_round(round_code, db=db)
    click.echo(f"round {rnd['code']} is closed")


@round_.command("list")
@db_option
def round_list(db):
    """List the rounds in the store."""
    from .api import list_rounds
    from .textfmt import table
    rows = [[r["code"], r["status"], r["title"], r["k_min"], outside_mode(r), r["previous"] or "", r["created_on"]]
            for r in list_rounds(db=db)]
    click.echo(table(rows, ["round", "status", "title", "k", "outside", "previous", "created"]) if rows else "no rounds")


# --- data ------------------------------------------------------------------------------------

@cli.command("simulate")
@click.argument("round_code", metavar="ROUND")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: same seed, same data.")
@click.option("--response-rate", type=float, default=0.85, show_default=True, help="Mean share of staff who answer.")
@db_option
def simulate_cmd(round_code, seed, response_rate, db):
    """Store synthetic self and peer responses in an open round."""
    from .api import simulate_round
    n = simulate_round(round_code, seed=seed, response_rate=response_rate, db=db)
    click.echo(f"stored {n} simulated answer sheets in round {round_code}")


@cli.command("status")
@click.argument("round_code", metavar="ROUND")
@format_option
@db_option
def status_cmd(round_code, fmt, db):
    """Coverage per department and survey kind, with every gap (盲区) flagged."""
    from .api import round_coverage
    from .textfmt import table
    cov = round_coverage(round_code, db=db)
    if fmt == "json":
        click.echo(json.dumps(cov, ensure_ascii=False, indent=2, default=str))
        return
    rows = [[r["department"], r["name"], r["view"], r["issued"], r["responses"], r["valid"], r["headcount"],
             f"{r['coverage']:.0%}",
             "" if r["party_members"] is None else f"{r['party_responses']}/{r['party_members']}",
             r["non_party_responses"], " ".join(r["flags"])] for r in cov["departments"]]
    click.echo(f"round {cov['round']} ({cov['status']}), k = {cov['k_min']}, "
               f"outside {cov['outside']} ({OUTSIDE_MODES[cov['outside']][0]})")
    click.echo(table(rows, ["code", "name", "kind", "发出", "收回", "有效", "staff", "coverage", "党员", "非党员",
                            "flags"]))
    for view, s in cov["summary"].items():
        click.echo(f"{view}: {s['responses']}/{s['headcount']} ({s['coverage']:.0%})")
    if cov["peer_outside_received"]:
        click.echo("peer_outside received: " + ", ".join(f"{k} {v}" for k, v in cov["peer_outside_received"].items()))
    click.echo(f"gaps: {len(cov['gaps'])} department × kind rows flagged")
    for g in cov["outside_gaps"]:
        click.echo(f"盲区: outside view {g['rater']} → {g['target']} has no answers ({g['issued']} tokens issued)")


# --- tokens and serving (survey collection) -------------------------------------------------

@cli.group("tokens")
def tokens_():
    """Issue anonymous tokens as printable slips, and count issued and used tokens."""


@tokens_.command("issue")
@click.argument("round_code", metavar="ROUND")
@click.option("--kind", type=click.Choice(["self", "peer"]), default=None,
              help="Only self or only peer tokens (default: both).")
@click.option("--target", "targets", multiple=True, metavar="CODE",
              help="Outside-view peer tokens from every other department to CODE (repeatable).")
@click.option("--extra", type=int, default=0, show_default=True, help="Spare tokens per scope, on top of headcount.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Printable A4 slips (HTML). Default slips-ROUND.html when --csv is not given either.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Mail-merge CSV (UTF-8 with BOM).")
@click.option("--url", default=None, metavar="SURVEY_URL",
              help="Public survey address, printed with its QR code (default: a line to write it on).")
@click.option("--force", is_flag=True, help="Overwrite existing slip files (their old tokens stay valid).")
@lang_option
@db_option
def tokens_issue(round_code, kind, targets, extra, out, csv_path, url, force, lang, db):
    """Issue the missing tokens (top-up to headcount) and write them as slips; only the slips hold them."""
    from .api import issue_slips
    r = issue_slips(round_code, kind=kind, targets=list(targets) or None, extra=extra, out=out,
                    csv_path=csv_path, url=url, force=force, lang=lang, db=db)
    if r.key_created:
        click.echo(f"created the token key {r.key_path}: back it up offline now; without it no outstanding "
                   "token can be verified")
    if not r.issued:
        click.echo(f"nothing to issue in round {round_code}: every scope has its tokens "
                   "(--extra N adds spares); no file written")
        return
    views = ", ".join(f"{v} {n}" for v, n in sorted(r.by_view.items()))
    click.echo(f"issued {r.issued} new tokens in round {round_code} ({views})")
    if r.html_path:
        click.echo(f"wrote {r.html_path}: {r.issued} slips on {r.pages} A4 pages")
    if r.csv_path:
        click.echo(f"wrote {r.csv_path}: mail-merge CSV, UTF-8 with BOM")
    click.echo("these files hold live tokens (mode 0600): print or send them, then delete them; "
               "lost slips cannot be reprinted")


@tokens_.command("status")
@click.argument("round_code", metavar="ROUND")
@format_option
@db_option
def tokens_status(round_code, fmt, db):
    """Issued and used tokens per department and survey (counts only)."""
    from .api import token_status
    from .textfmt import table
    rows = token_status(round_code, db=db)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no tokens issued in round {round_code} (zuofeng tokens issue {round_code})")
        return
    click.echo(table([[r["rater"], r["kind"], r["target"], r["issued"], r["used"], r["issued"] - r["used"]]
                      for r in rows], ["rater", "kind", "target", "issued", "used", "unused"]))
    issued, used = sum(r["issued"] for r in rows), sum(r["used"] for r in rows)
    click.echo(f"total: {used}/{issued} used ({used / issued:.0%})")

# (commands for tokens / serve go here)

@cli.command("serve")
@click.argument("round_code", metavar="ROUND")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (put a TLS proxy in front).")
@click.option("--port", type=int, default=8866, show_default=True, help="Port to listen on.")
@click.option("--pool-size", type=int, default=2, show_default=True,
              help="Preheated kernels kept ready for arriving respondents (0: none).")
@click.option("--idle-timeout", type=int, default=120, show_default=True,
              help="Seconds before the kernel of a closed or idle page is shut down.")
@click.option("--max-pages", type=int, default=300, show_default=True,
              help="Survey pages open at once; more respondents wait (0: no cap).")
@db_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the survey page.")
def serve_cmd(round_code, host, port, pool_size, idle_timeout, max_pages, db, lang):
    """Serve the survey of an open round (Voilà) until Ctrl-C."""
    from .collect.serve import serve
    serve(round_code, host=host, port=port, db=db, lang=lang, pool_size=pool_size, idle_timeout=idle_timeout,
          max_pages=max_pages, echo=click.echo)



@cli.command("console")
@click.option("--port", type=int, default=8867, show_default=True, help="Loopback port (127.0.0.1) to listen on.")
@db_option
def console_cmd(port, db):
    """Serve the analyst's console (notebooks/console.ipynb, Voilà) on 127.0.0.1 with a login token, until Ctrl-C."""
    from .console_serve import serve_console
    serve_console(port=port, db=db, echo=click.echo)

# --- scoring ---------------------------------------------------------------------------------
# (commands for score go here)

@cli.command("score")
@click.argument("round_code", metavar="ROUND")
@click.option("--out", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the long table to FILE: .csv, .xlsx (one sheet per level) or .parquet. "
                   "Without it, print a short summary.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the bootstrap rank ranges.")
@db_option
def score_cmd(round_code, out, seed, db):
    """Score a round: indices with intervals, evaluation, reliability, change, ranks, problems, quality flags."""
    from .api import score_round
    from .score.export import summary_text
    scores = score_round(round_code, out=out, seed=seed, db=db)
    if out:
        click.echo(f"wrote {len(scores.table)} rows ({int(scores.table['suppressed'].sum())} suppressed) to {out}")
    else:
        click.echo(summary_text(scores))


# --- reports and demo ------------------------------------------------------------------------
# (commands for report / demo go here)

jobs_option = click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                           help="Notebooks rendered in parallel (default: the number of CPUs).")


@cli.command("report")
@click.argument("round_code", metavar="ROUND")
@click.option("--department", default=None, metavar="CODE",
              help="Render only this department; the other reports in the folder are kept.")
@jobs_option
@lang_option
@click.option("--out", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Report folder (default: reports/ROUND); replaced as a whole when the batch ends.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scoring engine's resampling.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar on stderr.")
@click.option("--audience", type=click.Choice(["leading", "inspection", "public"]), default="leading",
              show_default=True, help="leading: overview and department reports; inspection: the restricted "
              "report for the discipline-inspection team (reports/ROUND-inspection, owner-only); public: the "
              "organisation-level summary, HTML and a 1080-px PNG (reports/ROUND-public).")
@db_option
def report_cmd(round_code, department, jobs, lang, out, seed, progress, audience, db):
    """Score a round once and render its overview and department reports (notebooks and HTML, with an index).

    A failing report does not stop the others; it is named in the index and the command exits with 2."""
    from .api import render_audience_report, render_reports, report_folder
    from .faults import write_fault
    from .report.batch import ReportBatchError
    try:
        if audience != "leading":
            click.echo(str(render_audience_report(audience, round_code, out=out, lang=lang, seed=seed,
                                                  department=department, db=db)))
            return
        result = render_reports(round_code, department=department, jobs=jobs, lang=lang, out=out, db=db, seed=seed,
                                progress=progress)
    except ReportBatchError:
        click.echo(f"index: {report_folder(round_code, out) / 'index.html'}")
        raise
    except OSError as e:  # a full disk or a read-only folder: said of the reports, which were not written
        fault = write_fault(e, "reports")
        if fault is None:
            raise
        raise fault from None
    click.echo(f"{len(result.results)} reports in {result.seconds:.1f} s")
    click.echo(str(result.index))


@cli.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Folder for the demo store and reports (default: reports/demo of the project).")
@jobs_option
@lang_option
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar on stderr.")
@click.option("--db", "db", default=None, metavar="URL",
              help="Use this database instead of a fresh SQLite file in the output folder.")
def demo_cmd(out, jobs, lang, progress, db):
    """A whole campaign on synthetic data: twelve departments, a baseline and a final round, scored and
    rendered; prints the path of the final round's index.html."""
    from .api import run_demo
    index = run_demo(out, db=db, jobs=jobs, lang=lang, progress=progress, echo=click.echo)
    click.echo(str(index))


# --- import, export, backup ------------------------------------------------------------------
# (commands for import / export / backup go here)

PROBLEMS_SHOWN = 20


@cli.command("import")
@click.argument("round_code", metavar="ROUND", required=False)
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", "template", "wjx", "limesurvey"]), default="auto",
              show_default=True, help="File format: the ballot template, a 问卷星 download or a LimeSurvey export.")
@click.option("--mapping", type=click.Path(dir_okay=False), default=None,
              help="YAML file saying which column is which and what its codes mean.")
@click.option("--dry-run", is_flag=True, help="Validate and report only; store nothing.")
@click.option("--force", is_flag=True, help="Import even if the same content was imported before.")
@click.option("--template", "template", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write an empty ballot template (.xlsx or .csv) instead; with ROUND it lists its departments.")
@db_option
def import_cmd(round_code, file, fmt, mapping, dry_run, force, template, db):
    """Import answer sheets (template, 问卷星, LimeSurvey) into ROUND: all or nothing."""
    if template:
        if file:
            raise click.UsageError("give either --template FILE or ROUND FILE, not both")
        from .api import import_template
        path = import_template(template, round_code, db=db)
        click.echo(f"wrote an empty ballot template to {path}")
        return
    if not round_code or not file:
        raise click.UsageError("give ROUND and FILE (or --template FILE)")
    from .api import import_file
    from .io import ImportProblems
    try:
        r = import_file(round_code, file, format=fmt, mapping=mapping, dry_run=dry_run, force=force, db=db)
    except ImportProblems as e:
        for prob in e.problems[:PROBLEMS_SHOWN]:
            click.echo(f"  {prob}", err=True)
        if len(e.problems) > PROBLEMS_SHOWN:
            click.echo(f"  … and {len(e.problems) - PROBLEMS_SHOWN} more", err=True)
        raise
    for note in r.notes:
        click.echo(f"note: {note}")
    if r.previous:
        click.echo("note: the same content was imported before: "
                   + "; ".join(f"round {rnd} on {d}" for rnd, d in r.previous))
    if r.dry_run:
        from .io.importer import columns_table
        click.echo(columns_table(r))
        state = "" if r.round_status == "open" else f"; round {r.round} is {r.round_status}: open it before importing"
        click.echo(f"dry run: {r.sheets} answer sheets in {r.path} ({r.format}) are valid; nothing stored{state}")
    else:
        click.echo(f"imported {r.stored} answer sheets from {r.path} ({r.format}) into round {r.round}")


@cli.command("export")
@click.argument("round_code", metavar="ROUND")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The workbook to write (.xlsx).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scorer's resampling.")
@db_option
def export_cmd(round_code, out, seed, db):
    """Export anonymous answer sheets, coverage and scores of ROUND to Excel."""
    from .api import export
    r = export(round_code, out, seed=seed, db=db)
    click.echo(f"wrote {r.path}: {r.sheets_exported} answer sheets; {r.held_back} in {r.groups_held_back} "
               f"group(s) under k = {r.k_min} or suppressed were left out")


@cli.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The new file to copy the store to.")
@db_option
def backup_cmd(out, db):
    """Copy an SQLite store consistently, even while surveys write to it."""
    from .api import backup
    r = backup(out, db=db)
    click.echo(f"backed up {r.source} to {r.path} ({r.bytes // 1024} KB, {r.rounds} rounds, "
               f"{r.responses} answer sheets)")


from .ledger.cli import ledger

cli.add_command(ledger)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every ZuofengError becomes one line on stderr and exit code 2."""
    from sqlalchemy.exc import SQLAlchemyError
    try:
        rv = cli.main(args=argv, prog_name="zuofeng", standalone_mode=False)
    except ZuofengError as e:
        click.echo(f"zuofeng: error: {e.message}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("zuofeng: aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return 2
    except (SQLAlchemyError, OSError) as e:
        from .faults import write_fault
        fault = write_fault(e, denied=False)  # a permission denied here may be an input file's
        if fault is not None:  # a full disk or a read-only store or folder: one sentence
            click.echo(f"zuofeng: error: {fault.message}", err=True)
            return 2
        if isinstance(e, SQLAlchemyError):
            first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            click.echo(f"zuofeng: error: database: {first}", err=True)
            return 2
        click.echo(f"zuofeng: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), err=True)
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
