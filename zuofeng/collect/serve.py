"""Serving the survey with Voilà: ``zuofeng serve ROUND``.

The server runs a generated copy of the survey notebook (``notebooks/survey.ipynb``: a parameters cell
and one call into ``zuofeng.collect.survey``) from a private temporary folder, so nothing else on disk can be
served. The round, store, language and the path of the collection desk (``zuofeng.collect.desk``: the one
place that checks tokens and stores sheets, so that kernels need not import SQLAlchemy) reach the
kernels through environment variables, never through the request, which lets Voilà preheat kernels:
a pool of kernels has already built the page before a respondent arrives. Tracebacks and sources are
hidden, kernels of closed or idle pages are culled (Voilà never shuts a page's kernel down by itself),
the address is bound explicitly, and the log level is WARNING so that nothing a respondent enters can
reach a log line. Respondents arrive at a light entry page (``zuofeng.collect.entry``): the token goes
to the collection desk in the body of a POST, and only a valid, unused token opens a kernel. Kernels
are forked from a warm process (``zuofeng.collect.forkserver``), and the page templates are compiled
once per server: in a full meeting room the CPU time per respondent decides how long everyone waits.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import tempfile
from pathlib import Path

from ..config import database_url
from ..errors import RoundError, ZuofengError

NOTEBOOK_NAME = "survey.ipynb"
PARAMETERS_SOURCE = (
    "# Parameters (papermill: tag 'parameters'). Left as None, they come from the environment\n"
    "# that `zuofeng serve` sets: ZUOFENG_SURVEY_ROUND, ZUOFENG_DB, ZUOFENG_SURVEY_LANG.\n"
    "round_code = None\n"
    "db = None\n"
    "lang = None"
)
CALL_SOURCE = (
    "from zuofeng.collect.survey import survey_app\n"
    "\n"
    "survey_app(round_code, db=db, lang=lang)"
)


TEMPLATE_NAME = "zuofeng-survey"  # Voilà's lab template in the page's language (``zuofeng.collect.page``)
# Front-end extensions the page loads: the widget manager only (each other one costs requests; see README)
EXTENSIONS = ["@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"]


def survey_notebook(title: str = "问卷") -> dict:
    """The survey notebook as nbformat v4 JSON: a parameters cell, then one call into the package.

    ``notebooks/survey.ipynb`` in the repository holds the same two cells (a test keeps them equal);
    ``title`` becomes the page title.
    """
    def cell(source: str, tags: list[str]) -> dict:
        return {"cell_type": "code", "execution_count": None, "id": tags[0] if tags else "call",
                "metadata": {"tags": tags}, "outputs": [], "source": source}

    return {
        "cells": [cell(PARAMETERS_SOURCE, ["parameters"]), cell(CALL_SOURCE, [])],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "title": title,
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def build_site(site: Path, title: str = "问卷", lang: str = "zh") -> dict[str, str]:
    """Fill the private folder Voilà serves from; return the environment the server must run with.

    - ``survey/survey.ipynb``: the survey notebook, alone in Voilà's root folder, signed (trusted)
      with a notary key kept in ``site``;
    - ``jupyter/voila/templates/zuofeng-survey``: the page template in ``lang`` without CDN stylesheets;
    - ``ipython/profile_default``: a clean IPython profile for the kernels: no user start-up files,
      no history database.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    from .page import page_template

    site = Path(site)
    (site / "survey").mkdir(parents=True, exist_ok=True)
    node = nbformat.from_dict(survey_notebook(title))
    NotebookNotary(db_file=str(site / "nbsignatures.db"), secret_file=str(site / "notebook_secret")).sign(node)
    nbformat.write(node, str(site / "survey" / NOTEBOOK_NAME))
    template = site / "jupyter" / "voila" / "templates" / TEMPLATE_NAME
    template.mkdir(parents=True, exist_ok=True)
    (template / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    (template / "index.html.j2").write_text(page_template(lang), encoding="utf-8")
    profile = site / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n", encoding="utf-8")
    jupyter_path = os.pathsep.join(p for p in (str(site / "jupyter"), os.environ.get("JUPYTER_PATH", "")) if p)
    return {"JUPYTER_PATH": jupyter_path, "IPYTHONDIR": str(site / "ipython")}


def preheat_supported() -> bool:
    """Whether the installed Voilà can keep a pool of preheated kernels (0.3 and later)."""
    from voila.configuration import VoilaConfiguration
    return VoilaConfiguration.class_traits().get("preheat_kernel") is not None


def default_cull_interval(idle_timeout: int) -> int:
    """How often the culler looks for idle kernels: ``min(30, idle_timeout // 4)``, at least 1 second.

    >>> default_cull_interval(120), default_cull_interval(10)
    (30, 2)
    """
    return max(1, min(30, idle_timeout // 4))


def voila_argv(site: Path | str, *, host: str = "127.0.0.1", port: int = 8866, pool_size: int = 2,
               idle_timeout: int = 120, cull_interval: int | None = None) -> list[str]:
    """The Voilà command line for the survey site built by ``build_site``.

    Parameters
    ----------
    site : path
        The folder ``build_site`` filled.
    host, port : str, int
        Address to bind (always explicit: Voilà's default ``localhost`` may mean IPv6 only).
    pool_size : int
        Preheated kernels kept ready; 0 turns preheating off (also when Voilà cannot preheat).
    idle_timeout : int
        Seconds after which the kernel of a closed or idle page is shut down.
    cull_interval : int, optional
        How often to look for such kernels; default ``min(30, idle_timeout // 4)``, at least 1: a closed
        page's kernel ends at most a quarter of the timeout later than the timeout.
    """
    if cull_interval is None:
        cull_interval = default_cull_interval(idle_timeout)
    site = Path(site)
    argv = [
        str(site / "survey" / NOTEBOOK_NAME), "--no-browser",
        f"--Voila.ip={host}", f"--Voila.port={port}", "--Voila.port_retries=0",
        "--Voila.log_level=WARN",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--theme=light", f"--template={TEMPLATE_NAME}",
        *(f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS),
        f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        "--KernelManager.transport=ipc",  # private unix sockets instead of loopback TCP ports
        f"--NotebookNotary.db_file={site / 'nbsignatures.db'}",
        f"--NotebookNotary.secret_file={site / 'notebook_secret'}",
    ]
    if pool_size > 0 and preheat_supported():
        argv += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    return argv


UNCONNECTED_CAP = 600


def unconnected_timeout(idle_timeout: float) -> float:
    """Idle seconds after which a kernel whose page never connected is culled: ``max(T, min(3T, 600))``.

    A page has to load about 5 MB of scripts before it connects to its kernel; on a slow phone or a busy
    server that can take longer than a short idle timeout ``T``.

    >>> unconnected_timeout(600), unconnected_timeout(20), unconnected_timeout(5)
    (600, 60, 15)
    """
    return max(idle_timeout, min(3 * idle_timeout, UNCONNECTED_CAP))


FILES_PER_PAGE = 16  # open files the server holds per page (measured: 2,466 with 190 pages open, 13 each)
ZMQ_SOCKET_CEILING = 65535  # libzmq's own ceiling on a context's sockets
FILE_ROOM_UNCAPPED = 1000  # pages the open files must leave room for to serve with no cap (--max-pages 0)


def raise_open_file_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return the limit now in force.

    Every page costs the server about a dozen open files (its kernel's ZeroMQ sockets and the page's
    WebSocket); the usual soft limit of 1,024 stops a meeting room at some seventy pages.
    """
    try:
        import resource
    except ImportError:  # no such limit on this system
        return open_file_limit()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return open_file_limit()


def open_file_limit() -> int:
    """This process's soft limit on open files (a large number where there is none)."""
    try:
        import resource
    except ImportError:
        return 1 << 20
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 1 << 20 if soft == resource.RLIM_INFINITY else soft


def zmq_sockets() -> int:
    """How many ZeroMQ sockets the kernels' shared context may hold: as many as the open files allow.

    >>> 1023 <= zmq_sockets() <= ZMQ_SOCKET_CEILING
    True
    """
    return max(1023, min(ZMQ_SOCKET_CEILING, open_file_limit()))


def page_cap(max_pages: int, echo=print, lang: str = "zh") -> int:
    """``max_pages``, or fewer when the open-file limit leaves room for fewer (said in one line).

    A page beyond the room would fail with "Too many open files"; capped, its respondent waits instead.
    """
    room = max(1, (open_file_limit() - 100) // FILES_PER_PAGE)
    if max_pages and max_pages <= room:
        return max_pages
    if max_pages == 0 and room >= FILE_ROOM_UNCAPPED:
        return 0
    from ..messages import say
    asked = max_pages or ("不限" if lang == "zh" else "unlimited")
    echo(say("page_cap", lang, limit=open_file_limit(), room=room, asked=asked))
    return room


def patch_kernel_manager() -> None:
    """Keep Voilà's culler from killing the kernel of a page that is still loading.

    Voilà culls a kernel that has no connection and no activity for the idle timeout. Two kinds of
    kernel look like that while their page is still on its way, and culling them leaves the respondent
    with a dead page:

    - a preheated kernel that waited in the pool longer than the timeout (the pool protects it) and
      was just handed to a page: its last activity is stamped "now" at the hand-out;
    - any kernel whose page has not connected yet: it gets ``unconnected_timeout`` instead of the
      idle timeout. Once a page has connected, the ordinary timeout applies after it closes.

    It also shuts idle kernels down all at once instead of one after another, and passes over a kernel
    that went away while the culler was busy; and it lifts ZeroMQ's default cap of 1,023 sockets on the
    ZeroMQ context all kernels share (``zmq_sockets``): with that cap, a meeting room of 300 lost 23 pages
    to "Too many open files" (HTTP 500 or a closed WebSocket) once some 170 kernels were running.

    The patch wraps Voilà's kernel-manager factory (Voilà 0.5), in this process only.
    """
    import asyncio

    import voila.app as voila_app
    import zmq
    from jupyter_server._tz import utcnow
    from traitlets import default

    original = voila_app.voila_kernel_manager_factory
    if getattr(original, "zuofeng_wrapped", False):
        return

    def factory(*args, **kwargs):
        base = original(*args, **kwargs)

        class SurveyKernelManager(base):
            @default("context")
            def _context_default(self):
                context = super()._context_default()
                context.set(zmq.MAX_SOCKETS, zmq_sockets())  # before the first socket: it fixes the cap
                return context

            def notify_connect(self, kernel_id):
                self.__dict__.setdefault("_zf_connected", set()).add(kernel_id)
                super().notify_connect(kernel_id)

            async def cull_kernels(self):
                # jupyter_server culls one kernel after another, each shutdown waiting for its kernel to
                # exit (about 1.5 s here): after a burst of 20 pages the last one went 20 s late. All at once:
                ids = list(self._kernels)
                done = await asyncio.gather(*(self.cull_kernel_if_idle(k) for k in ids), return_exceptions=True)
                for kernel_id, result in zip(ids, done):
                    if isinstance(result, Exception):  # one line, no traceback: nothing of a page is in it
                        self.log.warning("could not cull kernel %s: %s", kernel_id, type(result).__name__)

            async def cull_kernel_if_idle(self, kernel_id):
                if kernel_id not in self._kernels:
                    return None  # shut down meanwhile (the culler works on a list taken before it awaited)
                if kernel_id not in self.__dict__.setdefault("_zf_connected", set()):
                    try:
                        idle = (utcnow() - self._kernels[kernel_id].last_activity).total_seconds()
                    except Exception:  # noqa: BLE001 -- not started yet: let Voilà decide
                        idle = None
                    if idle is not None and idle <= unconnected_timeout(self.cull_idle_timeout):
                        return None
                return await super().cull_kernel_if_idle(kernel_id)

            if hasattr(base, "get_rendered_notebook"):
                async def get_rendered_notebook(self, *a, **k):
                    result = await super().get_rendered_notebook(*a, **k)
                    kernel = self._kernels.get(result[2])
                    if kernel is not None:
                        kernel.last_activity = utcnow()
                    return result

        return SurveyKernelManager

    factory.zuofeng_wrapped = True
    voila_app.voila_kernel_manager_factory = factory


def patch_template_cache() -> None:
    """Compile the page's Jinja templates once per server, not once per page.

    Voilà renders every page (every preheated kernel) with a new exporter, hence a new Jinja
    environment that parses and compiles the page template and everything it extends and includes
    again: about 40 % of the server's CPU time in a meeting room. The patch gives every Voilà exporter
    environment one shared in-memory bytecode cache (Jinja's ``BytecodeCache``, keyed by the template's
    name and a checksum of its source), in this process only.
    """
    import jinja2
    from voila.exporter import VoilaExporter

    if getattr(VoilaExporter, "zuofeng_template_cache", None) is not None:
        return

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self):
            self.codes: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            code = self.codes.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket):
            self.codes[bucket.key] = bucket.bytecode_to_string()

    cache = MemoryBytecodeCache()
    create = VoilaExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    VoilaExporter._create_environment = _create_environment
    VoilaExporter.zuofeng_template_cache = cache


def _absolute_sqlite(url: str) -> str:
    """Kernels run in the notebook's temporary folder: make a relative SQLite path absolute."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not os.path.isabs(db):
        return parsed.set(database=os.path.abspath(db)).render_as_string(hide_password=False)
    return url


def reachable_address(host: str) -> str:
    """The address a process on this machine connects to, to reach a server bound to ``host``.

    >>> reachable_address("0.0.0.0"), reachable_address("::"), reachable_address("192.0.2.7")
    ('127.0.0.1', '::1', '192.0.2.7')
    """
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def _port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ZuofengError(f"port {port} on {host} is in use; choose another with --port") from None
            raise ZuofengError(f"cannot listen on {host}:{port}: {e.strerror}") from None


def prepare(round_code: str, *, db: str | None = None, lang: str = "zh", host: str = "127.0.0.1",
            port: int = 8866, pool_size: int = 2, idle_timeout: int = 120, max_pages: int = 300) -> dict:
    """Check that the round can take answers, and return the environment for the survey kernels.

    Raises a ZuofengError (one line) when the store cannot be opened, the round is unknown or not
    open, no token key exists, the port is taken or an option is out of range.
    """
    from ..store import get_round, open_engine
    from .tokens import load_key

    if lang not in ("zh", "en"):
        raise ZuofengError(f"--lang must be zh or en, not {lang!r}")
    if not 0 < port < 65536:
        raise ZuofengError(f"--port must be 1..65535, not {port}")
    if pool_size < 0:
        raise ZuofengError(f"--pool-size must be 0 or more, not {pool_size}")
    if idle_timeout < 1:
        raise ZuofengError(f"--idle-timeout must be at least 1 second, not {idle_timeout}")
    if max_pages < 0:
        raise ZuofengError(f"--max-pages must be 0 (no cap) or more, not {max_pages}")
    url = _absolute_sqlite(database_url(db))
    engine = open_engine(url, create=False)
    try:
        with engine.connect() as conn:
            rnd = get_round(conn, round_code)
    finally:
        engine.dispose()
    if rnd["status"] != "open":
        raise RoundError(f"round {round_code} is {rnd['status']}, not open: open it first (zuofeng round open {round_code})")
    load_key()  # tokens must have been issued with the key the kernels will use
    _port_free(host, port)
    return {"round": rnd, "env": {"ZUOFENG_SURVEY_ROUND": round_code, "ZUOFENG_DB": url,
                                  "ZUOFENG_SURVEY_LANG": lang}}


def serve(round_code: str, *, host: str = "127.0.0.1", port: int = 8866, db: str | None = None,
          lang: str = "zh", pool_size: int = 2, idle_timeout: int = 120, max_pages: int = 300,
          fork_kernels: bool = True, behind_proxy: bool = False, attempts: int | None = None,
          echo=print) -> None:
    """Serve the survey of an open round with Voilà until interrupted (Ctrl-C or SIGTERM: it stops within
    a few seconds, after the sheets being stored; see ``entry.survey_voila_class``).

    Parameters
    ----------
    round_code : str
        An open round.
    host, port : str, int
        Address to bind; default loopback ``127.0.0.1:8866`` (put a TLS reverse proxy in front for phones).
    db : str, optional
        Database URL; default ``$ZUOFENG_DB``, else ``sqlite:///data/zuofeng.db``.
    lang : {"zh", "en"}
        Language of the page.
    pool_size : int
        Preheated kernels kept ready for arriving respondents (0: start a kernel per page request).
    idle_timeout : int
        Seconds before the kernel of a closed or idle page is shut down. A page's kernel also ends
        ``min(END_AFTER, idle_timeout)`` seconds after its sheet is stored, even if the page stays open.
    max_pages : int
        Survey pages (kernels) open at once; a respondent beyond it waits on a "please wait" page that
        continues by itself (0: no cap).
    fork_kernels : bool
        Fork each kernel from a warm process that has ipykernel, ipywidgets and the survey imported
        (``zuofeng.collect.forkserver``) instead of starting a new Python for it.
    behind_proxy : bool
        A reverse proxy on this machine (``deploy/nginx``) forwards every request: the client is the
        address it names in ``X-Real-IP``, and ``X-Forwarded-Proto: https`` makes the cookies Secure.
        Only with a proxy: otherwise a client could name any address and escape its attempt limit.
    attempts : int, optional
        Wrong 答题码 a client may enter in a row before it must wait (``webguard.ATTEMPT_BURST`` by
        default; one more every ``webguard.ATTEMPT_REFILL`` seconds; 0: no limit).
    echo : callable
        Where the one start-up line goes.
    """
    if attempts is not None and attempts < 0:
        raise ZuofengError(f"--attempts must be 0 (no limit) or more, not {attempts}")
    ready = prepare(round_code, db=db, lang=lang, host=host, port=port, pool_size=pool_size,
                    idle_timeout=idle_timeout, max_pages=max_pages)
    from ..instrument import load_instrument
    from ..store import open_engine
    from .desk import ENV_DESK, Desk
    from .entry import END_AFTER, survey_voila_class
    from .forkserver import ForkServer, use_fork_provisioner
    from .survey import ENV_ENTRY
    from .webguard import ATTEMPT_BURST, AttemptLimit

    rnd = ready["round"]
    n_items = len(load_instrument(rnd["instrument_id"], rnd["instrument_version"]).items)
    raise_open_file_limit()
    max_pages = page_cap(max_pages, echo, lang)

    with tempfile.TemporaryDirectory(prefix="zuofeng-survey-") as site, \
            Desk(open_engine(ready["env"]["ZUOFENG_DB"], create=False), round_code, Path(site) / "desk.sock") as desk:
        os.environ.update(ready["env"])
        os.environ[ENV_DESK] = desk.path  # the kernels check tokens and store sheets through the desk
        os.environ[ENV_ENTRY] = "1"  # the entry page checks the token; the kernel claims its ticket
        # where a preheated kernel reaches this server for its page's request (Voilà assumes 127.0.0.1,
        # which a server bound to one other address does not answer)
        os.environ["VOILA_APP_IP"] = reachable_address(host)
        os.environ.update(build_site(Path(site), rnd["title"], lang))
        forks = ForkServer(Path(site) / "fork.sock").start() if fork_kernels else None
        if forks is not None:
            use_fork_provisioner()
        argv = voila_argv(site, host=host, port=port, pool_size=pool_size, idle_timeout=idle_timeout)
        shown = f"[{host}]" if ":" in host else host
        from ..messages import say
        echo(say("serving", lang, round=round_code, url=f"http://{shown}:{port}/", idle=idle_timeout,
                 pool=pool_size if "--preheat_kernel=True" in argv else 0))
        sys.stdout.flush()
        patch_kernel_manager()
        patch_template_cache()
        app = survey_voila_class(desk, rnd, lang=lang, n_items=n_items, live_cap=max_pages,
                                 end_after=min(END_AFTER, idle_timeout), behind_proxy=behind_proxy,
                                 attempts=AttemptLimit(ATTEMPT_BURST if attempts is None else attempts))
        try:
            app.launch_instance(argv=argv)
        finally:
            app.clear_instance()
            if forks is not None:
                forks.close()
