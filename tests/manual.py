"""The project's manual as the tests read it: the README (the front page) and the documentation pages under
``docs/``, so that a promise is checked wherever it is written."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[1]


def page(name: str) -> str:
    """One documentation page, e.g. ``page("guide/api.md")``."""
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def manual() -> str:
    """The README followed by every documentation page, in a stable order."""
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md"))]
    return "\n\n".join(texts)
