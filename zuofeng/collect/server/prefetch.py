"""What the entry page has the phone fetch while the respondent types: the survey's scripts and stylesheets.

The survey page's static files (those it loaded for earlier respondents, ``PrefetchList``) are fetched
through a service worker that keeps them in the browser's cache storage, where the browser also keeps
their compiled code, or, where there is no service worker (plain http to another machine), as ordinary
prefetches.
"""

from __future__ import annotations

import functools
import json
import re

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
    return (WORKER_JS.replace("__CACHE__", js_literal(CACHE_PREFIX + worker_version(files)))
            .replace("__FILES__", js_literal(files)).replace("__PREFIX__", js_literal(CACHE_PREFIX)))


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



def js_literal(value) -> str:
    """A JSON literal safe inside an HTML <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
