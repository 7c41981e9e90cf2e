"""Where things live: the database URL and the secret-key folder."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_FILE = Path("data") / "zuofeng.db"


def database_url(url: str | None = None) -> str:
    """`--db` wins, then ``ZUOFENG_DB``, then an SQLite file ``data/zuofeng.db`` under the current folder."""
    if url:
        return url
    env = os.environ.get("ZUOFENG_DB")
    if env:
        return env
    return f"sqlite:///{DEFAULT_DB_FILE}"
