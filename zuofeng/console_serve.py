"""``zuofeng console``: the analyst's console (``notebooks/console.ipynb``) served by Voilà on 127.0.0.1.

Hardened like the survey server (:mod:`zuofeng.collect.server.serve`): the notebook runs from a private
temporary folder, tracebacks and sources are hidden, no stylesheet comes from a CDN, the address is
loopback only. Unlike the survey, the console is for the analyst alone: every page and kernel
needs the login token printed on the terminal (``?token=…`` once; the browser then keeps a cookie).
The store and the project folder reach the kernel through the environment, and the rendered reports
are served, to the logged-in analyst only, under ``/zuofeng/reports/``; the files the console's download
buttons write (scores, exports, report archives, ledger workbooks) go to a private folder that lives
as long as the server and are served, as attachments and to the logged-in analyst only, under
``/zuofeng/downloads/``. (The slips, which hold live 答题码, never go there: they download from the page.)
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from .api import open_store, store_url
from .config import HOME_ENV, project_home, reports_dir
from .console.base import DOWNLOADS_ENV, DOWNLOADS_URL_ENV, REPORTS_URL_ENV
from .errors import ZuofengError

NOTEBOOK_NAME = "console.ipynb"
REPORTS_ROUTE = "/zuofeng/reports/"
DOWNLOADS_ROUTE = "/zuofeng/downloads/"
LANG_ENV = "ZUOFENG_CONSOLE_LANG"  # the console's language, read by the notebook's parameters cell


def console_notebook_path() -> Path:
    """``notebooks/console.ipynb`` (beside the report notebooks)."""
    from .report.batch import notebooks_dir

    path = notebooks_dir() / NOTEBOOK_NAME
    if not path.is_file():
        raise ZuofengError(f"找不到控制台笔记本：{path}", f"the console notebook is missing: {path}")
    return path


TEMPLATE_NAME = "zuofeng-console"
# Voilà's lab template without the stylesheets it would fetch from a CDN: the console loads nothing from
# other sites.
TEMPLATE_INDEX = """{%- extends 'voila/templates/lab/index.html.j2' -%}
{% import "spinner.macro.html.j2" as spinner %}
{%- block notebook_css -%}
{% if frontend == "voila" %}{{ resources.include_js("static/voila-style.js") }}{% endif %}
{{ spinner.css() }}
<style>.jp-mod-noOutputs.jp-mod-noInput { display: none; }</style>
{{ resources.include_css("static/index.css") }}
{{ resources.include_css("static/theme-light.css") }}
{%- endblock notebook_css -%}
"""


def build_console_site(site: Path) -> dict[str, str]:
    """Fill the private folder Voilà serves from; return the environment its kernels need.

    ``console/console.ipynb`` (a signed copy of the repository's notebook), a CDN-free page
    template and a clean IPython profile without history.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    site = Path(site)
    (site / "console").mkdir(parents=True, exist_ok=True)
    node = nbformat.read(str(console_notebook_path()), as_version=4)
    node.metadata["title"] = "zuofeng console"
    NotebookNotary(db_file=str(site / "nbsignatures.db"), secret_file=str(site / "notebook_secret")).sign(node)
    nbformat.write(node, str(site / "console" / NOTEBOOK_NAME))
    template = site / "jupyter" / "voila" / "templates" / TEMPLATE_NAME
    template.mkdir(parents=True, exist_ok=True)
    (template / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    (template / "index.html.j2").write_text(TEMPLATE_INDEX, encoding="utf-8")
    profile = site / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n", encoding="utf-8")
    jupyter_path = os.pathsep.join(p for p in (str(site / "jupyter"), os.environ.get("JUPYTER_PATH", "")) if p)
    return {"JUPYTER_PATH": jupyter_path, "IPYTHONDIR": str(site / "ipython")}


def console_argv(site: Path | str, *, port: int, token: str) -> list[str]:
    """The Voilà command line: loopback, the token required, tracebacks and sources hidden."""
    site = Path(site)
    return [
        str(site / "console" / NOTEBOOK_NAME), "--no-browser",
        "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
        f"--Voila.token={token}",
        "--Voila.log_level=WARN",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--theme=light", f"--template={TEMPLATE_NAME}",
        "--KernelManager.transport=ipc",
        f"--NotebookNotary.db_file={site / 'nbsignatures.db'}",
        f"--NotebookNotary.secret_file={site / 'notebook_secret'}",
    ]


def _voila_class(reports: Path, downloads: Path | None = None):
    """Voilà with one more route: the project's reports (pages and executed notebooks), for the logged-in analyst
    only."""
    from jupyter_server.base.handlers import AuthenticatedFileHandler
    from jupyter_server.utils import url_path_join
    from tornado import web
    from voila.app import Voila

    class ReportsHandler(AuthenticatedFileHandler):
        def check_xsrf_cookie(self):
            # Reading a report changes nothing, and a link opened in a new tab or typed carries no referer:
            # the login cookie (checked by ``authenticated``) is what guards the pages.
            return None

        def write_error(self, status_code: int, **kwargs) -> None:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code} {self._reason}")  # no traceback, no server template needed

        def validate_absolute_path(self, root: str, absolute_path: str) -> str:
            path = web.StaticFileHandler.validate_absolute_path(self, root, absolute_path)
            rel = Path(os.path.relpath(path, root))
            if path is None or rel.suffix not in (".html", ".ipynb") or any(p.startswith(".") for p in rel.parts):
                raise web.HTTPError(404)  # a batch's staging folder, the snapshot, the manifest: never
            return path

    class DownloadsHandler(ReportsHandler):
        def validate_absolute_path(self, root: str, absolute_path: str) -> str:
            path = web.StaticFileHandler.validate_absolute_path(self, root, absolute_path)
            if path is None or any(p.startswith(".") for p in Path(os.path.relpath(path, root)).parts):
                raise web.HTTPError(404)
            return path

        def set_extra_headers(self, path: str) -> None:
            self.set_header("Content-Disposition", "attachment")
            self.set_header("X-Content-Type-Options", "nosniff")

    class ConsoleVoila(Voila):
        def init_handlers(self):
            handlers = super().init_handlers()
            route = (url_path_join(self.server_url, REPORTS_ROUTE + "(.*)"), ReportsHandler, {"path": str(reports)})
            extra = [route]
            if downloads is not None:
                extra.append((url_path_join(self.server_url, DOWNLOADS_ROUTE + "(.*)"), DownloadsHandler,
                              {"path": str(downloads)}))
            return [*extra, *handlers]  # before Voilà's catch-all page route

    return ConsoleVoila


def serve_console(*, port: int = 8867, db: str | None = None, lang: str = "zh", echo=print) -> None:
    """Serve the console on ``http://127.0.0.1:PORT/`` until interrupted; print the login address.

    Parameters
    ----------
    port : int
        Loopback port.
    db : str, optional
        The store (default ``$ZUOFENG_DB``, else the project's ``data/zuofeng.db``). A missing store is
        fine: the console creates it with the first round.
    lang : {"zh", "en"}
        The console's language.
    echo : callable
        Where the address with the login token goes.
    """
    from sqlalchemy.engine import make_url

    from .collect.server.serve import _absolute_sqlite, _port_free
    from .console.text import check_lang

    check_lang(lang)
    if not 0 < port < 65536:
        raise ZuofengError(f"--port 必须在 1..65535 之间，而不是 {port}", f"--port must be 1..65535, not {port}")
    url = _absolute_sqlite(store_url(db))  # the kernel runs in a temporary folder
    try:
        open_store(url).dispose()
    except ZuofengError as e:
        if "no zuofeng store at" not in e.en:
            raise  # unreachable or not a store: say so now; a missing one is created by the first round
    _port_free("127.0.0.1", port)
    reports = reports_dir()
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="zuofeng-console-") as site:
        os.environ.update(build_console_site(Path(site)))
        downloads = Path(site) / "downloads"
        downloads.mkdir(mode=0o700)
        os.environ.update({"ZUOFENG_DB": url, HOME_ENV: str(project_home()), REPORTS_URL_ENV: REPORTS_ROUTE,
                           DOWNLOADS_ENV: str(downloads), DOWNLOADS_URL_ENV: DOWNLOADS_ROUTE, LANG_ENV: lang})
        shown = make_url(url).render_as_string(hide_password=True)
        echo(f"zuofeng console (store {shown}) at http://127.0.0.1:{port}/?token={token}")
        echo("open that address in a browser on this machine; the token is the login. Ctrl-C stops")
        sys.stdout.flush()
        app = _voila_class(reports, downloads)
        app.launch_instance(argv=console_argv(site, port=port, token=token))
        app.clear_instance()
