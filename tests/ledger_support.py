"""Helpers of the ledger tests: a simulated round on the demo roster, and a dump of the ledger tables."""

from __future__ import annotations

from sqlalchemy import select

from zuofeng.demo import demo_roster
from zuofeng.rounds import create_round, set_status
from zuofeng.simulate import simulate
from zuofeng.store import ledger_entries, ledger_history


def simulated_round(engine, code: str = "B", *, previous: str | None = None, seed: int = 1, effects=None) -> str:
    """Create, simulate (seeded) and close a round on the twelve-department demo roster."""
    create_round(engine, code, title="测评", roster=demo_roster(), previous=previous)
    set_status(engine, code, "open")
    simulate(engine, code, seed=seed, effects=effects)
    set_status(engine, code, "closed")
    return code


def dump(engine) -> tuple:
    """Every row of the ledger tables, in id order: equal dumps mean an unchanged ledger."""
    with engine.connect() as conn:
        return (tuple(map(tuple, conn.execute(select(ledger_entries).order_by(ledger_entries.c.id)))),
                tuple(map(tuple, conn.execute(select(ledger_history).order_by(ledger_history.c.id)))))
