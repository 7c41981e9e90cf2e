"""Survey kernels forked from a warm process (``zuofeng.collect.server.forkserver``)."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time

import psutil
import pytest

from zuofeng.collect.server import forkserver as fk


@pytest.fixture
def forks(tmp_path):
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    with fk.ForkServer(folder / "fork.sock") as server:
        fk.use_fork_provisioner()
        yield server
    from jupyter_client.provisioning.factory import KernelProvisionerFactory
    KernelProvisionerFactory.instance().default_provisioner_name = "local-provisioner"


def gone(pid: int, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                time.sleep(0.1)
                continue
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


async def run_kernel(tmp_path, code: str, env: dict | None = None):
    """Start a kernel as Jupyter does, run ``code``, return (provisioner, process, stdout text, manager)."""
    from jupyter_client.manager import AsyncKernelManager
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", connection_file=str(tmp_path / "k.json"))
    await km.start_kernel(env={**os.environ, **(env or {})}, cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = await kc.execute_interactive(code, timeout=60, output_hook=hook)
    assert reply["content"]["status"] == "ok"
    proc = psutil.Process(km.provisioner.pid)
    kc.stop_channels()
    return km, proc, "".join(out)


def test_a_kernel_is_forked_from_the_warm_process_and_works(forks, tmp_path):
    code = ("import os, ipywidgets, sys\n"
            "print(os.getcwd(), os.environ.get('ZF_PROBE'), os.environ.get('ZUOFENG_KERNEL_FORKSERVER'),\n"
            "      'jupyter.widget.control' in get_ipython().kernel.comm_manager.targets,\n"
            "      'zuofeng.collect.survey' in sys.modules)")

    async def main():
        km, proc, out = await run_kernel(tmp_path, code, env={"ZF_PROBE": "probe-7"})
        try:
            assert type(km.provisioner).__name__ == "ForkProvisioner"
            assert proc.ppid() == forks.proc.pid  # forked, not started as a new Python
            assert "ipykernel_launcher" in proc.cmdline()  # what ps (and whoever counts kernels) sees
            assert os.getpgid(proc.pid) == proc.pid  # its own process group: signals reach it alone
            # its own working folder and environment; the widgets' comm targets are there; the survey
            # module came imported; the fork server's address is not passed on
            assert out.split() == [str(tmp_path), "probe-7", "None", "True", "True"]
        finally:
            await km.shutdown_kernel()
        assert gone(proc.pid)  # ended and reaped by the fork server, no zombie left
        assert forks.proc.poll() is None  # the fork server lives on

    asyncio.run(main())


def test_the_fork_server_socket_is_private_and_refuses_other_commands(forks):
    assert stat.S_IMODE(os.stat(forks.path).st_mode) & 0o077 == 0
    with pytest.raises(OSError):
        fk.request_fork(forks.path, [sys.executable, "-c", "print(1)"], dict(os.environ), "/")


def test_another_command_is_started_the_ordinary_way(forks, tmp_path):
    """A kernel spec that is not ipykernel's launcher is not forked (the provisioner falls back)."""
    provisioner = fk.provisioner_class()

    async def main():
        p = provisioner(kernel_id="k", kernel_spec=None, parent=None)
        p.connection_info = {}
        await p.launch_kernel([sys.executable, "-c", "import time; time.sleep(30)"], env=dict(os.environ))
        try:
            assert psutil.Process(p.pid).ppid() == os.getpid()
        finally:
            await p.kill()
            await p.wait()

    asyncio.run(main())


def test_closing_the_fork_server_ends_its_kernels(tmp_path):
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    server = fk.ForkServer(folder / "fork.sock").start()
    try:
        fk.use_fork_provisioner()

        async def main():
            return await run_kernel(tmp_path, "print('up')")

        _km, proc, out = asyncio.run(main())
        assert out.strip() == "up" and proc.ppid() == server.proc.pid
    finally:
        server.close()
        from jupyter_client.provisioning.factory import KernelProvisionerFactory
        KernelProvisionerFactory.instance().default_provisioner_name = "local-provisioner"
    assert gone(proc.pid)
    assert not os.path.exists(server.path)


def test_a_fork_server_that_cannot_start_is_one_clear_error(tmp_path):
    from zuofeng.errors import ZuofengError
    server = fk.ForkServer(tmp_path / "no-such-folder" / "fork.sock")
    with pytest.raises(ZuofengError, match="内核 fork 服务没有启动") as e:
        server.start(timeout=30)
    assert "the kernel fork server did not start" in e.value.en
    assert server.proc.poll() is not None  # nothing left running
    assert fk.ENV_FORKSERVER not in os.environ
