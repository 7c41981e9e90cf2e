"""A round loaded once (``zuofeng.score.loaded``): the same scores as scoring it from the store, and a
report batch that reads each round of the chain (the round and its previous) from the store once."""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from zuofeng.store import open_engine

ROSTER = """code,name,unit_type,headcount,party_members,division,peer_targets
BGS,办公室,机关部室,14,10,机关,KPB
XHB,学会部,机关部室,12,8,机关,
KPB,科普部,机关部室,12,9,机关,BGS
KJG,科技馆,事业单位,20,10,事业单位,
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Two closed rounds, R2 naming R1 as its previous; R1 has a ledger (its entries are verified against R2)."""
    from zuofeng.ledger.entries import add_entry
    from zuofeng.rounds import create_round, set_status
    from zuofeng.simulate import simulate

    tmp = tmp_path_factory.mktemp("loaded")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    url = f"sqlite:///{tmp / 'store.db'}"
    engine = open_engine(url)
    for code, prev in (("R1", None), ("R2", "R1")):
        create_round(engine, code, title=f"测评{code}", roster=roster, previous=prev)
        set_status(engine, code, "open")
        simulate(engine, code, seed=11)
        set_status(engine, code, "closed")
    add_entry(engine, "R1", "KJG", "服务意识不强", item=5, by="测试", status="已完成", measure="每月开展一次服务回访，由馆长负责")
    add_entry(engine, "R1", "BGS", "文风会风", item=9, by="测试", measure="加强学习，提高认识")
    engine.dispose()
    return url, tmp


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_a_loaded_round_scores_as_the_store_path_does(chain):
    from zuofeng.score import score_round
    from zuofeng.score.loaded import load_round

    url, _ = chain
    engine = open_engine(url)
    try:
        loaded = load_round(engine, "R2", seed=3)
        assert [r.code for r in loaded.chain] == ["R1", "R2"]
        for r in loaded.chain:  # each round, scored from its loaded frames, equals scoring it from the store
            direct = score_round(engine, r.code, seed=3)
            _same(r.scores.table, direct.table)
            _same(r.scores.problems, direct.problems)
        assert loaded.scores is loaded.scores  # scored once
    finally:
        engine.dispose()


def test_a_notebook_holding_only_the_code_gets_the_sections_of_the_loaded_round(chain):
    """The store fallback of a notebook without the batch's pages (``department_ledger(code, db=…)``) shows
    what the sections make of the round loaded once, the previous round's entries verified against it."""
    from zuofeng.report.ledger_view import (
        department_frames,
        department_html,
        department_ledger,
        overview_frames,
        overview_html,
        overview_ledger,
    )
    from zuofeng.score.loaded import load_round

    url, _ = chain
    engine = open_engine(url)
    try:
        loaded = load_round(engine, "R2")
        for code in ("KJG", "BGS"):
            assert department_ledger("R2", code, db=url) == department_html(department_frames(engine, loaded, code))
        assert "已完成" in set(department_frames(engine, loaded, "KJG")["verified"].iloc[:, 6])
        assert overview_ledger("R2", db=url) == overview_html(overview_frames(engine, loaded))
    finally:
        engine.dispose()


ROUND_LOOKUP = re.compile(r"\bFROM rounds\b.*\bWHERE rounds\.code = ", re.DOTALL)
ROSTER_READ = re.compile(r"\bFROM departments\b.*\bWHERE departments\.round = ", re.DOTALL)
SHEETS_READ = re.compile(r"\bFROM answers JOIN responses\b", re.DOTALL)


def test_a_report_batch_reads_each_round_from_the_store_once(chain, tmp_path):
    """Counted on every statement the batch process sends (``before_cursor_execute``): the round's row,
    its roster and its answer sheets, for the round and for its previous round, once each; and every
    statement goes through one engine (the store is opened, checked and migrated once)."""
    from zuofeng.report import render_round

    url, _ = chain
    seen: list[tuple[str, tuple]] = []
    engines: list[Engine] = []  # held, so that two engines never share an id

    def count(conn, cursor, statement, parameters, context, executemany):
        if not any(e is conn.engine for e in engines):
            engines.append(conn.engine)
        seen.append((statement, tuple(parameters) if isinstance(parameters, (list, tuple)) else
                     tuple(parameters.values()) if isinstance(parameters, dict) else ()))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        result = render_round("R2", db=url, out=tmp_path / "reports", jobs=2, progress=False)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert not result.failed
    reads = Counter()
    for statement, params in seen:
        for name, pattern in (("round", ROUND_LOOKUP), ("roster", ROSTER_READ), ("sheets", SHEETS_READ)):
            if pattern.search(statement):
                for code in ("R1", "R2"):
                    if code in params:
                        reads[(name, code)] += 1
    assert reads == {(what, code): 1 for what in ("round", "roster", "sheets") for code in ("R1", "R2")}, reads
    assert len(engines) == 1
    # the previous round's entries were verified against this round (its scores reached the ledger)
    pages = (tmp_path / "reports" / "departments" / "KJG.html").read_text(encoding="utf-8")
    assert "上一轮整改成效核验" in pages and "服务意识不强" in pages
