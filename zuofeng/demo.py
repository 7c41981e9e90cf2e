"""``zuofeng demo``: a whole campaign on synthetic data, from roster to rendered reports.

Twelve departments of four unit types (机关部室, 事业单位, 中心, 工作队; ``data/demo_roster.csv``),
a baseline round and a final round compared with it, both simulated (self and peer surveys; small
units fall under k), scored and rendered. Both rounds use organisation-wide 互评 (``outside="all"``):
everyone in the peer survey also fills in the 民主测评 table about every other department and rates the
departments of the roster's ``peer_targets`` on the 22 items, so every department, however small, has a
published outside view. The complementary suppression counts a unit's combined total as no loss once one
of its views is hidden, so it never hides an outside view to protect that total: the outside views of the
departments the ledger scenario verifies (KPB's paper rectification above all) stay published in both
rounds, and the overview shows a small unit's outside index where its combined one is hidden.
Between them the baseline's rectification ledger is seeded (:data:`SCENARIO`): some real improvements,
some paper rectification, one overdue entry and one department improving only in its self-ratings; the
final round is simulated with exactly those effects. Both rounds declare rater groups
(:data:`RATER_GROUPS`) with the token batches of ``data/demo_groups.csv``: 中层干部 and 一般干部 in the
departments large enough for two batches of k, 领导班子 and 服务对象 as raters of no department.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .axes import PEER_VIEWS, VIEWS
from .private import private_folder

BASELINE = ("2022-baseline", "2022年干部作风大提升专项行动·基线测评", "2022 work-style campaign: baseline survey")
FINAL = ("2022-final", "2022年干部作风大提升专项行动·年终测评", "2022 work-style campaign: year-end survey")
DEMO_DB = "demo.db"
#: The demo's rater groups and the weights of their composite (as ``round create --rater-groups``).
RATER_GROUPS = [{"name": "领导班子", "weight": 0.2}, {"name": "中层干部", "weight": 0.3},
                {"name": "一般干部", "weight": 0.3}, {"name": "服务对象", "weight": 0.2}]

#: The demo ledger's roles: department → what its entries show in the final round.
SCENARIO = {
    "KJG": "real",       # measures with people and dates; the items improve in every view
    "XSB": "real",
    "ZZB": "paper",      # 已完成 with generic measures copied between departments; nothing changes
    "KPB": "paper",
    "XXZX": "self_only",  # 已完成; only its self-ratings improve
    "BGS": "overdue",    # 整改中 with a deadline that has passed
}
PEOPLE = {"KJG": ("陈馆长", "刘建国"), "XSB": ("周部长", "吴敏"), "ZZB": ("郑部长", "王芳"), "KPB": ("孙部长", "赵磊"),
          "XXZX": ("钱主任", "李静"), "BGS": ("黄主任", "马超"), "ZXFW": ("冯主任", "杨帆")}
PAPER_MEASURE = "加强学习，提高认识，高度重视，切实转变工作作风。"


def demo_roster() -> Path:
    """Path of the packaged demo roster (twelve departments)."""
    return Path(str(resources.files("zuofeng") / "data" / "demo_roster.csv"))


def demo_groups() -> Path:
    """Path of the packaged token batches of the demo's rater groups (``tokens issue --groups``)."""
    return Path(str(resources.files("zuofeng") / "data" / "demo_groups.csv"))


def run_demo(out: str | Path = "reports/demo", *, db: str | None = None, jobs: int | None = None,
             lang: str = "zh", seed: int = 1, progress: bool = True, echo=None) -> Path:
    """Create, simulate, score and render the demo rounds; return the path of the final round's ``index.html``.

    Parameters
    ----------
    out : path
        Folder for the demo store (unless ``db`` is given) and the reports (``<out>/2022-final``).
    db : str, optional
        A database URL to use instead of a fresh SQLite file ``<out>/demo.db``. Its rounds must not
        exist yet.
    jobs, lang, progress
        As for ``zuofeng.report.render_round``.
    seed : int
        Seed of the simulated answers (the final round uses ``seed + 1``).
    echo : callable, optional
        Receives one line per step (the CLI passes ``click.echo``).
    """
    from .report.batch import render_round
    from .store import open_engine

    out = Path(out)
    private_folder(out)  # it holds the demo store and its reports
    if db is None:
        store = out.resolve() / DEMO_DB
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
        db = f"sqlite:///{store}"
    engine = open_engine(db)
    try:
        build_demo_store(engine, seed=seed, echo=echo, lang=lang)
    finally:
        engine.dispose()
    result = render_round(FINAL[0], out=out / FINAL[0], db=db, jobs=jobs, lang=lang, progress=progress, seed=seed)
    return result.index


def build_demo_store(engine, *, seed: int = 1, echo=None, lang: str = "zh"):
    """The demo's rounds in the store: baseline simulated, its ledger seeded (:func:`seed_demo_ledger`),
    the final round simulated with the ledger's effects. Returns the baseline's verified entries
    (:func:`zuofeng.ledger.verify.ledger_status`) and echoes their table."""
    import datetime as dt

    from .ledger.verify import ledger_status
    from .messages import say as message
    from .rater_groups import read_batches
    from .rounds import create_round, set_status
    from .score import score_round
    from .simulate import simulate
    from .store import get_departments, get_round

    say = echo or (lambda _msg: None)
    previous, effects = None, None
    for n, (code, title_zh, title_en) in enumerate((BASELINE, FINAL)):
        create_round(engine, code, title=title_zh, title_en=title_en, roster=demo_roster(), previous=previous,
                     rater_groups=RATER_GROUPS,
                     outside="all")
        set_status(engine, code, "open")
        with engine.connect() as conn:
            batches = read_batches(demo_groups(), get_round(conn, code), get_departments(conn, code))
        sheets = simulate(engine, code, seed=seed + n, effects=effects, batches=batches)
        set_status(engine, code, "closed")
        say(message("demo_round", lang, n=sheets, round=code))
        if n == 0:
            effects = seed_demo_ledger(engine, code, score_round(engine, code, seed=seed))
            say(message("demo_ledger", lang, round=code))
        previous = code
    _summary, entries = ledger_status(engine, BASELINE[0], as_of=dt.date.today(), seed=seed)
    say(verification_table(entries, lang))
    return entries


def seed_demo_ledger(engine, round_code: str, scores, today=None):
    """Seed the demo ledger of the baseline after ``zuofeng ledger init`` and return the
    :class:`~zuofeng.simulate.Effects` the final round must show (see :data:`SCENARIO`).

    Every department of the scenario first gets the entries its role needs (:func:`_add_own_problems`);
    then in each, up to two entries (in priority order) get the role's measure and status; every other
    entry gets a concrete measure, a future deadline and 整改中.
    """
    import datetime as dt

    import pandas as pd

    from .ledger.entries import entries_frame, init_ledger, update_entry
    from .simulate import Effects

    today = today or dt.date.today()
    init_ledger(engine, round_code, scores, today=today)
    labels = {it.number: it.label.zh for it in _instrument(scores).items}
    by = "演示数据"
    _add_own_problems(engine, round_code, scores, labels, by, today)
    entries = entries_frame(engine, round_code)
    level, items = {}, {}
    for d, g in entries.groupby("department", sort=True):
        role = SCENARIO.get(d)
        leader, person = PEOPLE.get(d, ("部门负责人", "联络员"))
        for i, e in enumerate(g.to_dict("records")):
            item = None if pd.isna(e["item"]) else int(e["item"])
            label = labels.get(item, "专项问题")
            concrete = (f"针对“{label}”：{today.year}年{(today.month % 12) + 1}月底前制定专项整改方案，"
                        f"每月召开一次推进会，由{person}负责建立问题台账、逐项销号。")
            fields = {"measure": concrete, "leader": leader, "person": person,
                      "deadline": today + dt.timedelta(days=90), "status": "整改中"}
            chosen = role is not None and i < 2
            if chosen and role == "real":
                fields.update(status="已销号" if i == 0 else "已完成", deadline=today - dt.timedelta(days=10),
                              evidence=f"{label}整改方案、推进会纪要{3 + i}份", evidence_file=f"{d}-{item}-佐证.pdf")
                for view in VIEWS:
                    items[(d, view, item)] = -1.3
            elif chosen and role == "paper":
                fields.update(measure=PAPER_MEASURE, status="已完成" if i == 0 else "已销号",
                              deadline=today - dt.timedelta(days=10), evidence="学习记录" if i else None)
                level[d] = 0.0
            elif chosen and role == "self_only":
                fields.update(status="已完成", deadline=today - dt.timedelta(days=10),
                              evidence=f"{label}自查报告")
                items[(d, "self", item)] = -1.5
                level[d] = 0.0
            elif chosen and role == "overdue" and i == 0:
                fields.update(deadline=today - dt.timedelta(days=30))
            update_entry(engine, int(e["id"]), by=by, today=today, **fields)
    return Effects(level=level, items=items)


#: Views in which an added problem is chosen, first the one the verification rests on.
VIEW_ORDER = (*PEER_VIEWS, "self")
#: How many entries each role needs: two done entries, or one overdue entry.
NEEDED = {"real": 2, "paper": 2, "self_only": 2, "overdue": 1}


def _add_own_problems(engine, round_code: str, scores, labels: dict, by: str, today) -> None:
    """Give every department of the scenario the entries its role needs (:data:`NEEDED`).

    Where the baseline's problem list names fewer of a department's items, the department adds problems it
    found itself (自查问题): its items with the highest peer mean (the most problems as colleagues see them)
    among those the peer survey inside it measures (n ≥ k answers), so that the final round can verify them;
    then, for a department that survey does not measure, the outside peers' and its own view.
    """
    from .ledger.entries import add_entry, entries_frame

    have = entries_frame(engine, round_code)
    k = scores.meta.get("k_min", 5)
    t = scores.rows(level="item", statistic="mean")
    t = t[t["kind"].isin(VIEW_ORDER) & (t["n"] >= k) & t["value"].notna()]
    t = t.assign(_v=t["kind"].map(VIEW_ORDER.index)).sort_values(["_v", "value", "key"], ascending=[True, False, True])
    for d, role in SCENARIO.items():
        taken = set(have.loc[have["department"] == d, "item"].dropna().astype(int))
        missing = NEEDED[role] - len(have[have["department"] == d])
        if missing <= 0:
            continue
        for key in t.loc[t["department"] == d, "key"].drop_duplicates():
            item = int(str(key)[1:])
            if missing <= 0:
                break
            if item in taken:
                continue
            add_entry(engine, round_code, d, f"自查问题：{labels.get(item, '专项问题')}", item=item, by=by, today=today)
            taken.add(item)
            missing -= 1


def _instrument(scores):
    from .instrument import load_instrument
    return load_instrument(scores.meta["instrument_id"], scores.meta["instrument_version"])


def verification_table(entries, lang: str = "zh") -> str:
    """The verification table printed by the demo: one line per entry."""
    from .ledger.verify import FLAG_TEXT, VERIFICATION_TEXT
    from .messages import COLUMNS, header
    from .textfmt import table
    status = {k: v[lang == "en"] for k, v in COLUMNS.items()}
    rows = [[e.department, "" if e.item is None else e.item, status.get(e.status, e.status),
             VERIFICATION_TEXT[lang].get(e.verification, "") if e.verification else "",
             ("、" if lang == "zh" else ", ").join(FLAG_TEXT[lang].get(f, f) for f in e.flags)]
            for e in entries.itertuples(index=False)]
    return table(rows, header(lang, "department", "item", "status", "verification", "flags"))
