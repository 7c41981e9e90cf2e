"""Paper ballots carry the token of their slip: the import consumes each token in the same transaction
as its sheet, refuses unknown, used, other-round and other-survey tokens (all or nothing, every row
named), accepts a ballot without a token only for a department that votes on paper and was issued no
tokens, and stores nothing that links a sheet to its token."""

from __future__ import annotations

import csv
import random

import pytest
from sqlalchemy import func, inspect, select, text

from tests.io_support import SAMPLES, snapshot
from zuofeng import store
from zuofeng.cli import main
from zuofeng.collect.tokens import issue_tokens, token_hash
from zuofeng.errors import InputFileError
from zuofeng.io import ImportProblems, import_file
from zuofeng.rounds import create_round, set_status
from zuofeng.store import Sheet, departments, open_engine, responses, store_sheets, tokens

ITEMS = [f"q{n:02d}" for n in range(1, 23)]
HEADER = ["token", "kind", "department", "target", "category", "overall", "comment", *ITEMS]
ROSTER = """code,name,unit_type,headcount,paper
BGS,办公室,机关部室,6,
XHB,学会部,机关部室,5,0
KPB,科普部,机关部室,4,否
ZX,服务中心,中心,3,是
JG,机关党委,机关部室,3,1
"""


@pytest.fixture
def paper_round(engine, tmp_path):
    """R1 open: BGS, XHB, KPB vote online (tokens issued), ZX and JG on paper (ZX was issued tokens
    before it was marked paper, JG none). Returns (engine, {scope: [tokens]})."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R1", title="基线", roster=roster)
    set_status(engine, "R1", "open")
    with engine.begin() as c:  # ZX is marked paper only after its tokens were issued
        c.execute(departments.update().where(departments.c.code == "ZX").values(paper=False))
    issued: dict[tuple[str, str, str], list[str]] = {}
    for t in issue_tokens(engine, "R1", kind="self"):
        issued.setdefault((t.scope.kind, t.scope.rater, t.scope.target), []).append(t.token)
    with engine.begin() as c:
        c.execute(departments.update().where(departments.c.code == "ZX").values(paper=True))
    assert ("self", "JG", "JG") not in issued  # tokens issue gives a paper department none
    return engine, issued


def ballots_file(path, rows: list[list[str]]) -> str:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return str(path)


def row(token: str = "", kind: str = "", dept: str = "", answers: list[int] | None = None, **kw) -> list[str]:
    answers = answers or [1 + i % 5 for i in range(22)]
    return [token, kind, dept, kw.get("target", ""), kw.get("category", ""), kw.get("overall", ""),
            kw.get("comment", ""), *[str(a) for a in answers]]


def used(engine) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(tokens).where(tokens.c.used.is_(True)))


def test_the_template_has_a_token_column_first(tmp_path):
    from zuofeng.instrument import load_instrument
    from zuofeng.io.template import write_template
    p = write_template(tmp_path / "t.csv", load_instrument())
    first = p.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert first == HEADER


def test_ballots_with_tokens_consume_them_and_take_the_survey_from_the_token(paper_round, tmp_path):
    engine, issued = paper_round
    bgs, xhb = issued[("self", "BGS", "BGS")], issued[("self", "XHB", "XHB")]
    f = ballots_file(tmp_path / "b.csv", [row(bgs[0]), row(bgs[1].lower().replace("-", " "), "self", "BGS"),
                                          row(xhb[0], category="党员")])
    dry = import_file(engine, "R1", f, dry_run=True)
    assert dry.sheets == 3 and used(engine) == 0
    r = import_file(engine, "R1", f)
    assert r.stored == 3 and used(engine) == 3
    with engine.connect() as c:
        got = sorted(tuple(x) for x in c.execute(select(responses.c.kind, responses.c.rater, responses.c.target,
                                                        responses.c.category, responses.c.source)).all())
        still = {h for (h,) in c.execute(select(tokens.c.hash).where(tokens.c.used.is_(False)))}
    assert got == [("self", "BGS", "BGS", None, "import"), ("self", "BGS", "BGS", None, "import"),
                   ("self", "XHB", "XHB", "党员", "import")]
    assert token_hash(bgs[2]) in still and token_hash(bgs[0]) not in still


def test_bad_tokens_are_all_listed_with_their_rows_and_nothing_is_stored(paper_round, tmp_path):
    engine, issued = paper_round
    bgs, kpb = issued[("self", "BGS", "BGS")], issued[("self", "KPB", "KPB")]
    store_sheets(engine, "R1", [Sheet("self", "KPB", "KPB", {i: 2 for i in range(1, 23)},
                                      token_hash=token_hash(kpb[0]))], source="survey")  # used online
    other_roster = tmp_path / "r2.csv"
    other_roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R2", title="中期", roster=other_roster)
    other = issue_tokens(engine, "R2", kind="self")[0].token
    f = ballots_file(tmp_path / "b.csv", [
        row(bgs[0]),                       # row 2: fine
        row(kpb[0]),                       # row 3: used online already
        row("ABCD-EFGH-JKLM-NPQR"),        # row 4: unknown
        row(other),                        # row 5: another round's
        row("not a token"),                # row 6: cannot be a token
        row(bgs[0]),                       # row 7: the same token twice
        row(bgs[1], "self", "XHB"),        # row 8: the token is BGS's
    ])
    before, before_used = snapshot(engine), used(engine)
    with pytest.raises(ImportProblems) as e:
        import_file(engine, "R1", f)
    zh = {(p.row, p.column): p.message for p in e.value.problems}
    assert "该答题码已经使用过" in zh[(3, "token")] and "该答题码对本问卷无效" in zh[(4, "token")]
    assert "与第 2 行的答题码相同" in zh[(7, "token")] and "这个答题码属于 self BGS" in zh[(8, "department")]
    where = {(p.row, p.column): p.en for p in e.value.problems}
    assert sorted(where) == [(3, "token"), (4, "token"), (5, "token"), (6, "token"), (7, "token"),
                             (8, "department")]
    assert "already been used" in where[(3, "token")] and "not valid" in where[(4, "token")]
    assert "not valid" in where[(5, "token")] and "same token as row 2" in where[(7, "token")]
    assert "the token is for self BGS" in where[(8, "department")]
    assert snapshot(engine) == before and used(engine) == before_used


def test_a_ballot_without_a_token_only_for_a_paper_department_without_tokens(paper_round, tmp_path):
    engine, _issued = paper_round
    f = ballots_file(tmp_path / "b.csv", [row("", "self", "JG"), row("", "self", "BGS"), row("", "self", "ZX"),
                                          row("", "self", "JG")])
    before = snapshot(engine)
    with pytest.raises(ImportProblems) as e:
        import_file(engine, "R1", f)
    zh = {(p.row, p.column): p.message for p in e.value.problems}
    assert "部门 BGS 不用纸质测评表" in zh[(3, "token")] and "部门 ZX 用纸质测评表，但已向它发放 3 个答题码" in zh[(4, "token")]
    where = {(p.row, p.column): p.en for p in e.value.problems}
    assert sorted(where) == [(3, "token"), (4, "token")]
    assert "BGS does not vote on paper" in where[(3, "token")]
    assert "ZX votes on paper but 3 tokens were issued" in where[(4, "token")]
    assert snapshot(engine) == before
    ok = ballots_file(tmp_path / "ok.csv", [row("", "self", "JG"), row("", "self", "JG", [3] * 22)])
    assert import_file(engine, "R1", ok).stored == 2


def test_a_survey_tool_file_is_refused_for_departments_issued_tokens(engine, paper_roster_file, tmp_path):
    create_round(engine, "R1", title="基线", roster=paper_roster_file)
    set_status(engine, "R1", "open")
    with engine.begin() as c:  # these departments answer online: tokens issue gives paper departments none
        c.execute(departments.update().values(paper=False))
    issue_tokens(engine, "R1", targets=["XHB"])  # outside-view tokens: every department but XHB rates XHB
    before = snapshot(engine)
    with pytest.raises(ImportProblems, match="部门 BGS、KJG、KPB、ZX 已发放 zuofeng 答题码：一个部门要么用 zuofeng "
                                             "答题码作答，要么在 问卷星 上作答，不能两者都用") as e:
        import_file(engine, "R1", SAMPLES / "wjx_text_self.xlsx")
    assert ("BGS, KJG, KPB, ZX were issued zuofeng tokens: a department answers with zuofeng tokens or on 问卷星, "
            "never both") in e.value.en
    assert snapshot(engine) == before


def test_a_token_used_while_the_file_is_checked_stores_nothing(paper_round, tmp_path, monkeypatch):
    engine, issued = paper_round
    bgs = issued[("self", "BGS", "BGS")]
    f = ballots_file(tmp_path / "b.csv", [row(bgs[0]), row(bgs[1])])
    from zuofeng.io import importer
    real = importer.store_sheets

    def someone_answers_online_first(engine_, code, sheets, **kw):
        store_sheets(engine_, code, [Sheet("self", "BGS", "BGS", {i: 4 for i in range(1, 23)},
                                           token_hash=token_hash(bgs[1]))], source="survey")
        return real(engine_, code, sheets, **kw)

    monkeypatch.setattr(importer, "store_sheets", someone_answers_online_first)
    with pytest.raises(InputFileError, match="该答题码已经使用过.*未导入任何内容") as e:
        import_file(engine, "R1", f)
    assert "this token has already been used (a token was used while the file was checked)" in e.value.en
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(responses)) == 1  # the online sheet only
    assert used(engine) == 1


def test_the_cli_lists_token_problems_and_exits_2(paper_round, tmp_path, capsys):
    engine, _issued = paper_round
    f = ballots_file(tmp_path / "b.csv", [row("ABCD-EFGH-JKLM-NPQR")])
    assert main(["import", "R1", f, "--db", engine.url.render_as_string(hide_password=False)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "  第 2 行，token 列：该答题码对本问卷无效"
    assert err[-1].startswith("zuofeng: error:") and len(err) == 2
    assert main(["import", "R1", f, "--db", engine.url.render_as_string(hide_password=False), "--lang", "en"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "  row 2, column token: this token is not valid for this survey"
    assert err[-1].startswith("zuofeng: error:") and len(err) == 2


# --- anonymity -------------------------------------------------------------------------------------

def _tokened_import(engine, issued, tmp_path, n: int):
    """Import n ballots whose answers spell their own number, each with its own token; return
    {token hash: ballot number}."""
    toks = issued[("self", "BGS", "BGS")][:n]
    rows, truth = [], {}
    for k, t in enumerate(toks):
        digits = [1 + (k // 5 ** d) % 5 for d in range(3)]
        rows.append(row(t, answers=digits + [1] * 19))
        truth[token_hash(t)] = tuple(digits)
    import_file(engine, "R1", ballots_file(tmp_path / "b.csv", rows))
    return truth


@pytest.fixture
def big_paper_round(engine, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("code,name,unit_type,headcount\nBGS,办公室,机关部室,30\n", encoding="utf-8")
    create_round(engine, "R1", title="基线", roster=roster)
    set_status(engine, "R1", "open")
    issued: dict = {}
    for t in issue_tokens(engine, "R1", kind="self"):
        issued.setdefault((t.scope.kind, t.scope.rater, t.scope.target), []).append(t.token)
    return engine, issued


def _pairs_by_physical_order(engine, truth) -> int:
    """The attacker lines up used tokens and responses in the order the tables hold them."""
    order = "ORDER BY ctid" if engine.dialect.name == "postgresql" else ""
    with engine.connect() as c:
        toks = [h for (h,) in c.execute(text(f"SELECT hash FROM tokens WHERE used {order}"))]
        ids = [i for (i,) in c.execute(text(f"SELECT id FROM responses {order}"))]
        spelled = {}
        for rid, item, value in c.execute(text("SELECT response_id, item, value FROM answers WHERE item <= 3")):
            spelled.setdefault(rid, {})[item] = value
    return sum(truth[h] == tuple(spelled[i][k] for k in (1, 2, 3)) for h, i in zip(toks, ids))


def test_nothing_stored_links_a_paper_ballot_to_its_token(big_paper_round, tmp_path, monkeypatch):
    engine, issued = big_paper_round
    truth = _tokened_import(engine, issued, tmp_path, 30)
    plain = set(issued[("self", "BGS", "BGS")])
    with engine.connect() as c:
        blob = []
        for table in inspect(engine).get_table_names():
            if table != "tokens":
                blob += [str(v) for r in c.execute(text(f'SELECT * FROM "{table}"')).all() for v in r]
    blob = "\n".join(blob)
    assert not [h for h in truth if h in blob] and not [t for t in plain if t in blob]
    assert not [t.replace("-", "") for t in plain if t.replace("-", "") in blob]
    # 30 ballots: pairing them with tokens by the tables' order is at chance (expected 1; P(≥ 7) < 1e-4)
    assert _pairs_by_physical_order(engine, truth) < 7


@pytest.mark.pg
def test_control_without_the_rewrite_postgresql_pairs_paper_ballots(tmp_path, monkeypatch):
    """The attack above works: without the rewrite after the import, PostgreSQL's heap order pairs them."""
    from tests.support.store import pg_database
    gen = pg_database()
    url = next(gen)
    try:
        engine = open_engine(url)
        roster = tmp_path / "roster.csv"
        roster.write_text("code,name,unit_type,headcount\nBGS,办公室,机关部室,30\n", encoding="utf-8")
        create_round(engine, "R1", title="基线", roster=roster)
        set_status(engine, "R1", "open")
        issued: dict = {}
        for t in issue_tokens(engine, "R1", kind="self"):
            issued.setdefault((t.scope.kind, t.scope.rater, t.scope.target), []).append(t.token)
        monkeypatch.setattr(store.storing, "_unlink_after_arrival", lambda engine, round_code: None)
        truth = _tokened_import(engine, issued, tmp_path, 30)
        assert _pairs_by_physical_order(engine, truth) >= 25
        engine.dispose()
    finally:
        gen.close()


# --- the roster column and its migration -----------------------------------------------------------

def test_tokens_issue_gives_a_paper_department_no_token(engine, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R1", title="基线", roster=roster)
    raters = {t.scope.rater for t in issue_tokens(engine, "R1")}
    assert raters == {"BGS", "XHB", "KPB"}


def test_the_roster_paper_column(engine, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    create_round(engine, "R1", title="t", roster=roster)
    with engine.connect() as c:
        paper = dict(c.execute(select(departments.c.code, departments.c.paper)).all())
    assert {k: bool(v) for k, v in paper.items()} == {"BGS": False, "XHB": False, "KPB": False, "ZX": True,
                                                       "JG": True}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,unit_type,headcount,纸质测评\nBGS,办公室,机关部室,6,maybe\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="第 2 行：paper 必须是 1/是") as e:
        create_round(engine, "R2", title="t", roster=bad)
    assert "line 2: paper must be 1/是" in e.value.en


def test_a_store_from_before_the_paper_migration_gains_the_column_intact(db_url, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    old = open_engine(db_url)
    create_round(old, "R1", title="t", roster=roster)
    with old.begin() as c:  # make it the store an earlier release wrote: no column, no record
        c.execute(text("ALTER TABLE departments DROP COLUMN paper"))
        c.execute(store.schema_migrations.delete().where(store.schema_migrations.c.name == "0003_paper_ballots"))
        before = sorted(tuple(r) for r in c.execute(text("SELECT code, name, headcount FROM departments")))
    old.dispose()
    new = open_engine(db_url)
    try:
        with new.connect() as c:
            assert "paper" in {col["name"] for col in inspect(c).get_columns("departments")}
            assert sorted(tuple(r) for r in c.execute(text("SELECT code, name, headcount FROM departments"))) == before
            assert set(c.scalars(select(departments.c.paper))) == {None}  # nobody votes on paper until told
        assert store.migrate(new) == []
        with new.begin() as c:
            dict(store.MIGRATIONS)["0003_paper_ballots"](c)  # running it again is harmless
    finally:
        new.dispose()


def test_random_sample_of_rows_in_a_tokened_import_keeps_every_answer(big_paper_round, tmp_path):
    engine, issued = big_paper_round
    rng = random.Random(3)
    toks = issued[("self", "BGS", "BGS")][:12]
    answers = [[rng.choice([1, 2, 3, 4, 5]) for _ in range(22)] for _ in toks]
    import_file(engine, "R1", ballots_file(tmp_path / "b.csv", [row(t, answers=a) for t, a in zip(toks, answers)]))
    from tests.io_support import stored_sheets
    got = sorted(s[7:] for s in stored_sheets(engine, "R1"))
    assert got == sorted(tuple(a) for a in answers)
