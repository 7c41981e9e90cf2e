"""The options every command shares (``--db``, ``--lang``, ``--format``), declared once; ``zuofeng.cli`` and
``zuofeng.cli_ledger`` both take them from here."""

from __future__ import annotations

import click

from .clihelp import lang_default

#: How many of a refused file's problems the CLI prints before saying how many more there are.
PROBLEMS_SHOWN = 20

db_option = click.option("--db", "db", envvar="ZUOFENG_DB", default=None, metavar="URL",
                         help="Database URL (default: $ZUOFENG_DB, else data/zuofeng.db of the project).")
#: The one ``--lang`` of every command (and group): the language of its output, its help and the files it
#: writes for people. Its default is the language the line asked for anywhere (see :mod:`zuofeng.clihelp`).
LANG_HELP = "Language of the output, the help and the files written for people (default: zh)."
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None, callback=lang_default,
                           help=LANG_HELP)
group_lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None, expose_value=False,
                                 help=LANG_HELP)
format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Output format.")


def echo_problems(problems: list, lang: str) -> None:
    """Print a refused file's first :data:`PROBLEMS_SHOWN` problems on stderr, then how many more there are."""
    from .messages import say

    for prob in problems[:PROBLEMS_SHOWN]:
        click.echo(f"  {prob.in_lang(lang) if hasattr(prob, 'in_lang') else prob}", err=True)
    if len(problems) > PROBLEMS_SHOWN:
        click.echo(say("more_problems", lang, n=len(problems) - PROBLEMS_SHOWN), err=True)
