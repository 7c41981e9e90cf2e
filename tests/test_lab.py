"""`make lab` on a fresh clone: JupyterLab starts (as root too) on the project and serves /lab.

The clone reuses this checkout's .venv (``VENV=…``; ``-o`` keeps make from reinstalling into it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import launch, sync_playwright_or_skip
from tests.support.server import free_port, spawn, stop
from tests.support.store import ROSTER_CSV

ROOT = Path(__file__).parents[1]
VENV = ROOT / ".venv"
ARTIFACTS = ROOT / "test-artifacts" / "console"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("clone") / "zuofeng"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, timeout=120)
    return dest


def make(clone: Path, *args: str, **kwargs) -> list[str]:
    return ["make", "-C", str(clone), "-o", f"{VENV}/.installed-stamp", f"VENV={VENV}", *args]


def test_a_fresh_clone_has_data_and_reports_with_readmes_and_ignores_their_contents(clone):
    for folder in ("data", "reports"):
        assert (clone / folder / "README.md").is_file()
    ignored = subprocess.run(["git", "-C", str(clone), "check-ignore", "data/zuofeng.db", "data/zuofeng.db-wal",
                              "reports/2022-final/index.html", "reports/demo/demo.db"],
                             capture_output=True, text=True, check=False).stdout.split()
    assert ignored == ["data/zuofeng.db", "data/zuofeng.db-wal", "reports/2022-final/index.html",
                       "reports/demo/demo.db"]
    assert subprocess.run(["git", "-C", str(clone), "check-ignore", "-q", "data/README.md"],
                          check=False).returncode == 1  # the READMEs are tracked


def test_make_lab_adds_allow_root_only_for_root(clone):
    out = subprocess.run(make(clone, "-n", "lab"), capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "jupyter lab" in x)
    assert ("--allow-root" in line) == (os.geteuid() == 0)
    assert f'--ServerApp.root_dir="{clone}"' in line and "--LabApp.default_url=/lab/tree/notebooks" in line
    if os.geteuid() == 0:  # and as an ordinary user, no --allow-root (the Makefile alone, where nobody can read it)
        shared = Path(tempfile.mkdtemp(prefix="zuofeng-make-"))
        try:
            shared.chmod(0o755)
            shutil.copy(clone / "Makefile", shared / "Makefile")
            (shared / "Makefile").chmod(0o644)
            r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                *make(shared, "-n", "lab")], capture_output=True, text=True, check=False,
                               env={**os.environ, "HOME": str(shared)})
        finally:
            shutil.rmtree(shared)
        assert r.returncode == 0, r.stderr
        line = next(x for x in r.stdout.splitlines() if "jupyter lab" in x)
        assert "--allow-root" not in line


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except urllib.error.URLError:
        return 0, ""


@pytest.fixture(scope="module")
def lab(clone, tmp_path_factory):
    """`make lab` on the clone (as whoever runs the tests: root in a container), on a free loopback port."""
    home = tmp_path_factory.mktemp("lab-home")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "jupyter"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    for var in ("ZUOFENG_DB", "ZUOFENG_HOME"):
        env.pop(var, None)
    args = f"LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    log = home / "lab.log"
    proc = spawn(make(clone, "lab", args), cwd=clone, log=log, env=env)
    try:
        end, status = time.monotonic() + 120, 0
        while time.monotonic() < end and proc.poll() is None:
            status, body = fetch(f"http://127.0.0.1:{port}/lab?token={token}")
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, log.read_text(errors="replace")[-2000:]
        yield {"base": f"http://127.0.0.1:{port}/", "token": token, "lab": body, "env": env}
    finally:
        stop(proc, timeout=20)


@pytest.mark.slow
def test_make_lab_serves_lab_on_a_fresh_clone(lab):
    base, token = lab["base"], lab["token"]
    assert "JupyterLab" in lab["lab"]
    # the project is the server's root: its notebooks and the reports folder are reachable
    status, listing = fetch(f"{base}api/contents/notebooks?token={token}")
    assert status == 200 and "console.ipynb" in listing and "department_report.ipynb" in listing
    status, readme = fetch(f"{base}files/reports/README.md?token={token}")
    assert status == 200 and "reports/ROUND/" in readme
    assert fetch(f"{base}api/contents/notebooks")[0] == 403  # no token, nothing


@pytest.mark.browser
@pytest.mark.slow
def test_the_console_in_jupyterlab_uses_the_store_the_command_line_made(clone, lab, tmp_path):
    sync_playwright = sync_playwright_or_skip(ARTIFACTS)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    subprocess.run([str(VENV / "bin" / "zuofeng"), "round", "create", "LAB1", "--title", "实验室轮次", "--roster",
                    str(roster)], cwd=clone, env=lab["env"], check=True, capture_output=True, timeout=120)
    assert (clone / "data" / "zuofeng.db").is_file()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{lab['base']}lab/tree/notebooks/console.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_function("() => /\\| Idle/.test(document.querySelector('.jp-StatusBar-Widget')?.innerText"
                                   " || document.body.innerText)", timeout=90_000)  # the kernel is up
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                page.wait_for_selector(".zf-console", timeout=120_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "lab-console-failed.png"))
                raise
            page.wait_for_function("() => document.querySelector('.zf-round select')?.value === 'LAB1'",
                                   timeout=30_000)
            assert f"sqlite:///{clone / 'data' / 'zuofeng.db'}" in page.inner_text(".zf-console")
            assert "实验室轮次" in page.inner_text(".zf-console")
            page.screenshot(path=str(ARTIFACTS / "lab-console.png"))
        finally:
            browser.close()
    assert not (clone / "notebooks" / "data").exists()  # the kernel ran in notebooks/ and used the project's store
