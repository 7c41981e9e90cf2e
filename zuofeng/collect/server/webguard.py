"""What guards the HTTP side of ``zuofeng serve``: attempts per client, the pages' script policy, cookies.

- ``AttemptLimit``: every client (a network address; an IPv6 client by its /64, which one machine
  usually holds whole) may enter ``burst`` wrong 答题码 at once and one more every ``refill`` seconds.
  Beyond it the entry page answers 429 with a Chinese sentence, before the collection desk is asked, so
  no token is checked and no kernel starts. An attempt is counted when it arrives and given back when the
  答题码 was valid, so a burst of parallel guesses cannot pass while the first ones are being checked, and
  a meeting room behind one address loses nothing to its valid codes.
- ``entry_policy`` / ``survey_policy``: the Content-Security-Policy of the two pages. Scripts run only
  from this server's files and from the inline scripts of the response itself, which carry a random
  nonce made for that response (``Noncer`` adds it to every ``<script`` tag Voilà writes).
- Cookies a respondent's browser gets are session cookies (no ``Expires``, no ``Max-Age``): closing the
  browser forgets them, and nothing stays on a shared phone for 30 days.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import threading
import time
from collections import OrderedDict

ATTEMPT_BURST = 20  # wrong 答题码 a client may enter in a row
ATTEMPT_REFILL = 3.0  # seconds until a client may enter one more (20 a minute once the burst is spent)
MAX_CLIENTS = 100_000  # clients remembered at once (the longest unseen is forgotten first)
ROUTE_COOKIE = "zf_route"  # a random value per browser, for a proxy's sticky routing (``deploy/``)


def client_key(address: str) -> str:
    """The key a client's attempts are counted under: its IPv4 address, or the /64 of its IPv6 address.

    >>> client_key("192.0.2.7"), client_key("2001:db8:1:2:3:4:5:6"), client_key("::ffff:192.0.2.7")
    ('192.0.2.7', '2001:db8:1:2::/64', '192.0.2.7')
    """
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or "?"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class AttemptLimit:
    """Wrong 答题码 per client: a bucket of ``burst`` attempts that refills one every ``refill`` seconds.

    Parameters
    ----------
    burst : int
        Attempts a client may make at once; 0 turns the limit off.
    refill : float
        Seconds until one more attempt is allowed.
    clock : callable
        Monotonic clock (tests pass their own).
    max_clients : int
        Clients remembered at once; beyond it the one unseen for longest is forgotten.
    """

    def __init__(self, burst: int = ATTEMPT_BURST, refill: float = ATTEMPT_REFILL, clock=time.monotonic,
                 max_clients: int = MAX_CLIENTS):
        self.burst, self.refill, self.clock, self.max_clients = burst, refill, clock, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (attempts left, when)
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        left, when = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), left + (now - when) / self.refill)

    def take(self, address: str) -> bool:
        """Count one attempt of the client at ``address``; False (nothing counted) when it has none left."""
        if self.burst <= 0:
            return True
        key, now = client_key(address), self.clock()
        with self._lock:
            left = self._level(key, now)
            if left < 1:
                return False
            self._buckets[key] = (left - 1, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return True

    def give_back(self, address: str) -> None:
        """Return the attempt of a valid 答题码: only wrong ones count against the client."""
        if self.burst <= 0:
            return
        key, now = client_key(address), self.clock()
        with self._lock:
            if key in self._buckets:
                left = self._level(key, now) + 1
                if left >= self.burst:
                    del self._buckets[key]  # a full bucket need not be remembered
                else:
                    self._buckets[key] = (left, now)

    def retry_after(self, address: str) -> int:
        """Whole seconds until the client at ``address`` may try again (at least 1)."""
        key, now = client_key(address), self.clock()
        with self._lock:
            left = self._level(key, now)
        return max(1, int((1 - left) * self.refill + 0.999))

    def __len__(self) -> int:
        return len(self._buckets)


def nonce() -> str:
    """A fresh script nonce (128 random bits)."""
    return secrets.token_urlsafe(16)


COMMON_POLICY = ("default-src 'self'", "base-uri 'none'", "object-src 'none'", "form-action 'self'",
                 "img-src 'self' data:", "font-src 'self' data:")


def entry_policy(script_nonce: str) -> str:
    """The entry page's Content-Security-Policy: its own inline script and style only, no frames."""
    return "; ".join([*COMMON_POLICY, f"script-src 'nonce-{script_nonce}'", f"style-src 'nonce-{script_nonce}'",
                      "worker-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])


def survey_policy(script_nonce: str) -> str:
    """The survey page's Content-Security-Policy: scripts from this server and the response's own inline
    ones; styles may be inline (the widgets set them); the kernel's WebSocket on this server only."""
    return "; ".join([*COMMON_POLICY, f"script-src 'self' 'nonce-{script_nonce}'",
                      "style-src 'self' 'unsafe-inline'", "connect-src 'self'", "worker-src 'self'",
                      "frame-ancestors 'none'"])


WORKER_POLICY = "default-src 'self'; script-src 'none'"  # the service worker's own script fetches only


class Noncer:
    """Add ``nonce="…"`` to every ``<script`` tag of an HTML page written in pieces.

    A tag split between two pieces is held back until the next piece (``feed``) or the end (``close``).
    Voilà writes cell outputs as JSON (``tojson`` escapes ``<``), so ``<script`` appears in its pages
    only as a tag.

    >>> n = Noncer("N"); n.feed("<p>a</p><scr") + n.feed("ipt>x()</script><script src=a.js>") + n.close()
    '<p>a</p><script nonce="N">x()</script><script nonce="N" src=a.js>'
    """

    TAG = re.compile(r"<script(?=[\s>/])", re.IGNORECASE)

    def __init__(self, script_nonce: str):
        self.attr = f'<script nonce="{script_nonce}"'
        self.held = ""

    def feed(self, text: str) -> str:
        text, self.held = self.held + text, ""
        cut = text.rfind("<")
        if cut >= 0 and len(text) - cut < len("<script "):  # maybe a tag's beginning: wait for the rest
            text, self.held = text[:cut], text[cut:]
        return self.TAG.sub(self.attr, text)

    def close(self) -> str:
        text, self.held = self.held, ""
        return self.TAG.sub(self.attr, text)
