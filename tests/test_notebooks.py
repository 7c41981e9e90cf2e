"""Every notebook in ``notebooks/`` is executed, with the parameters listed here.

A notebook that is not in ``PARAMETERS`` fails this test: add its parameters when you add a notebook.
String values may name ``{round}``, ``{db}`` and ``{snapshot}``: an open round of five departments with
simulated answers, its database URL, and a scores snapshot of it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from tests.support.store import ROSTER_CSV

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"

PARAMETERS: dict[str, dict] = {
    # scores from the database, in Chinese
    "department_report.ipynb": {"round_code": "{round}", "department": "BGS", "lang": "zh", "db": "{db}",
                                "snapshot": ""},
    # scores from a snapshot, in English
    "overview_report.ipynb": {"round_code": "{round}", "lang": "en", "db": "", "snapshot": "{snapshot}"},
    "survey.ipynb": {"round_code": "{round}", "db": "{db}", "lang": "zh"},
    "console.ipynb": {"db": "{db}"},
}

# notebooks whose every output is also checked for stderr text (the reports must print nothing there)
QUIET = {"department_report.ipynb", "overview_report.ipynb"}



@pytest.fixture(scope="module")
def context(tmp_path_factory):
    from zuofeng.rounds import create_round, set_status
    from zuofeng.score import save_snapshot, score_round
    from zuofeng.simulate import simulate
    from zuofeng.store import open_engine

    tmp = tmp_path_factory.mktemp("notebooks")
    (tmp / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    db = f"sqlite:///{tmp / 'store.db'}"
    engine = open_engine(db)
    create_round(engine, "NB1", title="笔记本测评", roster=tmp / "roster.csv")
    set_status(engine, "NB1", "open")
    simulate(engine, "NB1", seed=2)
    save_snapshot(score_round(engine, "NB1", seed=1), tmp / "scores.zip")
    engine.dispose()
    yield {"round": "NB1", "db": db, "snapshot": str(tmp / "scores.zip"), "tmp": tmp}
    from zuofeng.report.warm import shutdown_all

    shutdown_all()


def _fill(value, ctx):
    return value.format(**ctx) if isinstance(value, str) else value


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_executes(path, context):
    from zuofeng.report.warm import ENGINE_NAME

    if path.name not in PARAMETERS:
        pytest.fail(f"notebooks/{path.name} has no entry in tests/test_notebooks.py PARAMETERS")
    source = nbformat.read(path, 4)
    assert any("parameters" in c.metadata.get("tags", []) for c in source.cells), f"{path.name}: no parameters cell"
    params = {k: _fill(v, context) for k, v in PARAMETERS[path.name].items()}
    nb = pm.execute_notebook(str(path), str(context["tmp"] / path.name), parameters=params, engine_name=ENGINE_NAME,
                             progress_bar=False, kernel_name="python3")
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    if path.name in QUIET:
        stderr = [o["text"] for o in outputs if o.get("name") == "stderr"]
        assert not stderr, f"{path.name} wrote to stderr: {stderr[0][:300]}"
        html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
        assert "<h1" in html and "<img" in html
        if params.get("lang") == "en":
            assert "Overview for the leading group" in html and "Work-style index by department" in html
            assert "总体报告" not in html and "已抑制" not in html
        else:
            assert "办公室 作风建设测评报告" in html
