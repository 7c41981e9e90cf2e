"""Where things live: the project folder, its store (``data/zuofeng.db``) and its reports.

The CLI, JupyterLab kernels (which run in ``notebooks/``), papermill notebooks and the servers all
resolve the store the same way, so they all see one database:

1. ``--db URL`` (a function's ``db`` argument) wins;
2. then the environment variable ``ZUOFENG_DB``;
3. then the SQLite file ``data/zuofeng.db`` of *the project folder*.

The project folder is ``$ZUOFENG_HOME`` when set; otherwise the nearest folder, from the current
folder upwards, that holds a zuofeng checkout (a ``pyproject.toml`` naming the project ``zuofeng``)
or a store (``data/zuofeng.db``); otherwise the current folder. Reports go to ``reports/`` of the
same folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

HOME_ENV = "ZUOFENG_HOME"
DB_ENV = "ZUOFENG_DB"
DEFAULT_DB_FILE = Path("data") / "zuofeng.db"
_PROJECT_NAME = re.compile(r'^\s*name\s*=\s*["\']zuofeng["\']\s*$', re.MULTILINE)


def _is_project(folder: Path) -> bool:
    if (folder / DEFAULT_DB_FILE).is_file():
        return True
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(_PROJECT_NAME.search(text))


def find_project(start: str | os.PathLike | None = None) -> Path | None:
    """The project folder: ``$ZUOFENG_HOME`` when set, else :func:`project_above` ``start`` (default: the
    current folder), else None."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return project_above(start if start is not None else os.getcwd())


def project_above(start: str | os.PathLike) -> Path | None:
    """The nearest folder, ``start`` included, that holds a ``pyproject.toml`` of zuofeng or a ``data/zuofeng.db``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp).resolve()
    ...     _ = (root / "pyproject.toml").write_text('[project]\\nname = "zuofeng"\\n')
    ...     (root / "notebooks").mkdir()
    ...     project_above(root / "notebooks") == root
    True
    """
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if _is_project(folder):
            return folder
    return None


def project_home() -> Path:
    """The project folder (see :func:`find_project`), else the current folder."""
    return find_project() or Path.cwd().resolve()


def default_db_file() -> Path:
    """The project's store file, ``<project>/data/zuofeng.db``."""
    return project_home() / DEFAULT_DB_FILE


def reports_dir() -> Path:
    """The project's report folder, ``<project>/reports``."""
    return project_home() / "reports"


def is_default(url: str | None) -> bool:
    """Whether ``url`` (as given to a command) leaves the choice to ``ZUOFENG_DB`` and the project store."""
    return not url


def database_url(url: str | None = None) -> str:
    """``url`` wins, then ``$ZUOFENG_DB``, then the project's ``data/zuofeng.db`` (an absolute SQLite URL)."""
    if url:
        return url
    env = os.environ.get(DB_ENV)
    if env:
        return env
    return f"sqlite:///{default_db_file()}"
