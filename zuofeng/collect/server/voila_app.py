"""The survey server's Voilà application: its settings, its routes, and how it stops.

Voilà's catch-all page route (which starts a kernel for any address) is replaced by the entry page,
``start`` and the ticketed ``survey`` page (``handlers``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from ...errors import ZuofengError
from .handlers import (
    END_AFTER,
    STATIC_HANDLERS,
    EntryHandler,
    LabExtensionHandler,
    SurveyHandler,
    SurveyServer,
    WorkerHandler,
    log_request,
)
from .prefetch import WORKER_NAME

log = logging.getLogger(__name__)
STOP_GRACE = 2.5  # seconds a stopping server waits for sheets being stored and pages being opened


class SurveyVoila(Voila):
    """Voilà serving the survey; ``survey_voila_class`` makes one subclass per server with its ``zf``."""

    zf: SurveyServer
    behind_proxy = False
    stop_grace = STOP_GRACE
    opening_cap = 0  # pages being opened at once (0: no cap)
    page_cap = 0  # survey pages open at once (0: no cap)

    def init_settings(self):
        settings = super().init_settings()
        settings["zuofeng"] = self.zf
        settings["compress_response"] = True
        # the kernel's websocket too (permessage-deflate): the widgets' state is some 100 kB of JSON
        settings["websocket_compression_options"] = {}
        settings["static_immutable_cache"] = [url_path_join(self.server_url, "voila/labextensions/")]
        # every POST needs the XSRF token: tornado checks it before any handler runs (Jupyter's own
        # handlers check it again); a session cookie, readable by the page's script, which sends it
        # with its kernel's shutdown
        settings["log_function"] = log_request
        settings["xsrf_cookies"] = True
        settings["xsrf_cookie_kwargs"] = {"expires_days": None, "samesite": "Strict",
                                          "path": settings.get("base_url", "/")}
        # Jupyter's anonymous-user cookie: for this browser session only, not 30 days
        provider = getattr(self, "identity_provider", None)
        if provider is not None:
            provider.cookie_options = {**provider.cookie_options, "expires_days": None, "samesite": "Lax"}
        return settings

    def listen(self):
        """Listen (tornado's ``xheaders`` behind a proxy) and run until SIGINT or SIGTERM, then stop cleanly."""
        try:
            self.http_server = self.app.listen(self.port, self.ip, xheaders=self.behind_proxy)
        except OSError as e:
            raise ZuofengError(f"无法监听 {self.ip}:{self.port}：{e.strerror}",
                               f"cannot listen on {self.ip}:{self.port}: {e.strerror}") from None
        self.ioloop = IOLoop.current()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._zf_signal)
        try:
            self.ioloop.start()
        finally:
            self.stop()

    def _zf_signal(self, sig, frame):
        if self.zf.stopping:  # a second signal: stop now
            self.ioloop.add_callback_from_signal(self.ioloop.stop)
        else:
            self.zf.stopping = True
            self.ioloop.add_callback_from_signal(self._zf_stop)

    async def _zf_stop(self):
        """Stop listening; let sheets being stored and pages being opened finish; end every kernel at once."""
        self.http_server.stop()
        loop = asyncio.get_running_loop()
        end = loop.time() + self.stop_grace
        zf = self.zf

        def busy() -> bool:
            return zf.now > 0 or (zf.desk is not None and zf.desk.busy > 0)

        await asyncio.sleep(min(0.3, self.stop_grace))  # a click on 提交 on its way through a kernel reaches the desk
        was_busy = busy()
        while busy() and loop.time() < end:
            await asyncio.sleep(0.05)
        if was_busy:
            await asyncio.sleep(min(0.5, max(0.0, end - loop.time())))  # the thank-you reaches its page
        km = self.kernel_manager
        ids = list(km.list_kernel_ids())
        if ids:
            try:
                await asyncio.wait_for(asyncio.gather(*(km.shutdown_kernel(k, now=True) for k in ids),
                                                      return_exceptions=True), 2)
            except TimeoutError:
                log.warning("%d kernels did not end within 2 s; the fork server ends them", len(ids))
        self.ioloop.stop()

    def init_handlers(self):
        routes, voila_page = [], None
        for route in super().init_handlers():
            if route[1] is TornadoVoilaHandler:
                voila_page = route
            elif route[1] in STATIC_HANDLERS:
                routes.append((route[0], STATIC_HANDLERS[route[1]], *route[2:]))
            elif route[1] is FileFindHandler and "labextensions" in route[0]:
                routes.append((route[0], LabExtensionHandler, *route[2:]))
            else:
                routes.append(route)
        if voila_page is None:
            raise ZuofengError("这个 Voilà 没有提供笔记本页面", "this Voilà serves no notebook page")
        base = self.server_url
        return [(url_path_join(base, "/"), EntryHandler), (url_path_join(base, "/start"), EntryHandler),
                (url_path_join(base, "/" + WORKER_NAME), WorkerHandler),
                (url_path_join(base, "/survey"), SurveyHandler, *voila_page[2:]), *routes]


def survey_voila_class(desk, round_info: dict, *, lang: str = "zh", n_items: int = 22, live_cap: int = 0,
                       opening_cap: int | None = None, end_after: float = END_AFTER, attempts=None,
                       behind_proxy: bool = False, stop_grace: float = STOP_GRACE):
    """A Voilà application class serving the entry page, ``start`` and the ticketed ``survey`` page.

    Voilà's catch-all page route (which starts a kernel for any address) is replaced by three routes:
    ``/`` (the entry page), ``/start`` (POST: the token check) and ``/survey`` (Voilà's page, only with a
    valid ticket cookie). Responses are gzip-compressed (tornado's ``compress_response`` has to be in
    the settings the application is *built* with: Voilà's ``tornado_settings`` arrive too late), the
    hashed files of front-end extensions are cached as immutable and Voilà's own script chunks for a day.

    ``live_cap`` > 0 caps the kernels in use by pages, and ``opening_cap`` the survey pages being opened
    at once (default: twice the CPU cores; opening a page may start a kernel and run the notebook, and
    with a preheated kernel it is over quickly). Without the second cap a burst of arrivals on an empty
    pool starts every kernel at once, the server stops answering and every page times out. A respondent
    beyond either cap waits in the server, in order of arrival (``OpeningQueue``), up to
    ``OPENING_WAIT`` seconds, then gets a "please wait" page that retries by itself with a fresh ticket
    that keeps the respondent's place in the queue.

    A page's kernel ends ``end_after`` seconds after the desk stored its sheet, even if the page stays
    open on the thank-you (a connected page is never culled): it has nothing left to do, and in a full
    meeting room the phones left on the thank-you would otherwise hold their kernels, and the pages
    cap, for as long as the server runs.

    Hardening (``zuofeng.collect.server.webguard``): ``attempts`` (an ``AttemptLimit``, default one with the
    standard limits) counts wrong 答题码 per client, and answers 429 beyond them without asking the desk;
    with ``behind_proxy`` the client is the address a reverse proxy on this machine names in ``X-Real-IP``
    (tornado's ``xheaders``), and cookies are ``Secure`` when the proxy says the browser used https. Both
    pages carry a Content-Security-Policy with a nonce per response; every POST needs the XSRF token
    (tornado's ``_xsrf`` cookie and field; Voilà's page sends it with its kernel's shutdown); every cookie
    a respondent gets lasts for the browser session only. SIGINT and SIGTERM stop the server within
    ``stop_grace`` seconds and a little more: it stops listening at once, lets sheets being stored and
    pages being opened finish (at most ``stop_grace`` seconds), then ends every kernel at once.
    """
    zf = SurveyServer(desk, round_info, lang=lang, n_items=n_items, live_cap=live_cap,
                      opening_cap=opening_cap if opening_cap is not None else 2 * (os.cpu_count() or 1),
                      end_after=end_after, attempts=attempts)
    return type("SurveyVoila", (SurveyVoila,), {"zf": zf, "behind_proxy": behind_proxy, "stop_grace": stop_grace,
                                                "opening_cap": zf.opening_cap, "page_cap": zf.live_cap})
