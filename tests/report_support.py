"""A two-round campaign for the report tests: the demo roster (twelve departments) with one outside
view that receives no answer (QYB rates XXZX), suggestions with clue words in a large group and in a
group under the comment threshold, hostile markup in them, and a red-line alert on its own (two of
KPB's inside peers rate red-line item q10 as serious: an alert needs at least two serious ratings)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from zuofeng.store import Sheet, open_engine, store_sheets

CLUES = ["有人吃拿卡要，建议查处受贿问题", "<script>alert('举报')</script>利益输送"]
PLAIN = "会议太多，建议精简"
HIDDEN_CLUE = "小组里有人受贿（此组答卷太少，不得出现）"


def roster_text() -> str:
    from zuofeng.demo import demo_roster

    text = Path(demo_roster()).read_text(encoding="utf-8")
    return re.sub(r"^(QYB,.*),$", r"\1,XXZX", text, flags=re.MULTILINE)


RED_ITEM = 10  # q10, a red-line item


def _sheet(kind, rater, target, level, rng, comment=None, overall=None, serious=()):
    vals = {i: int(min(5, max(1, round(level + rng.normal(0, 0.8))))) for i in range(1, 23)}
    vals.update({i: 4 for i in serious})
    return Sheet(kind, rater, target, vals, "党员" if rng.random() < 0.6 else "非党员", overall, comment)


def build_campaign(folder: Path) -> str:
    """Create, simulate and close the rounds ``B0`` and ``F1`` (compared with B0); return the store URL."""
    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate_sheets

    roster = folder / "roster.csv"
    roster.write_text(roster_text(), encoding="utf-8")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = open_engine(url)
    rng = np.random.default_rng(7)
    previous = None
    for n, code in enumerate(("B0", "F1")):
        # outside views from peer_targets only: the scenario below is built on the 22-item sheets
        create_round(engine, code, title=f"作风测评{code}", roster=roster, previous=previous, outside="targets")
        set_status(engine, code, "open")
        sheets = [s for s in simulate_sheets(engine, code, seed=11 + n)
                  if not (s.rater == "QYB" and s.target == "XXZX")]
        if code == "F1":
            sheets += [_sheet("peer", "BGS", "BGS", 2.6, rng, comment=c, overall="一般") for c in CLUES + [PLAIN] * 8]
            sheets += [_sheet("self", "ZCGZD", "ZCGZD", 2.0, rng, comment=HIDDEN_CLUE)]
            sheets += [_sheet("peer", "KPB", "KPB", 1.5, rng, serious=(RED_ITEM,)) for _ in range(3)]
        store_sheets(engine, code, sheets, source="simulate")
        set_status(engine, code, "closed")
        previous = code
    engine.dispose()
    return url
