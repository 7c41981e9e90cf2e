"""The command line's help in Chinese (the default) or English (``--lang en`` anywhere on the line).

The English help stays where click reads it (docstrings and ``help=``); :data:`HELP_ZH` gives the Chinese
of each text, and the click classes below show it when the line asks for Chinese. The language of the
whole line is found once, by the root group, and kept in the context's ``meta`` (shared by every
subcommand), so ``--lang`` also sets the default of every command's own ``--lang``.
``tests/test_cli_lang.py`` fails when a command or option has no Chinese help.
"""

from __future__ import annotations

import inspect
import re

import click

from .helptext import HELP_ZH

LANG_KEY = "zuofeng.lang"

#: click's own words in the help screens.
CLICK_ZH = {"default": "默认", "required": "必填"}


def lang_of(args) -> str:
    """The ``--lang`` of a command line (``zh`` when it names none, or none we know)."""
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(args):
            return "en" if args[i + 1] == "en" else "zh"
        if a.startswith("--lang="):
            return "en" if a.partition("=")[2] == "en" else "zh"
    return "zh"


def current_lang(ctx: click.Context | None = None) -> str:
    ctx = ctx or click.get_current_context(silent=True)
    return ctx.meta.get(LANG_KEY, "zh") if ctx is not None else "zh"


def key(text: str) -> str:
    """A help text as :data:`HELP_ZH` is keyed: its words, joined by single spaces."""
    return " ".join(inspect.cleandoc(text).partition("\f")[0].split())


def zh(text: str | None) -> str | None:
    """The Chinese of an English help text (the text itself when it has none)."""
    if not text:
        return text
    return HELP_ZH.get(key(text), text)


def _short(text: str, limit: int) -> str:
    """The first sentence of a Chinese help text, cut to ``limit`` display columns."""
    from .textfmt import width
    first = re.split(r"[。；\n]", text.strip(), maxsplit=1)[0].rstrip("：:")
    if width(first) <= limit:
        return first
    out = ""
    for ch in first:
        if width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _extras_zh(help_text: str) -> str:
    def fix(m: re.Match) -> str:
        parts = [re.sub(r"^(default|required)\b:?\s*",
                        lambda w: CLICK_ZH[w.group(1)] + ("：" if w.group(0).rstrip().endswith(":") else ""), p)
                 for p in m.group(1).split("; ")]
        return "[" + "；".join(parts) + "]"
    return re.sub(r"\[([^\[\]]*)\]$", fix, help_text)


class Localised:
    """Help screens in the line's language: usage, text, options and (for a group) commands."""

    def format_usage(self, ctx, formatter):
        if current_lang(ctx) == "en":
            return super().format_usage(ctx, formatter)
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="用法：")

    def format_help_text(self, ctx, formatter):
        if current_lang(ctx) == "en" or not self.help:
            return super().format_help_text(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            for n, para in enumerate(zh(self.help).split("\n\n")):
                if n:
                    formatter.write_paragraph()
                formatter.write_text(para)

    def format_options(self, ctx, formatter):
        if current_lang(ctx) == "en":
            return super().format_options(ctx, formatter)
        rows = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Argument):
                continue
            english = param.help
            param.help = zh(english)
            try:
                rv = param.get_help_record(ctx)
            finally:
                param.help = english
            if rv is not None:
                rows.append((rv[0], _extras_zh(rv[1])))
        if rows:
            with formatter.section("选项"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx, formatter):
        if current_lang(ctx) == "en":
            return super().format_commands(ctx, formatter)
        cmds = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        cmds = [(name, c) for name, c in cmds if c is not None and not c.hidden]
        if cmds:
            limit = formatter.width - 6 - max(len(name) for name, _c in cmds)
            with formatter.section("命令"):
                formatter.write_dl([(name, _short(zh(c.help) or "", limit)) for name, c in cmds])


class Command(Localised, click.Command):
    pass


class Group(Localised, click.Group):
    command_class = Command
    group_class = type

    def parse_args(self, ctx, args):
        if ctx.parent is None:  # the root: the line's language, for every help screen and --lang default
            ctx.meta[LANG_KEY] = lang_of(args)
        return super().parse_args(ctx, args)


def lang_default(ctx: click.Context, _param, value: str | None) -> str:
    """A command's ``--lang``: as given, else the language the line asked for (Chinese unless told)."""
    return value or current_lang(ctx)
