"""Starting, waiting for and stopping the project's servers (``zuofeng serve``, ``zuofeng console``,
``make lab``, nginx) in a process group of their own, their output in a log file.

``Serve`` is one ``zuofeng serve`` on a free loopback port; ``spawn``/``stop`` any other command.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zuofeng(*args: str) -> list[str]:
    """The command line of ``zuofeng ARGS…`` with this Python (the checkout's package)."""
    return [sys.executable, "-m", "zuofeng", *args]


def spawn(argv: list[str], *, cwd: Path, log: Path, env: dict | None = None) -> subprocess.Popen:
    """Run ``argv`` in a session of its own (``stop`` ends it with everything it started), output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ) if env is None else env)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the process group, SIGKILL after ``timeout`` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 40, host: str = "127.0.0.1",
                  what: str = "zuofeng serve") -> None:
    """Until ``proc`` listens on ``port``; an AssertionError when it exits or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not listen on {port} within {timeout} s")


def wait_for_line(log: Path, proc: subprocess.Popen, pattern: str, timeout: float = 60,
                  what: str = "zuofeng console") -> re.Match:
    """Until ``log`` has a line matching ``pattern``; an AssertionError when ``proc`` exits or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = re.search(pattern, log.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}: {log.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} from {what} within {timeout} s: {log.read_text()}")


def kernels(server: psutil.Process) -> list[psutil.Process]:
    """The Jupyter kernels under a server's process (forked ones included: their command line names ipykernel)."""
    out = []
    for p in server.children(recursive=True):
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


class Serve:
    """``zuofeng serve ROUND`` on a free loopback port of ``host``, its log ``serve-PORT.log`` in ``workdir``.

    ``url`` is its address, ``ps`` its ``psutil.Process``; ``stop()`` ends it and its kernels.
    """

    def __init__(self, workdir: Path, db: str, *, round_code: str = "R1", pool: int = 1, idle: int = 5,
                 extra: tuple[str, ...] = (), host: str = "127.0.0.1", port: int | None = None,
                 timeout: float = 60):
        self.port = port or free_port()
        self.pool, self.host = pool, host
        self.url = f"http://{host}:{self.port}/"
        self.log = Path(workdir) / f"serve-{self.port}.log"
        self.proc = spawn(zuofeng("serve", round_code, "--db", db, "--host", host, "--port", str(self.port),
                                  "--pool-size", str(pool), "--idle-timeout", str(idle), *extra),
                          cwd=Path(workdir), log=self.log)
        self.pid = self.proc.pid
        self.ps = psutil.Process(self.proc.pid)
        try:
            wait_for_port(self.port, self.proc, timeout=timeout, host=host)
        except BaseException:
            self.stop()
            raise

    def kernels(self) -> list[psutil.Process]:
        return kernels(self.ps)

    def wait_for_pool(self, timeout: float = 60, settle: float = 3) -> None:
        """Until the preheated pool is full, then ``settle`` seconds more (its kernels run the notebook)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and len(self.kernels()) < self.pool:
            time.sleep(0.5)
        time.sleep(settle if self.pool else 0.5)

    def stop(self, timeout: float = 30) -> None:
        stop(self.proc, timeout)
