"""The report notebooks run with their default parameters, as in JupyterLab (kernel in notebooks/): the demo
round when the demo exists, else one line saying which parameters to set. Reading creates no store."""

from __future__ import annotations

import shutil
from pathlib import Path

import papermill as pm
import pytest

from tests.support.store import ROSTER_CSV
from zuofeng import api

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
ONE_LINE = ("ZuofengError: 项目数据库和演示数据中都没有轮次 '2022-final'：请运行 `make demo`，或在参数单元格中设置 "
            "round_code（以及数据库地址 db）")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder (pyproject.toml of zuofeng) with the report notebooks in notebooks/ and no store."""
    monkeypatch.delenv("ZUOFENG_DB", raising=False)
    monkeypatch.delenv("ZUOFENG_HOME", raising=False)
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "zuofeng"\n', encoding="utf-8")
    for name in ("department_report.ipynb", "overview_report.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / "notebooks" / name)
    return root


def run(project: Path, name: str):
    nb_dir = project / "notebooks"
    return pm.execute_notebook(str(nb_dir / name), str(project / f"out-{name}"), cwd=str(nb_dir),
                               progress_bar=False, kernel_name="python3")


@pytest.mark.slow
def test_without_the_demo_the_defaults_say_in_one_line_what_to_set(project):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run(project, "department_report.ipynb")
    assert e.value.ename == "ZuofengError"
    assert e.value.traceback == [ONE_LINE]  # one line, no traceback
    assert list(project.rglob("*.db")) == [] and not (project / "data").exists() and not (project / "notebooks" / "data").exists()


@pytest.mark.slow
def test_with_the_demo_the_defaults_render_its_final_round(project, tmp_path, monkeypatch):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    demo = f"sqlite:///{project / 'reports' / 'demo' / 'demo.db'}"
    (project / "reports" / "demo").mkdir(parents=True)
    api.create_round("2022-final", title="年终测评", roster=roster, db=demo)
    api.open_round("2022-final", db=demo)
    api.simulate_round("2022-final", seed=4, db=demo)
    for name, expected in (("department_report.ipynb", "办公室"), ("overview_report.ipynb", "年终测评")):
        nb = run(project, name)
        html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
        assert expected in html, name
    assert not (project / "data").exists()  # the project store was looked for, not created
    # once the project's own store holds the round, it wins over the demo
    monkeypatch.chdir(project)  # as the CLI in the project folder
    api.create_round("2022-final", title="本单位年终测评", roster=roster)
    api.open_round("2022-final")
    api.simulate_round("2022-final", seed=5)
    nb = run(project, "overview_report.ipynb")
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "本单位年终测评" in html
