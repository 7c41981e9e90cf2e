"""Ready display pieces of the rectification ledger for the report notebooks.

The department report shows its problem list (问题清单), its ledger entries and, for the entries of the
previous round, their verification against this round. The overview shows ledger completion by
department, overdue entries and suspected paper rectification (文字整改). Every string that comes from
users (department names, measures, people, evidence, notes) is HTML-escaped here.

In a notebook (parameters ``round_code, department, lang, db, snapshot``)::

    from zuofeng.report.ledger_view import department_ledger
    department_ledger(round_code, department, lang=lang, db=db, snapshot=snapshot)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..axes import VIEWS, view_rank
from .fmt import esc

STATUS_EN = {"未启动": "not started", "整改中": "in progress", "已完成": "done", "已销号": "closed"}
TEXT = {
    "zh": {"section": "整改：问题清单、台账与成效核验", "section_overview": "整改台账",
           "problems": "问题清单", "ledger": "整改台账", "verified": "上一轮整改成效核验", "none": "无",
           "no_problems": "本轮无列入问题清单的条目。", "no_entries": "尚无整改台账。",
           "completion": "整改台账完成情况", "overdue": "逾期未完成的整改事项", "paper": "疑似文字整改、数字整改（仅提示，不改变状态）",
           "round": "台账轮次", "trend": "历轮趋势（作风指数，95%区间）", "bottom": "连续两轮末位（指数区间整体低于全组织）",
           "t_cols": ["视角", "层级", "项目"], "b_cols": ["部门", "视角", "轮次"], "suppressed": "已抑制",
           "levels": {"overall": "总体", "dimension": "维度", "item": "条目"},
           "p_cols": ["优先级", "条目", "问题", "反映视角", "判定规则", "依据（数值与样本量）"],
           "e_cols": ["条目", "问题", "整改措施", "责任领导", "责任人", "完成时限", "状态", "佐证材料", "审核意见", "核验", "提示"],
           "c_cols": ["部门", "事项", "未启动", "整改中", "已完成", "已销号", "完成率", "逾期", "缺佐证", "有提示"],
           "o_cols": ["部门", "条目", "问题", "责任人", "完成时限", "状态"],
           "f_cols": ["部门", "条目", "状态", "核验", "提示", "依据"]},
    "en": {"section": "Rectification: problem list, ledger and verification", "section_overview": "Rectification ledger",
           "problems": "Problem list", "ledger": "Rectification ledger", "verified": "Verification of the previous round's rectification",
           "none": "none", "no_problems": "No item of this round is on the problem list.", "no_entries": "No ledger yet.",
           "completion": "Ledger completion by department", "overdue": "Overdue entries",
           "paper": "Suspected paper rectification (flags inform; they never change a status)", "round": "ledger round",
           "trend": "Trend over the rounds (work-style index, 95% interval)",
           "bottom": "At the bottom two rounds running (index interval wholly below the organisation's)",
           "t_cols": ["view", "level", "key"], "b_cols": ["department", "view", "rounds"], "suppressed": "suppressed",
           "levels": {"overall": "overall", "dimension": "dimension", "item": "item"},
           "p_cols": ["priority", "item", "problem", "views", "rules", "figure and n"],
           "e_cols": ["item", "problem", "measure", "leader", "person", "deadline", "status", "evidence", "review note",
                      "verification", "flags"],
           "c_cols": ["department", "entries", "not started", "in progress", "done", "closed", "completion", "overdue",
                      "no evidence", "flagged"],
           "o_cols": ["department", "item", "problem", "person", "deadline", "status"],
           "f_cols": ["department", "item", "status", "verification", "flags", "why"]},
}


def _t(lang: str) -> dict:
    return TEXT["en" if lang == "en" else "zh"]


def _s(v) -> str:
    if v is None or (not isinstance(v, (list, tuple, str)) and pd.isna(v)):
        return ""
    if isinstance(v, (dt.date, pd.Timestamp)):
        return v.isoformat()[:10]
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


#: cells longer than this wrap within a readable width (problems, measures, notes); shorter ones keep
#: their words whole, as in every other table of the report
WRAP_AT = 16


def _td(v) -> str:
    text = _s(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and text:
        return f'<td class="num">{esc(text)}</td>'
    return f'<td class="wrap">{esc(text)}</td>' if len(text) > WRAP_AT else f"<td>{esc(text)}</td>"


def _table(header: list[str], rows: list[list], cls: str = "zf-table zf-ledger") -> str:
    """A table styled like the report's others (``table.zf-table`` in the report CSS: borders, a grey
    header, numbers right-aligned, long text wrapped) in a box that scrolls sideways on a phone; wide
    tables keep a readable width."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_td(c) for c in r) + "</tr>" for r in rows)
    width = f' style="min-width:{min(1100, 80 * len(header))}px"' if len(header) > 5 else ""
    return (f'<div class="table-wrap zf-scroll" style="overflow-x:auto"><table class="{cls}"{width}><thead><tr>'
            f"{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _status(s, lang):
    return STATUS_EN.get(s, s) if lang == "en" else s


def _verification(v, lang):
    from ..ledger.verify import VERIFICATION_TEXT
    return VERIFICATION_TEXT["en" if lang == "en" else "zh"].get(v, "") if v else ""


def _flags(flags, lang):
    from ..ledger.verify import FLAG_TEXT
    return ("、" if lang != "en" else ", ").join(FLAG_TEXT["en" if lang == "en" else "zh"][f] for f in flags or [])


# --- frames -------------------------------------------------------------------------------------

def problems_frame(scores, department: str, lang: str = "zh") -> pd.DataFrame:
    """The department's problem list as a display frame (columns in the report's language)."""
    from ..ledger.problems import department_problems
    p = department_problems(scores, lang, department)
    cols = _t(lang)["p_cols"]
    return pd.DataFrame(p[["priority", "item", "label", "views", "rules", "detail"]].to_numpy(), columns=cols)


def entries_display(entries: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Ledger entries (from :func:`zuofeng.ledger.verify.verify_entries`) as a display frame."""
    rows = [[e.get("item"), e["problem"], e["measure"], e["leader"], e["person"], e["deadline"],
             _status(e["status"], lang), e["evidence"], e["review_note"], _verification(e.get("verification"), lang),
             _flags(e.get("flags"), lang)] for e in entries.to_dict("records")]
    return pd.DataFrame(rows, columns=_t(lang)["e_cols"])


def chain_of(loaded) -> list:
    """Scores of every round of the chain ending at ``loaded`` (a ``LoadedRound``; oldest first): each
    round is read and scored once."""
    return [r.scores for r in loaded.chain]


def trend_display(chain: list, department: str, lang: str = "zh", tr: pd.DataFrame | None = None) -> pd.DataFrame:
    """The department's trend (:func:`zuofeng.ledger.change.trend`): one row per view × overall,
    dimension and flagged item, one column per round with the index and its interval (已抑制 where
    suppressed; a row suppressed in every round is left out). ``tr``: ``trend(chain)`` when the caller
    has it (a batch computes it once for every department)."""
    from ..ledger.change import trend
    from ..ledger.problems import VIEW_TEXT

    T = _t(lang)
    tr = trend(chain) if tr is None else tr
    tr = tr[tr["department"] == department]
    rounds = [s.meta["round"] for s in chain]
    inst = None
    if chain:
        from ..instrument import load_instrument
        inst = load_instrument(chain[-1].meta["instrument_id"], chain[-1].meta["instrument_version"])
    labels = {it.key: f"{it.number}. {it.label.get(lang)}" for it in inst.items} if inst else {}
    rows = []
    order = {"overall": 0, "dimension": 1, "item": 2}
    views = {v: view_rank(v) for v in VIEWS}
    dims = {d: i for i, d in enumerate("一二三四五六七八九十")}

    def place(group):
        kind, level, key = group[0]
        return views.get(kind, 9), order[level], dims.get(key, 0), key

    for (kind, level, key), g in sorted(tr.groupby(["kind", "level", "key"]), key=place):
        cells = {}
        for r in g.itertuples(index=False):
            if bool(r.suppressed) or pd.isna(r.index):
                cells[r.round] = T["suppressed"]
            else:
                cells[r.round] = f"{r.index:.1f} [{r.ci_low:.1f}–{r.ci_high:.1f}]"
        if all(v == T["suppressed"] for v in cells.values()):
            continue  # nothing published in any round: a row of 已抑制 says nothing
        name = labels.get(key, T["levels"]["overall"] if key == "overall" else key)
        rows.append([VIEW_TEXT[lang][kind], T["levels"][level], name, *(cells.get(c, "") for c in rounds)])
    return pd.DataFrame(rows, columns=[*T["t_cols"], *rounds])


def bottom_display(chain: list, lang: str = "zh") -> pd.DataFrame:
    """Departments at the bottom two rounds running (:func:`zuofeng.ledger.change.bottom_alerts`)."""
    from ..ledger.change import bottom_alerts
    from ..ledger.problems import VIEW_TEXT

    T = _t(lang)
    b = bottom_alerts(chain)
    names = dict(zip(chain[-1].departments["code"], chain[-1].departments["name"])) if chain else {}
    rows = [[f"{r.department} {names.get(r.department, '')}".strip(), VIEW_TEXT[lang].get(r.kind, r.kind), r.rounds]
            for r in b.itertuples(index=False)]
    return pd.DataFrame(rows, columns=T["b_cols"])


def verified_rounds(engine, loaded, as_of: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The verified entries (:func:`zuofeng.ledger.verify.verify_entries`) of every ledger round a report of
    ``loaded`` (a ``LoadedRound``) shows, the previous round first (verified against this round's scores)."""
    from ..ledger.verify import verify_entries

    out = {}
    prev = loaded.previous
    if prev is not None:
        out[prev.code] = verify_entries(engine, prev.code, next_scores=loaded.scores, as_of=as_of,
                                        next_code=loaded.code, known=True, scores_of=lambda: prev.scores)
    out[loaded.code] = verify_entries(engine, loaded.code, scores=loaded.scores, as_of=as_of, known=True)
    return out


def department_frames(engine, loaded, department: str, lang: str = "zh", as_of: dt.date | None = None,
                      verified: dict | None = None, chain: list | None = None,
                      tr: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """``problems`` (this round's list), ``ledger`` (this round's entries), ``verified`` (the previous
    round's entries verified against this round) and ``trend`` (:func:`trend_display` over the chain of
    rounds) for one department of ``loaded`` (a ``LoadedRound``), as display frames."""
    scores = loaded.scores
    chain = chain if chain is not None else chain_of(loaded)
    verified = verified if verified is not None else verified_rounds(engine, loaded, as_of=as_of)
    out = {"problems": problems_frame(scores, department, lang)}
    now = verified[loaded.code]
    out["ledger"] = entries_display(now[now["department"] == department], lang)
    prev = [r for r in verified if r != loaded.code]
    if prev:
        pv = verified[prev[0]]
        out["verified"] = entries_display(pv[pv["department"] == department], lang)
    else:
        out["verified"] = entries_display(now.iloc[0:0], lang)
    out["trend"] = trend_display(chain, department, lang, tr)
    return out


def overview_frames(engine, loaded, lang: str = "zh", as_of: dt.date | None = None,
                    verified: dict | None = None, chain: list | None = None) -> dict[str, pd.DataFrame]:
    """For every ledger round a report of ``loaded`` (a ``LoadedRound``) shows (the previous round, then
    this one): ``completion`` by department, ``overdue`` entries and ``paper`` (entries with a
    paper-rectification flag), as display frames with a ledger-round column; and ``bottom``
    (:func:`bottom_display`)."""
    from ..ledger.verify import summarise

    T = _t(lang)
    verified = verified if verified is not None else verified_rounds(engine, loaded, as_of=as_of)
    rosters = {r.code: r.names() for r in loaded.chain}
    parts = {"completion": [], "overdue": [], "paper": []}
    for rnd, ent in verified.items():
        names = rosters[rnd]
        for r in summarise(ent, names).to_dict("records"):
            parts["completion"].append([rnd, f"{r['department']} {r['name']}", r["entries"], r["未启动"], r["整改中"],
                                        r["已完成"], r["已销号"], f"{r['completion']:.0%}", r["overdue"],
                                        r["missing_evidence"], r["flagged"]])
        for e in ent.to_dict("records"):
            who = f"{e['department']} {names.get(e['department'], '')}".strip()
            if "overdue" in e["flags"]:
                parts["overdue"].append([rnd, who, e["item"], e["problem"], e["person"], e["deadline"],
                                         _status(e["status"], lang)])
            paper = [f for f in e["flags"] if f != "overdue"]
            if paper:
                parts["paper"].append([rnd, who, e["item"], _status(e["status"], lang),
                                       _verification(e["verification"], lang), _flags(paper, lang), e["flag_detail"]])
    chain = chain if chain is not None else chain_of(loaded)
    return {"completion": pd.DataFrame(parts["completion"], columns=[T["round"], *T["c_cols"]]),
            "overdue": pd.DataFrame(parts["overdue"], columns=[T["round"], *T["o_cols"]]),
            "paper": pd.DataFrame(parts["paper"], columns=[T["round"], *T["f_cols"]]),
            "bottom": bottom_display(chain, lang)}


# --- HTML ---------------------------------------------------------------------------------------

def _section(title: str, df: pd.DataFrame, empty: str) -> str:
    body = _table(list(df.columns), df.values.tolist()) if len(df) else f"<p>{esc(empty)}</p>"
    return f"<h3>{esc(title)}</h3>{body}"


def department_html(frames: dict[str, pd.DataFrame], lang: str = "zh") -> str:
    """HTML of :func:`department_frames`: problem list, ledger, verification of the previous round."""
    T = _t(lang)
    html = _section(T["problems"], frames["problems"], T["no_problems"])
    html += _section(T["ledger"], frames["ledger"], T["no_entries"])
    if len(frames["verified"]):
        html += _section(T["verified"], frames["verified"], T["no_entries"])
    if "trend" in frames and len(frames["trend"].columns) > 4:  # at least two rounds
        html += _section(T["trend"], frames["trend"], T["none"])
    return f'<div class="zf zf-ledger-section"><h2>{esc(T["section"])}</h2>{html}</div>'


def overview_html(frames: dict[str, pd.DataFrame], lang: str = "zh") -> str:
    """HTML of :func:`overview_frames`: completion by department, overdue entries, paper rectification."""
    T = _t(lang)
    html = _section(T["completion"], frames["completion"], T["no_entries"])
    html += _section(T["overdue"], frames["overdue"], T["none"])
    html += _section(T["paper"], frames["paper"], T["none"])
    if "bottom" in frames:
        html += _section(T["bottom"], frames["bottom"], T["none"])
    return f'<div class="zf zf-ledger-section"><h2>{esc(T["section_overview"])}</h2>{html}</div>'


class LedgerHTML(str):
    """HTML text that a notebook displays as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


LEDGER_PAGES = "ledger.json"


def progress_counts(verified: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Entries, entries done (已完成 or 已销号) and overdue entries over the ledger rounds shown."""
    from ..ledger.entries import DONE

    ent = [e for e in verified.values() if len(e)]
    if not ent:
        return {"entries": 0, "done": 0, "overdue": 0}
    e = pd.concat(ent)
    return {"entries": len(e), "done": int(e["status"].isin(DONE).sum()),
            "overdue": int(e["flags"].map(lambda f: "overdue" in f).sum())}


def ledger_progress(round_code: str, db: str = "", snapshot: str = "", scores=None):
    """Ledger progress for the overview's 主要发现 and the public summary (a ``findings.LedgerProgress``),
    or None when the round's ledger has no entry (or there is no store to read).

    Read from :data:`LEDGER_PAGES` beside ``snapshot`` when a batch wrote it, else from the store, with
    the round's ``scores`` when the caller has them (the round is then not scored a second time)."""
    import json

    from ..errors import ZuofengError
    from .findings import LedgerProgress

    counts = None
    if snapshot and (p := Path(snapshot).with_name(LEDGER_PAGES)).exists():
        pages = json.loads(p.read_text(encoding="utf-8"))
        if pages.get("round") == round_code:
            counts = pages.get("progress")
    if counts is None:
        try:  # the round is not in this store (scores from a snapshot only), or no store: no ledger
            engine, loaded = _open(round_code, db, snapshot, scores)
        except ZuofengError:
            return None
        try:
            counts = progress_counts(verified_rounds(engine, loaded))
        except ZuofengError:
            return None
        finally:
            engine.dispose()
    return LedgerProgress(**counts) if counts["entries"] else None


def ledger_pages(engine, loaded, lang: str = "zh", as_of: dt.date | None = None) -> dict:
    """Every ledger section of the reports of ``loaded`` (a ``LoadedRound``) at once (each round read,
    scored and verified once, the trend computed once): ``overview`` and ``departments`` (code → HTML)."""
    from ..ledger.change import trend

    verified = verified_rounds(engine, loaded, as_of=as_of)
    chain = chain_of(loaded)
    tr = trend(chain)
    codes = list(loaded.scores.departments["code"])
    return {"zuofeng_ledger": 1, "round": loaded.code, "lang": lang, "progress": progress_counts(verified),
            "overview": overview_html(overview_frames(engine, loaded, lang, as_of, verified, chain), lang),
            "departments": {c: department_html(department_frames(engine, loaded, c, lang, as_of, verified, chain, tr),
                                               lang) for c in codes}}


def write_ledger_pages(engine, loaded, path, lang: str = "zh") -> Path:
    """Write :func:`ledger_pages` of ``loaded`` (a ``LoadedRound``) as JSON (a report batch writes it beside
    its scores snapshot, as :data:`LEDGER_PAGES`, so that the notebooks need no database)."""
    import json

    pages = ledger_pages(engine, loaded, lang)
    path = Path(path)
    path.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    return path


def _pages(round_code: str, lang: str, snapshot: str) -> dict | None:
    """The pages written beside ``snapshot`` for this round and language, if any."""
    import json

    if not snapshot:
        return None
    p = Path(snapshot).with_name(LEDGER_PAGES)
    if not p.exists():
        return None
    pages = json.loads(p.read_text(encoding="utf-8"))
    if pages.get("round") != round_code or pages.get("lang") != lang:
        return None
    return pages


def _open(round_code: str, db: str, snapshot: str, scores=None):
    """The store and the round as a ``LoadedRound`` (read once), with its scores from ``scores``, else from
    ``snapshot``, else computed: the way in for a notebook that holds only the round's code."""
    from ..score.loaded import load_round
    from ..store import open_engine
    from .scores_source import load_scores

    engine = open_engine(db or None, create=False)
    try:
        loaded = load_round(engine, round_code)
        loaded.scores = scores if scores is not None else load_scores(round_code, db, snapshot)
    except BaseException:
        engine.dispose()
        raise
    return engine, loaded


def _without_store(lang: str) -> LedgerHTML:
    """The section when the round's store cannot be read (scores from a snapshot only): no ledger."""
    T = _t(lang)
    return LedgerHTML(f'<div class="zf zf-ledger-section"><h2>{esc(T["section_overview"])}</h2>'
                      f'<p>{esc(T["no_entries"])}</p></div>')


def department_ledger(round_code: str, department: str, lang: str = "zh", db: str = "", snapshot: str = "") -> LedgerHTML:
    """The department report's ledger section (problem list, ledger, verification), ready to display.

    Read from :data:`LEDGER_PAGES` beside ``snapshot`` when a batch wrote it, else computed from the store.
    """
    pages = _pages(round_code, lang, snapshot)
    if pages is not None and department in pages["departments"]:
        return LedgerHTML(pages["departments"][department])
    from ..errors import ZuofengError
    try:
        engine, loaded = _open(round_code, db, snapshot)
    except ZuofengError:
        return _without_store(lang)
    try:
        return LedgerHTML(department_html(department_frames(engine, loaded, department, lang), lang))
    except ZuofengError:
        return _without_store(lang)
    finally:
        engine.dispose()


def overview_ledger(round_code: str, lang: str = "zh", db: str = "", snapshot: str = "") -> LedgerHTML:
    """The overview's ledger section (completion, overdue, suspected paper rectification), ready to display.

    Read from :data:`LEDGER_PAGES` beside ``snapshot`` when a batch wrote it, else computed from the store.
    """
    pages = _pages(round_code, lang, snapshot)
    if pages is not None:
        return LedgerHTML(pages["overview"])
    from ..errors import ZuofengError
    try:
        engine, loaded = _open(round_code, db, snapshot)
    except ZuofengError:
        return _without_store(lang)
    try:
        return LedgerHTML(overview_html(overview_frames(engine, loaded, lang), lang))
    except ZuofengError:
        return _without_store(lang)
    finally:
        engine.dispose()
