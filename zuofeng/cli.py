"""The command line: a light wrapper over the library. User errors become one line and exit code 2 here,
and only here (``main``)."""

from __future__ import annotations

import json
import sys

import click

from .axes import DEFAULT_OUTSIDE, OUTSIDE_MODES, outside_mode
from .cli_options import db_option, echo_problems, format_option, group_lang_option, lang_option
from .clihelp import Group, lang_of
from .errors import ZuofengError
from .messages import header, in_lang, outside_line, say, survey_word, word


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zuofeng", message="%(prog)s %(version)s")
@group_lang_option
def cli():
    """zuofeng (作风): anonymous self and peer surveys for a work-style improvement campaign."""


# --- instrument ------------------------------------------------------------------------------

@cli.group()
@group_lang_option
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
@group_lang_option
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
@click.option("--rater-groups", default=None, metavar="领导班子,中层干部,…",
              help="Rater groups (测评人员类别), each bound to its 答题码 (default: none).")
@click.option("--group-weights", default=None, metavar="0.2,0.3,…",
              help="Weights of the rater groups in their composite, in the same order (default equal).")
@click.option("--outside", type=click.Choice(list(OUTSIDE_MODES)), default=DEFAULT_OUTSIDE, show_default=True,
              help="Who rates a department from outside: every other department on the 民主测评 table (all), "
                   "those of the rater's division (division), or only the roster's peer_targets (targets).")
@lang_option
@db_option
def round_create(round_code, title, roster, k_min, k_comment, previous, title_en, weights, eval_points,
                 rater_groups, group_weights, outside, lang, db):
    """Create a draft round from a roster."""
    from .api import create_round
    from .rater_groups import parse_rater_groups
    from .rounds import EVAL_POINTS_FORM, WEIGHTS_FORM, parse_pairs
    rnd = create_round(round_code, title=title, roster=roster, k_min=k_min, k_comment=k_comment, previous=previous,
                       title_en=title_en,
                       group_weights=parse_pairs(weights, "--weights", WEIGHTS_FORM) if weights is not None else None,
                       eval_scores=parse_pairs(eval_points, "--eval-points", EVAL_POINTS_FORM) if eval_points is not None else None,
                       rater_groups=parse_rater_groups(rater_groups, group_weights), outside=outside, db=db)
    click.echo(say("round_created", lang, code=rnd["code"], instrument=rnd["instrument_id"],
                   version=rnd["instrument_version"]))
    click.echo(outside_line(rnd["outside"], lang))
    for warning in rnd.get("warnings", ()):
        click.echo(say("note", lang, note=warning), err=True)


@round_.command("open")
@click.argument("round_code", metavar="ROUND")
@click.option("--force", is_flag=True, help="Reopen a closed round although a later round compares with it.")
@lang_option
@db_option
def round_open(round_code, force, lang, db):
    """Open a round for answers; its thresholds become fixed."""
    from .api import open_round
    rnd = open_round(round_code, force=force, db=db)
    click.echo(say("round_opened", lang, code=rnd["code"], k=rnd["k_min"], k_comment=rnd["k_comment"]))


@round_.command("close")
@click.argument("round_code", metavar="ROUND")
@lang_option
@db_option
def round_close(round_code, lang, db):
    """Close a round: no more answers are accepted."""
    from .api import close_round
    rnd = close_round(round_code, db=db)
    click.echo(say("round_closed", lang, code=rnd["code"]))


@round_.command("list")
@lang_option
@db_option
def round_list(lang, db):
    """List the rounds in the store."""
    from .api import list_rounds
    from .textfmt import table
    rows = [[r["code"], word(r["status"], lang), r["title"], r["k_min"], outside_mode(r), r["previous"] or "",
             r["created_on"]] for r in list_rounds(db=db)]
    click.echo(table(rows, header(lang, "round", "status", "title", "k", "outside", "previous", "created")) if rows
               else say("no_rounds", lang))


# --- data ------------------------------------------------------------------------------------

@cli.command("simulate")
@click.argument("round_code", metavar="ROUND")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: same seed, same data.")
@click.option("--response-rate", type=float, default=0.85, show_default=True, help="Mean share of staff who answer.")
@lang_option
@db_option
def simulate_cmd(round_code, seed, response_rate, lang, db):
    """Store synthetic self and peer responses in an open round."""
    from .api import simulate_round
    n = simulate_round(round_code, seed=seed, response_rate=response_rate, db=db)
    click.echo(say("simulated", lang, n=n, round=round_code))


@cli.command("status")
@click.argument("round_code", metavar="ROUND")
@format_option
@lang_option
@db_option
def status_cmd(round_code, fmt, lang, db):
    """Coverage per department and survey kind, with every gap (盲区) flagged."""
    from .api import round_coverage
    from .textfmt import table
    cov = round_coverage(round_code, db=db)
    if fmt == "json":
        click.echo(json.dumps(cov, ensure_ascii=False, indent=2, default=str))
        return
    rows = [[r["department"], r["name"], word(r["view"], lang), r["issued"], r["responses"], r["valid"],
             r["headcount"], f"{r['coverage']:.0%}",
             "" if r["party_members"] is None else f"{r['party_responses']}/{r['party_members']}",
             r["non_party_responses"], " ".join(word(f, lang) for f in r["flags"])] for r in cov["departments"]]
    click.echo(say("status_head", lang, round=cov["round"], status=word(cov["status"], lang), k=cov["k_min"])
               + ("，" if lang == "zh" else ", ")
               + outside_line(cov["outside"], lang))
    click.echo(table(rows, header(lang, "code", "name", "view", "issued", "returned", "valid", "headcount",
                                  "coverage", "party", "non_party", "flags")))
    for view, s in cov["summary"].items():
        click.echo(say("status_view", lang, view=word(view, lang), responses=s["responses"],
                       headcount=s["headcount"], coverage=f"{s['coverage']:.0%}"))
    if cov["peer_outside_received"]:
        sep = "，" if lang == "zh" else ", "
        click.echo(say("outside_received", lang,
                       counts=sep.join(f"{k} {v}" for k, v in cov["peer_outside_received"].items())))
    click.echo(say("status_gaps", lang, n=len(cov["gaps"])))
    for g in cov["outside_gaps"]:
        click.echo(say("outside_gap", lang, n=g["issued"], rater=g["rater"], target=g["target"]))


# --- tokens and serving (survey collection) -------------------------------------------------

@cli.group("tokens")
@group_lang_option
def tokens_():
    """Issue anonymous tokens as printable slips, and count issued and used tokens."""


@tokens_.command("issue")
@click.argument("round_code", metavar="ROUND")
@click.option("--kind", type=click.Choice(["self", "peer"]), default=None,
              help="Only self or only peer tokens (default: both).")
@click.option("--target", "targets", multiple=True, metavar="CODE",
              help="Outside-view peer tokens from every other department to CODE (repeatable).")
@click.option("--extra", type=int, default=0, show_default=True, help="Spare tokens per scope, on top of headcount.")
@click.option("--groups", "groups", type=click.Path(dir_okay=False), default=None, metavar="FILE.csv",
              help="Rounds with rater groups: CSV department,group,count[,targets], one token batch a row.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Printable A4 slips (HTML). Default slips-ROUND.html when --csv is not given either.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Mail-merge CSV (UTF-8 with BOM).")
@click.option("--url", default=None, metavar="SURVEY_URL",
              help="Public survey address, printed with its QR code (default: a line to write it on).")
@click.option("--paper-ballots", "paper_ballots", type=click.Path(dir_okay=False), default=None,
              metavar="FILE.html", help="Printable A4 paper ballots (HTML): one questionnaire per 答题码, printed on "
              "it, and a count sheet per department.")
@click.option("--force", is_flag=True, help="Overwrite existing slip files (their old tokens stay valid).")
@lang_option
@db_option
def tokens_issue(round_code, kind, targets, extra, groups, out, csv_path, url, force, lang, db, paper_ballots=None):
    """Issue the missing tokens (top-up to headcount) and write them as slips; only the slips hold them."""
    from .api import issue_slips
    r = issue_slips(round_code, kind=kind, targets=list(targets) or None, extra=extra, out=out,
                    csv_path=csv_path, url=url, force=force, lang=lang, groups=groups, paper_ballots=paper_ballots,
                    db=db)
    if r.key_created:
        click.echo(say("key_created", lang, path=r.key_path))
    if not r.issued:
        click.echo(say("nothing_to_issue", lang, round=round_code))
        return
    views = ("，" if lang == "zh" else ", ").join(f"{word(v, lang)} {n}" for v, n in sorted(r.by_view.items()))
    click.echo(say("issued", lang, n=r.issued, round=round_code, views=views))
    if r.by_group:
        click.echo(say("issued_by_group", lang, groups=("，" if lang == "zh" else ", ").join(
            f"{g} {n}" for g, n in r.by_group.items())))
    if r.html_path:
        click.echo(say("wrote_slips", lang, n=r.issued, path=r.html_path, pages=r.pages))
    if r.csv_path:
        click.echo(say("wrote_csv", lang, path=r.csv_path))
    if r.ballots_path:
        click.echo(say("wrote_ballots", lang, path=r.ballots_path, n=r.issued, sheets=r.count_sheets,
                       pages=r.ballot_pages))
    click.echo(say("live_tokens", lang))


@tokens_.command("status")
@click.argument("round_code", metavar="ROUND")
@format_option
@lang_option
@db_option
def tokens_status(round_code, fmt, lang, db):
    """Issued and used tokens per department and survey (counts only)."""
    from .api import token_status
    from .textfmt import table
    rows = token_status(round_code, db=db)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(say("no_tokens", lang, round=round_code))
        return
    grouped = any(r.get("group") for r in rows)  # a round with rater groups: one line per group
    click.echo(table([[r["rater"] or "-", survey_word(r["kind"], lang), r["target"],
                       *([r["group"] or ""] if grouped else []), r["issued"], r["used"], r["issued"] - r["used"]]
                      for r in rows],
                     header(lang, "rater", "survey", "target", *(["group"] if grouped else []), "issued", "used",
                            "unused")))
    issued, used = sum(r["issued"] for r in rows), sum(r["used"] for r in rows)
    click.echo(say("tokens_total", lang, used=used, issued=issued, share=f"{used / issued:.0%}"))


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
@lang_option
@click.option("--behind-proxy", is_flag=True,
              help="A reverse proxy on this machine forwards every request (deploy/): trust its X-Real-IP.")
@click.option("--attempts", type=int, default=None,
              help="Wrong 答题码 a client may enter in a row before it waits (default 20, then one per 3 s; 0: no limit).")
def serve_cmd(round_code, host, port, pool_size, idle_timeout, max_pages, db, lang, behind_proxy, attempts):
    """Serve the survey of an open round (Voilà) until Ctrl-C."""
    from .collect.server.serve import serve
    serve(round_code, host=host, port=port, db=db, lang=lang, pool_size=pool_size, idle_timeout=idle_timeout,
          max_pages=max_pages, behind_proxy=behind_proxy, attempts=attempts, echo=click.echo)



@cli.command("console")
@click.option("--port", type=int, default=8867, show_default=True, help="Loopback port (127.0.0.1) to listen on.")
@db_option
@lang_option
def console_cmd(port, db, lang):
    """Serve the analyst's console (notebooks/console.ipynb, Voilà) on 127.0.0.1 with a login token, until Ctrl-C."""
    from .console_serve import serve_console
    serve_console(port=port, db=db, lang=lang, echo=click.echo)

# --- scoring ---------------------------------------------------------------------------------

@cli.command("score")
@click.argument("round_code", metavar="ROUND")
@click.option("--out", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the long table to FILE: .csv, .xlsx (one sheet per level) or .parquet. "
                   "Without it, print a short summary.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the bootstrap rank ranges.")
@lang_option
@db_option
def score_cmd(round_code, out, seed, lang, db):
    """Score a round: indices with intervals, evaluation, reliability, change, ranks, problems, quality flags."""
    from .api import score_round
    from .score.table_files import summary_text
    scores = score_round(round_code, out=out, seed=seed, db=db)
    if out:
        click.echo(say("wrote_scores", lang, n=len(scores.table), suppressed=int(scores.table["suppressed"].sum()),
                       out=out))
    else:
        click.echo(summary_text(scores, lang))


# --- reports and demo ------------------------------------------------------------------------

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
        click.echo(say("report_index", lang, path=report_folder(round_code, out) / "index.html"))
        raise
    except OSError as e:  # a full disk or a read-only folder: said of the reports, which were not written
        fault = write_fault(e, "reports")
        if fault is None:
            raise
        raise fault from None
    click.echo(say("reports_done", lang, n=len(result.results), seconds=result.seconds))
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
@lang_option
@db_option
def import_cmd(round_code, file, fmt, mapping, dry_run, force, template, lang, db):
    """Import answer sheets (template, 问卷星, LimeSurvey) into ROUND: all or nothing."""
    if template:
        if file:
            raise click.UsageError(say("template_or_file", lang))
        from .api import import_template
        path = import_template(template, round_code, db=db)
        click.echo(say("template_written", lang, path=path))
        return
    if not round_code or not file:
        raise click.UsageError(say("round_and_file", lang))
    from .api import import_file
    from .io import ImportProblems
    try:
        r = import_file(round_code, file, format=fmt, mapping=mapping, dry_run=dry_run, force=force, db=db)
    except ImportProblems as e:
        echo_problems(e.problems, lang)
        raise
    for note in r.notes:
        click.echo(say("note", lang, note=in_lang(note, lang)))
    if r.previous:
        click.echo(say("imported_before", lang, when=("；" if lang == "zh" else "; ").join(
            say("imported_when", lang, round=rnd, date=d) for rnd, d in r.previous)))
    if r.dry_run:
        from .io.importer import columns_table
        click.echo(columns_table(r, lang=lang))
        state = "" if r.round_status == "open" else say("open_first", lang, round=r.round,
                                                         status=word(r.round_status, lang))
        click.echo(say("dry_run_import", lang, n=r.sheets, path=r.path, format=r.format, state=state))
    else:
        click.echo(say("imported", lang, n=r.stored, path=r.path, format=r.format, round=r.round))


@cli.command("export")
@click.argument("round_code", metavar="ROUND")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The workbook to write (.xlsx).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scorer's resampling.")
@lang_option
@db_option
def export_cmd(round_code, out, seed, lang, db):
    """Export anonymous answer sheets, coverage and scores of ROUND to Excel."""
    from .api import export
    r = export(round_code, out, seed=seed, lang=lang, db=db)
    click.echo(say("exported", lang, n=r.sheets_exported, path=r.path, held=r.held_back, groups=r.groups_held_back,
                   k=r.k_min))


@cli.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The new file to copy the store to.")
@lang_option
@db_option
def backup_cmd(out, lang, db):
    """Copy an SQLite store consistently, even while surveys write to it."""
    from .api import backup
    r = backup(out, db=db)
    click.echo(say("backed_up", lang, n=r.responses, source=r.source, path=r.path, kb=r.bytes // 1024,
                   rounds=r.rounds))


from .cli_ledger import ledger

cli.add_command(ledger)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every ZuofengError becomes one line on stderr and exit code 2."""
    from sqlalchemy.exc import SQLAlchemyError
    lang = lang_of(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli.main(args=argv, prog_name="zuofeng", standalone_mode=False)
    except ZuofengError as e:
        click.echo(say("error", lang, message=e.in_lang(lang)), err=True)
        return 2
    except click.exceptions.Abort:
        click.echo(say("aborted", lang), err=True)
        return 130
    except click.UsageError as e:
        if lang == "en" or e.ctx is None:
            e.show()
        else:  # click's frame in Chinese (its own reasons, e.g. a missing option, stay as click words them)
            click.echo(e.ctx.get_usage(), err=True)
            click.echo(say("usage_hint", lang, command=e.ctx.command_path) + "\n", err=True)
            click.echo(say("usage_error", lang, message=e.format_message()), err=True)
        return 2
    except click.ClickException as e:
        e.show()
        return 2
    except (SQLAlchemyError, OSError) as e:
        from .faults import write_fault
        fault = write_fault(e, denied=False)  # a permission denied here may be an input file's
        if fault is not None:  # a full disk or a read-only store or folder: one sentence
            click.echo(say("error", lang, message=fault.in_lang(lang)), err=True)
            return 2
        if isinstance(e, SQLAlchemyError):
            first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            click.echo(say("error", lang, message=say("db_error", lang, detail=first)), err=True)
            return 2
        click.echo(say("error", lang, message=f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")), err=True)
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
