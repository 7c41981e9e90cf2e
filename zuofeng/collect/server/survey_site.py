"""The private folder ``zuofeng serve`` has Voilà serve from, and the Voilà command line for it.

The server runs a generated copy of the survey notebook (``notebooks/survey.ipynb``: a parameters cell
and one call into ``zuofeng.collect.survey``) from a private temporary folder, so nothing else on disk can
be served. Tracebacks and sources are hidden, kernels of closed or idle pages are culled, the address is
bound explicitly, and the log level is WARNING so that nothing a respondent enters can reach a log line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

NOTEBOOK_NAME = "survey.ipynb"
PARAMETERS_SOURCE = (
    "# Parameters (papermill: tag 'parameters'). Left as None, they come from the environment\n"
    "# that `zuofeng serve` sets: ZUOFENG_SURVEY_ROUND, ZUOFENG_DB, ZUOFENG_SURVEY_LANG.\n"
    "round_code = None\n"
    "db = None\n"
    "lang = None"
)
CALL_SOURCE = (
    "from zuofeng.collect.survey import survey_app\n"
    "\n"
    "survey_app(round_code, db=db, lang=lang)"
)


TEMPLATE_NAME = "zuofeng-survey"  # Voilà's lab template in the page's language (``page_template``)
# Front-end extensions the page loads: the widget manager only (each other one costs requests; see README)
EXTENSIONS = ["@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"]


def survey_notebook(title: str = "问卷") -> dict:
    """The survey notebook as nbformat v4 JSON: a parameters cell, then one call into the package.

    ``notebooks/survey.ipynb`` in the repository holds the same two cells (a test keeps them equal);
    ``title`` becomes the page title.
    """
    def cell(source: str, tags: list[str]) -> dict:
        return {"cell_type": "code", "execution_count": None, "id": tags[0] if tags else "call",
                "metadata": {"tags": tags}, "outputs": [], "source": source}

    return {
        "cells": [cell(PARAMETERS_SOURCE, ["parameters"]), cell(CALL_SOURCE, [])],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "title": title,
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def build_site(site: Path, title: str = "问卷", lang: str = "zh") -> dict[str, str]:
    """Fill the private folder Voilà serves from; return the environment the server must run with.

    - ``survey/survey.ipynb``: the survey notebook, alone in Voilà's root folder, signed (trusted)
      with a notary key kept in ``site``;
    - ``jupyter/voila/templates/zuofeng-survey``: the page template in ``lang`` without CDN stylesheets;
    - ``ipython/profile_default``: a clean IPython profile for the kernels: no user start-up files,
      no history database.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    from .page_template import page_template

    site = Path(site)
    (site / "survey").mkdir(parents=True, exist_ok=True)
    node = nbformat.from_dict(survey_notebook(title))
    NotebookNotary(db_file=str(site / "nbsignatures.db"), secret_file=str(site / "notebook_secret")).sign(node)
    nbformat.write(node, str(site / "survey" / NOTEBOOK_NAME))
    template = site / "jupyter" / "voila" / "templates" / TEMPLATE_NAME
    template.mkdir(parents=True, exist_ok=True)
    (template / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    (template / "index.html.j2").write_text(page_template(lang), encoding="utf-8")
    profile = site / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n", encoding="utf-8")
    jupyter_path = os.pathsep.join(p for p in (str(site / "jupyter"), os.environ.get("JUPYTER_PATH", "")) if p)
    return {"JUPYTER_PATH": jupyter_path, "IPYTHONDIR": str(site / "ipython")}


def preheat_supported() -> bool:
    """Whether the installed Voilà can keep a pool of preheated kernels (0.3 and later)."""
    from voila.configuration import VoilaConfiguration
    return VoilaConfiguration.class_traits().get("preheat_kernel") is not None


def default_cull_interval(idle_timeout: int) -> int:
    """How often the culler looks for idle kernels: ``min(30, idle_timeout // 4)``, at least 1 second.

    >>> default_cull_interval(120), default_cull_interval(10)
    (30, 2)
    """
    return max(1, min(30, idle_timeout // 4))


def voila_argv(site: Path | str, *, host: str = "127.0.0.1", port: int = 8866, pool_size: int = 2,
               idle_timeout: int = 120, cull_interval: int | None = None) -> list[str]:
    """The Voilà command line for the survey site built by ``build_site``.

    Parameters
    ----------
    site : path
        The folder ``build_site`` filled.
    host, port : str, int
        Address to bind (always explicit: Voilà's default ``localhost`` may mean IPv6 only).
    pool_size : int
        Preheated kernels kept ready; 0 turns preheating off (also when Voilà cannot preheat).
    idle_timeout : int
        Seconds after which the kernel of a closed or idle page is shut down.
    cull_interval : int, optional
        How often to look for such kernels; default ``min(30, idle_timeout // 4)``, at least 1: a closed
        page's kernel ends at most a quarter of the timeout later than the timeout.
    """
    if cull_interval is None:
        cull_interval = default_cull_interval(idle_timeout)
    site = Path(site)
    argv = [
        str(site / "survey" / NOTEBOOK_NAME), "--no-browser",
        f"--Voila.ip={host}", f"--Voila.port={port}", "--Voila.port_retries=0",
        "--Voila.log_level=WARN",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--theme=light", f"--template={TEMPLATE_NAME}",
        *(f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS),
        f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        "--KernelManager.transport=ipc",  # private unix sockets instead of loopback TCP ports
        f"--NotebookNotary.db_file={site / 'nbsignatures.db'}",
        f"--NotebookNotary.secret_file={site / 'notebook_secret'}",
    ]
    if pool_size > 0 and preheat_supported():
        argv += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    return argv

