"""A service a test needs but this machine lacks: a skip here, a failure on CI (``CI=true``)."""

from __future__ import annotations

import os

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_or_skip(ok: bool, why: str) -> None:
    """Skip a test whose service is missing, except on CI where that is a failure."""
    if ok:
        return
    import pytest
    if ON_CI:
        pytest.fail(f"required on CI: {why}")
    pytest.skip(why)
