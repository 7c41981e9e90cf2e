"""Tidy pandas frames read from the store: what scoring, reports and exports start from.

Kept apart from ``store`` so that the survey kernel never imports pandas.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from .axes import TABLE_FORM, table_column, view_of
from .instrument import load_instrument
from .store import answers, departments, get_round, responses

RESPONSE_COLUMNS = [
    "response_id", "round", "kind", "view", "rater", "target", "department",
    "category", "overall", "comment", "submitted_on", "source", "too_fast", "rater_group", "form",
]


def responses_frame(engine: Engine, round_code: str, *, info: dict | None = None) -> pd.DataFrame:
    """One row per answer sheet, wide: the columns of RESPONSE_COLUMNS, q01…qNN, then ``t:<dimension>``.

    ``department`` is the department being rated (the target). ``form`` is ``items`` (a 22-item sheet)
    or ``table`` (a row of the 民主测评 table, ``zuofeng.axes.FORMS``): its dimension ratings are in the
    ``t:`` columns and its item columns are empty; a 22-item sheet's ``t:`` columns are empty. Item and
    dimension columns are float with NaN for 不了解. Rows are sorted by a content-free key (the random
    id), never by arrival. ``info``: the round's row when the caller has read it already.
    """
    with engine.connect() as conn:
        rnd = info if info is not None else get_round(conn, round_code)
        inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
        resp = pd.DataFrame(conn.execute(select(responses).where(responses.c.round == round_code)).mappings().all(),
                            columns=[c.name for c in responses.columns])
        ans = pd.DataFrame(conn.execute(
            select(answers.c.response_id, answers.c.item, answers.c.value)
            .join(responses, responses.c.id == answers.c.response_id)
            .where(responses.c.round == round_code)).all(), columns=["response_id", "item", "value"])
    keys = list(inst.item_keys)
    dim_cols = [table_column(d.id) for d in inst.dimensions]
    resp = resp.rename(columns={"id": "response_id"})
    if resp.empty:
        out = pd.DataFrame(columns=RESPONSE_COLUMNS + keys + dim_cols)
        return out.astype({k: "float64" for k in keys + dim_cols})
    resp["form"] = resp["form"].where(resp["form"].eq(TABLE_FORM), "items")
    is_table = ans["response_id"].isin(resp.loc[resp["form"].eq(TABLE_FORM), "response_id"])
    out = resp.assign(view=[view_of(k, r, t) for k, r, t in zip(resp["kind"], resp["rater"], resp["target"])],
                      department=resp["target"])[RESPONSE_COLUMNS]
    for part, names, name_of in ((ans[~is_table], keys, lambda c: f"q{c:02d}"),
                                 (ans[is_table], dim_cols, lambda c: dim_cols[c - 1])):
        wide = part.pivot(index="response_id", columns="item", values="value").astype("float64")
        wide.columns = [name_of(int(c)) for c in wide.columns]
        out = out.merge(wide.reindex(columns=names), left_on="response_id", right_index=True, how="left")
    return out.sort_values("response_id", ignore_index=True)


def departments_frame(engine: Engine, round_code: str, *, info: dict | None = None) -> pd.DataFrame:
    """The round's roster: code, name, unit_type, headcount, party_members, division, peer_targets.
    ``info``: the round's row when the caller has read it already (the round is then not looked up)."""
    with engine.connect() as conn:
        if info is None:
            get_round(conn, round_code)
        rows = conn.execute(select(departments).where(departments.c.round == round_code)
                            .order_by(departments.c.code)).mappings().all()
    df = pd.DataFrame(rows, columns=[c.name for c in departments.columns]).drop(columns="round")
    return df.astype({"headcount": "int64", "party_members": "Int64"})
