"""Serving the survey with Voilà: ``zuofeng serve ROUND``.

The server runs a generated copy of the survey notebook (``notebooks/survey.ipynb``: a parameters cell
and one call into ``zuofeng.collect.survey``) from a private temporary folder, so nothing else on disk can be
served. The round, store, language and the path of the collection desk (``zuofeng.collect.desk``: the one
place that checks tokens and stores sheets, so that kernels need not import SQLAlchemy) reach the
kernels through environment variables, never through the request, which lets Voilà preheat kernels:
a pool of kernels has already built the page before a respondent arrives. Tracebacks and sources are
hidden, kernels of closed or idle pages are culled (Voilà never shuts a page's kernel down by itself),
the address is bound explicitly, and the log level is WARNING so that nothing a respondent enters can
reach a log line. Respondents arrive at a light entry page (``entry_page``): the token goes
to the collection desk in the body of a POST, and only a valid, unused token opens a kernel. Kernels
are forked from a warm process (``forkserver``), and the page templates are compiled
once per server: in a full meeting room the CPU time per respondent decides how long everyone waits.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import tempfile
from pathlib import Path

from ...config import database_url
from ...errors import RoundError, ZuofengError
from ...messages import word


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
                raise ZuofengError(f"{host} 的端口 {port} 已被占用；请用 --port 另选一个",
                                   f"port {port} on {host} is in use; choose another with --port") from None
            raise ZuofengError(f"无法监听 {host}:{port}：{e.strerror}", f"cannot listen on {host}:{port}: {e.strerror}") from None


def prepare(round_code: str, *, db: str | None = None, lang: str = "zh", host: str = "127.0.0.1",
            port: int = 8866, pool_size: int = 2, idle_timeout: int = 120, max_pages: int = 300) -> dict:
    """Check that the round can take answers, and return the environment for the survey kernels.

    Raises a ZuofengError (one line) when the store cannot be opened, the round is unknown or not
    open, no token key exists, the port is taken or an option is out of range.
    """
    from ...store import get_round, open_engine
    from ..tokens import load_key

    if lang not in ("zh", "en"):
        raise ZuofengError(f"--lang 必须是 zh 或 en，而不是 {lang!r}", f"--lang must be zh or en, not {lang!r}")
    if not 0 < port < 65536:
        raise ZuofengError(f"--port 必须在 1..65535 之间，而不是 {port}", f"--port must be 1..65535, not {port}")
    if pool_size < 0:
        raise ZuofengError(f"--pool-size 必须是 0 或更大，而不是 {pool_size}", f"--pool-size must be 0 or more, not {pool_size}")
    if idle_timeout < 1:
        raise ZuofengError(f"--idle-timeout 至少为 1 秒，而不是 {idle_timeout}",
                           f"--idle-timeout must be at least 1 second, not {idle_timeout}")
    if max_pages < 0:
        raise ZuofengError(f"--max-pages 必须是 0（不限）或更大，而不是 {max_pages}",
                           f"--max-pages must be 0 (no cap) or more, not {max_pages}")
    url = _absolute_sqlite(database_url(db))
    engine = open_engine(url, create=False)
    try:
        with engine.connect() as conn:
            rnd = get_round(conn, round_code)
    finally:
        engine.dispose()
    if rnd["status"] != "open":
        raise RoundError(f"轮次 {round_code} 状态为{word(rnd['status'])}，未开放：请先开放（zuofeng round open {round_code}）",
                         f"round {round_code} is {rnd['status']}, not open: open it first (zuofeng round open {round_code})")
    load_key()  # tokens must have been issued with the key the kernels will use
    _port_free(host, port)
    return {"round": rnd, "env": {"ZUOFENG_SURVEY_ROUND": round_code, "ZUOFENG_DB": url,
                                  "ZUOFENG_SURVEY_LANG": lang}}


def serve(round_code: str, *, host: str = "127.0.0.1", port: int = 8866, db: str | None = None,
          lang: str = "zh", pool_size: int = 2, idle_timeout: int = 120, max_pages: int = 300,
          fork_kernels: bool = True, behind_proxy: bool = False, attempts: int | None = None,
          echo=print) -> None:
    """Serve the survey of an open round with Voilà until interrupted (Ctrl-C or SIGTERM: it stops within
    a few seconds, after the sheets being stored; see ``voila_app.survey_voila_class``).

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
        (``zuofeng.collect.server.forkserver``) instead of starting a new Python for it.
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
        raise ZuofengError(f"--attempts 必须是 0（不限）或更大，而不是 {attempts}",
                           f"--attempts must be 0 (no limit) or more, not {attempts}")
    ready = prepare(round_code, db=db, lang=lang, host=host, port=port, pool_size=pool_size,
                    idle_timeout=idle_timeout, max_pages=max_pages)
    from ...instrument import load_instrument
    from ...store import open_engine
    from ..desk import ENV_DESK, Desk
    from ..survey import ENV_ENTRY
    from .forkserver import ForkServer, use_fork_provisioner
    from .handlers import END_AFTER
    from .limits import page_cap, raise_open_file_limit
    from .survey_site import build_site, voila_argv
    from .voila_app import survey_voila_class
    from .voila_patches import patch_kernel_manager, patch_template_cache
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
        from ...messages import say
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
