"""The collection desk: one place in ``zuofeng serve`` that checks tokens and stores answer sheets.

Every respondent's page runs in its own kernel. If each kernel opened the store itself, each would
import SQLAlchemy (about 11 MB) and hold its own connection pool while its page is open. Instead the
``zuofeng serve`` process, which has the store open anyway, runs a ``Desk``: a small server on a Unix
socket inside the server's private temporary folder (mode 0700, so only the same user can reach it).
A kernel talks to it through a ``DeskClient``, which needs only the standard library. The desk calls
the same functions as everything else: ``tokens.lookup`` to check a token and ``store.store_sheets``
(the one storage function, one transaction) to store a sheet.

Protocol: one JSON object per connection each way, one line, at most ``MAX_REQUEST`` bytes:
``{"op": "round"}``, ``{"op": "check", "token": ...}``, ``{"op": "claim", "ticket": ...}``,
``{"op": "store", "sheet": {...}}``. ``claim`` exchanges a one-time ticket of the entry page
(``zuofeng.collect.server.entry_page``) for the scope and keyed hash of the token checked there. An answer
is ``{"ok": true, ...}`` or ``{"ok": false, "error": "TokenError", "message": ...}``. The desk logs no
request, no token and no answer; an unexpected failure is logged by its exception type only.

A page that runs outside ``zuofeng serve`` (JupyterLab, papermill, the widget tests) uses a
``DirectBackend`` with the same three methods, which opens the store in the kernel.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Sequence

from .. import errors
from ..axes import TABLE_FORM, outside_mode
from ..errors import ZuofengError
from ..sheet import Sheet, TokenScope

log = logging.getLogger(__name__)

ENV_DESK = "ZUOFENG_SURVEY_DESK"
MAX_REQUEST = 64 * 1024  # a sheet is 22 answers and a suggestion of at most 500 characters: a few KB
TIMEOUT = 60.0
ERRORS = {name: getattr(errors, name) for name in
          ("ZuofengError", "RoundError", "TokenError", "StoreError", "InstrumentError", "InputFileError")}


class DeskUnavailable(Exception):
    """The desk could not be reached or gave no answer (a system error, not the respondent's)."""


# --- what a survey page uses ---------------------------------------------------------------------

class DirectBackend:
    """The store opened in this process (no desk): for JupyterLab, papermill and the widget tests.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine or str or None
        An open engine, or a database URL (default ``$ZUOFENG_DB``) to open one from.
    """

    def __init__(self, engine=None):
        if engine is None or isinstance(engine, str):
            from ..store import open_engine
            engine = open_engine(engine, create=False)
        self.engine = engine

    def round_info(self, round_code: str) -> dict:
        from ..store import get_departments, get_round
        with self.engine.connect() as conn:
            rnd = get_round(conn, round_code)
            depts = get_departments(conn, round_code)
        return _round_info(rnd, depts)

    def check(self, round_code: str, token: str) -> tuple[TokenScope, str]:
        from .tokens import lookup, token_hash
        return lookup(self.engine, round_code, token), token_hash(token)

    def store(self, round_code: str, sheet: Sheet, table: Sequence[Sheet] = ()) -> None:
        """Store a sheet, and the 民主测评 table rows its token opened, in one transaction."""
        from ..store import store_sheets
        store_sheets(self.engine, round_code, [sheet, *table], source="survey")

    def close(self) -> None:
        self.engine.dispose()


class DeskClient:
    """The desk as seen from a respondent's kernel: standard library only.

    Raises the desk's ZuofengError subclasses (same class, same message) and ``DeskUnavailable``
    when the desk cannot be reached.
    """

    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.path, self.timeout = path, timeout

    def _ask(self, request: dict) -> dict:
        data = (json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._connect() as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                raw = _read_line(s.makefile("rb"))
        except (OSError, ValueError) as e:
            raise DeskUnavailable(type(e).__name__) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise DeskUnavailable("unreadable answer") from None
        if not isinstance(answer, dict):
            raise DeskUnavailable("unreadable answer")
        if not answer.get("ok"):
            cls = ERRORS.get(answer.get("error"))
            if cls is None:
                raise DeskUnavailable(str(answer.get("error")))
            raise cls(str(answer.get("message", "")), answer.get("en"))
        return answer

    def _connect(self) -> socket.socket:
        # A full listen queue answers EAGAIN at once on a Unix socket: wait a little and try again.
        deadline = time.monotonic() + self.timeout
        pause = 0.01
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(self.path)
                return s
            except BlockingIOError:
                s.close()
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            except BaseException:
                s.close()
                raise

    def round_info(self, round_code: str) -> dict:
        return self._ask({"op": "round", "round": round_code})["round"]

    def check(self, round_code: str, token: str) -> tuple[TokenScope, str]:
        a = self._ask({"op": "check", "round": round_code, "token": token})
        s = a["scope"]
        return TokenScope(s["round"], s["kind"], s["rater"], s["target"]), a["hash"]

    def claim(self, round_code: str, ticket: str) -> tuple[TokenScope, str]:
        a = self._ask({"op": "claim", "round": round_code, "ticket": ticket})
        s = a["scope"]
        return TokenScope(s["round"], s["kind"], s["rater"], s["target"]), a["hash"]

    def store(self, round_code: str, sheet: Sheet, table: Sequence[Sheet] = ()) -> None:
        self._ask({"op": "store", "round": round_code, "sheet": _sheet_to_json(sheet),
                   "table": [_sheet_to_json(t) for t in table]})

    def close(self) -> None:
        pass


def backend_for(db: str | None = None):
    """The backend a survey page uses: the desk of ``zuofeng serve`` when it announced one in
    ``$ZUOFENG_SURVEY_DESK`` and no database was named explicitly, else the store opened directly."""
    path = os.environ.get(ENV_DESK)
    if db is None and path:
        return DeskClient(path)
    return DirectBackend(db)


# --- the desk ------------------------------------------------------------------------------------

def _peer_pid(sock) -> int | None:
    """The process id at the other end of a Unix socket (Linux), else None."""
    try:
        cred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    pid = struct.unpack("3i", cred)[0]
    return pid if pid > 0 else None


class Desk:
    """Serve token checks and sheet storage for one round's survey pages on a Unix socket.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The store. The desk uses it from several threads (one per request).
    round_code : str
        The only round this desk answers for.
    path : str or Path
        Where to create the socket (inside a private folder).

    Attributes
    ----------
    on_stored : callable or None
        Called with the process id of the page's kernel (where the system tells it) after that kernel's
        sheet was stored: the survey server ends the kernel, which has nothing left to do.
    busy : int
        Requests being answered now (a stopping server waits for them: a sheet being stored is stored).
    """

    def __init__(self, engine, round_code: str, path):
        from .server.tickets import Tickets
        self.backend = DirectBackend(engine)
        self.tickets = Tickets()
        self.round_code = round_code
        self.path = str(path)
        self.on_stored = None
        self.busy = 0
        busy_lock = threading.Lock()
        desk = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = TIMEOUT

            def handle(self):
                try:
                    raw = _read_line(self.rfile)
                except (OSError, ValueError):
                    return
                with busy_lock:
                    desk.busy += 1
                try:
                    answer = desk.answer(raw, peer=_peer_pid(self.request))
                    try:
                        self.wfile.write((json.dumps(answer, ensure_ascii=False) + "\n").encode("utf-8"))
                    except OSError:
                        pass
                finally:
                    with busy_lock:
                        desk.busy -= 1

        class Server(socketserver.ThreadingUnixStreamServer):
            daemon_threads = True
            request_queue_size = 128  # the default 5 refuses a burst of pages (EAGAIN on a Unix socket)

            def handle_error(self, request, client_address):  # never a traceback with request data
                log.error("desk: a request failed")

        old = os.umask(0o077)
        try:
            self.server = Server(self.path, Handler)
        finally:
            os.umask(old)
        self.thread: threading.Thread | None = None

    def answer(self, raw: bytes, peer: int | None = None) -> dict:
        """The answer to one request line from the process ``peer`` (also what the tests call directly)."""
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        if not isinstance(req, dict):
            return {"ok": False, "error": "ZuofengError", "message": "请求无效", "en": "bad request"}
        try:
            if req.get("round") != self.round_code:
                raise errors.RoundError("此服务处理的是另一个轮次", "this desk serves another round")
            op = req.get("op")
            if op == "round":
                return {"ok": True, "round": self.backend.round_info(self.round_code)}
            if op == "check":
                token = req.get("token")
                if not isinstance(token, str):
                    raise errors.TokenError("该答题码对本问卷无效", "this token is not valid for this survey")
                scope, hashed = self.backend.check(self.round_code, token)
                return {"ok": True, "hash": hashed, "scope": {"round": scope.round, "kind": scope.kind,
                                                             "rater": scope.rater, "target": scope.target}}
            if op == "claim":
                grant = self.tickets.take(req.get("ticket"))
                if grant is None:
                    raise errors.TokenError("此凭据无效", "this ticket is not valid")
                return {"ok": True, **grant}
            if op == "store":
                table = req.get("table") or []
                if not isinstance(table, list):
                    raise ZuofengError("答卷格式不对", "bad answer sheet")
                self.backend.store(self.round_code, _sheet_from_json(req.get("sheet")),
                                   [_sheet_from_json(t, table_row=True) for t in table])
                if peer is not None and self.on_stored is not None:
                    try:
                        self.on_stored(peer)
                    except Exception as e:  # noqa: BLE001 -- the sheet is stored: say so whatever happens here
                        log.error("desk: after a stored sheet: %s", type(e).__name__)
                return {"ok": True}
            raise ZuofengError("未知的请求", "unknown request")
        except ZuofengError as e:
            # the nearest class the page knows (a full disk's StoreWriteError is a StoreError)
            name = next(c.__name__ for c in type(e).__mro__ if c.__name__ in ERRORS)
            return {"ok": False, "error": name, "message": e.message, "en": e.en}
        except Exception as e:  # noqa: BLE001 -- nothing a respondent sent is logged, only the kind of failure
            log.error("desk: %s failed with %s", req.get("op") if isinstance(req.get("op"), str) else "request",
                      type(e).__name__)
            return {"ok": False, "error": "SystemError"}

    def start(self) -> Desk:
        self.thread = threading.Thread(target=self.server.serve_forever, name="zuofeng-desk", daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.backend.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --- helpers -------------------------------------------------------------------------------------

def _read_line(stream) -> bytes:
    raw = stream.readline(MAX_REQUEST + 1)
    if len(raw) > MAX_REQUEST:
        raise ValueError("request too long")
    return raw


def _round_info(rnd: dict, departments: dict[str, dict]) -> dict:
    """What a survey page needs of a round: its settings, the departments' names, and what decides
    each department's 民主测评 table (the outside mode, divisions and ``peer_targets``)."""
    keys = ("code", "title", "status", "k_min", "k_comment", "instrument_id", "instrument_version")
    return {**{k: rnd[k] for k in keys}, "outside": outside_mode(rnd),
            "departments": {c: d["name"] for c, d in departments.items()},
            "roster": {c: {"division": d.get("division"), "peer_targets": d.get("peer_targets")}
                       for c, d in departments.items()}}


def _sheet_to_json(s: Sheet) -> dict:
    return {"kind": s.kind, "rater": s.rater, "target": s.target,
            "answers": {str(k): v for k, v in s.answers.items()}, "category": s.category,
            "overall": s.overall, "comment": s.comment, "token_hash": s.token_hash, "form": s.form}


def _sheet_from_json(d, table_row: bool = False) -> Sheet:
    if not isinstance(d, dict) or not isinstance(d.get("answers"), dict):
        raise ZuofengError("答卷格式不对", "bad answer sheet")
    try:
        answers = {int(k): v for k, v in d["answers"].items()}
    except (TypeError, ValueError):
        raise ZuofengError("答卷格式不对", "bad answer sheet") from None
    fields = {k: d.get(k) for k in ("kind", "rater", "target", "category", "overall", "comment", "token_hash")}
    if not all(v is None or isinstance(v, str) for v in fields.values()):
        raise ZuofengError("答卷格式不对", "bad answer sheet")
    if table_row:  # a row of the 民主测评 table rides on the token of the sheet it came with
        if fields["token_hash"] is not None:
            raise ZuofengError("答卷格式不对", "bad answer sheet")
        return Sheet(answers=answers, form=TABLE_FORM, **fields)
    if not fields["token_hash"]:
        raise errors.TokenError("该答题码对本问卷无效", "this token is not valid for this survey")  # a page always stores under a token
    return Sheet(answers=answers, **fields)
