"""Serving: the Voilà command line, the private site folder, the checks before starting, the notebook."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from tests.support.server import free_port
from zuofeng.cli import main
from zuofeng.collect.server import limits as lim
from zuofeng.collect.server import serve as sv
from zuofeng.collect.server import survey_site as site
from zuofeng.collect.server import voila_patches as vp
from zuofeng.collect.tokens import issue_tokens
from zuofeng.errors import RoundError, ZuofengError
from zuofeng.rounds import create_round, set_status
from zuofeng.store import open_engine

REPO = Path(__file__).parents[1]


def flag(argv, name):
    values = [a.split("=", 1)[1] for a in argv if a.startswith(f"--{name}=")]
    assert len(values) == 1, (name, argv)
    return values[0]


def test_voila_command_line_hides_sources_binds_explicitly_and_culls(tmp_path):
    argv = site.voila_argv(tmp_path, host="127.0.0.1", port=9999, pool_size=3, idle_timeout=120)
    assert argv[0] == str(tmp_path / "survey" / "survey.ipynb")
    assert flag(argv, "Voila.ip") == "127.0.0.1" and flag(argv, "Voila.port") == "9999"
    assert flag(argv, "Voila.port_retries") == "0"  # a busy port is an error, not another port
    assert flag(argv, "VoilaConfiguration.show_tracebacks") == "False"
    assert flag(argv, "VoilaConfiguration.strip_sources") == "True"
    assert flag(argv, "Voila.log_level") == "WARN"  # no access log lines (URLs) at INFO
    assert flag(argv, "MappingKernelManager.cull_idle_timeout") == "120"
    assert flag(argv, "MappingKernelManager.cull_interval") == "30"  # a closed page's kernel: gone within 150 s
    assert flag(argv, "template") == site.TEMPLATE_NAME
    allowed = [a.split("=", 1)[1] for a in argv if a.startswith("--VoilaConfiguration.extension_allowlist=")]
    assert allowed == ["@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"]
    assert flag(site.voila_argv(tmp_path), "MappingKernelManager.cull_idle_timeout") == "120"  # closed pages: minutes
    assert site.preheat_supported()  # the pinned Voilà 0.5 has the pool
    assert flag(argv, "preheat_kernel") == "True" and flag(argv, "pool_size") == "3"
    cold = site.voila_argv(tmp_path, pool_size=0, idle_timeout=10)
    assert not any(a.startswith("--preheat_kernel") for a in cold)
    assert flag(cold, "MappingKernelManager.cull_interval") == "2"


def test_site_holds_only_the_signed_notebook_a_cdn_free_template_and_a_clean_profile(tmp_path):
    env = site.build_site(tmp_path, "测评<&>", lang="en")
    assert sorted(p.name for p in (tmp_path / "survey").iterdir()) == ["survey.ipynb"]
    nb = nbformat.read(tmp_path / "survey" / "survey.ipynb", as_version=4)
    notary = NotebookNotary(db_file=str(tmp_path / "nbsignatures.db"), secret_file=str(tmp_path / "notebook_secret"))
    assert notary.check_signature(nb)
    assert nb.metadata.title == "测评<&>"
    template = (tmp_path / "jupyter" / "voila" / "templates" / site.TEMPLATE_NAME / "index.html.j2").read_text()
    assert "cdn" not in template.lower() and "https://" not in template
    assert '<html lang="en">' in template and "Opening the survey" in template
    profile = tmp_path / "ipython" / "profile_default"
    assert "HistoryManager.enabled = False" in (profile / "ipython_kernel_config.py").read_text()
    assert not (profile / "startup").exists()
    assert env["IPYTHONDIR"] == str(tmp_path / "ipython")
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(tmp_path / "jupyter")


def test_committed_notebook_is_the_served_one():
    committed = json.loads((REPO / "notebooks" / "survey.ipynb").read_text(encoding="utf-8"))
    generated = site.survey_notebook()
    assert [c["source"] for c in committed["cells"]] == [c["source"] for c in generated["cells"]]
    assert committed["cells"][0]["metadata"]["tags"] == ["parameters"]
    assert all(c["outputs"] == [] for c in committed["cells"])


@pytest.fixture
def store(sqlite_url, roster_file):
    engine = open_engine(sqlite_url)
    create_round(engine, "R1", title="基线测评", roster=roster_file)
    yield engine, sqlite_url
    engine.dispose()


def test_prepare_refuses_what_cannot_take_answers(store, tmp_path):
    engine, url = store
    with pytest.raises(RoundError, match="轮次 R1 状态为草稿，未开放：请先开放") as e:
        sv.prepare("R1", db=url, port=free_port())
    assert e.value.en == "round R1 is draft, not open: open it first (zuofeng round open R1)"
    set_status(engine, "R1", "open")
    with pytest.raises(ZuofengError, match="没有答题码密钥"):
        sv.prepare("R1", db=url, port=free_port())
    issue_tokens(engine, "R1", kind="self")
    with pytest.raises(RoundError, match="轮次 'NOPE' 不存在"):
        sv.prepare("NOPE", db=url, port=free_port())
    with pytest.raises(ZuofengError, match="--lang 必须是 zh 或 en，而不是 'fr'") as e:
        sv.prepare("R1", db=url, lang="fr")
    assert e.value.en == "--lang must be zh or en, not 'fr'"
    with pytest.raises(ZuofengError, match="处没有数据库"):
        sv.prepare("R1", db=f"sqlite:///{tmp_path / 'none.db'}")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ZuofengError, match=f"127.0.0.1 的端口 {port} 已被占用") as e:
            sv.prepare("R1", db=url, port=port)
        assert e.value.en == f"port {port} on 127.0.0.1 is in use; choose another with --port"
    ready = sv.prepare("R1", db=url, port=free_port(), lang="en")
    assert ready["env"] == {"ZUOFENG_SURVEY_ROUND": "R1", "ZUOFENG_DB": url, "ZUOFENG_SURVEY_LANG": "en"}


def test_relative_sqlite_path_becomes_absolute_for_the_kernels(store, tmp_path, monkeypatch):
    engine, _ = store
    set_status(engine, "R1", "open")
    issue_tokens(engine, "R1", kind="self")
    monkeypatch.chdir(tmp_path)
    ready = sv.prepare("R1", db="sqlite:///store.db", port=free_port())
    assert ready["env"]["ZUOFENG_DB"] == f"sqlite:///{tmp_path / 'store.db'}"


def test_cli_serve_on_a_draft_round_is_one_line(store, capsys):
    _, url = store
    code = main(["serve", "R1", "--db", url, "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "轮次 R1 状态为草稿，未开放" in err
    code = main(["serve", "R1", "--db", url, "--port", str(free_port()), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "round R1 is draft, not open" in err


@pytest.mark.slow
def test_survey_notebook_executes_and_shows_the_page(store, tmp_path):
    import papermill as pm
    engine, url = store
    set_status(engine, "R1", "open")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "survey.ipynb"), str(out), kernel_name="python3",
                        parameters={"round_code": "R1", "db": url}, progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    shown = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert len(shown) == 1 and "application/vnd.jupyter.widget-view+json" in shown[0]["data"]
    assert "VBox" in shown[0]["data"]["text/plain"]  # the page itself, not the one-line notice


@pytest.fixture
def culler(monkeypatch):
    """The patched kernel manager with fake kernels, driven through jupyter_server's own culler.

    Returns ``(manager, add)``: ``add(kernel_id, idle_seconds, page=None)`` adds a kernel idle for that
    long whose page never connected (``page=None``), is connected (``"open"``) or connected and left
    (``"left"``). ``manager.shutdown_kernel`` is for the test to set.
    """
    from datetime import timedelta
    from types import SimpleNamespace

    import voila.app
    from jupyter_server._tz import utcnow
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    monkeypatch.setattr(voila.app, "voila_kernel_manager_factory", voila.app.voila_kernel_manager_factory)
    vp.patch_kernel_manager()
    cls = voila.app.voila_kernel_manager_factory(AsyncMappingKernelManager, False, 0)
    manager = cls(cull_idle_timeout=20)

    def add(kid, idle_seconds, page=None):
        manager._kernels[kid] = SimpleNamespace(
            last_activity=utcnow() - timedelta(seconds=idle_seconds), execution_state="idle",
            kernel_name="python3", kernel_spec=SimpleNamespace(metadata={}))
        manager._kernel_connections[kid] = 0
        if page is not None:
            manager.notify_connect(kid)
        if page == "left":
            manager.notify_disconnect(kid)

    return manager, add


def test_culler_spares_a_loading_page_and_culls_a_closed_one(culler):
    import asyncio

    manager, add = culler
    culled = []

    async def shutdown(kernel_id, *a, **k):
        culled.append(kernel_id)

    manager.shutdown_kernel = shutdown
    add("loading", 30)  # idle past the timeout, but its page has not connected yet: spared
    add("abandoned", 70)  # never connected for longer than 3 x 20 s: culled
    add("closed", 30, page="left")  # its page connected and left: the ordinary timeout applies
    add("open", 300, page="open")  # connected now: never culled (cull_connected is off)
    for kid in ("loading", "abandoned", "closed", "open"):
        asyncio.run(manager.cull_kernel_if_idle(kid))
    assert culled == ["abandoned", "closed"]
    assert vp.unconnected_timeout(20) == 60


def test_culler_passes_over_a_kernel_shut_down_while_it_looped(culler, caplog):
    """jupyter_server's culler loops over a list taken before it awaits each shutdown; a kernel that is
    gone by its turn must be passed over, not logged as an error with a traceback through our code."""
    import asyncio
    import logging

    manager, add = culler
    manager.log = logging.getLogger("test-culler")
    culled = []

    async def shutdown(kernel_id, *a, **k):
        culled.append(kernel_id)
        manager._kernels.pop(kernel_id, None)
        manager._kernels.pop("second", None)  # another shutdown finished meanwhile

    manager.shutdown_kernel = shutdown
    for kid in ("first", "second", "third"):
        add(kid, 300, page="left")
    with caplog.at_level(logging.DEBUG, logger="test-culler"):
        asyncio.run(manager.cull_kernels())
    assert culled == ["first", "third"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not [r for r in caplog.records if "second" in (r.args or ())]  # not even a warning: nothing went wrong


def test_culler_shuts_idle_kernels_down_at_once(culler):
    """Each shutdown waits for its kernel to exit; the patched culler runs them together, not in a row."""
    import asyncio

    manager, add = culler
    state = {"running": 0, "most": 0, "done": []}

    async def shutdown(kernel_id, *a, **k):
        state["running"] += 1
        state["most"] = max(state["most"], state["running"])
        await asyncio.sleep(0.05)  # the kernel takes a while to exit
        state["running"] -= 1
        state["done"].append(kernel_id)
        manager._kernels.pop(kernel_id)

    manager.shutdown_kernel = shutdown
    for k in range(6):
        add(f"k{k}", 300 if k < 5 else 1, page="left")
    asyncio.run(manager.cull_kernels())
    assert sorted(state["done"]) == ["k0", "k1", "k2", "k3", "k4"]  # k5 was active a second ago
    assert state["most"] == 5


def test_kernels_context_holds_more_than_zmq_default_of_1023_sockets(culler):
    """A meeting room of 300 pages needs some 3,000 sockets in the server; ZeroMQ's default cap is 1,023.

    Before the patch, pages beyond about the 190th kernel failed with "Too many open files" (HTTP 500).
    """
    import zmq

    files = lim.raise_open_file_limit()  # first, as serve does: the cap is fixed when the context is made
    manager = type(culler[0])(cull_idle_timeout=20)  # the patched class
    context = manager.context
    assert context.get(zmq.MAX_SOCKETS) == lim.zmq_sockets()
    want = min(1500, (files - 200) // 2)  # as many as this machine's open-file limit allows
    if files >= 4096:
        assert want > 1023
    sockets = []
    try:
        for _ in range(want):
            sockets.append(context.socket(zmq.DEALER))
    finally:
        for sock in sockets:
            sock.close(linger=0)
    assert len(sockets) == want


def test_serve_raises_the_open_file_limit(tmp_path):
    """The usual soft limit of 1,024 open files stops at some seventy pages: serve lifts it to the hard
    limit."""
    import resource
    import subprocess
    import sys

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    soft = min(256, hard)
    code = ("from zuofeng.collect.server import limits as lim; import resource; "
            "print(lim.raise_open_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))).stdout.split()
    expect = hard if hard != resource.RLIM_INFINITY else 1 << 20
    assert int(out[0]) == expect
    assert int(out[1]) == hard


def test_serve_caps_pages_by_the_open_files_and_says_so(monkeypatch):
    said = []
    monkeypatch.setattr(lim, "open_file_limit", lambda: 1024)
    room = (1024 - 100) // lim.FILES_PER_PAGE
    assert lim.page_cap(300, said.append) == room < 300
    assert lim.page_cap(0, said.append) == room  # "no cap" still may not run out of files
    assert len(said) == 2 and all(f"只够同时打开 {room} 个测评页面" in line and "ulimit -n" in line for line in said)
    english = []
    assert lim.page_cap(300, english.append, "en") == room
    assert f"room for {room} survey pages" in english[0] and "测评页面" not in english[0]
    assert lim.page_cap(room, said.append) == room and len(said) == 2  # within the room: as asked, nothing said
    monkeypatch.setattr(lim, "open_file_limit", lambda: 20000)
    assert lim.page_cap(300, said.append) == 300 and lim.page_cap(0, said.append) == 0 and len(said) == 2
