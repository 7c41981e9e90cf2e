"""The queue of survey pages waiting for their turn to open, in order of arrival."""

from __future__ import annotations

import asyncio
import itertools

OPENING_WAIT = 15.0  # seconds a page waits in the server for its turn before it gets the "please wait" page


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
        self.busy, self.poll = busy, poll
        self.waiting: dict[int, object] = {}  # place in the queue → the future that wakes that page
        self._places = itertools.count()

    def place(self) -> int:
        """A new place at the end of the queue."""
        return next(self._places)

    async def wait(self, seq: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the turn of the page at place ``seq``; True when it may open."""
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

