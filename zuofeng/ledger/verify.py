"""Verification (整改成效核验) of entries marked done, and the flags of suspected paper rectification.

The next round (the one naming this round as ``previous``) measures each entry's item again. Flags
inform; they never change a status.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from sqlalchemy import select

from ..axes import PEER_VIEWS
from ..store import rounds
from .change import item_change
from .entries import DONE, STATUSES, entries_frame

VERIFICATIONS = ("effective", "not_effective", "worse", "unverifiable")
VERIFICATION_TEXT = {"zh": {"effective": "见效", "not_effective": "未见成效", "worse": "反弹", "unverifiable": "无法核验"},
                     "en": {"effective": "effective", "not_effective": "not effective", "worse": "worse (relapse)",
                            "unverifiable": "unverifiable"}}
FLAGS = ("done_not_improved", "self_only", "boilerplate", "copied", "overdue", "closed_without_evidence")
FLAG_TEXT = {"zh": {"done_not_improved": "已完成但未见改善", "self_only": "仅自评改善", "boilerplate": "措施空泛",
                    "copied": "措施与其他部门雷同", "overdue": "逾期未完成", "closed_without_evidence": "销号无佐证"},
             "en": {"done_not_improved": "done but not improved", "self_only": "improved in self-ratings only",
                    "boilerplate": "generic measure", "copied": "measure copied across departments",
                    "overdue": "overdue", "closed_without_evidence": "closed without evidence"}}
PEERS = PEER_VIEWS
UP = ("improved", "resolved")
#: a measurement can say 未见成效 only if it could have seen a change this large (作风指数 points): one
#: step of the scale in the item's mean rating (e.g. 一定程度存在 → 个别存在), detected with 80% power
DETECTABLE = 25.0

#: Generic phrases of paper rectification (the seed's item 21: 文字整改).
GENERIC = ("加强学习", "提高认识", "高度重视", "深刻反思", "举一反三", "引以为戒", "切实加强", "进一步加强",
           "认真整改", "持续改进", "抓好落实", "加强管理", "强化意识", "提高站位", "端正态度", "立行立改",
           "提高思想认识", "加强教育", "严格要求")
TIME_RE = re.compile(r"\d{4}\s*[年\-/.]|\d{1,2}\s*月|\d{1,2}\s*日|每(天|日|周|月|季度|季|半年|年)|月底|年底|季度末|年内|"
                     r"上半年|下半年")
NUMBER_RE = re.compile(r"\d|[一二两三四五六七八九十百]+\s*[次项条场个份人天周名处件篇期]")
PERSON_RE = re.compile(r"由\S{1,12}?(负责|牵头)|牵头|责任人")
BLANKS = re.compile(r"[\s，。、；：,.;:！!？?（）()“”\"'《》【】\-—]+")


def boilerplate_reason(measure: str | None, names: tuple = ()) -> str | None:
    """Why a measure is generic boilerplate, or None.

    The rule: a measure is boilerplate when it is empty, or when it contains a generic phrase
    (:data:`GENERIC`: 加强学习、提高认识、高度重视 …) and names no time (a date, 年/月/日, 每周/每月/每季度,
    月底/年底), no number or count (a digit, or 三次、两项 …) and no responsible person (``names``: the
    entry's 责任人 and 责任领导, or 由…负责/牵头, 责任人).

    >>> boilerplate_reason("加强学习，提高认识，切实转变作风。")
    '套话（加强学习、提高认识）且无具体时间、数量或责任人'
    >>> boilerplate_reason("加强学习：每月第一周集中学习一次，由办公室主任负责，2022年6月底前建立台账。") is None
    True
    """
    text = (measure or "").strip()
    if not text:
        return "未填写整改措施"
    hits = [g for g in GENERIC if g in text]
    if not hits:
        return None
    if TIME_RE.search(text) or NUMBER_RE.search(text) or PERSON_RE.search(text):
        return None
    if any(n and n in text for n in names):
        return None
    return f"套话（{'、'.join(hits[:3])}）且无具体时间、数量或责任人"


def _normal(text: str | None) -> str:
    return BLANKS.sub("", text or "")


def next_round(engine, round_code: str) -> str | None:
    """The round that names ``round_code`` as its previous round (the first by code), or None."""
    with engine.connect() as conn:
        found = list(conn.scalars(select(rounds.c.code).where(rounds.c.previous == round_code).order_by(rounds.c.code)))
    return found[0] if found else None


def verification_of(item: int | None, peer_classes: list[str | None], peer_mdc: list[float] | None = None) -> str:
    """The verification of a done entry from the change classes of its item in the peer views and, for
    each, the smallest change it could have detected (``peer_mdc``, 作风指数 points; omitted: every
    measured view counts as able to see :data:`DETECTABLE`).

    No clear change is 未见成效 only where some measured peer view could have detected an improvement of
    :data:`DETECTABLE` points (its minimum detectable change, :func:`zuofeng.score.power.from_change`,
    at most that); otherwise the groups are too small to tell, and the entry is 无法核验.

    >>> verification_of(5, ["improved", "not_measurable"]), verification_of(5, ["resolved", "worse"])
    ('effective', 'worse')
    >>> verification_of(5, ["unchanged", None]), verification_of(None, ["improved"])
    ('not_effective', 'unverifiable')
    >>> verification_of(5, ["unchanged", "unchanged"], [31.0, 27.5]), verification_of(5, ["unchanged"], [15.2])
    ('unverifiable', 'not_effective')
    """
    mdc = list(peer_mdc) if peer_mdc is not None else [0.0] * len(peer_classes)
    measured = [(c, m) for c, m in zip(peer_classes, mdc) if c is not None and c != "not_measurable"]
    if item is None or not measured:
        return "unverifiable"
    if any(c == "worse" for c, _ in measured):
        return "worse"
    if any(c in UP for c, _ in measured):
        return "effective"
    if any(not np.isnan(m) and m <= DETECTABLE for _, m in measured):
        return "not_effective"
    return "unverifiable"


def power_note(peer_classes: dict, peer_mdc: dict) -> str | None:
    """Why a measured entry is 无法核验: the smallest change its peer views could have detected.

    >>> power_note({"peer_inside": "unchanged"}, {"peer_inside": 27.8})
    '互评（本部门）样本量下可检出的最小变化约为28分，大于25分：无法判断是否见效'
    """
    from ..axes import kind_label

    parts = [f"{kind_label(v)}样本量下可检出的最小变化约为{peer_mdc[v]:.0f}分" for v, c in peer_classes.items()
             if c not in (None, "not_measurable") and not np.isnan(peer_mdc.get(v, np.nan))]
    return f"{'；'.join(parts)}，大于{DETECTABLE:.0f}分：无法判断是否见效" if parts else None


_ASK = object()


def verify_entries(engine, round_code: str, *, scores=None, next_scores=None, as_of: dt.date | None = None,
                   seed: int = 1, next_code=_ASK, known: bool = False, scores_of=None) -> pd.DataFrame:
    """Every entry of the round with its verification and flags.

    Parameters
    ----------
    engine : Engine
    round_code : str
        The round whose problem list the entries answer.
    scores, next_scores : Scores, optional
        That round's scores and the next round's (scored from the store when not given).
    as_of : date, optional
        The day against which deadlines are overdue (default today).
    next_code : str or None, optional
        The next round, when the caller knows it (the round whose ``next_scores`` are given); else the
        store is asked (:func:`next_round`).
    known : bool
        The caller has read the round from the store already (it is not looked up again).
    scores_of : callable, optional
        Called for this round's scores when they are needed and not given (a loaded round scores itself
        once); default: score the round from the store.

    Returns
    -------
    DataFrame
        The entry columns plus ``next_round``, ``verification`` (for entries 已完成/已销号 once the next
        round exists, else None): ``effective`` — the item improved beyond noise (Benjamini–Hochberg
        q < 0.05 over the department × view's items, :func:`zuofeng.ledger.change.item_change`) in at
        least one peer view and got worse in none; ``worse`` — worse beyond noise in a peer view;
        ``unverifiable`` — no peer view measurable (suppressed, fewer than k answers), a topic without an
        item, or no measured peer view that could have detected a change of :data:`DETECTABLE` points
        (``verification_note`` then gives the minimum detectable change); ``not_effective`` otherwise. ``self_change`` and
        ``peer_change`` hold the change classes; ``flags`` a list of :data:`FLAGS` codes and
        ``flag_detail`` their reasons.
    """
    from ..score import score_round

    as_of = as_of or dt.date.today()
    df = entries_frame(engine, round_code, known=known)
    nxt = next_round(engine, round_code) if next_code is _ASK else next_code
    change = None
    if nxt is not None and len(df):
        if scores is None:
            scores = scores_of() if scores_of is not None else score_round(engine, round_code, seed=seed)
        next_scores = next_scores if next_scores is not None else score_round(engine, nxt, seed=seed)
        changes = item_change(next_scores, scores).set_index(["department", "kind", "item"])
        change, mdc = changes["change_class"], changes["mdc"]
    measures = {}
    for r in df.itertuples(index=False):
        n = _normal(r.measure)
        if len(n) >= 6:
            measures.setdefault(n, set()).add(r.department)
    out = []
    for r in df.to_dict("records"):
        item = None if pd.isna(r["item"]) else int(r["item"])
        done = r["status"] in DONE
        ver, self_c, peer_c, peer_m, note = None, None, {}, {}, None
        if change is not None and item is not None:
            self_c = change.get((r["department"], "self", item))
            peer_c = {v: change.get((r["department"], v, item)) for v in PEERS}
            peer_m = {v: float(mdc.get((r["department"], v, item), np.nan)) for v in PEERS}
        if done and nxt is not None:
            ver = verification_of(item, list(peer_c.values()), [peer_m.get(v, np.nan) for v in peer_c])
            if ver == "unverifiable" and item is not None:
                note = power_note(peer_c, peer_m)
        flags, why = [], []
        if done and ver in ("not_effective", "worse"):
            flags.append("done_not_improved")
            why.append(f"核验：{VERIFICATION_TEXT['zh'][ver]}")
        if done and self_c in UP and ver != "effective":
            flags.append("self_only")
            why.append("自评改善，互评未见改善")
        reason = boilerplate_reason(r["measure"], (r["person"] or "", r["leader"] or "")) if (r["measure"] or done) else None
        if reason:
            flags.append("boilerplate")
            why.append(reason)
        others = measures.get(_normal(r["measure"]), set()) - {r["department"]}
        if len(_normal(r["measure"])) >= 6 and others:
            flags.append("copied")
            why.append(f"与{'、'.join(sorted(others))}的措施相同")
        if r["deadline"] is not None and not pd.isna(r["deadline"]) and r["deadline"] < as_of and not done:
            flags.append("overdue")
            why.append(f"时限{r['deadline']}已过，状态{r['status']}")
        if r["status"] == "已销号" and not r["evidence"]:
            flags.append("closed_without_evidence")
            why.append("已销号但无佐证材料")
        out.append({**r, "item": item, "next_round": nxt, "verification": ver, "verification_note": note,
                    "self_change": self_c,
                    "peer_change": ";".join(f"{v}={c}" for v, c in peer_c.items() if c) or None,
                    "flags": flags, "flag_detail": "；".join(why)})
    cols = [*df.columns, "next_round", "verification", "verification_note", "self_change", "peer_change", "flags",
            "flag_detail"]
    res = pd.DataFrame(out, columns=cols)
    for c in ("next_round", "verification", "verification_note", "self_change", "peer_change"):
        res[c] = res[c].astype(object).where(res[c].notna(), None)
    return res


def ledger_status(engine, round_code: str, *, as_of: dt.date | None = None, seed: int = 1, scores=None,
                  next_scores=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Completion, overdue entries and missing evidence per department, and every entry verified.

    Returns
    -------
    (summary, entries)
        ``summary``: one row per department with entries: ``department, name, entries``, a count per
        status, ``completion`` (share 已完成 or 已销号), ``overdue``, ``missing_evidence`` (done entries
        without evidence), ``flagged`` (entries with any flag). ``entries``: :func:`verify_entries`.
    """
    from ..store import get_departments

    ent = verify_entries(engine, round_code, as_of=as_of, seed=seed, scores=scores, next_scores=next_scores)
    with engine.connect() as conn:
        names = {c: d["name"] for c, d in get_departments(conn, round_code).items()}
    return summarise(ent, names), ent


def summarise(entries: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The per-department summary of verified entries (see :func:`ledger_status`)."""
    rows = []
    for dept, g in entries.groupby("department", sort=True):
        done = g["status"].isin(DONE)
        rows.append({"department": dept, "name": names.get(dept, dept), "entries": len(g),
                     **{s: int((g["status"] == s).sum()) for s in STATUSES},
                     "completion": float(done.mean()),
                     "overdue": int(g["flags"].map(lambda f: "overdue" in f).sum()),
                     "missing_evidence": int((done & g["evidence"].isna()).sum()),
                     "flagged": int(g["flags"].map(bool).sum())})
    return pd.DataFrame(rows, columns=["department", "name", "entries", *STATUSES, "completion", "overdue",
                                       "missing_evidence", "flagged"])
