"""Anonymous tokens, like paper ballots.

A token binds round, kind, rater department, target department and, in a round that declares rater
groups, the rater group (:mod:`zuofeng.rater_groups`). It carries 80 bits from
``secrets`` (16 symbols of a 32-symbol alphabet without look-alikes: no 0, 1, I or O), is printed as
four groups of four, and is stored only as a keyed hash, HMAC-SHA256 under a key that lives outside the
database (``token_key_path()``). Nobody records who received which token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ..axes import NO_DEPARTMENT
from ..errors import TokenError, ZuofengError
from ..private import private_folder
from ..rater_groups import Batch, group_names, read_batches
from ..sheet import TokenScope
from ..store import get_departments, get_round, token_usage, tokens, writing

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
LENGTH = 16  # 80 bits
GROUP = 4
KEY_BYTES = 32


def token_key_path() -> Path:
    """``$ZUOFENG_KEY_FILE``, else ``$XDG_CONFIG_HOME/zuofeng/token.key`` (default ``~/.config/zuofeng/token.key``)."""
    env = os.environ.get("ZUOFENG_KEY_FILE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "zuofeng" / "token.key"


def load_key(create: bool = False) -> bytes:
    """Read the token key; with ``create``, make it (32 random bytes, mode 0600) when it is missing."""
    path = token_key_path()
    if path.exists():
        data = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(data) != KEY_BYTES:
            raise ZuofengError(f"答题码密钥文件 {path} 已损坏（应为 {KEY_BYTES * 2} 位十六进制数字）",
                               f"token key file {path} is damaged (expected {KEY_BYTES * 2} hex digits)")
        return data
    if not create:
        raise ZuofengError(f"{path} 没有答题码密钥：答题码是用另一个密钥发放的，或者还没有发放过答题码",
                           f"no token key at {path}: tokens were issued with another key, or none were issued")
    private_folder(path.parent)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def new_token() -> str:
    """A fresh token, formatted in groups: ``ABCD-EFGH-JKLM-NPQR``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(token: str) -> str:
    """Upper-case, drop spaces and dashes; raise TokenError when it cannot be a token.

    >>> normalise(" abcd efgh-jkmn pqrs ")
    'ABCDEFGHJKMNPQRS'
    """
    t = "".join(ch for ch in token.upper() if ch not in " -\t\u3000－")
    if len(t) != LENGTH or any(ch not in ALPHABET for ch in t):
        raise TokenError(f"答题码为 {LENGTH} 位字母和数字，每 {GROUP} 位一组，例如 ABCD-EFGH-JKLM-NPQR",
                         f"a token is {LENGTH} letters and digits in groups of {GROUP}, like ABCD-EFGH-JKLM-NPQR")
    return t


def token_hash(token: str, key: bytes | None = None) -> str:
    """The keyed hash stored in place of the token (hex HMAC-SHA256 of the normalised token)."""
    key = load_key() if key is None else key
    return hmac.new(key, normalise(token).encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    scope: TokenScope
    token: str


def lookup(engine: Engine, round_code: str, token: str) -> TokenScope:
    """What an unused token of an open round opens; TokenError (one clear message) otherwise.

    Does not consume the token: ``store.store_sheets`` does that in the transaction that stores the answers.
    """
    h = token_hash(token)
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        row = conn.execute(select(tokens.c.round, tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.used,
                                  tokens.c.rater_group)
                           .where(tokens.c.hash == h)).mappings().first()  # not the hash: DEBUG logs rows
    if row is None or row["round"] != round_code:
        raise TokenError("该答题码对本问卷无效", "this token is not valid for this survey")
    if row["used"]:
        raise TokenError("该答题码已经使用过", "this token has already been used")
    if rnd["status"] != "open":
        raise TokenError("本轮测评未开放", "this survey is not open")
    return TokenScope(round_code, row["kind"], row["rater"], row["target"], row["rater_group"])


Scope = tuple[str, str, str, "str | None"]  # (kind, rater, target, rater group)


def planned_scopes(engine: Engine, round_code: str, *, kind: str | None = None,
                   targets: list[str] | None = None, groups: str | Path | None = None) -> dict[Scope, int]:
    """How many tokens each (kind, rater, target, group) should have: the rater department's headcount.

    Self tokens and inside-view peer tokens for every department; outside-view peer tokens for each
    department's ``peer_targets`` (a roster column), and, when ``targets`` is given, from every other
    department to each named target. A department the roster marks as voting on paper (``paper``)
    rates without tokens, so it is issued none. The group is None, unless the round declares rater
    groups: then ``groups`` names the batch file (:func:`zuofeng.rater_groups.read_batches`) and each
    batch gets, with its group, the tokens of its department's members, ``count`` per scope (a batch
    of no department: peer tokens for its targets).
    """
    if kind not in (None, "self", "peer"):
        raise ZuofengError(f"--kind 必须是 self 或 peer，而不是 {kind!r}", f"--kind must be self or peer, not {kind!r}")
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    for t in targets or []:
        if t not in depts:
            raise ZuofengError(f"没有被评部门 {t!r}；名册中的部门：{', '.join(depts)}",
                               f"unknown target department {t!r}; known: {', '.join(depts)}")
    if rnd.get("rater_groups") or groups is not None:
        if targets:
            raise ZuofengError("--target 只用于没有测评人员类别的轮次；请在 --groups 文件中给出各批的被评部门",
                               "--target is for rounds without rater groups; give the targets of a batch in the "
                               "--groups file")
        if groups is None:
            names = ", ".join(group_names(rnd))
            raise ZuofengError(f"轮次 {round_code} 设定了测评人员类别（{names}）：请用 --groups FILE 给出各行 "
                               "department,group,count[,targets]",
                               f"round {round_code} declares rater groups ({names}): give "
                               "--groups FILE with the rows department,group,count[,targets]")
        return batch_plan(read_batches(groups, rnd, depts), depts, kind)
    plan: dict[Scope, int] = {}
    for code, d in depts.items():
        if d.get("paper"):
            continue
        n = d["headcount"]
        if kind in (None, "self") and not targets:
            plan[("self", code, code, None)] = n
        if kind in (None, "peer"):
            if not targets:
                plan[("peer", code, code, None)] = n
                for t in (d["peer_targets"] or "").split():
                    plan[("peer", code, t, None)] = n
            else:
                for t in targets:
                    if t != code:
                        plan[("peer", code, t, None)] = n
    return plan


def batch_plan(batches: list[Batch], depts: dict[str, dict], kind: str | None) -> dict[Scope, int]:
    """The tokens each batch gets, per (kind, rater, target, group); ``kind`` limits them to self or peer."""
    plan: dict[Scope, int] = {}
    for b in batches:
        if b.department == NO_DEPARTMENT:
            if kind in (None, "peer"):
                for t in b.targets:
                    plan[("peer", NO_DEPARTMENT, t, b.group)] = b.count
            continue
        code = b.department
        if kind in (None, "self"):
            plan[("self", code, code, b.group)] = b.count
        if kind in (None, "peer"):
            for t in (code, *(depts[code]["peer_targets"] or "").split()):
                plan[("peer", code, t, b.group)] = b.count
    return plan


def issue_tokens(engine: Engine, round_code: str, *, kind: str | None = None, targets: list[str] | None = None,
                 extra: int = 0, groups: str | Path | None = None) -> list[IssuedToken]:
    """Issue the tokens still missing from the plan (top-up to headcount, or to the counts of the
    ``groups`` batch file: see :func:`planned_scopes`), plus ``extra`` per scope.

    Issuing again adds only what is missing (or the extra asked for): a token is never reissued or
    duplicated, because only its keyed hash is stored and every token is new. The returned list is the
    only place the tokens exist; it is shuffled within each scope so the slip order says nothing.
    """
    if extra < 0:
        raise ZuofengError("--extra 不能小于 0", "--extra must be zero or more")
    plan = planned_scopes(engine, round_code, kind=kind, targets=targets, groups=groups)
    key = load_key(create=True)
    issued: list[IssuedToken] = []
    with writing(engine) as conn:
        rnd = get_round(conn, round_code)
        if rnd["status"] == "closed":
            raise ZuofengError(f"轮次 {round_code} 已关闭：不能再发放答题码", f"round {round_code} is closed: no tokens can be issued")
        have = {
            (k, r, t, g): n for k, r, t, g, n in conn.execute(
                select(tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group, func.count())
                .where(tokens.c.round == round_code)
                .group_by(tokens.c.kind, tokens.c.rater, tokens.c.target, tokens.c.rater_group))
        }
        rows = []
        for (k, r, t, g), want in plan.items():
            for _ in range(max(0, want - have.get((k, r, t, g), 0)) + extra):
                tok = new_token()
                rows.append({"hash": token_hash(tok, key), "round": round_code, "kind": k, "rater": r,
                             "target": t, "used": False, "rater_group": g})
                issued.append(IssuedToken(TokenScope(round_code, k, r, t, g), tok))
        if rows:
            conn.execute(tokens.insert(), rows)
    return issued


def token_counts(engine: Engine, round_code: str) -> list[dict]:
    """Issued and used tokens per scope (and rater group, None without one): counts only, nothing that
    points at a token (:func:`zuofeng.store.token_usage`: a role that may not read the tokens sees them)."""
    with engine.connect() as conn:
        get_round(conn, round_code)
        usage = token_usage(conn, round_code)
    order = sorted(usage, key=lambda s: (s[1], s[0], s[2], s[3] or ""))
    return [{"kind": k, "rater": r, "target": t, "group": g, "issued": usage[(k, r, t, g)][0],
             "used": usage[(k, r, t, g)][1]} for k, r, t, g in order]
