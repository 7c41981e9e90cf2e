"""Kernels forked from a warm process: a survey kernel starts in a fraction of the CPU time.

A new Python kernel spends most of its start importing ipykernel, IPython, ipywidgets and the survey
module (about 0.4 CPU seconds on the development machine, more than everything else a respondent costs
the kernel). In a meeting room every respondent needs a fresh kernel, and on two cores those imports
alone queue the room up. ``zuofeng serve`` therefore starts one *fork server*: a process that imports all
of that once, holds no thread and no ZeroMQ context, and forks a kernel for each request. The child
takes the kernel's environment and working folder from the request and runs ipykernel's own
application with the connection file Jupyter wrote, exactly as ``python -m ipykernel_launcher`` does.

``ForkProvisioner`` is the Jupyter kernel provisioner that asks the fork server for a kernel (and falls
back to starting a process the ordinary way for any other command, or when the fork server is gone).
Each forked kernel leads its own process group, so signals and shutdowns reach that kernel only. The
fork server reaps its children and ends them all when the server that started it is gone.

Protocol on the private Unix socket: one JSON line each way, ``{"argv": [...], "env": {...}, "cwd":
"..."}`` → ``{"pid": N}`` or ``{"error": "..."}``. Nothing of a request is logged.
"""

from __future__ import annotations

import functools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ...errors import ZuofengError

ENV_FORKSERVER = "ZUOFENG_KERNEL_FORKSERVER"  # the socket's path, in the server process only
PROVISIONER = "zuofeng-fork"
LAUNCHER = ["-m", "ipykernel_launcher"]
MAX_REQUEST = 1 << 20
WARM_IMPORTS = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipywidgets",
                "zuofeng.collect.survey")


# --- the fork server (its own process) -------------------------------------------------------------

def warm_up() -> None:
    """Import what every survey kernel needs, without starting a thread or a ZeroMQ context."""
    import importlib
    for name in WARM_IMPORTS:
        importlib.import_module(name)
    from ...instrument import load_instrument
    load_instrument()
    if threading.active_count() != 1:  # a thread would not survive the fork (nor its locks)
        raise RuntimeError("the kernel fork server must not run threads")


def _show_as_kernel() -> None:
    """Rewrite this process's command line (``/proc/self/cmdline``) to say what it is now: a kernel.

    A forked kernel would otherwise show the fork server's command line in ``ps`` and to every tool
    that counts kernels by their command line. Linux only; elsewhere the line stays as it was.
    """
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end: fields 48 and 49 of stat
        with open("/proc/self/cmdline", "rb") as f:
            program = f.read().split(b"\0", 1)[0]
        text = program + b"\0-m\0ipykernel_launcher\0(forked)\0"
        if len(text) > end - start:
            return
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            mem.seek(start)
            mem.write(text + b"\0" * (end - start - len(text)))
    except (OSError, ValueError, IndexError):
        pass


def _child(request: dict) -> None:
    """In the forked child: become the kernel the request describes; never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        _show_as_kernel()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({k: v for k, v in request["env"].items() if k != ENV_FORKSERVER})
        # the kernel watches its parent, the fork server, and ends with it (ipykernel reads JPY_PARENT_PID
        # when it is imported, which was in the fork server: hence the option)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        sys.argv = ["ipykernel_launcher", *request["argv"][len(LAUNCHER) + 1:],
                    f"--IPKernelApp.parent_handle={os.getppid()}"]
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        from ipykernel.kernelapp import IPKernelApp
        app = IPKernelApp.instance()
        app.initialize()
        # ipywidgets registers its comm targets when it is imported inside a kernel; it was imported
        # in the fork server, where there was none yet
        import ipywidgets
        ipywidgets.register_comm_target()
        app.start()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 -- the child must end here, whatever happened
        code = 1
    finally:
        os._exit(code)


def _valid(request) -> bool:
    return (isinstance(request, dict) and isinstance(request.get("argv"), list)
            and all(isinstance(a, str) for a in request["argv"]) and request["argv"][1:3] == LAUNCHER
            and isinstance(request.get("env"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in request["env"].items())
            and isinstance(request.get("cwd"), str))


def serve_forks(path: str, parent: int) -> None:
    """Fork kernels on request at ``path`` until the process ``parent`` is gone (then end them all)."""
    warm_up()
    old = os.umask(0o077)
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(128)
    children: set[int] = set()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while os.getppid() == parent:
            ready, _, _ = select.select([listener], [], [], 0.2)
            while children:  # reap ended kernels, so that they do not linger as zombies
                try:
                    pid, _status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    children.clear()
                    break
                if pid == 0:
                    break
                children.discard(pid)
            if not ready:
                continue
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                try:
                    request = json.loads(conn.makefile("rb").readline(MAX_REQUEST))
                except (OSError, ValueError):
                    continue
                if not _valid(request):
                    answer = {"error": "not a kernel launch"}
                else:
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        conn.close()
                        _child(request)
                    try:
                        os.setpgid(pid, pid)
                    except OSError:
                        pass  # the child did it first
                    children.add(pid)
                    answer = {"pid": pid}
                try:
                    conn.sendall((json.dumps(answer) + "\n").encode())
                except OSError:
                    pass
    finally:
        for pid in children:
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        listener.close()


class ForkServer:
    """The fork server as a child process of ``zuofeng serve`` (a context manager).

    Parameters
    ----------
    path : str or Path
        The socket to create, inside a private folder.
    """

    def __init__(self, path):
        self.path = str(path)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ForkServer:
        """Start the fork server and wait until it listens; a ZuofengError (one line) when it cannot."""
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, self.path, str(os.getpid())],
                                     stdin=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while not os.path.exists(self.path):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                raise ZuofengError(f"内核 fork 服务没有启动（套接字 {self.path}）",
                                   f"the kernel fork server did not start (socket {self.path})")
            time.sleep(0.05)
        os.environ[ENV_FORKSERVER] = self.path
        return self

    def close(self) -> None:
        if os.environ.get(ENV_FORKSERVER) == self.path:
            del os.environ[ENV_FORKSERVER]
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        Path(self.path).unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --- the server side --------------------------------------------------------------------------------

def request_fork(path: str, argv: list[str], env: dict, cwd: str, timeout: float = 30) -> int:
    """Ask the fork server at ``path`` for a kernel; return its process id (OSError when it cannot)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n").encode())
        s.shutdown(socket.SHUT_WR)
        answer = json.loads(s.makefile("rb").readline(MAX_REQUEST) or b"{}")
    if not isinstance(answer, dict) or not isinstance(answer.get("pid"), int):
        raise OSError(str(answer.get("error", "no answer")) if isinstance(answer, dict) else "bad answer")
    return answer["pid"]


class ForkedKernel:
    """What a provisioner needs of ``subprocess.Popen`` for a kernel that the fork server forked.

    The fork server is the kernel's parent and reaps it; the exit status is not known here (a kernel
    that is gone reports 0).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:
                self.returncode = 0  # the number was reused by someone else's process: ours is gone
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@functools.cache
def provisioner_class():
    """The ``ForkProvisioner`` class (built on demand: jupyter_client is imported by the server only)."""
    import asyncio

    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launch ``python -m ipykernel_launcher`` kernels by forking the warm fork server."""

        async def launch_kernel(self, cmd, **kwargs):
            path = os.environ.get(ENV_FORKSERVER)
            if not path or cmd[1:3] != LAUNCHER:
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = await asyncio.get_running_loop().run_in_executor(None, request_fork, path, cmd, env, cwd)
            except (OSError, ValueError):
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedKernel(pid)
            self.pid = self.pgid = pid
            self.cwd = cwd
            return self.connection_info

    return ForkProvisioner


def use_fork_provisioner() -> None:
    """Make the fork provisioner the default for the kernels this process starts."""
    from importlib.metadata import EntryPoint

    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    factory = KernelProvisionerFactory.instance()
    factory.provisioners[PROVISIONER] = EntryPoint(name=PROVISIONER, value=f"{__name__}:ForkProvisioner",
                                                   group=KernelProvisionerFactory.GROUP_NAME)
    factory.default_provisioner_name = PROVISIONER


def __getattr__(name: str):
    if name == "ForkProvisioner":  # what the entry point above loads
        return provisioner_class()
    raise AttributeError(name)


if __name__ == "__main__":
    serve_forks(sys.argv[1], int(sys.argv[2]))
