"""Fuzzing the template parser: any file either imports or is refused with a message — never a crash,
never a half-write. After every refusal the store is exactly as before; after every import it holds
exactly the sheets reported."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.io_support import snapshot
from zuofeng.errors import ZuofengError
from zuofeng.io import ImportProblems, import_file


@pytest.fixture
def roster_file(paper_roster_file):
    """This module's ballots carry no tokens: every department of its rounds votes on paper."""
    return paper_roster_file


ITEMS = [f"q{n:02d}" for n in range(1, 23)]
COLUMNS = ["kind", "department", "target", "category", "overall", "comment", *ITEMS]
VALUES = {
    "kind": ["self", "peer", "自评", "互评", "boss", ""],
    "department": ["BGS", "XHB", "KPB", "KJG", "ZX", "办公室", "bgs", "NOPE", "", "=cmd|' /C calc'!A0"],
    "target": ["", "BGS", "XHB", "KJG", "科普部", "ZZ"],
    "category": ["", "党员", "非党员", "群众", "中共党员", "x"],
    "overall": ["", "好", "较好", "一般", "差", "不了解", "优秀", "5"],
    "comment": ["", "建议加强学习", "@SUM(1+1)", "-2", "长" * 501, "\t", "'"],
}
ITEM_VALUES = ["1", "2", "3", "4", "5", "", "不了解", "３", "3.0", "0", "6", "-3", "一般", "比较突出", "1.5", " 2 "]

settings_ = settings(max_examples=120, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def cell(column: str):
    pool = ITEM_VALUES if column.startswith("q") else VALUES[column]
    return st.one_of(st.sampled_from(pool), st.text(max_size=8))


@st.composite
def template_files(draw):
    header = list(COLUMNS)
    mutate = draw(st.sampled_from(["none", "none", "none", "drop", "duplicate", "rename", "shuffle"]))
    if mutate == "drop":
        del header[draw(st.integers(0, len(header) - 1))]
    elif mutate == "duplicate":
        header.append(draw(st.sampled_from(header)))
    elif mutate == "rename":
        header[draw(st.integers(0, len(header) - 1))] = draw(st.text(max_size=6))
    elif mutate == "shuffle":
        header = draw(st.permutations(header))
    n_rows = draw(st.integers(0, 6))
    rows = []
    for _ in range(n_rows):
        row = [draw(cell(c)) if c in COLUMNS else draw(st.text(max_size=5)) for c in header]
        if draw(st.booleans()):  # mostly valid ballots, so that imports succeed too
            kind = draw(st.sampled_from(["self", "peer"]))
            row = [{"kind": kind, "department": "BGS", "target": "", "category": "", "overall": "",
                    "comment": ""}.get(c, draw(st.sampled_from(["1", "2", "3", "4", "5", "", "不了解"])))
                   for c in header]
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _try(engine, rnd, path, data: bytes, **kw):
    path.write_bytes(data)
    before = snapshot(engine)
    try:
        r = import_file(engine, rnd, path, **kw)
    except ImportProblems as e:
        assert e.problems and all(p.message for p in e.problems)
        assert snapshot(engine) == before
        return None
    except ZuofengError as e:
        assert e.message and "\n" not in e.message
        assert snapshot(engine) == before
        return None
    after = snapshot(engine)
    assert len(after[0]) - len(before[0]) == r.stored
    assert after[1] - before[1] == 22 * r.stored
    return r


@pytest.fixture
def sqlite_round(sqlite_url, roster_file):
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine
    engine = open_engine(sqlite_url)
    create_round(engine, "R1", title="t", roster=roster_file)
    set_status(engine, "R1", "open")
    yield engine, "R1"
    engine.dispose()


@settings_
@given(data=template_files())
def test_template_parser_imports_or_refuses(sqlite_round, tmp_path, data):
    engine, rnd = sqlite_round
    _try(engine, rnd, tmp_path / "fuzz.csv", data, format="template")


@settings_
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_are_refused_cleanly(sqlite_round, tmp_path, data):
    engine, rnd = sqlite_round
    r = _try(engine, rnd, tmp_path / "fuzz.csv", data)
    if r is not None:  # random bytes that happen to form a valid file must at least be a known format
        assert r.format in ("template", "wjx", "limesurvey")


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=template_files(), cut=st.floats(0.05, 0.95))
def test_cut_files_are_refused_or_import_only_whole_rows(sqlite_round, tmp_path, data, cut):
    engine, rnd = sqlite_round
    r = _try(engine, rnd, tmp_path / "cut.csv", data[: int(len(data) * cut)], format="template")
    if r is not None:
        # Whatever was stored came from complete rows of the cut file.
        assert r.stored <= data[: int(len(data) * cut)].count(b"\n")


def test_the_fuzzer_reaches_both_outcomes(sqlite_round, tmp_path):
    """The generator is only useful if it produces files that import and files that do not."""
    engine, rnd = sqlite_round
    outcomes = set()

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=template_files())
    def run(data):
        outcomes.add(_try(engine, rnd, tmp_path / "f.csv", data, format="template", force=True) is not None)

    run()
    assert outcomes == {True, False}
