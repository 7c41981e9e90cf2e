"""What every screen of the console shares: the message line, errors as one line, uploads and downloads.

A screen is a small class with a ``widget`` (what the page shows) and ``on_round(rnd)`` (the picked
round changed; ``rnd`` is its row from :func:`zuofeng.api.list_rounds`, or None). It reaches the store
only through :mod:`zuofeng.api`, with the console's ``db``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import ipywidgets as w

from ..errors import ZuofengError
from .text import t

log = logging.getLogger("zuofeng.console")

REPORTS_URL_ENV = "ZUOFENG_CONSOLE_REPORTS_URL"  # set by `zuofeng console`: where its server serves reports/
DOWNLOADS_ENV = "ZUOFENG_CONSOLE_DOWNLOADS"  # set by `zuofeng console`: its private downloads folder
DOWNLOADS_URL_ENV = "ZUOFENG_CONSOLE_DOWNLOADS_URL"  # … and the route that serves it to the logged-in analyst

STYLE = """<style>
.zf-console { max-width: 1000px; font-size: 14px; box-sizing: border-box; padding: 0 6px; }
.zf-console h2 { font-size: 20px; margin: 8px 0; }
.zf-console h3 { margin: 18px 0 6px; border-bottom: 2px solid #c62828; padding-bottom: 2px; }
.zf-error { color: #b00020; font-weight: bold; }
.zf-ok { color: #1b5e20; }
.zf-message { position: sticky; top: 0; z-index: 5; background: #fff; }
.zf-box { max-width: 100%; overflow-x: auto; }
table.zf-table { border-collapse: collapse; margin: 4px 0; }
table.zf-table td, table.zf-table th { border: 1px solid #ccc; padding: 3px 8px; text-align: left;
  vertical-align: top; }
table.zf-table th { background: #f5f5f5; white-space: nowrap; }
table.zf-round-list td, table.zf-cov td, table.zf-ledger-summary td { white-space: nowrap; }
.zf-console code { overflow-wrap: anywhere; }
table.zf-table td.zf-num { text-align: right; }
tr.zf-gap td { background: #ffcdd2; color: #7f0000; font-weight: bold; }
tr.zf-low td { background: #fff3cd; }
tr.zf-picked td { background: #e3f2fd; }
tr.zf-bad td { background: #ffcdd2; }
.zf-console a { color: #0b57d0; text-decoration: underline; }
a.zf-download { display: inline-block; margin: 3px 10px 3px 0; padding: 4px 10px; border: 1px solid #0b57d0;
  border-radius: 4px; text-decoration: none; }
td.zf-flags { color: #7f0000; }
.zf-share-qr svg { width: 220px; height: 220px; }
@media (max-width: 600px) { .zf-console { font-size: 13px; } .zf-console .widget-text,
  .zf-console .widget-dropdown { width: 100% !important; } }
</style>"""


def one_line(exc: BaseException, lang: str = "zh") -> str:
    """The one line the CLI would print for ``exc`` (no traceback, ever)."""
    if isinstance(exc, ZuofengError):
        return exc.in_lang(lang)
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover
        SQLAlchemyError = ()
    if isinstance(exc, SQLAlchemyError):
        text = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        return t("database", lang, text=text)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    log.exception("console: unexpected error")
    return t("unexpected", lang, name=type(exc).__name__)


def uploaded(name: str, content: bytes) -> tuple[dict]:
    """A ``FileUpload.value`` holding one file, as the browser sends it (for scripts and tests)."""
    return ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
             "last_modified": dt.datetime.now(dt.UTC)},)


def upload_files(upload: w.FileUpload) -> list[tuple[str, bytes]]:
    """(name, content) of the files in a FileUpload (ipywidgets 8: a tuple of dicts)."""
    return [(Path(f["name"]).name, bytes(f["content"])) for f in upload.value]


class Uploaded:
    """An uploaded file written under its own name into a private temporary folder, for the file readers.

    Messages naming the temporary path are shown with the bare file name.
    """

    def __init__(self, name: str, content: bytes):
        self.dir = tempfile.mkdtemp(prefix="zuofeng-upload-")
        os.chmod(self.dir, 0o700)
        self.path = Path(self.dir) / (name or "upload")
        self.path.write_bytes(content)

    def clean(self, message: str) -> str:
        return message.replace(f"{self.dir}{os.sep}", "")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Scratch:
    """A private temporary folder (mode 0700) for a file an API function writes before it is offered."""

    def __enter__(self) -> Path:
        self.dir = tempfile.mkdtemp(prefix="zuofeng-console-")
        os.chmod(self.dir, 0o700)
        return Path(self.dir)

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def data_link(name: str, data: bytes, label: str, cls: str) -> str:
    """A link that downloads ``data`` as ``name`` straight from the page (the file never lands anywhere)."""
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mime.startswith("text/"):
        mime += ";charset=utf-8"
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a class="zf-download {cls}" download="{html.escape(name)}" '
            f'href="data:{mime};base64,{b64}">{html.escape(label)}</a>')


def offer(path: Path, label: str, cls: str) -> str:
    """A download link for the file ``path`` (it is moved away or read: the caller may delete its folder).

    Under ``zuofeng console`` the file goes to the server's private downloads folder and the link to the
    route that serves it to the logged-in analyst only; elsewhere (JupyterLab) it is a ``data:`` link.
    """
    folder, route = os.environ.get(DOWNLOADS_ENV), os.environ.get(DOWNLOADS_URL_ENV)
    if not (folder and route):
        return data_link(path.name, path.read_bytes(), label, cls)
    sub = Path(folder) / secrets.token_urlsafe(12)
    sub.mkdir(mode=0o700)
    shutil.move(str(path), sub / path.name)
    href = f"{route.rstrip('/')}/{sub.name}/{path.name}"
    return (f'<a class="zf-download {cls}" download="{html.escape(path.name)}" href="{html.escape(href)}" '
            f'target="_blank">{html.escape(label)}</a>')


def table(head: list[str], rows: list[tuple[str, list]], cls: str = "") -> str:
    """An HTML table; each row is ``(css class, cells)``; every cell is escaped, numbers right-aligned."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = []
    for row_cls, cells in rows:
        tds = "".join(f"<td class='zf-num'>{html.escape(str(c))}</td>" if isinstance(c, (int, float))
                      else f"<td>{html.escape(str(c))}</td>" for c in cells)
        body.append(f"<tr class='{row_cls}'>{tds}</tr>")
    return (f"<div class='zf-box'><table class='zf-table {cls}'><thead><tr>{th}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


LINE = re.compile(r"line (\d+)|第\s*(\d+)\s*行")


def line_of(message: str) -> int | None:
    """The line number a file reader's message names (``…, line 3: …``), if any."""
    m = LINE.search(message)
    return int(m.group(1) or m.group(2)) if m else None


class Shell:
    """The console's shared state: the store, the language, the message line and the picked round."""

    def __init__(self, db: str | None, lang: str):
        self.db = db
        self.lang = lang
        self.message = w.HTML()
        self.message.add_class("zf-message")
        self.round: dict | None = None  # the picked round's row
        self.reports_url = os.environ.get(REPORTS_URL_ENV)

    def t(self, key: str, **fields) -> str:
        return t(key, self.lang, **fields)

    def ok(self, text: str) -> None:
        self.message.value = f'<span class="zf-ok">{html.escape(text)}</span>'

    def error(self, text: str) -> None:
        self.message.value = f'<span class="zf-error">{html.escape(text)}</span>'

    def run(self, fn, *args, clean=None, **kwargs):
        """Call ``fn``; a failure becomes the one-line error shown in the page (returns None)."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every failure is shown as one line, never a traceback
            text = one_line(e, self.lang)
            self.error(clean(text) if clean else text)
            return None

    def code(self) -> str | None:
        """The picked round's code, or None after saying to pick one."""
        if self.round is None:
            self.error(self.t("pick_round"))
            return None
        return self.round["code"]

    def link_base(self) -> str:
        """URL prefix of the project's ``reports/`` folder: ``zuofeng console``'s own route, else JupyterLab's
        ``/files/`` route (``make lab`` serves the project folder)."""
        if self.reports_url:
            return self.reports_url.rstrip("/") + "/"
        from .. import api
        from ..config import project_home

        rel = os.path.relpath(api.report_folder("x").parent, project_home())
        return "/files/" + "/".join(Path(rel).parts) + "/"


def heading(text: str) -> w.HTML:
    return w.HTML(f"<h3>{html.escape(text)}</h3>")


def row(children) -> w.HBox:
    """A row of widgets that wraps on a narrow screen."""
    return w.HBox(children, layout=w.Layout(flex_flow="row wrap", align_items="center"))


def button(label: str, cls: str, **kwargs) -> w.Button:
    b = w.Button(description=label, **kwargs)
    b.add_class(cls)
    b.layout.width = "auto"
    return b


WIDE = {"description_width": "initial"}
