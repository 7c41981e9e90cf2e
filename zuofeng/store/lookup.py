"""Reading a round and its departments (one clear error for an unknown round)."""

from __future__ import annotations

from sqlalchemy import select

from ..errors import RoundError
from .schema import departments, rounds


def get_round(conn, code: str) -> dict:
    row = conn.execute(select(rounds).where(rounds.c.code == code)).mappings().first()
    if row is None:
        known = list(conn.scalars(select(rounds.c.code).order_by(rounds.c.code)))
        hint = f"; known rounds: {', '.join(known)}" if known else "; no rounds yet (zuofeng round create)"
        hint_zh = f"；已有轮次：{'、'.join(known)}" if known else "；还没有轮次（zuofeng round create）"
        raise RoundError(f"轮次 {code!r} 不存在{hint_zh}", f"unknown round {code!r}{hint}")
    return dict(row)


def get_departments(conn, round_code: str) -> dict[str, dict]:
    rows = conn.execute(select(departments).where(departments.c.round == round_code).order_by(departments.c.code))
    return {r.code: dict(r._mapping) for r in rows}
