"""Which report goes to whom (README, "Reports"): one entry point for the audiences besides the leading
group and the departments, used by ``zuofeng report ROUND --audience``."""

from __future__ import annotations

from pathlib import Path

from ..errors import ZuofengError

AUDIENCES = ("leading", "inspection", "public")


def render_audience(audience: str, round_code: str, *, out: str | Path | None = None, db: str | None = None,
                    lang: str = "zh", seed: int = 1, department: str | None = None, scores=None) -> Path:
    """Render the report of ``audience`` (``inspection`` or ``public``); return the page's path."""
    if audience not in ("inspection", "public"):
        raise ZuofengError(f"--audience 应为 {'、'.join(AUDIENCES)} 之一，而不是 {audience!r}",
                           f"--audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    if department is not None:
        raise ZuofengError(f"--department 不适用于 --audience {audience}",
                           f"--department does not apply to --audience {audience}")
    if audience == "inspection":
        from .inspection import render_inspection

        return render_inspection(round_code, out=out, db=db, lang=lang, seed=seed, scores=scores)
    from .public import render_public

    return render_public(round_code, out=out, db=db, lang=lang, seed=seed, scores=scores)
