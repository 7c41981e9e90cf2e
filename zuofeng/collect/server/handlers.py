"""The survey server's HTTP handlers: the entry page and ``start``, the ticketed ``survey`` page, the
service worker, and Voilà's static files (cached, and learned for the entry page's prefetch).

Every handler reads what one server shares (the desk, the round, the opening queue, the attempts) from
``self.settings["zuofeng"]``, a ``SurveyServer`` the application (``voila_app``) puts in its settings.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

import tornado.web
from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from ...errors import ZuofengError
from ..survey_text import TEXT, token_message
from .entry_page import ENTRY_TEXT, entry_page, waiting_page
from .opening_queue import OPENING_WAIT, OpeningQueue
from .prefetch import STATIC_MAX_AGE, PrefetchList, worker_script
from .tickets import COOKIE, QUEUE
from .webguard import ROUTE_COOKIE, WORKER_POLICY, AttemptLimit, Noncer, entry_policy, nonce, survey_policy

log = logging.getLogger(__name__)
END_AFTER = 30.0  # seconds from a stored sheet to the end of its page's kernel


class SurveyServer:
    """What the handlers of one survey server share: the desk, the round, the caps, the opening queue.

    ``now`` counts the pages being opened; ``manager`` and ``loop`` are Voilà's kernel manager and the
    server's event loop, known once the first page opens; ``stopping`` is set by the first SIGINT/SIGTERM.
    """

    def __init__(self, desk, round_info: dict, *, lang: str = "zh", n_items: int = 22, live_cap: int = 0,
                 opening_cap: int, end_after: float = END_AFTER, attempts=None):
        self.desk, self.round_info, self.lang, self.n_items = desk, round_info, lang, n_items
        self.live_cap, self.opening_cap, self.end_after = live_cap, opening_cap, end_after
        self.attempts = attempts if attempts is not None else AttemptLimit()
        self.now, self.manager, self.loop, self.stopping = 0, None, None, False
        self.queue = OpeningQueue(self.busy)
        self.learned = PrefetchList()  # what the survey pages loaded: what the entry page has phones fetch early
        if desk is not None:
            desk.on_stored = self.stored

    def busy(self) -> bool:
        """Whether no page may open now (a cap is reached)."""
        if self.opening_cap and self.now >= self.opening_cap:
            return True
        return bool(self.live_cap and self.manager is not None and pages_in_use(self.manager) >= self.live_cap)

    def stored(self, pid: int) -> None:
        """In a desk thread, after the sheet of the kernel ``pid`` was stored: end that kernel soon."""
        loop, km = self.loop, self.manager
        if loop is not None and km is not None:
            loop.add_callback(self.end_kernel, km, pid)

    async def end_kernel(self, km, pid: int) -> None:
        await asyncio.sleep(self.end_after)  # the thank-you reaches the page meanwhile
        for kernel_id in list(km.list_kernel_ids()):
            provisioner = getattr(km._kernels.get(kernel_id), "provisioner", None)
            if getattr(provisioner, "pid", None) == pid:
                try:
                    await km.shutdown_kernel(kernel_id)
                except Exception as e:  # noqa: BLE001 -- gone meanwhile, or already shutting down
                    log.warning("could not end a finished page's kernel: %s", type(e).__name__)
                return


def pages_in_use(km) -> int:
    """Kernels not waiting in the preheated pool (a pool kernel still starting counts as in use)."""
    pooled = set()
    for tasks in getattr(km, "_pools", {}).values():
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is None:
                pooled.add(task.result().get("kernel_id"))
    return len(set(km.list_kernel_ids()) - pooled)


def private(handler) -> None:
    handler.set_header("Cache-Control", "no-store")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("X-Content-Type-Options", "nosniff")


def session_cookie(handler, name: str, value: str, **kwargs) -> None:
    """A cookie for this browser session only (no Expires, no Max-Age), Secure over https."""
    handler.set_cookie(name, value, httponly=True, secure=handler.request.protocol == "https", **kwargs)


def log_request(handler) -> None:
    # server errors only, by method and route: no client address, no query, and no line per
    # refused 答题码 or XSRF token (tornado logs every 4xx with the client's address by default)
    if handler.get_status() >= 500:
        log.error("%d %s %s", handler.get_status(), handler.request.method, handler.request.path[:80])


class EntryHandler(tornado.web.RequestHandler):
    """``/`` (the entry page) and ``/start`` (POST: the token check, then a ticket and a redirect)."""

    def set_default_headers(self):
        private(self)
        self.set_header("X-Frame-Options", "DENY")
        self._zf_nonce = nonce()
        self.set_header("Content-Security-Policy", entry_policy(self._zf_nonce))

    def page(self, message: str = "", status: int = 200) -> None:
        zf = self.settings["zuofeng"]
        if self.get_cookie(ROUTE_COOKIE) is None:  # what a proxy's sticky routing hashes (``deploy/``)
            session_cookie(self, ROUTE_COOKIE, nonce(), path=self.settings.get("base_url", "/"), samesite="Lax")
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(entry_page(zf.round_info, lang=zf.lang, message=message, n_items=zf.n_items,
                               prefetch=zf.learned.files, xsrf=self.xsrf_form_html(), script_nonce=self._zf_nonce))

    def write_error(self, status_code, **kwargs):
        # a POST without the form's XSRF token (a page from before a restart, another site's form)
        self.page(ENTRY_TEXT[self.settings["zuofeng"].lang]["expired"], status_code if status_code < 500 else 503)

    def log_exception(self, typ, value, tb):  # an XSRF refusal is not the server's fault: no traceback
        if not isinstance(value, tornado.web.HTTPError):
            log.error("entry: %s", typ.__name__ if typ else "error")

    def get(self):
        lang = self.settings["zuofeng"].lang
        self.page(ENTRY_TEXT[lang]["expired"] if self.get_query_argument("expired", None) else "")

    async def post(self):
        zf = self.settings["zuofeng"]
        lang, attempts = zf.lang, zf.attempts
        if zf.stopping:
            return self.page(ENTRY_TEXT[lang]["stopping"], 503)
        client = self.request.remote_ip or ""
        if not attempts.take(client):  # too many wrong 答题码: no token check, no kernel
            wait = attempts.retry_after(client)
            self.set_header("Retry-After", str(wait))
            return self.page(ENTRY_TEXT[lang]["limit"].format(s=wait), 429)
        token = self.get_body_argument("token", "")
        try:
            scope, hashed = await IOLoop.current().run_in_executor(None, zf.desk.backend.check,
                                                                   zf.round_info["code"], token)
        except ZuofengError as e:
            return self.page(token_message(e, lang))
        except Exception as e:  # noqa: BLE001 -- nothing typed is logged, only the kind of failure
            attempts.give_back(client)  # the server failed, not the respondent
            log.error("entry: token check failed with %s", type(e).__name__)
            return self.page(TEXT[lang]["system_error"], 503)
        attempts.give_back(client)
        ticket = zf.desk.tickets.issue({"scope": {"round": scope.round, "kind": scope.kind, "rater": scope.rater,
                                                  "target": scope.target}, "hash": hashed})
        session_cookie(self, COOKIE, ticket, path=url_path_join(self.settings.get("base_url", "/"), "survey"),
                       samesite="Strict")
        self.redirect("survey", status=303)


class SurveyHandler(TornadoVoilaHandler):
    """``/survey``: Voilà's page, only with a valid ticket cookie, opened in turn (``OpeningQueue``)."""

    @property
    def content_security_policy(self) -> str:
        if not hasattr(self, "_zf_nonce"):
            self._zf_nonce = nonce()
            self._zf_noncer = Noncer(self._zf_nonce)
        return survey_policy(self._zf_nonce)

    def write(self, chunk):
        if isinstance(chunk, str) and hasattr(self, "_zf_noncer"):
            chunk = self._zf_noncer.feed(chunk)
        return super().write(chunk)

    def finish(self, chunk=None):
        if hasattr(self, "_zf_noncer") and not self._finished:
            held = self._zf_noncer.close()
            if held:
                super().write(held)
        return super().finish(chunk)

    async def get(self, path=None):
        zf = self.settings["zuofeng"]
        private(self)
        cookie_path = url_path_join(self.settings.get("base_url", "/"), "survey")
        grant = zf.desk.tickets.take(self.get_cookie(COOKIE))
        self.clear_cookie(COOKIE, path=cookie_path)
        if grant is None:  # no token was checked for this browser: no kernel
            return self.redirect("./?expired=1", status=303)
        seq = grant.pop(QUEUE, None)
        if seq is None:
            seq = zf.queue.place()
        zf.manager, zf.loop = self.kernel_manager, IOLoop.current()
        opened = await zf.queue.wait(seq, OPENING_WAIT)
        if getattr(self, "_zf_gone", False):
            return zf.queue.wake()  # the browser left while it waited: no kernel, the next one goes
        if not opened:
            # a fresh ticket for every wait, so that a long queue does not outlast the ticket; it
            # keeps this respondent's place
            session_cookie(self, COOKIE, zf.desk.tickets.issue({**grant, QUEUE: seq}), path=cookie_path,
                           samesite="Strict")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Refresh", "3")
            return self.finish(waiting_page(zf.lang))
        self.request.query = urlencode({"zf_ticket": zf.desk.tickets.issue(grant)})  # to the kernel only
        zf.now += 1
        try:
            await super().get(path)
        finally:
            zf.now -= 1
            zf.queue.wake()  # the first page in line goes now

    def on_connection_close(self):
        self._zf_gone = True
        super().on_connection_close()


class WorkerHandler(tornado.web.RequestHandler):
    """The entry page's service worker (``prefetch``)."""

    def get(self):
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", WORKER_POLICY)
        self.finish(worker_script(self.settings["zuofeng"].learned.files))


def learn(handler) -> None:
    handler.settings["zuofeng"].learned.learn(handler.request.path, handler.request.query, handler.get_status())


class CachedStaticFileHandler(MultiStaticFileHandler):
    def get_cache_time(self, path, modified, mime_type):
        return super().get_cache_time(path, modified, mime_type) or STATIC_MAX_AGE

    def on_finish(self):
        learn(self)


class LabExtensionHandler(FileFindHandler):
    def on_finish(self):
        learn(self)


class TemplateFileHandler(TemplateStaticFileHandler):
    def on_finish(self):
        learn(self)


#: Voilà's handler → ours (the labextensions' FileFindHandler only: other routes use it too)
STATIC_HANDLERS = {MultiStaticFileHandler: CachedStaticFileHandler, TemplateStaticFileHandler: TemplateFileHandler}
