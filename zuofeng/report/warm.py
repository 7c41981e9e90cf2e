"""A papermill engine that keeps one warm kernel per worker process.

Papermill normally starts a kernel for every notebook and the kernel imports pandas, seaborn and the
package again: about two seconds before the first chart. ``WarmEngine`` (registered with papermill as
``zuofeng-warm``) instead keeps a kernel per process, imports the report stack in it once
(``kernelside.prepare``) and, before each notebook, resets it (``kernelside.reset``): the user
namespace is cleared and checked, matplotlib settings, working folder, environment and warning
filters are restored. Papermill still does everything else — parameters, cell metadata, the executed
notebook, the error banner on a failed cell — so the executed notebooks stay the product.

A notebook that times out, kills its kernel or fails the namespace check gets a fresh kernel next
time; a kernel whose notebook failed with an ordinary error is replaced too, to be safe.
"""

from __future__ import annotations

import atexit
import logging
import subprocess
import time

from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "zuofeng-warm"
log = logging.getLogger("zuofeng.report")

_PREPARE = "__import__('zuofeng.report.kernelside', fromlist=['prepare']).prepare()"
_RESET = "__import__('zuofeng.report.kernelside', fromlist=['reset']).reset()"


class KernelStateError(RuntimeError):
    """The warm kernel could not be prepared or reset."""


class WarmKernel:
    """One long-lived IPython kernel with its client, used for many notebooks one after the other."""

    def __init__(self, kernel_name: str = "python3", startup_timeout: float = 120):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.notebooks = 0
        self.starts = 0

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.shutdown()
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        # the kernel's own log (e.g. ipykernel's "running over TCP" warning) is not the notebook's output
        run_sync(km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        except Exception:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            raise
        kc.allow_stdin = False
        self.km, self.kc = km, kc
        self.starts += 1
        self.notebooks = 0
        self.run(_PREPARE, timeout=self.startup_timeout)

    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception as e:  # noqa: BLE001 - shutting down anyway
                log.debug("stopping kernel channels: %s", e)
        if km is not None:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception as e:  # noqa: BLE001 - shutting down anyway
                log.debug("stopping the kernel: %s", e)

    def ready(self) -> None:
        """Make sure a prepared kernel is running and reset it for the next notebook."""
        if not self.alive():
            self.start()
        elif self.notebooks:
            try:
                self.run(_RESET, timeout=60)
            except KernelStateError as e:
                log.warning("restarting the report kernel: %s", e)
                self.start()

    # -- running code outside any notebook ------------------------------------------------------
    def run(self, code: str, timeout: float = 60) -> None:
        """Run ``code`` silently; raise KernelStateError when it fails."""
        run_sync(self._run)(code, timeout)

    async def _run(self, code: str, timeout: float) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelStateError(f"kernel did not answer within {timeout:.0f} s")
            try:
                msg = await self.kc.get_shell_msg(timeout=remaining)
            except Exception as e:  # queue.Empty
                raise KernelStateError(f"kernel did not answer within {timeout:.0f} s") from e
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        content = msg["content"]
        if content.get("status") != "ok":
            raise KernelStateError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")
        # Silent requests publish only busy/idle; drain them so nothing spills into the next notebook.
        while True:
            try:
                m = await self.kc.get_iopub_msg(timeout=5)
            except Exception:  # noqa: BLE001 - nothing left
                break
            if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                    and m["content"].get("execution_state") == "idle"):
                break


_KERNELS: dict[str, WarmKernel] = {}


def warm_kernel(kernel_name: str = "python3", startup_timeout: float = 120) -> WarmKernel:
    """The warm kernel of this process for ``kernel_name`` (created, not yet started, on first use)."""
    k = _KERNELS.get(kernel_name)
    if k is None:
        k = _KERNELS[kernel_name] = WarmKernel(kernel_name, startup_timeout)
    return k


def shutdown_all() -> None:
    """Stop every warm kernel of this process."""
    for k in list(_KERNELS.values()):
        k.shutdown()
    _KERNELS.clear()


atexit.register(shutdown_all)


class WarmEngine(NBClientEngine):
    """Papermill engine: execute the notebook in this process's warm kernel (see module docstring)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=120, execution_timeout=None, **kwargs):
        kernel = warm_kernel(kernel_name, start_timeout)
        kernel.ready()
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                             kernel_name=kernel_name, log=logging.getLogger("papermill"),
                             log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final)
        client.kc = kernel.kc
        kernel.notebooks += 1
        try:
            out = client.execute(cleanup_kc=False)
        except BaseException:
            kernel.shutdown()  # timed out, interrupted or dead: never reuse
            raise
        if nb_man.nb.metadata.get("papermill", {}).get("exception"):
            kernel.shutdown()
        return out


papermill_engines.register(ENGINE_NAME, WarmEngine)


def kernel_pid(kernel: WarmKernel) -> int | None:
    """Process id of a running warm kernel (for tests and diagnostics)."""
    if kernel.km is None or kernel.km.provisioner is None:
        return None
    proc = getattr(kernel.km.provisioner, "process", None)
    return getattr(proc, "pid", None)


__all__ = ["ENGINE_NAME", "WarmEngine", "WarmKernel", "kernel_pid", "shutdown_all", "warm_kernel"]
