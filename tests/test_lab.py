"""`make lab` on a fresh clone: JupyterLab starts (as root too) on the project and serves /lab.

The clone reuses this checkout's .venv (``VENV=…``; ``-o`` keeps make from reinstalling into it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_survey_browser import free_port

ROOT = Path(__file__).parents[1]
VENV = ROOT / ".venv"


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


@pytest.mark.slow
def test_make_lab_serves_lab_on_a_fresh_clone(clone, tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    env.pop("ZUOFENG_DB", None)
    args = f"LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(make(clone, "lab", args), stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        end, status = time.monotonic() + 120, 0
        while time.monotonic() < end and proc.poll() is None:
            status, body = fetch(f"http://127.0.0.1:{port}/lab?token={token}")
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, log.read_text(errors="replace")[-2000:]
        assert "JupyterLab" in body
        # the project is the server's root: its notebooks and the reports folder are reachable
        status, listing = fetch(f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}")
        assert status == 200 and "console.ipynb" in listing and "department_report.ipynb" in listing
        status, readme = fetch(f"http://127.0.0.1:{port}/files/reports/README.md?token={token}")
        assert status == 200 and "reports/ROUND/" in readme
        assert fetch(f"http://127.0.0.1:{port}/api/contents/notebooks")[0] == 403  # no token, nothing
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
