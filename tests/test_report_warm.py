"""The warm-kernel papermill engine: one kernel serves many notebooks, and nothing leaks between them."""

from __future__ import annotations

import json

import nbformat
import papermill as pm
import pytest

from zuofeng.report import warm


def _notebook(path, *sources, parameters="x = 0"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell(parameters)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return str(path)


REPORT_STATE = ("import os, json, warnings, matplotlib\n"
                "print(json.dumps({'pid': os.getpid(), 'names': sorted(n for n in globals() if not n.startswith('_')),"
                " 'cwd': os.getcwd(), 'env': os.environ.get('ZF_LEAK'), 'dpi': matplotlib.rcParams['figure.dpi'],"
                " 'filters': len(warnings.filters)}))")


def _state(nb) -> dict:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out["text"].lstrip().startswith("{"):
                return json.loads(out["text"])
    raise AssertionError("notebook printed no state")


@pytest.fixture
def fresh_kernels():
    warm.shutdown_all()
    yield
    warm.shutdown_all()


def run(src, out, **params):
    return pm.execute_notebook(src, str(out), parameters=params, engine_name=warm.ENGINE_NAME,
                               progress_bar=False, kernel_name="python3")


def test_variables_of_one_notebook_are_not_visible_in_the_next(tmp_path, fresh_kernels):
    a = _notebook(tmp_path / "a.ipynb",
                  "secret_of_a = x * 7\nimport pandas as pd\n"
                  "import os, warnings, matplotlib\nos.environ['ZF_LEAK'] = 'a'\nos.chdir('/')\n"
                  "matplotlib.rcParams['figure.dpi'] = 33\nwarnings.simplefilter('ignore')",
                  REPORT_STATE)
    b = _notebook(tmp_path / "b.ipynb", REPORT_STATE)
    before = _state(run(b, tmp_path / "b1.out.ipynb"))
    sa = _state(run(a, tmp_path / "a.out.ipynb", x=6))
    nb_b = run(b, tmp_path / "b2.out.ipynb")
    after = _state(nb_b)
    assert {"secret_of_a", "pd"} <= set(sa["names"]) and sa["env"] == "a" and sa["dpi"] == 33
    assert before["pid"] == sa["pid"] == after["pid"], "the notebooks did not share the warm kernel"
    assert after == before, "state left by the previous notebook is visible in the next one"
    assert "secret_of_a" not in after["names"] and "pd" not in after["names"]
    # a fresh session: execution counts restart at 1 in every report
    assert [c.execution_count for c in nb_b.cells if c.cell_type == "code"] == [1, 2]


def test_a_sabotaged_reset_is_detected_and_the_kernel_replaced(tmp_path, fresh_kernels):
    a = _notebook(tmp_path / "a.ipynb", "left_behind = 1\nget_ipython().reset = lambda *a, **k: None", REPORT_STATE)
    b = _notebook(tmp_path / "b.ipynb", REPORT_STATE)
    sa = _state(run(a, tmp_path / "a.out.ipynb"))
    sb = _state(run(b, tmp_path / "b.out.ipynb"))
    assert "left_behind" not in sb["names"]
    assert sa["pid"] != sb["pid"], "a kernel whose reset failed must be replaced"
    assert warm.warm_kernel().starts == 2


def test_a_dead_kernel_is_replaced_and_a_failed_notebook_is_saved(tmp_path, fresh_kernels):
    from papermill.exceptions import PapermillExecutionError

    dies = _notebook(tmp_path / "dies.ipynb", "import os\nos._exit(3)")
    fails = _notebook(tmp_path / "fails.ipynb", "raise ValueError('bad department')")
    ok = _notebook(tmp_path / "ok.ipynb", REPORT_STATE)
    with pytest.raises(Exception, match="(?i)kernel"):  # nbclient's DeadKernelError
        run(dies, tmp_path / "dies.out.ipynb")
    with pytest.raises(PapermillExecutionError, match="bad department"):
        run(fails, tmp_path / "fails.out.ipynb")
    saved = nbformat.read(tmp_path / "fails.out.ipynb", 4)
    assert any(o.get("ename") == "ValueError" for c in saved.cells for o in c.get("outputs", []))
    assert _state(run(ok, tmp_path / "ok.out.ipynb"))["pid"] > 0
