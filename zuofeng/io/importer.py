"""Importing answer sheets from a file: all of them, or none and every problem listed.

Imported answers are stored exactly like survey answers — through
:func:`zuofeng.store.store_sheets` with ``source="import"``, under random ids, in random order, with
nothing from the file's metadata. The file's fingerprint (a hash of its normalised content) is
recorded in the same transaction, so the same file is not imported twice by mistake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..axes import outside_mode, table_targets
from ..errors import InputFileError, TokenError, ZuofengError
from ..instrument import load_instrument
from ..messages import both, word
from ..store import get_departments, get_round, import_fingerprints, store_sheets
from .files import Grid, fingerprint, read_file
from .import_problems import Collector, ImportProblems, Problem
from .limesurvey import is_limesurvey_header, parse_limesurvey
from .mapping import FORMATS, Mapping, load_mapping
from .parsed import Parsed
from .template import is_template_header, parse_template
from .values import ValueReader
from .wjx import is_wjx_header, parse_wjx

DETECT = (("template", is_template_header), ("limesurvey", is_limesurvey_header), ("wjx", is_wjx_header))


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do).

    ``sheets`` answer sheets were read and ``stored`` of them stored (0 on a dry run); ``too_fast``
    of them are flagged as answered implausibly fast; ``previous`` lists earlier imports of the
    same content as ``(round, date)`` pairs; ``columns`` says which column became which item and
    how it was found, as ``(item, column header, how)``.
    """

    round: str
    path: str
    format: str
    sheet: str
    fingerprint: str
    sheets: int
    stored: int
    too_fast: int
    dry_run: bool
    round_status: str
    previous: tuple[tuple[str, dt.date], ...]
    notes: tuple[str, ...]
    columns: tuple[tuple[int, str, str], ...] = ()


def detect_format(header: tuple[str, ...]) -> str | None:
    """The format a header row belongs to: ``template``, ``limesurvey``, ``wjx`` or None."""
    for name, test in DETECT:
        if test(header):
            return name
    return None


def _choose(grids: tuple[Grid, ...], fmt: str, m: Mapping, path: Path) -> tuple[Grid, str]:
    if m.sheet is not None:
        named = [g for g in grids if g.name == m.sheet]
        if not named:
            raise InputFileError(f"{path}：没有名为 {m.sheet!r} 的工作表；工作表有：{'、'.join(g.name for g in grids)}",
                                 f"{path}: no sheet named {m.sheet!r}; sheets: {', '.join(g.name for g in grids)}")
        grids = tuple(named)
    for g in grids:
        found = detect_format(g.rows[0][1]) if g.rows else None
        if found and fmt in ("auto", found):
            return g, found
    if fmt != "auto" and len(grids) == 1:
        return grids[0], fmt  # the parser names what is missing from the header
    names = ", ".join(repr(g.name) for g in grids if g.name)
    where = f"no sheet ({names})" if names else "the file"
    want = {"auto": "the template, 问卷星 or LimeSurvey", "template": "the template", "wjx": "问卷星",
            "limesurvey": "LimeSurvey"}[fmt]
    where_zh = f"工作表（{'、'.join(repr(g.name) for g in grids if g.name)}）中都" if names else "文件中"
    want_zh = {"auto": "录入模板、问卷星或 LimeSurvey", "template": "录入模板", "wjx": "问卷星",
               "limesurvey": "LimeSurvey"}[fmt]
    raise InputFileError(f"{path}：{where_zh}没有{want_zh}的表头行（录入模板：kind, department, q01…；"
                         "问卷星：序号, 提交答卷时间…；LimeSurvey：id, submitdate, codes）：文件或工作表对吗？",
                         f"{path}: {where} has a header row of {want} (template: kind, department, q01…; "
                         "问卷星: 序号, 提交答卷时间…; LimeSurvey: id, submitdate, codes); is it the right file or sheet?")


def parse(path: str | Path, instrument, departments, *, format: str = "auto",
          mapping: str | Path | Mapping | None = None, check_token=None, table_of=None) -> tuple[Parsed, Grid]:
    """Read and validate a file without touching the store; raise ImportProblems listing every problem.

    ``check_token(text)`` gives a ballot token's scope and keyed hash, or raises ZuofengError
    (:func:`import_file` passes one that asks the round's token table); ``table_of(department)`` the
    departments on its 民主测评 table in the round.
    """
    path = Path(path)
    if format not in ("auto", *FORMATS):
        raise InputFileError(f"--format 应为 auto 或 {'、'.join(FORMATS)} 之一，而不是 {format!r}",
                             f"--format must be auto or one of {', '.join(FORMATS)}, not {format!r}")
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    if m.format is not None:
        if format not in ("auto", m.format):
            raise InputFileError(f"--format {format} 与映射文件的格式 {m.format} 不一致",
                                 f"--format {format} disagrees with the mapping file's format: {m.format}")
        format = m.format
    content = read_file(path)
    grid, fmt = _choose(content.grids, format, m, path)
    reader = ValueReader(instrument, departments, option_codes=fmt != "template")
    problems = Collector()
    if fmt == "template":
        parsed = parse_template(grid, reader, problems, check_token, table_of)
    elif fmt == "wjx":
        parsed = parse_wjx(grid, reader, m, problems)
    else:
        parsed = parse_limesurvey(grid, reader, m, problems)
    problems.raise_if_any(str(path))
    return parsed, grid


def import_file(engine: Engine, round_code: str, path: str | Path, *, format: str = "auto",
                mapping: str | Path | None = None, dry_run: bool = False, force: bool = False) -> ImportResult:
    """Import the answer sheets of ``path`` into round ``round_code``: all or nothing.

    Parameters
    ----------
    engine : Engine
        The store.
    round_code : str
        An open round (any round for ``dry_run``).
    path : str or Path
        The template (CSV or .xlsx), a 问卷星 download or a LimeSurvey CSV export.
    format : {"auto", "template", "wjx", "limesurvey"}
        ``auto`` tells the format from the header row.
    mapping : str or Path, optional
        A YAML mapping file (see :mod:`zuofeng.io.mapping`).
    dry_run : bool
        Validate and report only; store nothing.
    force : bool
        Import even when the same content was imported before.

    Raises
    ------
    ImportProblems
        When any row is bad: ``problems`` lists each with its row and column; nothing is stored.
    InputFileError
        When the file cannot be read at all, or was imported before (without ``force``).
    """
    path = Path(path)
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
    mode = outside_mode(rnd)
    parsed, grid = parse(path, inst, depts, format=format, mapping=mapping,
                         check_token=_token_checker(engine, rnd),
                         table_of=lambda rater: table_targets(mode, rater, depts))
    _check_tokenless(engine, round_code, parsed, depts, str(path))
    fp = fingerprint(grid.rows[0][1], [cells for _n, cells in grid.rows[1:]])
    previous = _previous(engine, fp)
    if previous and not force:
        raise _duplicate(path, previous)
    _check_over_coverage(engine, round_code, parsed, depts, str(path))
    notes = list(parsed.notes)
    if parsed.too_fast:
        notes.append(both("too_fast", n=parsed.too_fast))
    if parsed.table_rows:
        notes.append(both("table_rows_read", n=parsed.table_rows, ballots=len(parsed.sheets) - parsed.table_rows))
    stored = 0
    if not dry_run:
        def record(conn) -> None:
            again = conn.execute(select(import_fingerprints.c.round).where(
                import_fingerprints.c.round == round_code, import_fingerprints.c.fingerprint == fp)).first()
            if again is not None and not force:
                raise _duplicate(path, _previous(conn, fp))
            if again is None:
                conn.execute(import_fingerprints.insert().values(
                    round=round_code, fingerprint=fp, format=parsed.format, rows=len(parsed.sheets),
                    imported_on=dt.date.today()))

        try:
            stored = store_sheets(engine, round_code, parsed.sheets, source="import", also=record)
        except TokenError as e:  # a token used by someone else between the check and now
            raise InputFileError(f"{path}：{e.message}（核对文件期间有答题码被使用）；未导入任何内容",
                                 f"{path}: {e.en} (a token was used while the file was checked); "
                                 "nothing imported") from None
    return ImportResult(
        round=round_code, path=str(path), format=parsed.format, sheet=grid.name, fingerprint=fp,
        sheets=len(parsed.sheets), stored=stored, too_fast=parsed.too_fast, dry_run=dry_run,
        round_status=rnd["status"], previous=tuple(previous), notes=tuple(notes), columns=tuple(parsed.columns))


def _token_checker(engine: Engine, rnd: dict):
    """Check a ballot's token the way a survey page does (:func:`zuofeng.collect.tokens.lookup`:
    unknown, used, other-round tokens and a round that is not open are refused), and hash it."""
    from ..collect.tokens import lookup, token_hash

    def check(text: str):
        if rnd["status"] != "open":
            raise ZuofengError(f"轮次 {rnd['code']} 状态为{word(rnd['status'])}：开放后才核对答题码",
                               f"round {rnd['code']} is {rnd['status']}: tokens are checked once it is open")
        return lookup(engine, rnd["code"], text), token_hash(text)
    return check


def _check_tokenless(engine: Engine, round_code: str, parsed: Parsed, depts: dict, path: str) -> None:
    """A department votes with zuofeng tokens (online or on paper) or without them, never both.

    A template ballot without a token is accepted only for a department marked ``paper`` in the
    roster that was issued no tokens; a 问卷星 or LimeSurvey file (no zuofeng tokens) only for
    departments that were issued none.
    """
    from ..collect.tokens import token_counts

    issued: dict[str, int] = {}
    for row in token_counts(engine, round_code):
        issued[row["rater"]] = issued.get(row["rater"], 0) + row["issued"]
    problems = []
    if parsed.format == "template":
        for row_no, rater in parsed.tokenless:
            if not depts[rater].get("paper"):
                problems.append(Problem(row_no, "token", f"没有答题码：部门 {rater} 不用纸质测评表（花名册 paper 列）；"
                                        "请录入测评表所附答题码条上的答题码",
                                        f"no token: department {rater} does not vote on paper "
                                        "(roster column paper); type the token from the ballot's slip"))
            elif issued.get(rater):
                problems.append(Problem(row_no, "token", f"没有答题码：部门 {rater} 用纸质测评表，但已向它发放 "
                                        f"{issued[rater]} 个答题码；请录入测评表所附答题码条上的答题码",
                                        f"no token: department {rater} votes on paper but "
                                        f"{issued[rater]} tokens were issued to it; type the token from the "
                                        "ballot's slip"))
    else:
        both = sorted({s.rater for s in parsed.sheets if issued.get(s.rater)})
        if both:
            tool = "问卷星" if parsed.format == "wjx" else "LimeSurvey"
            problems.append(Problem(None, None, f"部门 {'、'.join(both)} 已发放 zuofeng 答题码：一个部门要么用 "
                                    f"zuofeng 答题码作答，要么在 {tool} 上作答，不能两者都用",
                                    f"department(s) {', '.join(both)} were issued zuofeng tokens: a "
                                    f"department answers with zuofeng tokens or on {tool}, never both"))
    if problems:
        raise ImportProblems.of(path, problems)


def _check_over_coverage(engine: Engine, round_code: str, parsed: Parsed, depts: dict, path: str) -> None:
    """More ballots than were issued make a count void, as on paper (唱票: 收回多于发出，该票箱作废).

    For every survey scope (kind, rater, target) the sheets already stored plus those of the file may not
    exceed the rater department's headcount where the sheets carry no zuofeng token (a paper department, a
    问卷星 or LimeSurvey file; sheets with tokens are bounded by their tokens already), and the 党员 sheets
    may not exceed the roster's ``party_members``. Otherwise the whole file is refused with the numbers.
    """
    if not parsed.sheets:
        return
    from ..coverage import sheet_counts

    with engine.connect() as conn:
        rows = sheet_counts(conn, round_code)
    stored: dict[tuple[str, str, str], int] = {}
    stored_party: dict[tuple[str, str, str], int] = {}
    for kind, rater, target, category, n in rows:
        stored[(kind, rater, target)] = stored.get((kind, rater, target), 0) + n
        if category == "党员":
            stored_party[(kind, rater, target)] = stored_party.get((kind, rater, target), 0) + n
    new: dict[tuple[str, str, str], int] = {}
    new_tokenless: dict[tuple[str, str, str], int] = {}
    new_party: dict[tuple[str, str, str], int] = {}
    for s in parsed.sheets:
        scope = (s.kind, s.rater, s.target)
        new[scope] = new.get(scope, 0) + 1
        if s.token_hash is None:
            new_tokenless[scope] = new_tokenless.get(scope, 0) + 1
        if s.category == "党员":
            new_party[scope] = new_party.get(scope, 0) + 1
    problems = []
    for scope in sorted(new):
        kind, rater, target = scope
        d = depts[rater]
        what = survey_name(kind, rater, target)
        total = stored.get(scope, 0) + new[scope]
        if new_tokenless.get(scope) and total > d["headcount"]:
            problems.append(Problem(None, None, f"{rater} {d['name']} 的{what}答卷将有 {total} 份（已存 "
                                    f"{stored.get(scope, 0)} 份，本文件 {new[scope]} 份），多于在编人数 "
                                    f"{d['headcount']}：收回多于发出，整批不导入",
                                    f"{rater} {d['name']}: the {survey_name_en(kind, rater, target)} would have "
                                    f"{total} answer sheets ({stored.get(scope, 0)} stored, {new[scope]} in this "
                                    f"file), more than the headcount {d['headcount']}: more returned than "
                                    "issued, nothing imported"))
        pm = d.get("party_members")
        party = stored_party.get(scope, 0) + new_party.get(scope, 0)
        if pm is not None and new_party.get(scope) and party > pm:
            problems.append(Problem(None, None, f"{rater} {d['name']} 的{what}党员答卷将有 {party} 份，多于党员"
                                    f"人数 {pm}（花名册 party_members）：整批不导入",
                                    f"{rater} {d['name']}: the {survey_name_en(kind, rater, target)} would have "
                                    f"{party} answer sheets of 党员, more than the party members {pm} (roster "
                                    "party_members): nothing imported"))
    if problems:
        raise ImportProblems.of(path, problems)


def survey_name(kind: str, rater: str, target: str) -> str:
    """自评, 互评（本部门） or 互评（对 X）: how a scope is named in messages."""
    if kind == "self":
        return "自评"
    return "互评（本部门）" if rater == target else f"互评（对 {target}）"


def survey_name_en(kind: str, rater: str, target: str) -> str:
    """The English of :func:`survey_name`: self survey, peer survey (own department) or peer survey (of X)."""
    if kind == "self":
        return "self survey"
    return "peer survey (own department)" if rater == target else f"peer survey (of {target})"


def _previous(engine_or_conn, fp: str) -> list[tuple[str, dt.date]]:
    q = select(import_fingerprints.c.round, import_fingerprints.c.imported_on).where(
        import_fingerprints.c.fingerprint == fp).order_by(import_fingerprints.c.imported_on)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return [tuple(r) for r in conn.execute(q).all()]
    return [tuple(r) for r in engine_or_conn.execute(q).all()]


def _duplicate(path: Path, previous: list[tuple[str, dt.date]]) -> InputFileError:
    when = "; ".join(f"round {r} on {d.isoformat()}" for r, d in previous)
    when_zh = "；".join(f"{d.isoformat()} 导入轮次 {r}" for r, d in previous)
    return InputFileError(f"{path}：同样的内容已导入过（{when_zh}）；未导入任何内容。要再次导入请用 --force",
                          f"{path}: this content was already imported ({when}); nothing imported. "
                          "Use --force to import it again")


MATCHED_ZH = {"text": "题目文字", "position": "位置", "subquestion code": "子问题代码", "question number": "题号",
              "pattern": "列名规则", "mapping": "映射文件", "mapping (position)": "映射文件（位置）",
              "column name": "列名"}


def columns_table(result: ImportResult, width: int = 44, lang: str = "zh") -> str:
    """The dry run's table: item, column, matched by. A column header wider than ``width`` display
    columns keeps its beginning and its end (where a matrix row's own text is) around a ``…``."""
    from ..textfmt import table
    from ..textfmt import width as shown

    def cut(s: str) -> str:
        s = " ".join(s.split())
        if shown(s) <= width:
            return s
        head, tail, half = "", "", (width - 1) // 2
        for ch in s:
            if shown(head + ch) > half:
                break
            head += ch
        for ch in reversed(s):
            if shown(ch + tail) > width - 1 - shown(head):
                break
            tail = ch + tail
        return head + "…" + tail
    from ..messages import header
    return table([[f"q{n:02d}", cut(col), MATCHED_ZH.get(how, how) if lang == "zh" else how]
                  for n, col, how in result.columns], header(lang, "item", "column", "matched_by"))
