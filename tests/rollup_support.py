"""A small round with division pools, shared by the roll-up tests."""

from __future__ import annotations

from zuofeng.score.synthetic import synthetic_round


def pooled_round(seed: int = 3):
    """Six departments in two divisions (甲: D001–D003, 乙: D004–D005) and one without; D002 keeps only 3
    self sheets, so it is hidden on its own and must be reported in 甲's pool."""
    rnd = synthetic_round(6, 260, seed=seed, code="P1")
    d = rnd.departments.copy()
    d["division"] = ["甲", "甲", "甲", "乙", "乙", None]
    r = rnd.responses
    small = r.index[(r["department"] == "D002") & (r["view"] == "self")]
    r = r.drop(small[3:]).reset_index(drop=True)
    return type(rnd)(r, d, rnd.round_info, rnd.instrument)
