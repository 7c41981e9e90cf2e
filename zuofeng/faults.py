"""What a write that the machine refused tells the user: a full disk or a read-only store or folder.

Every write path (a survey submission, ``zuofeng import``, ``ledger import``, a report batch, a backup)
meets the same two faults of the machine, and each is said in one sentence, never as a traceback:
what was not written, that nothing was half-written, and what to do. ``write_fault`` recognises them
in an ``OSError``, a DB-API error of SQLite or PostgreSQL, or SQLAlchemy's wrapper of one, and
returns a ``StoreWriteError`` carrying that sentence (``None`` for anything else, which the caller
lets through as before).
"""

from __future__ import annotations

import errno
import os

from .errors import StoreError

# (the fault, the language) → the sentence; {what} names what was not written
TEXT = {
    "full": {
        "zh": "磁盘空间已满，{what}没有写入，也没有留下写了一半的内容：请腾出磁盘空间后重试。",
        "en": "the disk is full: {what} could not be written, and nothing is left half-written; free some space and try again",
    },
    "readonly": {
        "zh": "存储位置是只读的，{what}没有写入，也没有留下写了一半的内容：请检查数据库文件或文件夹的写入权限。",
        "en": "the store or folder is read-only: {what} could not be written, and nothing is left half-written; "
              "check that the database file or folder can be written",
    },
}

WHAT = {
    "data": {"zh": "数据", "en": "the data"},
    "backup": {"zh": "备份", "en": "the backup"},
    "reports": {"zh": "报告", "en": "the reports"},
    "file": {"zh": "文件", "en": "the file"},
}

_FULL_ERRNO = {errno.ENOSPC, errno.EDQUOT}
_READONLY_ERRNO = {errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite's result texts (sqlite3 carries no code in older Pythons) and PostgreSQL's SQLSTATEs
_SQLITE_FULL = ("database or disk is full", "disk is full")
_SQLITE_READONLY = ("attempt to write a readonly database", "readonly database", "unable to open database file")
_PG_FULL = {"53100"}  # disk_full
_PG_READONLY = {"25006"}  # read_only_sql_transaction


class StoreWriteError(StoreError):
    """A write the machine refused (``fault``: ``full`` or ``readonly``); nothing was written.

    >>> e = StoreWriteError("full", "data")
    >>> e.message
    '磁盘空间已满，数据没有写入，也没有留下写了一半的内容：请腾出磁盘空间后重试。'
    >>> e.in_lang("en")
    'the disk is full: the data could not be written, and nothing is left half-written; free some space and try again'
    """

    def __init__(self, fault: str, what: str = "data", lang: str = "zh"):
        self.fault, self.what = fault, what
        super().__init__(self.in_lang("zh"), self.in_lang("en"))
        if lang == "en":
            self.message = self.en

    def in_lang(self, lang: str) -> str:
        lang = "en" if lang == "en" else "zh"
        return TEXT[self.fault][lang].format(what=WHAT.get(self.what, WHAT["data"])[lang])

    def __reduce__(self):
        return (self.__class__, (self.fault, self.what))


def fault_of(error: BaseException, folder=None, denied: bool = True) -> str | None:
    """``"full"``, ``"readonly"`` or None for an error raised by a write.

    SQLite answers some writes on a full disk (growing its shared-memory file) with a plain "disk I/O
    error": with ``folder`` (where the store lives) given, that error counts as a full disk when the
    folder's file system has less than ``LOW_SPACE`` bytes free, and as nothing known otherwise.
    ``denied`` counts a permission denied as read-only: true where the error came from a write, false
    where it may come from reading an input file (which is then no fault of the store).

    >>> fault_of(OSError(28, "No space left on device")), fault_of(OSError(30, "Read-only file system"))
    ('full', 'readonly')
    >>> import sqlite3
    >>> fault_of(sqlite3.OperationalError("database or disk is full")), fault_of(ValueError("x"))
    ('full', None)
    """
    orig = getattr(error, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
    if orig is not None and orig is not error:
        return fault_of(orig, folder, denied)
    if isinstance(error, OSError) and error.errno is not None:
        if error.errno in _FULL_ERRNO:
            return "full"
        if error.errno == errno.EROFS or (denied and error.errno in _READONLY_ERRNO):
            return "readonly"
        return None
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if state in _PG_FULL:
        return "full"
    if state in _PG_READONLY:
        return "readonly"
    text = str(error).strip().lower()
    if any(t in text for t in _SQLITE_FULL) or "no space left on device" in text:
        return "full"
    if any(t in text for t in _SQLITE_READONLY) or "read-only file system" in text:
        return "readonly"
    if folder is not None and "disk i/o error" in text and free_bytes(folder) < LOW_SPACE:
        return "full"
    return None


LOW_SPACE = 1 << 20


def free_bytes(folder) -> int:
    """Bytes an ordinary user may still write in ``folder``'s file system (a large number if unknown)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return 1 << 62
    return st.f_bavail * st.f_frsize


def write_fault(error: BaseException, what: str = "data", folder=None, denied: bool = True) -> StoreWriteError | None:
    """The one-sentence error for a full disk or a read-only store, or None for any other error."""
    fault = fault_of(error, folder, denied)
    return None if fault is None else StoreWriteError(fault, what)
