"""One error hierarchy. The CLI turns any ZuofengError into one line and exit code 2.

A user error is said in Chinese (the default) and English: ``raise RoundError(zh, en)``. ``message``
(and ``str(e)``) is the Chinese sentence, ``en`` the English one, and ``in_lang(lang)`` picks one
for ``--lang``. An error raised with one text only says that text in both languages; a test
(tests/test_error_lang.py) keeps every ``raise`` in the package giving both.

>>> e = RoundError("轮次 R1 不存在", "round R1 does not exist")
>>> e.message, e.in_lang("en"), str(e)
('轮次 R1 不存在', 'round R1 does not exist', '轮次 R1 不存在')
"""

from __future__ import annotations


class ZuofengError(Exception):
    """A user error: bad input, wrong state, unreachable store. Never a bug."""

    def __init__(self, message: str, en: str | None = None):
        super().__init__(message)
        self.message = message
        self.en = message if en is None else en

    def in_lang(self, lang: str) -> str:
        """The sentence in ``lang`` (``"en"``; anything else is Chinese)."""
        return self.en if lang == "en" else self.message

    def __reduce__(self):  # survive pickling into worker processes
        return (self.__class__, (self.message, self.en))

    def _render_traceback_(self) -> list[str]:
        """IPython (JupyterLab, papermill) shows a user error as this one line instead of a traceback."""
        return [f"{type(self).__name__}: {self.message}"]


class InstrumentError(ZuofengError):
    """The instrument file is malformed; the message names the bad field."""


class InputFileError(ZuofengError):
    """An input file (roster, import) is missing, unreadable or has bad rows."""


class RoundError(ZuofengError):
    """Unknown round, duplicate round, or a round in the wrong state."""


class StoreError(ZuofengError):
    """The database cannot be reached or is not a zuofeng store."""


class TokenError(ZuofengError):
    """A token is unknown, used, of another round, or its round is closed."""
