"""The light entry of ``zuofeng serve``: a plain HTML page that takes the token before any kernel starts.

A respondent first gets a small HTML page from the survey server itself (title, privacy promise with
the round's k, one token field; Enter submits). It starts no kernel and loads no JupyterLab script.
The token travels in the body of a POST to ``start``, never in an address; the server checks it with
the collection desk (``zuofeng.collect.desk``). Only a valid, unused token gets a *ticket*: a random,
one-time, short-lived string in an HttpOnly cookie limited to the ``survey`` address. The survey
address (Voilà's page) exchanges it for a second one-time ticket that only the page's kernel can use:
the kernel claims it through the desk and gets the token's scope and keyed hash, never the token.
Tickets live in this process's memory only, are removed when used or after ``TICKET_TTL`` seconds,
and nothing about them is logged. A GET of any address without a ticket starts no kernel.

Once the entry page has loaded (the respondent is typing), it has the browser fetch the survey's scripts
and stylesheets (those the survey page loaded for earlier respondents): through a service worker that
keeps them in the browser's cache storage, where the browser also keeps their compiled code, or, where
there is no service worker (plain http to another machine), as ordinary prefetches.
"""

from __future__ import annotations

import functools
import html
import json
import re
import secrets
import threading
import time

TICKET_TTL = 300.0  # seconds between the token check and the page's kernel claiming it
COOKIE = "zf_ticket"
LANG_ATTR = {"zh": "zh-CN", "en": "en"}

ENTRY_TEXT = {
    "zh": {"label": "答题码", "hint": "纸条上的16位字母和数字，大小写、空格和横线均可。", "start": "开始答题",
           "opening": "正在打开问卷……", "saved": "本设备上保存着您尚未提交的答案：输入同一答题码即可继续。",
           "busy": "答题人数较多，请稍候，页面会自动继续……", "expired": "页面已过期，请重新输入答题码。",
           "limit": "输入错误的答题码次数过多，请{s}秒后再试。", "stopping": "问卷服务器正在停止，请稍后重新打开本页。"},
    "en": {"label": "Token", "hint": "The 16 letters and digits on your slip; case, spaces and dashes do not matter.",
           "start": "Start", "opening": "Opening the survey…",
           "saved": "Unsubmitted answers are kept on this device: enter the same token to continue.",
           "busy": "Many people are answering right now: please wait, this page continues by itself…",
           "expired": "This page has expired: please enter your token again.",
           "limit": "Too many wrong tokens: please try again in {s} seconds.",
           "stopping": "The survey server is stopping: please open this page again in a moment."},
}


class Tickets:
    """One-time tickets: a grant (scope and keyed hash of a checked token) under a random name.

    Parameters
    ----------
    ttl : float
        Seconds a ticket stays valid.
    clock : callable
        Monotonic clock (tests pass their own).
    """

    def __init__(self, ttl: float = TICKET_TTL, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._grants: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def issue(self, grant: dict) -> str:
        """Store ``grant`` under a new ticket (128 random bits) and return the ticket."""
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._drop_expired()
            self._grants[ticket] = (self.clock() + self.ttl, grant)
        return ticket

    def take(self, ticket) -> dict | None:
        """The grant of ``ticket``, removed; None when the ticket is unknown, used or expired."""
        if not isinstance(ticket, str):
            return None
        with self._lock:
            self._drop_expired()
            entry = self._grants.pop(ticket, None)
        return None if entry is None else entry[1]

    def peek(self, ticket) -> bool:
        """Whether ``ticket`` is valid now (it stays valid)."""
        if not isinstance(ticket, str):
            return False
        with self._lock:
            self._drop_expired()
            return ticket in self._grants

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._grants)

    def _drop_expired(self) -> None:
        now = self.clock()
        for t in [t for t, (end, _) in self._grants.items() if end <= now]:
            del self._grants[t]


class OpeningQueue:
    """Survey pages waiting for their turn to open, served in the order they first arrived.

    A page may open when ``busy()`` is false and no page that arrived earlier is waiting. A waiting
    page is woken when a page finishes opening (``wake``), and looks again every ``poll`` seconds
    (a kernel freed by the culler makes room without a wake-up). Pages that gave up (they get the
    "please wait" page and come back with their place, ``seq``) keep their place when they return.

    Parameters
    ----------
    busy : callable
        Whether no page may open now (the caps are reached).
    poll : float
        Seconds between looks while waiting.
    """

    def __init__(self, busy, poll: float = 1.0):
        import itertools
        self.busy, self.poll = busy, poll
        self.waiting: dict[int, object] = {}  # place in the queue → the future that wakes that page
        self._places = itertools.count()

    def place(self) -> int:
        """A new place at the end of the queue."""
        return next(self._places)

    async def wait(self, seq: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the turn of the page at place ``seq``; True when it may open."""
        import asyncio
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.busy() or (self.waiting and min(self.waiting) < seq):
            left = end - loop.time()
            if left <= 0:
                self.wake()  # the next one may be able to go where this one could not
                return False
            wake = self.waiting[seq] = loop.create_future()
            try:
                await asyncio.wait_for(wake, min(left, self.poll))
            except TimeoutError:
                pass
            finally:
                self.waiting.pop(seq, None)
        self.wake()  # room for more than one: the next in line looks too
        return True

    def wake(self) -> None:
        """Let the first page in line look again (a page finished opening, or gave up its turn)."""
        if self.waiting:
            wake = self.waiting[min(self.waiting)]
            if not wake.done():
                wake.set_result(None)


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _js(value) -> str:
    """A JSON literal safe inside an HTML <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# SHA-256 in plain JavaScript (public-domain compact form): the page stores unsubmitted answers under a
# hash of round and token, and crypto.subtle is missing on plain-http addresses.
SHA256_JS = r"""function zfSha256(ascii){function rr(v,a){return(v>>>a)|(v<<(32-a));}
var P=Math.pow,M=P(2,32),i,j,r='',w=[],L=ascii.length*8,h=[],k=[],n=0,c={};
for(var q=2;n<64;q++){if(!c[q]){for(i=0;i<313;i+=q)c[i]=q;h[n]=(P(q,.5)*M)|0;k[n++]=(P(q,1/3)*M)|0;}}
h=h.slice(0,8);ascii+='\x80';while(ascii.length%64-56)ascii+='\x00';
for(i=0;i<ascii.length;i++){j=ascii.charCodeAt(i);if(j>>8)return '';w[i>>2]|=j<<((3-i)%4)*8;}
w[w.length]=((L/M)|0);w[w.length]=L;
for(j=0;j<w.length;){var x=w.slice(j,j+=16),o=h;h=h.slice(0,8);
for(i=0;i<64;i++){var a=x[i-15],b=x[i-2],A=h[0],E=h[4];
var t1=h[7]+(rr(E,6)^rr(E,11)^rr(E,25))+((E&h[5])^((~E)&h[6]))+k[i]+(x[i]=(i<16)?x[i]:(x[i-16]+(rr(a,7)^rr(a,18)^(a>>>3))+x[i-7]+(rr(b,17)^rr(b,19)^(b>>>10)))|0);
var t2=(rr(A,2)^rr(A,13)^rr(A,22))+((A&h[1])^(A&h[2])^(h[1]&h[2]));h=[(t1+t2)|0].concat(h);h[4]=(h[4]+t1)|0;}
for(i=0;i<8;i++)h[i]=(h[i]+o[i])|0;}
for(i=0;i<8;i++)for(j=3;j+1;j--){var y=(h[i]>>(j*8))&255;r+=((y<16)?0:'')+y.toString(16);}return r;}
function zfNormal(t){return t.toUpperCase().replace(/[^0-9A-Z]/g,'');}"""

ENTRY_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
 font-size:17px;line-height:1.6;color:#1f2328;background:#fff}
main{max-width:720px;margin:0 auto;padding:16px}
h1{font-size:1.4em;line-height:1.3;margin:.3em 0 .6em}
.zf-privacy{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6em .9em;font-size:.95em}
.zf-privacy ul{margin:.3em 0;padding-left:1.2em}
label{display:block;font-weight:700;margin:1em 0 .2em}
.zf-hint{color:#57606a;font-size:.9em;margin:0 0 .4em}
input{width:100%;max-width:24em;font-size:1.15em;letter-spacing:.05em;min-height:48px;padding:.3em .5em;
 border:2px solid #57606a;border-radius:6px}
button{display:block;margin-top:.8em;min-height:48px;min-width:10em;font-size:1.05em;font-weight:700;color:#fff;
 background:#1f6feb;border:0;border-radius:6px;padding:.4em 1.4em;cursor:pointer}
button[disabled]{background:#57606a}
:focus-visible{outline:3px solid #bf3989;outline-offset:2px}
.zf-msg-error{color:#b42318;font-weight:600}
.zf-note{color:#1a5fb4;font-weight:600}
"""


def entry_page(round_info: dict, *, lang: str = "zh", message: str = "", n_items: int = 22,
               prefetch: tuple[str, ...] = (), xsrf: str = "", script_nonce: str = "") -> str:
    """The HTML of the entry page (title, privacy promise with k, the token form).

    ``message`` is a refusal already worded for the respondent (escaped here); ``prefetch`` lists
    addresses of the survey's scripts the browser may fetch while the respondent types: through the
    page's service worker (``worker_script``) where the browser has one, else as ``<link rel=prefetch>``.
    ``xsrf`` is the form's hidden XSRF field (tornado's ``xsrf_form_html``), ``script_nonce`` the nonce
    of the response's Content-Security-Policy, put on the page's one inline script and stylesheet.
    """
    n = f' nonce="{_esc(script_nonce)}"' if script_nonce else ""
    from .survey_text import PRIVACY, TEXT
    worker = f"{WORKER_NAME}?v={worker_version(prefetch)}"
    t, e = TEXT[lang], ENTRY_TEXT[lang]
    promise = PRIVACY[lang].format(k=int(round_info["k_min"]), k_comment=int(round_info["k_comment"]), n=n_items)
    msg = f"<p id='zf-message' class='zf-msg-error' role='alert'>{_esc(message)}</p>" if message else \
        "<p id='zf-message' role='status'></p>"
    return f"""<!DOCTYPE html>
<html lang="{LANG_ATTR[lang]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><link rel="icon" href="data:,">
<title>{_esc(round_info['title'])}</title><style{n}>{ENTRY_CSS}</style></head>
<body><main>
<h1>{_esc(round_info['title'])}</h1>
<div class="zf-privacy">{promise}</div>
<form id="zf-entry" method="post" action="start" autocomplete="off">{xsrf}
<label for="zf-token">{_esc(e['label'])}</label>
<p class="zf-hint" id="zf-hint">{_esc(e['hint'])}</p>
<input id="zf-token" name="token" type="text" required autofocus spellcheck="false" autocapitalize="characters"
 autocomplete="off" inputmode="text" aria-describedby="zf-hint" placeholder="ABCD-EFGH-JKLM-NPQR">
<button id="zf-start" type="submit">{_esc(t['start'])}</button>
{msg}
<p id="zf-saved" class="zf-note" hidden>{_esc(e['saved'])}</p>
</form></main>
<script{n}>
{SHA256_JS}
(function(){{
var f=document.getElementById('zf-entry'),b=document.getElementById('zf-start'),fetched=false;
try{{for(var i=0;i<sessionStorage.length;i++){{if(sessionStorage.key(i).indexOf('zf-answers-')===0){{
document.getElementById('zf-saved').hidden=false;break;}}}}}}catch(err){{}}
function prefetch(){{if(fetched)return;fetched=true;var files={_js(list(prefetch))};if(!files.length)return;
if(window.isSecureContext&&navigator.serviceWorker){{navigator.serviceWorker.register({_js(worker)},{{scope:'./'}})
.catch(function(){{}});return;}}
files.forEach(function(u){{var l=document.createElement('link');l.rel='prefetch';l.href=u;document.head.appendChild(l);}});}}
document.getElementById('zf-token').addEventListener('input',prefetch);
window.addEventListener('load',function(){{setTimeout(prefetch,300);}});
f.addEventListener('submit',function(){{
try{{sessionStorage.setItem('zf-key',zfSha256({_js('zuofeng:' + round_info['code'] + ':')}+zfNormal(f.token.value)));}}catch(err){{}}
b.disabled=true;b.textContent={_js(e['opening'])};}});
window.addEventListener('pageshow',function(){{b.disabled=false;b.textContent={_js(t['start'])};}});
}})();
</script></body></html>"""


WORKER_NAME = "survey-worker.js"
CACHE_PREFIX = "zuofeng-survey-"

# The entry page's service worker. Installed while the respondent types, it stores the survey's scripts
# and stylesheets (static files only, the same for every respondent) in the browser's cache storage;
# the browser compiles scripts stored this way at once and keeps the compiled code beside them, so the
# survey page starts without compiling Voilà's front-end on the phone. It answers only requests for
# Voilà's static files from that cache; pages, the token, the answers and the kernel's connection never
# pass through it.
WORKER_JS = """var CACHE = __CACHE__, FILES = __FILES__, STATIC = /\\/voila\\/(static|labextensions|templates)\\//;
self.addEventListener('install', function (e) {
  self.skipWaiting();
  e.waitUntil(caches.open(CACHE).then(function (c) {
    return Promise.all(FILES.map(function (u) { return c.add(u).catch(function () {}); }));
  }));
});
self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE && k.indexOf(__PREFIX__) === 0; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener('fetch', function (e) {
  var r = e.request, u = new URL(r.url);
  if (r.method !== 'GET' || r.mode === 'navigate' || u.origin !== location.origin || !STATIC.test(u.pathname)) return;
  e.respondWith(caches.open(CACHE).then(function (c) {
    return c.match(r, {ignoreVary: true}).then(function (hit) { return hit || fetch(r); });
  }));
});
"""


def worker_version(files) -> str:
    """A short hash of the files the worker stores and of the Voilà release that serves them.

    A new list, or another Voilà (whose script chunks keep their names), installs a new worker and cache.
    """
    import hashlib
    return hashlib.sha256("\n".join([f"voila {_voila_release()}", *files]).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _voila_release() -> str:
    """The installed Voilà's version, read once (a metadata look-up is most of an entry page's cost)."""
    from importlib.metadata import version
    return version("voila")


def worker_script(files) -> str:
    """The service worker's script for the survey's static ``files`` (addresses on this server)."""
    files = list(files)
    return (WORKER_JS.replace("__CACHE__", _js(CACHE_PREFIX + worker_version(files)))
            .replace("__FILES__", _js(files)).replace("__PREFIX__", _js(CACHE_PREFIX)))


# --- the server side -------------------------------------------------------------------------------

STATIC_MAX_AGE = 86400  # Voilà's script chunks carry the Voilà release in their folder, not in their name
PREFETCH_MAX = 150


class PrefetchList:
    """The survey's scripts and stylesheets, in the order pages asked for them: what the entry page prefetches.

    The page template's own files (the stylesheets and the style script that block its first paint)
    come first. Anybody can ask for static files, so the list takes each file once whatever its query
    (at most a version, ``v=…``; any other query is not learned) and at most ``PREFETCH_MAX`` files:
    a flood of made-up addresses cannot make every respondent's phone fetch them.
    """

    VERSION = re.compile(r"(v=[0-9A-Za-z._-]{1,80})?")

    def __init__(self, limit: int = PREFETCH_MAX):
        self.limit = limit
        self._paths: dict[str, str] = {}
        self.files: tuple[str, ...] = ()

    def learn(self, path: str, query: str, status: int) -> bool:
        """Take the address of a served file; True when the list changed."""
        if status != 200 or not path.endswith((".js", ".css")) or path in self._paths:
            return False
        if len(self._paths) >= self.limit or not self.VERSION.fullmatch(query or ""):
            return False
        self._paths[path] = f"{path}?{query}" if query else path
        self.files = tuple(self._paths.values())
        return True


END_AFTER = 30.0  # seconds from a stored sheet to the end of its page's kernel
OPENING_WAIT = 15.0  # seconds a page waits in the server for its turn before it gets the "please wait" page
QUEUE = "queue"  # the key of a waiting ticket's place in the queue (never passed on to the kernel)
STOP_GRACE = 2.5  # seconds a stopping server waits for sheets being stored and pages being opened


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

    Hardening (``zuofeng.collect.webguard``): ``attempts`` (an ``AttemptLimit``, default one with the
    standard limits) counts wrong 答题码 per client, and answers 429 beyond them without asking the desk;
    with ``behind_proxy`` the client is the address a reverse proxy on this machine names in ``X-Real-IP``
    (tornado's ``xheaders``), and cookies are ``Secure`` when the proxy says the browser used https. Both
    pages carry a Content-Security-Policy with a nonce per response; every POST needs the XSRF token
    (tornado's ``_xsrf`` cookie and field; Voilà's page sends it with its kernel's shutdown); every cookie
    a respondent gets lasts for the browser session only. SIGINT and SIGTERM stop the server within
    ``stop_grace`` seconds and a little more: it stops listening at once, lets sheets being stored and
    pages being opened finish (at most ``stop_grace`` seconds), then ends every kernel at once.
    """
    import asyncio
    import logging
    import os
    from urllib.parse import urlencode

    import tornado.web
    from jupyter_server.base.handlers import FileFindHandler
    from jupyter_server.utils import url_path_join
    from tornado.ioloop import IOLoop
    from voila.app import Voila
    from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
    from voila.tornado.handler import TornadoVoilaHandler

    from ..errors import ZuofengError
    from .survey_text import TEXT, token_message
    from .webguard import ROUTE_COOKIE, WORKER_POLICY, AttemptLimit, Noncer, entry_policy, nonce, survey_policy

    log = logging.getLogger(__name__)
    code = round_info["code"]
    opening_limit = opening_cap if opening_cap is not None else 2 * (os.cpu_count() or 1)
    opening = {"now": 0, "manager": None, "loop": None, "stopping": False}
    attempts = attempts if attempts is not None else AttemptLimit()

    def busy() -> bool:
        if opening_limit and opening["now"] >= opening_limit:
            return True
        return bool(live_cap and opening["manager"] is not None and pages_in_use(opening["manager"]) >= live_cap)

    queue = OpeningQueue(busy)
    learned = PrefetchList()  # what the survey pages loaded: what the entry page has phones fetch early

    def stored(pid: int) -> None:  # in a desk thread, after the sheet of the kernel ``pid`` was stored
        loop, km = opening["loop"], opening["manager"]
        if loop is not None and km is not None:
            loop.add_callback(end_kernel, km, pid)

    async def end_kernel(km, pid: int) -> None:
        await asyncio.sleep(end_after)  # the thank-you reaches the page meanwhile
        for kernel_id in list(km.list_kernel_ids()):
            provisioner = getattr(km._kernels.get(kernel_id), "provisioner", None)
            if getattr(provisioner, "pid", None) == pid:
                try:
                    await km.shutdown_kernel(kernel_id)
                except Exception as e:  # noqa: BLE001 -- gone meanwhile, or already shutting down
                    log.warning("could not end a finished page's kernel: %s", type(e).__name__)
                return

    if desk is not None:
        desk.on_stored = stored

    def private(handler) -> None:
        handler.set_header("Cache-Control", "no-store")
        handler.set_header("Referrer-Policy", "no-referrer")
        handler.set_header("X-Content-Type-Options", "nosniff")

    def session_cookie(handler, name: str, value: str, **kwargs) -> None:
        """A cookie for this browser session only (no Expires, no Max-Age), Secure over https."""
        handler.set_cookie(name, value, httponly=True, secure=handler.request.protocol == "https", **kwargs)

    class EntryHandler(tornado.web.RequestHandler):
        def set_default_headers(self):
            private(self)
            self.set_header("X-Frame-Options", "DENY")
            self._zf_nonce = nonce()
            self.set_header("Content-Security-Policy", entry_policy(self._zf_nonce))

        def page(self, message: str = "", status: int = 200) -> None:
            if self.get_cookie(ROUTE_COOKIE) is None:  # what a proxy's sticky routing hashes (``deploy/``)
                session_cookie(self, ROUTE_COOKIE, nonce(), path=self.settings.get("base_url", "/"), samesite="Lax")
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(entry_page(round_info, lang=lang, message=message, n_items=n_items, prefetch=learned.files,
                                   xsrf=self.xsrf_form_html(), script_nonce=self._zf_nonce))

        def write_error(self, status_code, **kwargs):
            # a POST without the form's XSRF token (a page from before a restart, another site's form)
            self.page(ENTRY_TEXT[lang]["expired"], status_code if status_code < 500 else 503)

        def log_exception(self, typ, value, tb):  # an XSRF refusal is not the server's fault: no traceback
            if not isinstance(value, tornado.web.HTTPError):
                log.error("entry: %s", typ.__name__ if typ else "error")

        def get(self):
            self.page(ENTRY_TEXT[lang]["expired"] if self.get_query_argument("expired", None) else "")

        async def post(self):
            if opening["stopping"]:
                return self.page(ENTRY_TEXT[lang]["stopping"], 503)
            client = self.request.remote_ip or ""
            if not attempts.take(client):  # too many wrong 答题码: no token check, no kernel
                wait = attempts.retry_after(client)
                self.set_header("Retry-After", str(wait))
                return self.page(ENTRY_TEXT[lang]["limit"].format(s=wait), 429)
            token = self.get_body_argument("token", "")
            try:
                scope, hashed = await IOLoop.current().run_in_executor(None, desk.backend.check, code, token)
            except ZuofengError as e:
                return self.page(token_message(e, lang))
            except Exception as e:  # noqa: BLE001 -- nothing typed is logged, only the kind of failure
                attempts.give_back(client)  # the server failed, not the respondent
                log.error("entry: token check failed with %s", type(e).__name__)
                return self.page(TEXT[lang]["system_error"], 503)
            attempts.give_back(client)
            ticket = desk.tickets.issue({"scope": {"round": scope.round, "kind": scope.kind, "rater": scope.rater,
                                                   "target": scope.target}, "hash": hashed})
            session_cookie(self, COOKIE, ticket, path=url_path_join(self.settings.get("base_url", "/"), "survey"),
                           samesite="Strict")
            self.redirect("survey", status=303)

    def log_request(handler) -> None:
        # server errors only, by method and route: no client address, no query, and no line per
        # refused 答题码 or XSRF token (tornado logs every 4xx with the client's address by default)
        if handler.get_status() >= 500:
            log.error("%d %s %s", handler.get_status(), handler.request.method, handler.request.path[:80])

    def pages_in_use(km) -> int:
        """Kernels not waiting in the preheated pool (a pool kernel still starting counts as in use)."""
        pooled = set()
        for tasks in getattr(km, "_pools", {}).values():
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is None:
                    pooled.add(task.result().get("kernel_id"))
        return len(set(km.list_kernel_ids()) - pooled)

    class SurveyHandler(TornadoVoilaHandler):
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
            private(self)
            cookie_path = url_path_join(self.settings.get("base_url", "/"), "survey")
            grant = desk.tickets.take(self.get_cookie(COOKIE))
            self.clear_cookie(COOKIE, path=cookie_path)
            if grant is None:  # no token was checked for this browser: no kernel
                return self.redirect("./?expired=1", status=303)
            seq = grant.pop(QUEUE, None)
            if seq is None:
                seq = queue.place()
            opening["manager"], opening["loop"] = self.kernel_manager, IOLoop.current()
            opened = await queue.wait(seq, OPENING_WAIT)
            if getattr(self, "_zf_gone", False):
                return queue.wake()  # the browser left while it waited: no kernel, the next one goes
            if not opened:
                # a fresh ticket for every wait, so that a long queue does not outlast the ticket; it
                # keeps this respondent's place
                session_cookie(self, COOKIE, desk.tickets.issue({**grant, QUEUE: seq}), path=cookie_path,
                               samesite="Strict")
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.set_header("Refresh", "3")
                return self.finish(waiting_page(lang))
            self.request.query = urlencode({"zf_ticket": desk.tickets.issue(grant)})  # to the kernel only
            opening["now"] += 1
            try:
                await super().get(path)
            finally:
                opening["now"] -= 1
                queue.wake()  # the first page in line goes now

        def on_connection_close(self):
            self._zf_gone = True
            super().on_connection_close()

    class WorkerHandler(tornado.web.RequestHandler):
        def get(self):
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.set_header("Cache-Control", "no-cache")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Content-Security-Policy", WORKER_POLICY)
            self.finish(worker_script(learned.files))

    def learn(handler) -> None:
        learned.learn(handler.request.path, handler.request.query, handler.get_status())

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

    class SurveyVoila(Voila):
        opening_cap = opening_limit  # pages being opened at once (0: no cap)
        page_cap = live_cap  # survey pages open at once (0: no cap)

        def init_settings(self):
            settings = super().init_settings()
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
            import signal

            try:
                self.http_server = self.app.listen(self.port, self.ip, xheaders=behind_proxy)
            except OSError as e:
                raise ZuofengError(f"cannot listen on {self.ip}:{self.port}: {e.strerror}") from None
            self.ioloop = IOLoop.current()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self._zf_signal)
            try:
                self.ioloop.start()
            finally:
                self.stop()

        def _zf_signal(self, sig, frame):
            if opening["stopping"]:  # a second signal: stop now
                self.ioloop.add_callback_from_signal(self.ioloop.stop)
            else:
                opening["stopping"] = True
                self.ioloop.add_callback_from_signal(self._zf_stop)

        async def _zf_stop(self):
            """Stop listening; let sheets being stored and pages being opened finish; end every kernel at once."""
            self.http_server.stop()
            loop = asyncio.get_running_loop()
            end = loop.time() + stop_grace
            def busy() -> bool:
                return opening["now"] > 0 or (desk is not None and desk.busy > 0)

            await asyncio.sleep(min(0.3, stop_grace))  # a click on 提交 on its way through a kernel reaches the desk
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
                elif route[1] is MultiStaticFileHandler:
                    routes.append((route[0], CachedStaticFileHandler, *route[2:]))
                elif route[1] is FileFindHandler and "labextensions" in route[0]:
                    routes.append((route[0], LabExtensionHandler, *route[2:]))
                elif route[1] is TemplateStaticFileHandler:
                    routes.append((route[0], TemplateFileHandler, *route[2:]))
                else:
                    routes.append(route)
            if voila_page is None:
                raise ZuofengError("this Voilà serves no notebook page")
            base = self.server_url
            return [(url_path_join(base, "/"), EntryHandler), (url_path_join(base, "/start"), EntryHandler),
                    (url_path_join(base, "/" + WORKER_NAME), WorkerHandler),
                    (url_path_join(base, "/survey"), SurveyHandler, *voila_page[2:]), *routes]

    return SurveyVoila


def waiting_page(lang: str = "zh") -> str:
    """The "please wait" page shown while the cap on live kernels is reached (reloads every 3 s)."""
    text = ENTRY_TEXT[lang]["busy"]
    return (f'<!DOCTYPE html><html lang="{LANG_ATTR[lang]}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_esc(text)}</title>'
            f'<style>{ENTRY_CSS}</style></head><body><main><p class="zf-note" id="zf-wait">{_esc(text)}</p>'
            f'</main></body></html>')
