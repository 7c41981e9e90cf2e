"""One-time tickets: what a checked 答题码 turns into on its way from the entry page to the page's kernel.

Only a valid, unused token gets a *ticket*: a random, one-time, short-lived string in an HttpOnly cookie
limited to the ``survey`` address. The survey address (Voilà's page) exchanges it for a second one-time
ticket that only the page's kernel can use: the kernel claims it through the collection desk
(``zuofeng.collect.desk``) and gets the token's scope and keyed hash, never the token. Tickets live in
this process's memory only, are removed when used or after ``TICKET_TTL`` seconds, and nothing about
them is logged.
"""

from __future__ import annotations

import secrets
import threading
import time

TICKET_TTL = 300.0  # seconds between the token check and the page's kernel claiming it
COOKIE = "zf_ticket"
QUEUE = "queue"  # the key of a waiting ticket's place in the queue (never passed on to the kernel)


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

