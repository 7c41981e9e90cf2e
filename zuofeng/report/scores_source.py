"""Where a report's scores come from: a snapshot file (a batch scores once and every notebook reads the
same snapshot) or the store. Below the report modules, so that any of them may load scores."""

from __future__ import annotations

from pathlib import Path

from ..errors import ZuofengError

#: snapshot (path, mtime, size) → scores, and the report views built on them; one snapshot at a time
CACHE: dict[tuple, object] = {}


def load_scores(round_code: str, db: str = "", snapshot: str = ""):
    """Scores of ``round_code``: from ``snapshot`` if given, else scored from the store at ``db``.

    A snapshot is read once per process and kept while the file is unchanged (a warm report kernel
    renders many departments from the same snapshot).
    """
    if snapshot:
        from ..score import load_snapshot

        p = Path(snapshot)
        if not p.exists():
            raise ZuofengError(f"找不到分数快照：{snapshot}",
                               f"scores snapshot not found: {snapshot}")
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        if key not in CACHE:
            CACHE.clear()
            CACHE[key] = load_snapshot(p)
        scores = CACHE[key]
    else:
        scores = score_for_report(db or None, round_code)
    if str(scores.meta.get("round")) != str(round_code):
        raise ZuofengError(f"分数属于轮次 {scores.meta.get('round')!r}，而不是 {round_code!r}",
                           f"the scores are of round {scores.meta.get('round')!r}, not {round_code!r}")
    return scores


def score_for_report(db: str | None, round_code: str, seed: int = 1):
    """Score a round from the store and attach its coverage gaps (``gaps.attach_gaps``)."""
    from ..score import score_round
    from ..store import open_engine
    from .gaps import attach_gaps

    engine = open_engine(db)
    try:
        scores = score_round(engine, round_code, seed=seed)
        attach_gaps(scores, engine)
        return scores
    finally:
        engine.dispose()
