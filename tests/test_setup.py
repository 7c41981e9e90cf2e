"""Set-up files agree with each other, and the repository holds nothing it should not."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()


def lock_pins() -> dict[str, str]:
    """The pins of requirements.lock and of the documentation site's requirements-docs.lock (which may not
    pin again what the first one pins)."""
    pins = {}
    for lock in ("requirements.lock", "requirements-docs.lock"):
        for line in (ROOT / lock).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, version = line.partition("==")
                assert version, f"{lock}: {line!r} is not pinned with =="
                assert norm(name) not in pins, f"{lock}: {name} is pinned twice"
                pins[norm(name)] = version
    return pins


def pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    return {norm(re.match(r"[A-Za-z0-9_.\-\[\]]+", r).group(0)) for r in reqs}


def test_environment_yml_matches_pyproject_and_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = {norm(p.split("==")[0]): p.split("==")[1] for p in pip}
    assert set(conda_pins) == pyproject_names()
    pins = lock_pins()
    for name, version in conda_pins.items():
        assert pins.get(name) == version, f"{name}: environment.yml has {version}, requirements.lock {pins.get(name)}"


def test_every_dependency_is_pinned_in_the_lock():
    pins = lock_pins()
    missing = sorted(pyproject_names() - set(pins))
    assert not missing, f"not pinned in the lock files: {missing}"
    assert "rfc3987-syntax" not in pins  # ~1 s of import in every notebook process


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return [ROOT / p for p in out if (ROOT / p).is_file()]


def test_no_machine_paths_or_secrets_in_the_repository():
    bad = re.compile("/(work|root|home)/[a-z]|/tmp/dev" + "pg|BEGIN (RSA|OPENSSH) PRIVATE KEY")
    for path in tracked_files():
        if path.suffix in {".png", ".xlsx", ".otf", ".ttf", ".db"} or "tests/data" in str(path):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        m = bad.search(text)
        assert m is None, f"{path.relative_to(ROOT)} contains {m.group(0)!r}"
        assert path.suffix not in {".db", ".key"} and path.name != "token.key"


def test_notebooks_are_committed_without_outputs():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        data = json.loads(nb.read_text(encoding="utf-8"))
        for cell in data["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, nb.name


def test_makefile_targets_are_documented():
    text = (ROOT / "Makefile").read_text()
    for target in ("help", "setup", "demo", "test", "lab", "bench"):
        assert re.search(rf"^{target}:.*## \S", text, re.MULTILINE), f"make {target} has no ## description"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("make demo") < 400 and readme.index("make test") < 400
