"""Doctests (``--doctest-modules`` over ``zuofeng/``) run with their own token key and project folder,
never the user's."""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _doctest_isolation(request, tmp_path_factory, monkeypatch):
    if isinstance(request.node, DoctestItem):
        home = tmp_path_factory.mktemp("doctest-home")
        monkeypatch.setenv("ZUOFENG_KEY_FILE", str(home / "token.key"))
        monkeypatch.setenv("ZUOFENG_HOME", str(home))
        monkeypatch.delenv("ZUOFENG_DB", raising=False)
