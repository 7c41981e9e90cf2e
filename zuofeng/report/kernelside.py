"""Code that runs *inside* a warm report kernel, between notebooks.

``prepare()`` pays the imports once and records what a clean kernel looks like; ``reset()`` brings the
kernel back to that state before the next notebook and raises if any name of the previous notebook
survived, so that one department's report can never see another's variables.
"""

from __future__ import annotations

import os
import sys
import warnings

_BASE: dict = {}

WARM_IMPORTS = ("zuofeng.report.notebook", "zuofeng.score")


def _shell():
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        raise RuntimeError("not running inside an IPython kernel")
    return ip


def prepare(imports: tuple[str, ...] = WARM_IMPORTS) -> None:
    """Import the report stack, register fonts, then record the clean state ``reset`` restores."""
    import importlib

    for name in imports:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a missing optional module is imported (and reported) by the notebook itself
    import matplotlib

    from .fonts import setup_matplotlib

    setup_matplotlib()
    ip = _shell()
    ip.reset(new_session=True)
    _BASE.update(
        names=frozenset(ip.user_ns), rc=dict(matplotlib.rcParams), cwd=os.getcwd(), env=dict(os.environ),
        filters=list(warnings.filters), path=list(sys.path),
    )


def reset() -> None:
    """Clear the user namespace and global state left by the previous notebook; verify nothing leaked."""
    ip = _shell()
    ip.reset(new_session=True)  # user namespace, Out/In caches; execution count back to 1
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if not _BASE:
        raise RuntimeError("kernel was not prepared")
    import matplotlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_BASE["rc"])
    os.chdir(_BASE["cwd"])
    os.environ.clear()
    os.environ.update(_BASE["env"])
    warnings.filters[:] = _BASE["filters"]
    sys.path[:] = _BASE["path"]
    leaked = set(ip.user_ns) - _BASE["names"]
    if leaked:
        raise RuntimeError(f"names survived the reset: {', '.join(sorted(leaked))}")
