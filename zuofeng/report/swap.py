"""Atomic replacement of a report folder.

A batch renders into a temporary folder beside its target and swaps it in at the end, so a killed
batch leaves the previous reports readable. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``
call; elsewhere two renames, with the old folder kept until the new one is in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import ZuofengError
from ..private import DIR_MODE, private_folder

MARKER = "manifest.json"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class ReportFolderError(ZuofengError):
    """The output folder cannot be used for reports (not ours, locked by another batch)."""


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with renameat2; False when the platform cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def check_target(target: Path) -> None:
    """Refuse to replace a folder that is not a previous zuofeng report (we would delete it)."""
    if target.exists() and not target.is_dir():
        raise ReportFolderError(f"--out {target} 是文件：请给出存放报告的文件夹",
                                f"--out {target} is a file; give a folder for the reports")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise ReportFolderError(f"--out {target} 是有其他内容的文件夹：请给一个新的或空的文件夹（或 zuofeng report 写过的文件夹）",
                                f"--out {target} is a folder with other content; give a new or empty folder "
                                "(or one written by zuofeng report)")


def staging_folder(target: Path) -> Path:
    """A fresh temporary folder beside ``target`` (same file system, so the swap is a rename)."""
    private_folder(target.parent)
    tmp = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir(mode=DIR_MODE)
    os.chmod(tmp, DIR_MODE)
    return tmp


def swap_in(staged: Path, target: Path) -> None:
    """Put ``staged`` at ``target``; the previous ``target`` (if any) is removed afterwards."""
    if not target.exists():
        os.rename(staged, target)
        return
    if _exchange(staged, target):
        shutil.rmtree(staged, ignore_errors=True)  # now holds the previous reports
        return
    old = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
    os.rename(target, old)
    os.rename(staged, target)
    shutil.rmtree(old, ignore_errors=True)


def remove_leftovers(target: Path) -> list[Path]:
    """Delete staging folders of earlier batches that were killed (call while holding the lock)."""
    gone = []
    if target.parent.is_dir():
        for p in target.parent.glob(f".{target.name}.*-*"):
            if p.is_dir() and (".tmp-" in p.name or ".old-" in p.name):
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


@contextmanager
def batch_lock(target: Path, wait: float = 10.0):
    """Hold an exclusive lock for one target folder; a second batch for it fails after ``wait`` seconds
    (the grace lets the processes of a batch that was just killed finish dying)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, leftovers are still cleaned
            fcntl = None
        deadline = time.monotonic() + wait
        while fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise ReportFolderError(
                        f"另一批报告正在写入 {target}：请等它完成",
                        f"another report batch is writing {target}; wait for it to finish") from None
                time.sleep(0.2)
        yield
