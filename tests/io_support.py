"""Shared pieces of the import and export tests: what the store holds, as plain comparable values."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import func, select

from zuofeng.store import answers, import_fingerprints, responses

SAMPLES = Path(__file__).parent / "data" / "io"
DEPT_ORDER = ["BGS", "XHB", "KPB", "KJG", "ZX"]  # option order in the sample surveys
DEPT_NAMES = {"办公室": "BGS", "学会部": "XHB", "科普部": "KPB", "科技馆": "KJG", "服务中心": "ZX"}
SCALE_TEXT = {"不存在": 1, "个别存在": 2, "一定程度存在": 3, "比较突出": 4, "非常突出": 5, "不了解": None}
OVERALL = ["好", "较好", "一般", "差"]


def snapshot(engine) -> tuple:
    """Everything an import could change, without the random ids: equal snapshots, unchanged store."""
    with engine.connect() as c:
        resp = sorted(tuple("" if v is None else str(v) for v in r)
                      for r in c.execute(select(responses.c.kind, responses.c.rater, responses.c.target,
                                                responses.c.category, responses.c.overall, responses.c.comment,
                                                responses.c.source, responses.c.too_fast)).all())
        n_answers = c.scalar(select(func.count()).select_from(answers))
        fps = sorted(tuple(str(v) for v in r) for r in c.execute(select(import_fingerprints)).all())
    return resp, n_answers, fps


def stored_sheets(engine, round_code: str) -> list[tuple]:
    """Every stored sheet as (kind, rater, target, category, overall, comment, too_fast, q01…q22), sorted."""
    from zuofeng.frames import responses_frame

    df = responses_frame(engine, round_code)
    keys = [f"q{n:02d}" for n in range(1, 23)]
    out = []
    for r in df.itertuples(index=False):
        items = tuple(None if math.isnan(getattr(r, k)) else int(getattr(r, k)) for k in keys)
        too_fast = None if r.too_fast is None or (isinstance(r.too_fast, float) and math.isnan(r.too_fast)) \
            else bool(r.too_fast)
        text = tuple(None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                     for v in (r.category, r.overall, r.comment))
        out.append((r.kind, r.rater, r.target, *text, too_fast) + items)
    return sorted(out, key=repr)


def sort_sheets(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)

