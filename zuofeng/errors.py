"""One error hierarchy. The CLI turns any ZuofengError into one line and exit code 2."""

from __future__ import annotations


class ZuofengError(Exception):
    """A user error: bad input, wrong state, unreachable store. Never a bug."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __reduce__(self):  # survive pickling into worker processes
        return (self.__class__, (self.message,))

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
