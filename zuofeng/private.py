"""Owner-only files: the store and its ``-wal``/``-shm`` files, backups, the token key, slips, exports,
snapshots and report folders hold answers, keys or figures on small groups.

Everything zuofeng creates of these is mode 0600 (files) or 0700 (folders), whatever the umask: the
writers create them inside ``owner_only()``, which sets the umask to 077 for the block, so a file is
private from the moment it exists, before any data is written (a ``chmod`` afterwards would leave an
instant in which another user could open it). Processes started inside the block (report workers)
inherit that umask. The umask belongs to the whole process: zuofeng creates these files from one
thread at a time.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


@contextmanager
def owner_only() -> Iterator[None]:
    """Files and folders created in this block are readable and writable by their owner only.

    >>> import tempfile, pathlib
    >>> with owner_only():
    ...     folder = pathlib.Path(tempfile.mkdtemp()) / "reports"
    ...     folder.mkdir()
    ...     _ = (folder / "index.html").write_text("<p>", encoding="utf-8")
    >>> oct(folder.stat().st_mode & 0o777), oct((folder / "index.html").stat().st_mode & 0o777)
    ('0o700', '0o600')
    """
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def private_folder(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents) owner-only if it does not exist; return it."""
    path = Path(path)
    with owner_only():
        path.mkdir(parents=True, exist_ok=True)
    return path


def readable_by_others(path: str | os.PathLike) -> bool:
    """True when the group or other users may read ``path``."""
    return bool(os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH))


def warn_if_readable_by_others(path: str | os.PathLike, what: str) -> bool:
    """Log one warning line when ``path`` or its SQLite companions (``-wal``, ``-shm``, ``-journal``) can
    be read by other users; return whether it warned."""
    path = Path(path)
    shared = [p for p in [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))]
              if p.is_file() and readable_by_others(p)]
    if not shared:
        return False
    mode = oct(shared[0].stat().st_mode & 0o777)[2:]
    log.warning("%s %s can be read by other users (mode %s): chmod 600 '%s'*", what, shared[0], mode, path)
    return True
