"""Tokens: entropy, alphabet, keyed hashing, top-up issuing, one use per token."""

from __future__ import annotations

import math
import os
import stat

import pytest
from sqlalchemy import select

from zuofeng.collect import tokens as tk
from zuofeng.errors import TokenError, ZuofengError
from zuofeng.store import Sheet, store_sheets, tokens


def full(v=2):
    return {i: v for i in range(1, 23)}


def test_token_format_and_entropy():
    t = tk.new_token()
    groups = t.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert len(set(tk.ALPHABET)) == len(tk.ALPHABET) == 32
    assert not set("01IO") & set(tk.ALPHABET)
    assert tk.LENGTH * math.log2(len(tk.ALPHABET)) >= 80
    many = {tk.new_token() for _ in range(2000)}
    assert len(many) == 2000
    # every symbol is used, roughly uniformly (chi-square well inside the 99.9% bound for 31 df)
    counts = {c: 0 for c in tk.ALPHABET}
    for x in many:
        for ch in x.replace("-", ""):
            counts[ch] += 1
    expected = 2000 * 16 / 32
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 61.1


def test_normalise_accepts_typing_variants_and_refuses_junk():
    t = tk.new_token()
    assert tk.normalise(t.lower().replace("-", " ")) == t.replace("-", "")
    for bad in ("", "ABCD", "ABCD-EFGH-IJKL-MNOP", "0000-0000-0000-0000", t + "A"):
        with pytest.raises(TokenError, match="答题码为 16 位字母和数字，每 4 位一组") as e:
            tk.normalise(bad)
        assert e.value.en == "a token is 16 letters and digits in groups of 4, like ABCD-EFGH-JKLM-NPQR"


def test_key_is_created_once_private_and_outside_the_database(tmp_path):
    key = tk.load_key(create=True)
    path = tk.token_key_path()
    assert path.exists() and len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tk.load_key() == key
    t = tk.new_token()
    assert tk.token_hash(t) == tk.token_hash(t.lower())
    assert tk.token_hash(t) != tk.token_hash(t, key=bytes(32))  # keyed: another key, another hash


def test_issue_tops_up_to_headcount_and_never_duplicates(open_round):
    engine, rnd = open_round
    first = tk.issue_tokens(engine, rnd)
    # roster: headcounts 12, 8, 10, 25, 4 = 59; self + inside peer = 118; outside: BGS→XHB 12, KPB→BGS 10
    assert len(first) == 59 * 2 + 12 + 10
    assert len({i.token for i in first}) == len(first)
    assert tk.issue_tokens(engine, rnd) == []  # nothing missing: nothing new
    extra = tk.issue_tokens(engine, rnd, kind="self", extra=1)
    assert len(extra) == 5 and {i.scope.kind for i in extra} == {"self"}
    with engine.connect() as c:
        hashes = list(c.scalars(select(tokens.c.hash)))
    assert len(hashes) == len(set(hashes)) == len(first) + 5
    stored = " ".join(hashes)
    assert not any(i.token.replace("-", "") in stored or i.token in stored for i in first)


def test_outside_view_targets_from_option(open_round):
    engine, rnd = open_round
    issued = tk.issue_tokens(engine, rnd, kind="peer", targets=["ZX"])
    scopes = {(i.scope.rater, i.scope.target) for i in issued}
    assert scopes == {("BGS", "ZX"), ("XHB", "ZX"), ("KPB", "ZX"), ("KJG", "ZX")}
    assert sum(1 for i in issued if i.scope.rater == "KJG") == 25
    with pytest.raises(ZuofengError, match="没有被评部门 'NOPE'；名册中的部门：BGS") as e:
        tk.issue_tokens(engine, rnd, targets=["NOPE"])
    assert e.value.en.startswith("unknown target department 'NOPE'; known: BGS")


def test_token_is_used_once_and_lookup_explains_refusals(open_round):
    engine, rnd = open_round
    issued = tk.issue_tokens(engine, rnd, kind="self")
    t = issued[0]
    scope = tk.lookup(engine, rnd, t.token)
    assert scope == t.scope and scope.view == "self"
    sheet = Sheet(scope.kind, scope.rater, scope.target, full(), token_hash=tk.token_hash(t.token))
    assert store_sheets(engine, rnd, [sheet]) == 1
    with pytest.raises(TokenError, match="该答题码已经使用过") as e:
        tk.lookup(engine, rnd, t.token)
    assert e.value.en == "this token has already been used"
    with pytest.raises(TokenError, match="该答题码已经使用过"):
        store_sheets(engine, rnd, [sheet])
    with pytest.raises(TokenError, match="该答题码对本问卷无效") as e:
        tk.lookup(engine, rnd, tk.new_token())
    assert e.value.en == "this token is not valid for this survey"
    with engine.connect() as c:
        used = c.execute(select(tokens.c.used).where(tokens.c.hash == tk.token_hash(t.token))).scalar_one()
    assert used is True
    counts = {(r["kind"], r["rater"]): (r["issued"], r["used"]) for r in tk.token_counts(engine, rnd)}
    assert counts[("self", t.scope.rater)][1] == 1


def test_token_of_another_scope_cannot_store_other_answers(open_round):
    engine, rnd = open_round
    t = tk.issue_tokens(engine, rnd, kind="self")[0]
    other = "XHB" if t.scope.rater != "XHB" else "BGS"
    sheet = Sheet("self", other, other, full(), token_hash=tk.token_hash(t.token))
    with pytest.raises(TokenError, match="此答题码属于另一份问卷"):
        store_sheets(engine, rnd, [sheet])
    assert tk.lookup(engine, rnd, t.token).rater == t.scope.rater  # still unused


def test_token_of_another_round_is_refused(engine, roster_file):
    from zuofeng.rounds import create_round, set_status
    for code in ("A", "B"):
        create_round(engine, code, title=code, roster=roster_file)
        set_status(engine, code, "open")
    t = tk.issue_tokens(engine, "A", kind="self")[0]
    with pytest.raises(TokenError, match="该答题码对本问卷无效"):
        tk.lookup(engine, "B", t.token)
    sheet = Sheet("self", t.scope.rater, t.scope.rater, full(), token_hash=tk.token_hash(t.token))
    with pytest.raises(TokenError, match="该答题码对本问卷无效"):
        store_sheets(engine, "B", [sheet])


def test_closed_round_refuses_tokens(open_round):
    from zuofeng.rounds import set_status
    engine, rnd = open_round
    t = tk.issue_tokens(engine, rnd, kind="self")[0]
    set_status(engine, rnd, "closed")
    with pytest.raises(TokenError, match="本轮测评未开放") as e:
        tk.lookup(engine, rnd, t.token)
    assert e.value.en == "this survey is not open"
