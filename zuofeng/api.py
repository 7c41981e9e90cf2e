"""The Python API: everything the command line does, as functions for notebooks and scripts.

Every ``zuofeng`` command is a thin wrapper over one function here, and the analyst's console
(``notebooks/console.ipynb``, :mod:`zuofeng.console`) calls the same functions. They are also
available at the package's top level (``import zuofeng; zuofeng.list_rounds()``).

Every function takes ``db``: an engine from :func:`open_store`, a database URL, or None for the
project's store (``$ZUOFENG_DB``, else ``data/zuofeng.db`` of the project folder; see
:mod:`zuofeng.config`). Only :func:`create_round` and :func:`demo` create a missing store; every
other function refuses one with a line saying how to create it. User errors raise
:class:`zuofeng.errors.ZuofengError` subclasses with a one-line message.

The ledger functions (``zuofeng ledger``: :func:`problem_list`, :func:`ledger_init`, :func:`ledger_export`,
:func:`ledger_import`, :func:`ledger_status`) come with :func:`ledger_entries`, :func:`ledger_add`,
:func:`ledger_update` and :func:`ledger_history` for viewing and editing entries.

Heavy libraries (pandas, SQLAlchemy, papermill) are imported inside the functions, so that
``import zuofeng`` stays light for the survey kernels.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .config import database_url, default_db_file, is_default, reports_dir
from .errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from sqlalchemy.engine import Engine

    from .collect.slips import SlipsResult
    from .io.backup import BackupResult
    from .io.excel_export import ExportResult
    from .io.importer import ImportResult
    from .ledger.workbook import ImportResult as LedgerImportResult
    from .report.batch import BatchResult
    from .score.core import Scores

__all__ = [
    "backup",
    "close_round",
    "create_round",
    "demo_roster",
    "export",
    "import_file",
    "import_template",
    "issue_slips",
    "ledger_add",
    "ledger_entries",
    "ledger_export",
    "ledger_history",
    "ledger_import",
    "ledger_init",
    "ledger_status",
    "ledger_update",
    "ledger_workbooks",
    "list_rounds",
    "open_round",
    "open_store",
    "problem_list",
    "render_audience_report",
    "render_reports",
    "report_archive",
    "report_folder",
    "report_source",
    "roster_rows",
    "round_coverage",
    "run_demo",
    "score_round",
    "share_page",
    "simulate_round",
    "store_url",
    "token_status",
]

CREATE_HINT = ("create one with `zuofeng round create ROUND --title T --roster FILE` (or `zuofeng demo`), "
               "or name an existing store with --db URL or ZUOFENG_DB")
CREATE_HINT_ZH = ("请用 `zuofeng round create ROUND --title T --roster FILE`（或 `zuofeng demo`）新建一个，"
                  "或用 --db URL 或 ZUOFENG_DB 指定已有的数据库")


# --- the store -------------------------------------------------------------------------------

def store_url(db: str | None = None) -> str:
    """The database URL that ``db`` resolves to (``db``, else ``$ZUOFENG_DB``, else the project store).

    Examples
    --------
    >>> store_url("sqlite:///elsewhere.db")
    'sqlite:///elsewhere.db'
    >>> store_url().endswith("/data/zuofeng.db")   # without ZUOFENG_DB: the project's store
    True
    """
    return database_url(db)


def open_store(db: str | None = None, *, create: bool = False) -> Engine:
    """Open (and migrate) a store and return its SQLAlchemy engine.

    Parameters
    ----------
    db : str, optional
        A database URL (``sqlite:///path.db``, ``postgresql+psycopg://user@host/name``); default
        ``$ZUOFENG_DB``, else the project's ``data/zuofeng.db``.
    create : bool
        Create a missing SQLite store (and the project's ``data/`` folder). Without it a missing store
        is a :class:`~zuofeng.errors.StoreError` that says how to create one: reading never creates.

    Returns
    -------
    sqlalchemy.engine.Engine
        Pass it as ``db`` to the other functions; ``engine.dispose()`` when done.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> open_store(f"sqlite:///{tmp.name}/zuofeng.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zuofeng.errors.StoreError: 找不到 zuofeng 数据库 .../zuofeng.db：请用 `zuofeng round create ...
    >>> engine = open_store(f"sqlite:///{tmp.name}/zuofeng.db", create=True)
    >>> list_rounds(db=engine)
    []
    >>> engine.dispose(); tmp.cleanup()
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from .store import open_engine

    url = database_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None  # open_engine says what is wrong with it
    if parsed is not None and parsed.get_backend_name() == "sqlite" and parsed.database \
            and parsed.database != ":memory:":
        path = Path(parsed.database)
        if create and is_default(db) and path == default_db_file():
            path.parent.mkdir(parents=True, exist_ok=True)
        if not create and not path.exists() and (path.parent.is_dir() or path == default_db_file()):
            raise StoreError(f"找不到 zuofeng 数据库 {path}：{CREATE_HINT_ZH}", f"no zuofeng store at {path}: {CREATE_HINT}")
    return open_engine(url, create=create)


@contextlib.contextmanager
def _engine(db, *, create: bool = False) -> Iterator[Engine]:
    """An engine for ``db``: the given engine itself, or one opened for this call and disposed after it."""
    if db is not None and not isinstance(db, str):
        yield db
        return
    engine = open_store(db, create=create)
    try:
        yield engine
    finally:
        engine.dispose()


def _url(db) -> str | None:
    """A URL for functions that open their own connections (worker processes, file copies)."""
    if db is None or isinstance(db, str):
        return db or None
    return db.url.render_as_string(hide_password=False)


def demo_roster() -> Path:
    """The packaged twelve-department roster of the demo, handy for trying things out.

    >>> demo_roster().name
    'demo_roster.csv'
    """
    from .demo import demo_roster as roster

    return roster()


# --- rounds ----------------------------------------------------------------------------------

def create_round(round_code: str, *, title: str, roster: str | Path, k_min: int = 5, k_comment: int | None = None,
                 previous: str | None = None, title_en: str | None = None,
                 group_weights: dict[str, float] | None = None, eval_scores: dict[str, float] | None = None,
                 rater_groups: list[dict] | None = None, outside: str = "all", db=None) -> dict:
    """Create a draft round from a roster file (CSV or .xlsx); all or nothing. Creates a missing store.

    Parameters
    ----------
    round_code : str
        1–40 letters, digits, ``.``, ``-`` or ``_``.
    title : str
        Shown to respondents and in reports.
    roster : path
        One row per department (``code, name, unit_type, headcount`` and optional columns).
    k_min, k_comment : int
        Smallest reported group (at least 3) and smallest group whose comments are shown
        (default ``max(10, k_min)``).
    previous : str, optional
        The round this one is compared with.
    title_en : str, optional
        English title, used by English reports.
    group_weights : dict, optional
        Weights of ``self``, ``peer_inside`` and ``peer_outside`` in the ``all`` and ``composite``
        figures (default equal); fixed for the round's life.
    eval_scores : dict, optional
        Points of each democratic-evaluation option (default the instrument's: 好 100, 较好 80, 一般 60, 差 40).
    rater_groups : list of dict, optional
        The round's rater groups and their weights, ``[{"name": "领导班子", "weight": 0.2}, …]``
        (:func:`zuofeng.rater_groups.parse_rater_groups` reads the CLI's form); default none.
    outside : {"all", "division", "targets"}
        Who rates a department from outside (``zuofeng.axes.OUTSIDE_MODES``): every respondent of the
        peer survey rates every other department (``all``, the default) or those of their own division
        on the 民主测评 table, or only the roster's ``peer_targets`` on the 22 items (``targets``).
    db : Engine or str, optional
        The store (see the module).

    Returns
    -------
    dict
        The round's row: ``code, title, status, k_min, k_comment, previous, instrument_id, …``, and
        ``warnings``: what the roster means for the roll-up into divisions (``rounds.roster_warnings``).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> rnd = create_round("2022-baseline", title="基线测评", roster=demo_roster(), db=db)
    >>> rnd["code"], rnd["status"], rnd["k_min"]
    ('2022-baseline', 'draft', 5)
    >>> create_round("2022-baseline", title="again", roster=demo_roster(), db=db)
    Traceback (most recent call last):
    ...
    zuofeng.errors.RoundError: 轮次 2022-baseline 已存在
    >>> tmp.cleanup()
    """
    from .rounds import create_round as create

    with _engine(db, create=True) as engine:
        return create(engine, round_code, title=title, roster=roster, k_min=k_min, k_comment=k_comment,
                      previous=previous, title_en=title_en, group_weights=group_weights, eval_scores=eval_scores,
                      rater_groups=rater_groups, outside=outside)


def open_round(round_code: str, *, force: bool = False, db=None) -> dict:
    """Open a round for answers (from draft, or reopen a closed one); its thresholds become fixed.

    A closed round that a later open or closed round uses as ``previous`` is reopened only with
    ``force`` (its answers are that round's baseline).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> open_round("R1", db=db)["status"]
    'open'
    >>> open_round("R1", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.errors.RoundError: 轮次 R1 状态为开放，不能开放
    >>> tmp.cleanup()
    """
    from .rounds import set_status

    with _engine(db) as engine:
        return set_status(engine, round_code, "open", force=force)


def close_round(round_code: str, *, db=None) -> dict:
    """Close an open round: it accepts no more answers, and the stored rows are reordered once more.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> close_round("R1", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.errors.RoundError: 轮次 R1 状态为草稿，不能关闭
    >>> _ = open_round("R1", db=db)
    >>> close_round("R1", db=db)["status"]
    'closed'
    >>> tmp.cleanup()
    """
    from .rounds import set_status

    with _engine(db) as engine:
        return set_status(engine, round_code, "closed")


def list_rounds(*, newest_first: bool = False, db=None) -> list[dict]:
    """Every round in the store, oldest first, as dicts (``code, title, status, k_min, previous, created_on, …``).

    With ``newest_first`` the newest round comes first (the console's list).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = create_round("R2", title="年终", roster=demo_roster(), previous="R1", db=db)
    >>> [(r["code"], r["status"], r["previous"]) for r in list_rounds(db=db)]
    [('R1', 'draft', None), ('R2', 'draft', 'R1')]
    >>> [r["code"] for r in list_rounds(newest_first=True, db=db)]
    ['R2', 'R1']
    >>> tmp.cleanup()
    """
    from .rounds import list_rounds as rounds

    with _engine(db) as engine:
        found = rounds(engine)
    return found[::-1] if newest_first else found


def roster_rows(path: str | Path) -> list[list[str]]:
    """The rows of a roster file (CSV or .xlsx) as text, as the roster reader sees them: row ``n`` is line ``n``.

    For showing the line a roster error names (the console); nothing is checked beyond readability.

    Examples
    --------
    >>> rows = roster_rows(demo_roster())
    >>> rows[0][:2], rows[1][:2]
    (['code', 'name'], ['BGS', '办公室'])
    """
    from .roster import _rows_from_csv, _rows_from_xlsx

    path = Path(path)
    return _rows_from_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_from_csv(path)


# --- tokens and coverage ---------------------------------------------------------------------

def issue_slips(round_code: str, *, kind: str | None = None, targets: list[str] | None = None, extra: int = 0,
                out: str | Path | None = None, csv_path: str | Path | None = None, url: str | None = None,
                force: bool = False, lang: str = "zh", paper_ballots: str | Path | None = None,
                groups: str | Path | None = None, db=None) -> SlipsResult:
    """Issue the round's missing tokens (top-up to headcount) and write them as slips; only the slips hold them.

    Parameters are those of ``zuofeng tokens issue``; see :func:`zuofeng.collect.slips.issue_slips`.
    ``paper_ballots`` (``--paper-ballots``) writes one printable A4 ballot per token, its 答题码 printed on
    it, and a count sheet per department; the paper 录入 template imports them back.
    The token key is created on first use at ``$ZUOFENG_KEY_FILE`` (else ``~/.config/zuofeng/token.key``).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> r = issue_slips("R1", kind="self", out=f"{tmp.name}/slips.html", db=db)
    >>> r.issued == sum(row["issued"] for row in token_status("R1", db=db)), r.html_path.name
    (True, 'slips.html')
    >>> issue_slips("R1", kind="self", out=f"{tmp.name}/more.html", db=db).issued   # only tops up
    0
    >>> tmp.cleanup()
    """
    from .collect.slips import issue_slips as issue

    with _engine(db) as engine:
        return issue(engine, round_code, kind=kind, targets=targets, extra=extra, out=out, csv_path=csv_path,
                     url=url, force=force, lang=lang, paper_ballots=paper_ballots, groups=groups)


def share_page(round_code: str, url: str, *, out: str | Path | None = None, lang: str = "zh", db=None) -> Path:
    """Write the round's share page: its title, the survey address and its QR code, large, for a projector.

    The QR code holds the address only, never an 答题码. ``out`` is the page's path, default
    ``reports/<round>-share/index.html`` of the project. Returns the path.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线测评", roster=demo_roster(), db=db)
    >>> page = share_page("R1", "https://survey.example.org/", out=f"{tmp.name}/share.html", db=db)
    >>> text = page.read_text(encoding="utf-8")
    >>> "基线测评" in text, "https://survey.example.org/" in text, "<svg" in text
    (True, True, True)
    >>> share_page("R1", "survey.example.org", out=f"{tmp.name}/x.html", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.errors.ZuofengError: --url 'survey.example.org' 不是可用的测评网址；请给出 http(s)://主机/…，不含空格，最多 300 个字符
    >>> tmp.cleanup()
    """
    from .collect.share import write_share_page
    from .store import get_round

    with _engine(db) as engine, engine.connect() as conn:
        rnd = get_round(conn, round_code)
    title = (rnd.get("title_en") or rnd["title"]) if lang == "en" else rnd["title"]
    path = Path(out) if out else reports_dir() / f"{round_code}-share" / "index.html"
    return write_share_page(path, title, url, lang=lang)


def token_status(round_code: str, *, db=None) -> list[dict]:
    """Issued and used tokens per rater department, kind and target (counts only, never a token).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> token_status("R1", db=db)
    []
    >>> tmp.cleanup()
    """
    from .collect.tokens import token_counts

    with _engine(db) as engine:
        return token_counts(engine, round_code)


def round_coverage(round_code: str, *, db=None) -> dict:
    """Coverage per department and kind (self, inside view) with every gap flagged (盲区: nobody answered).

    Returns the dict of :func:`zuofeng.coverage.coverage`: ``departments`` (one row per department ×
    view with ``responses``, ``headcount``, ``coverage``, ``flags``), ``summary``, ``gaps``, ….

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> cov = round_coverage("R1", db=db)
    >>> cov["status"], len(cov["departments"]), all("盲区" in r["flags"] for r in cov["departments"])
    ('draft', 24, True)
    >>> tmp.cleanup()
    """
    from .coverage import coverage as cov

    with _engine(db) as engine:
        return cov(engine, round_code)


def simulate_round(round_code: str, *, seed: int = 1, response_rate: float = 0.85, db=None) -> int:
    """Store synthetic self and peer answer sheets in an open round (same seed, same data); return how many.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> n = simulate_round("R1", seed=1, db=db)
    >>> n == sum(s["responses"] for s in round_coverage("R1", db=db)["summary"].values()) \\
    ...     + sum(round_coverage("R1", db=db)["peer_outside_received"].values())
    True
    >>> tmp.cleanup()
    """
    from .simulate import simulate as sim

    with _engine(db) as engine:
        return sim(engine, round_code, seed=seed, response_rate=response_rate)


# --- import ----------------------------------------------------------------------------------

def import_file(round_code: str, path: str | Path, *, format: str = "auto", mapping: str | Path | None = None,
                dry_run: bool = False, force: bool = False, db=None) -> ImportResult:
    """Import answer sheets (the ballot template, 问卷星, LimeSurvey) into an open round: all or nothing.

    With ``dry_run`` the file is checked and counted, and nothing is stored (any round state).
    Bad rows raise :class:`zuofeng.io.ImportProblems` listing every problem with its row and column.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> roster = f"{tmp.name}/roster.csv"   # 办公室 votes on paper: its typed-in ballots carry no token
    >>> _ = open(roster, "w", encoding="utf-8").write("code,name,unit_type,headcount,paper\\nBGS,办公室,机关部室,12,1\\n")
    >>> _ = create_round("R1", title="基线", roster=roster, db=db); _ = open_round("R1", db=db)
    >>> ballots = f"{tmp.name}/ballots.csv"
    >>> _ = open(ballots, "w", encoding="utf-8").write(
    ...     "kind,department,target,category,overall,comment," + ",".join(f"q{n:02d}" for n in range(1, 23))
    ...     + "\\nself,BGS,,党员,,," + ",".join(["2"] * 22) + "\\n")
    >>> r = import_file("R1", ballots, dry_run=True, db=db)
    >>> r.format, r.sheets, r.stored
    ('template', 1, 0)
    >>> import_file("R1", ballots, db=db).stored
    1
    >>> tmp.cleanup()
    """
    from .io import import_file as imp

    with _engine(db) as engine:
        return imp(engine, round_code, path, format=format, mapping=mapping, dry_run=dry_run, force=force)


def import_template(path: str | Path, round_code: str | None = None, *, db=None) -> Path:
    """Write an empty ballot template (.xlsx or .csv); with a round, its departments are listed too.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> import_template(f"{tmp.name}/ballots.csv").name
    'ballots.csv'
    >>> tmp.cleanup()
    """
    from .io.template import template_for

    if round_code is None:
        return template_for(path, None, None)
    with _engine(db) as engine:
        return template_for(path, engine, round_code)


# --- scores, reports, export, backup ---------------------------------------------------------

def score_round(round_code: str, *, out: str | Path | None = None, seed: int = 1, db=None) -> Scores:
    """Score a round (and compare it with its previous round); with ``out``, also write the long table.

    Parameters
    ----------
    round_code : str
        The round.
    out : path, optional
        ``.csv``, ``.xlsx`` (one sheet per level) or ``.parquet``; checked before anything is computed.
    seed : int
        Seed of the bootstrap rank ranges.

    Returns
    -------
    zuofeng.score.Scores
        Tidy frames (``table``, ``problems``, ``quality``, …) and ``meta``.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> scores = score_round("R1", db=db)
    >>> scores.meta["round"], sorted(scores.table["kind"].unique())
    ('R1', ['all', 'peer_inside', 'peer_outside', 'self'])
    >>> tmp.cleanup()
    """
    from .score.table_files import score_to_file

    with _engine(db) as engine:
        return score_to_file(engine, round_code, out=out, seed=seed)


def report_folder(round_code: str, out: str | Path | None = None) -> Path:
    """Where the reports of a round go: ``out``, else ``reports/<round>`` of the project folder.

    >>> report_folder("R1", "elsewhere")
    PosixPath('elsewhere')
    >>> report_folder("R1").parts[-2:]
    ('reports', 'R1')
    """
    return Path(out) if out else reports_dir() / round_code


def render_reports(round_code: str, *, department: str | None = None, jobs: int | None = None, lang: str = "zh",
                   out: str | Path | None = None, seed: int = 1, progress: bool = True, db=None,
                   on_progress=None) -> BatchResult:
    """Score a round once and render its overview and department reports (notebooks and HTML, with an index).

    Parameters
    ----------
    round_code : str
        The round.
    department : str, optional
        Render only this department; the other reports in the folder are kept.
    jobs : int, optional
        Notebooks rendered in parallel (default: the number of CPUs).
    lang : {"zh", "en"}
        Language of the reports.
    out : path, optional
        Report folder, default ``reports/<round>`` of the project (see :func:`report_folder`).
    seed : int
        Seed of the scoring engine's resampling.
    progress : bool
        Show a progress bar on stderr.
    on_progress : callable, optional
        Called as ``on_progress(done, total, name)`` after each report (the console's progress bar).

    Returns
    -------
    zuofeng.report.batch.BatchResult
        ``index`` is the path of ``index.html``.

    Raises
    ------
    zuofeng.report.batch.ReportBatchError
        After writing the others, when some reports failed.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> result = render_reports("R1", department="BGS", out=f"{tmp.name}/reports", progress=False, db=db)
    >>> result.index.name, [r.html for r in result.results]
    ('index.html', ['departments/BGS.html'])
    >>> tmp.cleanup()
    """
    from .report.batch import render_round

    url = store_url(_url(db))
    if isinstance(db, str) or db is None:
        open_store(url).dispose()  # a missing store is refused here, never created by the batch
    return render_round(round_code, department=department, jobs=jobs, lang=lang, out=report_folder(round_code, out),
                        db=url, seed=seed, progress=progress, on_progress=on_progress)


def render_audience_report(audience: str, round_code: str, *, out: str | Path | None = None, lang: str = "zh",
                           seed: int = 1, department: str | None = None, db=None) -> Path:
    """Render the restricted inspection report or the public summary of a round; return the page's path.

    Parameters
    ----------
    audience : {"inspection", "public"}
        ``inspection``: red-line matters and clue comments for the discipline-inspection team, in an
        owner-only folder never linked from the index. ``public``: organisation-level figures only, as
        HTML and a 1080-px-wide PNG.
    round_code : str
        The round.
    out : path, optional
        Folder, default ``reports/<round>-<audience>`` of the project.
    lang : {"zh", "en"}
        Language of the page.
    seed : int
        Seed of the scoring engine's resampling.
    department : None
        Refused: these reports cover the whole organisation.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> page = render_audience_report("public", "R1", out=f"{tmp.name}/public", db=db)
    >>> page.name, (page.parent / "public.png").exists()
    ('public.html', True)
    >>> render_audience_report("public", "R1", department="BGS", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.errors.ZuofengError: --department 不适用于 --audience public
    >>> tmp.cleanup()
    """
    from .report.audiences import render_audience

    folder = Path(out) if out else reports_dir() / f"{round_code}-{audience}"
    with _engine(db) as engine:
        return render_audience(audience, round_code, out=folder, db=_url(engine), lang=lang, seed=seed,
                               department=department)


def export(round_code: str, out: str | Path, *, seed: int = 1, lang: str = "zh", db=None) -> ExportResult:
    """Export a round's anonymous answer sheets (groups of at least k), coverage and scores to Excel.

    Column headers are Chinese, English with ``lang="en"``.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> r = export("R1", f"{tmp.name}/R1.xlsx", db=db)
    >>> r.path.name, r.sheets_exported > 0, r.k_min
    ('R1.xlsx', True, 5)
    >>> tmp.cleanup()
    """
    from .io.excel_export import export_round

    with _engine(db) as engine:
        return export_round(engine, round_code, out, seed=seed, lang=lang)


REPORT_SUFFIXES = (".html", ".ipynb")  # what a report folder's archive (and the console's route) holds


def report_archive(round_code: str, out: str | Path, *, folder: str | Path | None = None) -> Path:
    """Pack the round's rendered report folder (its pages and executed notebooks) into the zip file ``out``.

    ``folder`` defaults to :func:`report_folder`; its staging folders, snapshot and manifest stay out.
    A folder without ``index.html`` (no reports rendered yet) is refused. Returns ``out``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> _ = render_reports("R1", department="BGS", out=f"{tmp.name}/reports", progress=False, db=db)
    >>> z = report_archive("R1", f"{tmp.name}/R1.zip", folder=f"{tmp.name}/reports")
    >>> sorted(zipfile.ZipFile(z).namelist())
    ['R1/departments/BGS.html', 'R1/departments/BGS.ipynb', 'R1/index.html']
    >>> report_archive("R2", f"{tmp.name}/R2.zip", folder=f"{tmp.name}/none")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zuofeng.errors.ZuofengError: ...none 中还没有轮次 R2 的报告：请先生成报告（zuofeng report R2）
    >>> tmp.cleanup()
    """
    import zipfile

    from .errors import ZuofengError

    folder = Path(folder) if folder else report_folder(round_code)
    if not (folder / "index.html").is_file():
        raise ZuofengError(f"{folder} 中还没有轮次 {round_code} 的报告：请先生成报告（zuofeng report {round_code}）",
                           f"no reports of round {round_code} yet in {folder}: render them first "
                           f"(zuofeng report {round_code})")
    out = Path(out)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in REPORT_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            z.write(p, f"{round_code}/{p.relative_to(folder).as_posix()}")
    return out


def ledger_workbooks(round_code: str, out: str | Path, *, db=None) -> tuple[Path, list[str]]:
    """Pack one ledger workbook per department with entries into the zip file ``out``.

    Each is ``DEPT.xlsx`` as :func:`ledger_export` writes it; returns ``(out, departments)``.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> _ = ledger_add("R1", "KJG", "窗口服务态度", by="王明", db=db)
    >>> path, depts = ledger_workbooks("R1", f"{tmp.name}/ledger.zip", db=db)
    >>> depts, sorted(zipfile.ZipFile(path).namelist())
    (['BGS', 'KJG'], ['BGS.xlsx', 'KJG.xlsx'])
    >>> tmp.cleanup()
    """
    import tempfile
    import zipfile

    from .ledger.entries import entries_frame
    from .ledger.workbook import export_workbook

    out = Path(out)
    with _engine(db) as engine, tempfile.TemporaryDirectory(prefix="zuofeng-ledger-") as tmp:
        depts = sorted(set(entries_frame(engine, round_code)["department"]))
        if not depts:
            export_workbook(engine, round_code, Path(tmp) / "all.xlsx")  # raises: no entries yet, and what to do
        paths = [export_workbook(engine, round_code, Path(tmp) / f"{d}.xlsx", d) for d in depts]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
    return out, depts


def backup(out: str | Path, *, db=None) -> BackupResult:
    """Copy an SQLite store consistently (one snapshot, even while surveys write) into the new file ``out``.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> r = backup(f"{tmp.name}/copy.db", db=db)
    >>> r.rounds, [x["code"] for x in list_rounds(db=f"sqlite:///{tmp.name}/copy.db")]
    (1, ['R1'])
    >>> tmp.cleanup()
    """
    from .io.backup import backup as copy

    url = database_url(_url(db))
    if is_default(_url(db)):
        open_store(url).dispose()  # a missing default store: the same one line as everywhere
    return copy(url, out)


def run_demo(out: str | Path | None = None, *, db: str | None = None, jobs: int | None = None, lang: str = "zh",
             progress: bool = True, echo=None) -> Path:
    """A whole campaign on synthetic data; return the path of the final round's ``index.html``.

    A fresh SQLite store ``demo.db`` in ``out`` (default ``reports/demo`` of the project) — or the store
    ``db`` — gets a baseline and a final round of the twelve-department demo roster, simulated, scored
    and rendered. See :func:`zuofeng.demo.run_demo`. (Not run as an example: it renders 13 reports.)
    """
    from .demo import run_demo as run

    return run(Path(out) if out else reports_dir() / "demo", db=db, jobs=jobs, lang=lang, progress=progress, echo=echo)


# --- the rectification ledger (整改台账) -------------------------------------------------------

def problem_list(round_code: str, *, department: str | None = None, lang: str = "zh", out: str | Path | None = None,
                 seed: int = 1, db=None) -> pd.DataFrame:
    """The problem list (问题清单) of a scored round: each flagged item once per department, by priority.

    Parameters
    ----------
    round_code : str
        The round (scored here).
    department : str, optional
        Only this department.
    lang : {"zh", "en"}
        Language of labels, views, rules and the detail text.
    out : path, optional
        Also write the list to this Excel workbook (``.xlsx``).
    seed : int
        Seed of the scorer's resampling.
    db : Engine or str, optional
        The store (see the module).

    Returns
    -------
    pandas.DataFrame
        One row per department × flagged item: ``department, department_name, priority, item, key, label,
        dimension, views, rules, detail, …`` (see :func:`zuofeng.ledger.department_problems`).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> kjg = problem_list("R1", department="KJG", db=db)
    >>> set(kjg["department"]), list(kjg["priority"]) == list(range(1, len(kjg) + 1)), len(kjg) > 0
    ({'KJG'}, True, True)
    >>> tmp.cleanup()
    """
    from .ledger.problems import department_problems, write_problem_list
    from .score import score_round as score

    if lang not in ("zh", "en"):
        from .errors import ZuofengError

        raise ZuofengError(f"lang 必须是 zh 或 en，而不是 {lang!r}", f"lang must be zh or en, not {lang!r}")
    with _engine(db) as engine:
        scores = score(engine, round_code, seed=seed)
    if out is not None:
        write_problem_list(scores, out, lang, department)
    return department_problems(scores, lang, department)


def ledger_init(round_code: str, *, seed: int = 1, by: str = "zuofeng ledger init", db=None) -> int:
    """Seed the ledger from the round's problem list: one entry (未启动) per department × flagged item.

    Safe to run again: an item that already has an entry is left alone. Returns how many were added.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db); _ = open_round("R1", db=db)
    >>> _ = simulate_round("R1", seed=1, db=db)
    >>> n = ledger_init("R1", db=db)
    >>> n == len(problem_list("R1", db=db)) == len(ledger_entries("R1", db=db)), ledger_init("R1", db=db)
    (True, 0)
    >>> tmp.cleanup()
    """
    from .ledger.entries import init_ledger

    with _engine(db) as engine:
        return init_ledger(engine, round_code, by=by, seed=seed)


def ledger_export(round_code: str, out: str | Path, *, department: str | None = None, db=None) -> Path:
    """Write the ledger workbook (``.xlsx``) that a department fills in; return its path.

    An instructions sheet, frozen headers, a status dropdown, date cells and locked key columns; see
    :func:`zuofeng.ledger.export_workbook`.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> ledger_export("R1", f"{tmp.name}/BGS.xlsx", department="BGS", db=db).name
    'BGS.xlsx'
    >>> tmp.cleanup()
    """
    from .ledger.workbook import export_workbook

    with _engine(db) as engine:
        return export_workbook(engine, round_code, out, department)


def ledger_import(path: str | Path, *, dry_run: bool = False, reopen: bool = False, by: str | None = None,
                  db=None) -> LedgerImportResult:
    """Take a filled ledger workbook back into the store: all or nothing.

    Parameters
    ----------
    path : path
        A workbook written by :func:`ledger_export` and filled in.
    dry_run : bool
        Check and count only; store nothing.
    reopen : bool
        Allow a status to move back (e.g. 已完成 → 整改中).
    by : str, optional
        Who records the changes in the history (default ``import FILE``).

    Raises
    ------
    zuofeng.ledger.LedgerProblems
        ``problems`` lists every problem with sheet, row and column; the store is unchanged.

    Examples
    --------
    >>> import tempfile
    >>> from openpyxl import load_workbook
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> path = ledger_export("R1", f"{tmp.name}/BGS.xlsx", department="BGS", db=db)
    >>> wb = load_workbook(path); ws = wb["整改台账"]
    >>> _ = ws.cell(row=2, column=[c.value for c in ws[1]].index("状态") + 1, value="整改中"); wb.save(path)
    >>> r = ledger_import(path, dry_run=True, db=db)
    >>> r.dry_run, r.changed_fields, ledger_entries("R1", db=db)["status"].tolist()
    (True, 1, ['未启动'])
    >>> ledger_import(path, by="李华", db=db).changed_entries, ledger_entries("R1", db=db)["status"].tolist()
    (1, ['整改中'])
    >>> tmp.cleanup()
    """
    from .ledger.workbook import import_workbook

    with _engine(db) as engine:
        return import_workbook(engine, path, dry_run=dry_run, reopen=reopen, by=by)


def ledger_status(round_code: str, *, seed: int = 1, as_of: dt.date | None = None,
                  db=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Completion, overdue entries and missing evidence per department, and every entry verified.

    Parameters
    ----------
    round_code : str
        The round whose problem list the entries answer.
    seed : int
        Seed of the scorer's resampling (the rounds are scored only once a next round exists).
    as_of : datetime.date, optional
        The day against which deadlines are overdue (default today).

    Returns
    -------
    (summary, entries)
        See :func:`zuofeng.ledger.ledger_status`: ``summary`` has one row per department with entries;
        ``entries`` every entry with ``verification``, ``flags`` and ``flag_detail``.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db,
    ...                measure="加强学习，提高认识", deadline=dt.date(2022, 6, 30))
    >>> summary, entries = ledger_status("R1", as_of=dt.date(2022, 7, 1), db=db)
    >>> summary[["department", "entries", "未启动", "overdue", "flagged"]].values.tolist()
    [['BGS', 1, 1, 1, 1]]
    >>> entries["flags"].tolist(), entries["verification"].tolist()
    ([['boilerplate', 'overdue']], [None])
    >>> tmp.cleanup()
    """
    from .ledger.verify import ledger_status as status

    with _engine(db) as engine:
        return status(engine, round_code, as_of=as_of, seed=seed)


def ledger_entries(round_code: str, *, department: str | None = None, verify: bool = True, seed: int = 1,
                   as_of: dt.date | None = None, db=None) -> pd.DataFrame:
    """The ledger entries of a round (or of one department), ordered by department, item and id.

    Parameters
    ----------
    round_code : str
        The round.
    department : str, optional
        Only this department's entries.
    verify : bool
        Add ``next_round``, ``verification``, ``flags`` and ``flag_detail`` (as :func:`ledger_status`);
        without it, only the stored columns (no scoring).
    seed, as_of
        As for :func:`ledger_status`.

    Returns
    -------
    pandas.DataFrame
        ``id, round, department, item, problem, measure, leader, person, deadline, status, evidence,
        evidence_file, review_note, created_on`` (and the verification columns).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> _ = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> _ = ledger_add("R1", "KJG", "窗口服务态度", by="王明", db=db)
    >>> ledger_entries("R1", department="KJG", db=db)[["department", "item", "problem", "status", "flags"]].values.tolist()
    [['KJG', None, '窗口服务态度', '未启动', []]]
    >>> tmp.cleanup()
    """
    from .ledger.entries import entries_frame
    from .ledger.verify import verify_entries

    with _engine(db) as engine:
        df = verify_entries(engine, round_code, as_of=as_of, seed=seed) if verify else entries_frame(engine, round_code)
        if department is not None:
            _known_department(engine, round_code, department)
    if department is not None:
        df = df[df["department"] == department].reset_index(drop=True)
    df["item"] = df["item"].astype(object).where(df["item"].notna(), None)
    return df


def _known_department(engine, round_code: str, department: str) -> None:
    from .ledger.entries import LedgerError
    from .store import get_departments

    with engine.connect() as conn:
        if department not in get_departments(conn, round_code):
            raise LedgerError(f"轮次 {round_code} 中没有部门 {department!r}",
                              f"unknown department {department!r} in round {round_code}")


def ledger_add(round_code: str, department: str, problem: str, *, item: int | None = None, by: str, db=None,
               **fields) -> int:
    """Add a ledger entry for an item (1–22) or a topic of the department's own (``item=None``); return its id.

    ``fields`` are those of :func:`ledger_update` (``measure``, ``leader``, ``person``, ``deadline``, …);
    the creation and each field are recorded in the history as done by ``by``.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> eid = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", leader="张三", db=db)
    >>> ledger_history("R1", db=db)[["entry_id", "recorded_by", "field", "new_value"]].values.tolist() == [
    ...     [eid, "王明", "created", "会议多、文件多"], [eid, "王明", "leader", "张三"]]
    True
    >>> ledger_add("R1", "NOPE", "x", by="王明", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.ledger.entries.LedgerError: 轮次 R1 中没有部门 'NOPE'
    >>> tmp.cleanup()
    """
    from .ledger.entries import add_entry

    with _engine(db) as engine:
        return add_entry(engine, round_code, department, problem, item=item, by=by, **_dated(fields))


def ledger_update(entry_id: int, *, by: str, reopen: bool = False, db=None, **changes) -> int:
    """Change fields of one ledger entry and append each change to its history; return how many changed.

    Parameters
    ----------
    entry_id : int
        The entry's ``id`` (see :func:`ledger_entries`).
    by : str
        Who records the change (kept in the history).
    reopen : bool
        Allow the status to move back (未启动 → 整改中 → 已完成 → 已销号 is forward).
    **changes
        ``measure`` (整改措施), ``leader`` (责任领导), ``person`` (责任人), ``deadline`` (a date, or
        ``YYYY-MM-DD``; None clears it), ``status``, ``evidence`` (佐证材料), ``evidence_file``, ``review_note``.
        Empty text clears a field; 已销号 needs evidence; formulas and overlong text are refused.

    Raises
    ------
    zuofeng.ledger.LedgerError
        A bad field, value or status move (nothing is changed).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> eid = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> ledger_update(eid, by="李华", status="已完成", measure="每月合并会议一次，由办公室主任负责", db=db)
    2
    >>> ledger_update(eid, by="李华", status="整改中", db=db)
    Traceback (most recent call last):
    ...
    zuofeng.ledger.entries.LedgerError: 状态不能从 已完成 退回到 整改中（请用 --reopen）
    >>> ledger_update(eid, by="李华", status="整改中", reopen=True, db=db)
    1
    >>> ledger_history("R1", db=db)[["recorded_by", "field", "old_value", "new_value"]].values.tolist()[-1]
    ['李华', 'status', '已完成', '整改中']
    >>> tmp.cleanup()
    """
    from .ledger.entries import update_entry

    with _engine(db) as engine:
        return update_entry(engine, entry_id, by=by, reopen=reopen, **_dated(changes))


def ledger_history(round_code: str, *, entry_id: int | None = None, db=None) -> pd.DataFrame:
    """Every recorded change of the round's ledger entries (or of one entry), oldest first.

    Columns ``id, entry_id, department, changed_on, recorded_by, field, old_value, new_value``; the
    history is append-only.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); db = f"sqlite:///{tmp.name}/zuofeng.db"
    >>> _ = create_round("R1", title="基线", roster=demo_roster(), db=db)
    >>> eid = ledger_add("R1", "BGS", "会议多、文件多", item=1, by="王明", db=db)
    >>> _ = ledger_add("R1", "KJG", "窗口服务态度", by="王明", db=db)
    >>> ledger_history("R1", entry_id=eid, db=db)[["department", "field"]].values.tolist()
    [['BGS', 'created']]
    >>> tmp.cleanup()
    """
    from .ledger.entries import history_frame

    with _engine(db) as engine:
        with engine.connect() as conn:
            from .store import get_round

            get_round(conn, round_code)
        df = history_frame(engine, round_code)
    if entry_id is not None:
        df = df[df["entry_id"] == entry_id].reset_index(drop=True)
    return df


def _dated(fields: dict) -> dict:
    """``deadline`` given as ``YYYY-MM-DD`` text becomes a date (empty text: no deadline)."""
    if isinstance(fields.get("deadline"), str):
        from .ledger.entries import LedgerError

        text = fields["deadline"].strip()
        try:
            fields = {**fields, "deadline": dt.date.fromisoformat(text) if text else None}
        except ValueError:
            raise LedgerError(f"deadline（整改期限）必须是日期（YYYY-MM-DD），而不是 {text!r}",
                              f"deadline must be a date (YYYY-MM-DD), not {text!r}") from None
    return fields


# --- notebooks -------------------------------------------------------------------------------

def demo_store() -> str:
    """The URL of the demo's store, ``reports/demo/demo.db`` of the project (it may not exist)."""
    from .demo import DEMO_DB

    return f"sqlite:///{reports_dir() / 'demo' / DEMO_DB}"


def report_source(round_code: str, db: str = "", snapshot: str = "") -> str:
    """The store a report notebook reads ``round_code`` from, given its ``db`` and ``snapshot`` parameters.

    A given ``db`` or ``snapshot`` is used as it is. Left empty, the project's store is used when it
    holds the round, else the demo's store (``make demo``) when that holds it; otherwise the one-line
    error says which parameters to set.

    Examples
    --------
    >>> report_source("R1", db="sqlite:///x.db")
    'sqlite:///x.db'
    >>> report_source("R1", snapshot="scores.zip")
    ''
    """
    if db or snapshot:
        return db
    from .errors import ZuofengError

    for url in (store_url(), demo_store()):
        try:
            if any(r["code"] == round_code for r in list_rounds(db=url)):
                return url
        except StoreError:
            continue
    raise ZuofengError(f"项目数据库和演示数据中都没有轮次 {round_code!r}：请运行 `make demo`，"
                       "或在参数单元格中设置 round_code（以及数据库地址 db）",
                       f"round {round_code!r} is in neither the project store nor the demo: run `make demo`, "
                       "or set round_code (and db, a database URL) in the parameters cell")
