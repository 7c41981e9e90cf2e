"""How many pages one server can hold open: open files and ZeroMQ sockets."""

from __future__ import annotations

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
    from ...messages import say
    asked = max_pages or ("不限" if lang == "zh" else "unlimited")
    echo(say("page_cap", lang, limit=open_file_limit(), room=room, asked=asked))
    return room

