"""Token slips: issue tokens and write them, once, as printable A4 slips, a mail-merge CSV and/or
printable paper ballots (:mod:`zuofeng.collect.ballots`).

The slips are the only place an issued token ever exists in clear (the store keeps a keyed hash), so
the files are written with mode 0600, atomically, and never over an existing file unless asked. If
writing fails after the tokens were issued, the new, unused tokens are withdrawn again: a run either
issues tokens and leaves their slips on disk, or changes nothing.

The QR code on a slip holds the survey address only, never the token: a token inside a URL would end up
in server and proxy logs next to a time and an address.
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import segno
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from ..axes import NO_DEPARTMENT, outside_mode, table_targets, view_rank
from ..errors import ZuofengError
from ..instrument import load_instrument
from ..store import get_departments, get_round, tokens, writing
from ..textfmt import formula_safe
from .ballots import ballot_pages, render_ballots_html
from .tokens import IssuedToken, issue_tokens, load_key, token_hash, token_key_path

SLIPS_PER_PAGE = 8  # 2 columns x 4 rows on A4
URL_MAX = 300

TEXT = {
    "zh": {
        "heading": "答题码",
        "department": "所在部门",
        "no_department": "不属于本单位部门",
        "group": "测评人员类别",
        "survey": "问卷",
        "self": "自评（评价本人作风）",
        "peer_inside": "互评 · 评价本部门（内部评价）",
        "peer_inside_table": "互评 · 评价本部门，并在民主测评表上评价其他 {n} 个部门",
        "peer_outside": "互评 · 评价其他部门（外部评价）",
        "target": "被评部门",
        "token": "答题码",
        "address": "问卷地址",
        "blank_address": "问卷地址：______________________________",
        "steps": "手机扫码或打开问卷地址，输入答题码（大小写、横线均可省略），答完提交。每个答题码只能提交一次。",
        "promise": "答题码不记名：系统只存其加密摘要，不记录谁领取了哪一张，答卷与答题码无法对应。请自行保管，勿外传。",
        "screen_note": "本文件含有效答题码：请用 A4 纸打印（每页 {per} 张），沿虚线裁开分发，打印后删除本文件。"
                       "共 {n} 张，{pages} 页。",
        "csv_header": ["轮次", "问卷标题", "部门代码", "部门名称", "问卷类型", "被评部门代码", "被评部门名称",
                       "答题码", "问卷地址"],
    },
    "en": {
        "heading": "Token",
        "department": "Department",
        "no_department": "none of the organisation's departments",
        "group": "Rater group",
        "survey": "Survey",
        "self": "Self assessment (your own conduct)",
        "peer_inside": "Peer assessment · your own department (inside view)",
        "peer_inside_table": "Peer assessment · your own department, and {n} other departments on the evaluation table",
        "peer_outside": "Peer assessment · another department (outside view)",
        "target": "Department rated",
        "token": "Token",
        "address": "Survey address",
        "blank_address": "Survey address: ______________________________",
        "steps": "Scan the code or open the address, type the token (case and dashes do not matter), answer "
                 "and submit. Each token can be submitted once.",
        "promise": "No name: only a keyed digest of the token is kept, nobody records who got which slip, and "
                   "answers cannot be traced to a slip. Keep it to yourself.",
        "screen_note": "This file holds live tokens: print on A4 ({per} per page), cut along the dashed lines, "
                       "hand out, then delete this file. {n} slips, {pages} pages.",
        "csv_header": ["round", "title", "department_code", "department_name", "survey", "target_code",
                       "target_name", "token", "survey_url"],
    },
}

CSS = """
@page { size: A4 portrait; margin: 8mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", sans-serif; color: #000; background: #ddd; }
.note { max-width: 194mm; margin: 6mm auto; padding: 3mm 4mm; background: #fff8d6; border: 1px solid #c9a400;
        font-size: 11pt; }
.page { width: 194mm; margin: 0 auto 6mm; background: #fff; display: grid;
        grid-template-columns: 97mm 97mm; grid-auto-rows: 70mm; break-after: page; page-break-after: always; }
.page:last-of-type { break-after: auto; page-break-after: auto; }
.slip { position: relative; padding: 3.5mm 4mm; border: 0.3mm dashed #777; overflow: hidden;
        break-inside: avoid; page-break-inside: avoid; display: flex; flex-direction: column; gap: 0.9mm;
        font-size: 9.5pt; line-height: 1.3; }
.slip::before { content: "\\2702"; position: absolute; top: -1.6mm; left: 3mm; font-size: 8pt; color: #777;
                background: #fff; line-height: 1; }
.slip h2 { margin: 0; font-size: 10.5pt; border-bottom: 0.3mm solid #000; padding-bottom: 0.8mm; }
.row { display: flex; gap: 2mm; }
.facts { flex: 1; min-width: 0; }
.facts div { overflow-wrap: anywhere; }
.label { color: #444; }
.token { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, "Courier New", monospace;
         font-size: 15pt; font-weight: bold; letter-spacing: 0.04em; white-space: nowrap; margin: 0; }
.token span + span { margin-left: 0.45em; }
.token-row { display: flex; align-items: baseline; gap: 1mm; white-space: nowrap; }
.qr { width: 21mm; height: 21mm; flex: none; }
.url { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; overflow-wrap: anywhere; }
.small { font-size: 9pt; line-height: 1.25; color: #000; }
@media print {
  body { background: none; }
  .note { display: none; }
  .page { margin: 0; }
}
"""


@dataclass(frozen=True)
class SlipsResult:
    """What ``issue_slips`` did: how many tokens, per scope, and the files it wrote."""

    round: str
    issued: int
    by_view: dict[str, int]
    html_path: Path | None = None
    csv_path: Path | None = None
    pages: int = 0
    key_path: Path = field(default_factory=token_key_path)
    key_created: bool = False
    ballots_path: Path | None = None
    ballot_pages: int = 0
    by_group: dict[str, int] = field(default_factory=dict)  # tokens per rater group (rounds with groups)
    count_sheets: int = 0  # the 唱票 count sheets in the ballot file: one per department


def check_url(url: str | None) -> str | None:
    """The public survey address, validated: http(s), a host, no spaces, at most URL_MAX characters."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX
            or any(ch.isspace() or ord(ch) < 32 for ch in url)):
        raise ZuofengError(f"--url {url!r} 不是可用的测评网址；请给出 http(s)://主机/…，不含空格，最多 {URL_MAX} 个字符",
                           f"--url {url!r} is not a usable survey address; give http(s)://host/… "
                           f"without spaces, at most {URL_MAX} characters")
    return url


def excel_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula: a leading ' before = + - @ tab CR.

    >>> excel_safe("=HYPERLINK(1)"), excel_safe("办公室")
    ("'=HYPERLINK(1)", '办公室')
    """
    s = "" if value is None else str(value)
    return formula_safe(s)


def qr_symbol(url: str) -> tuple[int, str]:
    """The QR code of ``url`` as an SVG path of unit squares, with the 4-module quiet zone: (size, path)."""
    qr = segno.make(url, error="m", micro=False)
    border = 4
    rows = [list(r) for r in qr.matrix]
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start + border},{y + border}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return len(rows) + 2 * border, "".join(parts)


def order_for_print(issued: list[IssuedToken], *, rng: random.Random | None = None) -> list[IssuedToken]:
    """Bundles by rater department, then rater group, then survey (self, inside view, outside views by
    target); within a bundle a fresh random order, so a slip's position says nothing about when its token
    was stored."""
    rng = rng or random.SystemRandom()
    keyed = [((i.scope.rater, i.scope.group or "", view_rank(i.scope.view), i.scope.target), rng.random(), i)
             for i in issued]
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [i for _, _, i in keyed]


def _esc(s: object) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _rater_name(scope, names: dict[str, str], t: dict) -> str:
    """The rater's department on a slip, escaped: its name and code, or that it belongs to none."""
    if scope.rater == NO_DEPARTMENT:
        return _esc(t["no_department"])
    return f"{_esc(names.get(scope.rater, scope.rater))}（{_esc(scope.rater)}）"


def survey_label(scope, lang: str = "zh", tables: dict[str, int] | None = None) -> str:
    """What a slip calls the survey its token opens; an inside-view peer token whose rater has a 民主测评
    table (``tables``: rater → departments on it) says how many other departments the respondent rates."""
    t = TEXT[lang]
    n = (tables or {}).get(scope.rater, 0)
    return t["peer_inside_table"].format(n=n) if scope.view == "peer_inside" and n else t[scope.view]


def render_slips_html(issued: list[IssuedToken], *, title: str, names: dict[str, str], url: str | None = None,
                      lang: str = "zh", tables: dict[str, int] | None = None) -> str:
    """A self-contained HTML page of A4 slips (no external resource); every roster string is escaped.
    ``tables`` (rater → departments on its 民主测评 table) words the inside-view peer slips."""
    t = TEXT[lang]
    pages = max(1, math.ceil(len(issued) / SLIPS_PER_PAGE))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="referrer" content="no-referrer">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_esc(title)} · {_esc(t['token'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f'<p class="note">{_esc(t["screen_note"].format(per=SLIPS_PER_PAGE, n=len(issued), pages=pages))}</p>',
    ]
    if url:
        size, path = qr_symbol(url)
        out.append(f'<svg width="0" height="0" style="position:absolute" aria-hidden="true"><symbol id="qr" '
                   f'viewBox="0 0 {size} {size}"><rect width="{size}" height="{size}" fill="#fff"/>'
                   f'<path fill="#000" d="{path}"/></symbol></svg>')
    for p in range(0, len(issued), SLIPS_PER_PAGE):
        out.append('<section class="page">')
        for it in issued[p:p + SLIPS_PER_PAGE]:
            s = it.scope
            view = s.view
            groups = "".join(f"<span>{_esc(g)}</span>" for g in it.token.split("-"))
            target = (f'<div><span class="label">{_esc(t["target"])}：</span>'
                      f"{_esc(names.get(s.target, s.target))}（{_esc(s.target)}）</div>")
            group = (f'<div class="group"><span class="label">{_esc(t["group"])}：</span>{_esc(s.group)}</div>'
                     if s.group else "")
            if url:
                address = (f'<div class="url"><span class="label">{_esc(t["address"])}：</span>{_esc(url)}</div>')
                qr = '<svg class="qr" role="img" aria-label="QR"><use href="#qr"/></svg>'
            else:
                address, qr = f'<div class="url">{_esc(t["blank_address"])}</div>', ""
            out.append(
                f'<div class="slip" data-kind="{_esc(s.kind)}" data-view="{view}">'
                f"<h2>{_esc(title)} · {_esc(t['heading'])}</h2>"
                f'<div class="row"><div class="facts">'
                f'<div><span class="label">{_esc(t["department"])}：</span>{_rater_name(s, names, t)}</div>'
                f"{group}"
                f'<div><span class="label">{_esc(t["survey"])}：</span>{_esc(survey_label(s, lang, tables))}</div>'
                f"{target}</div>{qr}</div>"
                f'<div class="token-row"><span class="label">{_esc(t["token"])}：</span>'
                f'<span class="token">{groups}</span></div>{address}'
                f'<div class="small">{_esc(t["steps"])}</div>'
                f'<div class="small">{_esc(t["promise"])}</div></div>')
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def render_slips_csv(issued: list[IssuedToken], *, round_code: str, title: str, names: dict[str, str],
                     url: str | None = None, lang: str = "zh", tables: dict[str, int] | None = None) -> bytes:
    """Mail-merge CSV: UTF-8 with BOM (Excel reads Chinese), CRLF, no cell that a spreadsheet runs."""
    t = TEXT[lang]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    grouped = any(it.scope.group for it in issued)  # the group column only in a round with rater groups
    w.writerow(t["csv_header"] + ([t["group"]] if grouped else []))
    for it in issued:
        s = it.scope
        rater_name = names.get(s.rater, s.rater) if s.rater != NO_DEPARTMENT else t["no_department"]
        w.writerow([excel_safe(v) for v in (round_code, title, s.rater, rater_name, survey_label(s, lang, tables),
                                            s.target, names.get(s.target, s.target), it.token, url or "",
                                            *([s.group or ""] if grouped else []))])
    return buf.getvalue().encode("utf-8-sig")


def _check_destination(path: Path, force: bool) -> None:
    if path.is_dir():
        raise ZuofengError(f"{path} 是文件夹；请给出纸条的文件名", f"{path} is a folder; give a file name for the slips")
    if not path.parent.is_dir():
        raise ZuofengError(f"文件夹 {path.parent} 不存在", f"folder {path.parent} does not exist")
    if path.exists() and not force:
        raise ZuofengError(f"{path} 已存在，其中可能有有效的答题码；请先删除它，或用 --force 覆盖",
                           f"{path} already exists and may hold live tokens; remove it or use --force to overwrite")


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file (mode 0600) next to ``path``; return its name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _place(tmp: str, path: Path, force: bool) -> None:
    """Give the staged file its name, atomically: a rename (``force``), else a hard link that fails if the
    name was taken meanwhile (no existing file is ever overwritten without ``force``)."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise ZuofengError(f"写纸条时出现了 {path}；没有发放答题码",
                           f"{path} appeared while the slips were written; no token was issued") from None
    os.unlink(tmp)


def _withdraw(engine: Engine, issued: list[IssuedToken]) -> None:
    """Delete tokens that were just issued and never handed out (their slips could not be written)."""
    key = load_key()
    hashes = [token_hash(i.token, key) for i in issued]
    with writing(engine) as conn:
        for k in range(0, len(hashes), 500):
            conn.execute(delete(tokens).where(tokens.c.hash.in_(hashes[k:k + 500]), tokens.c.used.is_(False)))


def issue_slips(engine: Engine, round_code: str, *, kind: str | None = None, targets: list[str] | None = None,
                extra: int = 0, out: str | Path | None = None, csv_path: str | Path | None = None,
                url: str | None = None, force: bool = False, lang: str = "zh",
                paper_ballots: str | Path | None = None, groups: str | Path | None = None) -> SlipsResult:
    """Issue the missing tokens of a round and write them as printable slips, a mail-merge CSV and/or
    paper ballots.

    Parameters
    ----------
    engine, round_code
        The store and the round.
    kind, targets, extra
        Passed to :func:`zuofeng.collect.tokens.issue_tokens`: ``self``/``peer``/both, outside-view targets, spare
        tokens per scope. Issuing tops up to headcount; nothing is ever reissued.
    groups
        In a round with rater groups, the batch file (department,group,count[,targets]) whose counts
        the tokens top up to, each bound to its group (:func:`zuofeng.rater_groups.read_batches`).
    out, csv_path
        Where to write the HTML slips and the CSV. With neither (and no ``paper_ballots``), the slips go to
        ``slips-<ROUND>.html``.
    url
        The public survey address, printed and encoded as a QR code on every slip (the token never is).
    force
        Overwrite existing files; without it an existing file is an error and nothing is issued.
    lang
        ``zh`` (default) or ``en``.
    paper_ballots
        Where to write the printable paper ballots (HTML): one A4 questionnaire per token with its 答题码,
        and a count sheet per department (:func:`zuofeng.collect.ballots.render_ballots_html`).

    Returns
    -------
    SlipsResult
        The counts and the files written. With nothing to issue, no file is written.
    """
    if lang not in TEXT:
        raise ZuofengError(f"--lang 必须是 {', '.join(TEXT)} 之一，而不是 {lang!r}",
                           f"--lang must be one of {', '.join(TEXT)}, not {lang!r}")
    url = check_url(url)
    if out is None and csv_path is None and paper_ballots is None:
        out = f"slips-{round_code}.html"
    dests = [Path(p) for p in (out, csv_path, paper_ballots) if p is not None]
    if len({d.resolve() for d in dests}) < len(dests):
        raise ZuofengError("--out、--csv 和 --paper-ballots 必须是不同的文件",
                           "--out, --csv and --paper-ballots must name different files")
    for d in dests:
        _check_destination(d, force)
    with engine.connect() as conn:
        rnd = get_round(conn, round_code)
        depts = get_departments(conn, round_code)
    names = {code: d["name"] for code, d in depts.items()}
    table_lists = {code: table_targets(outside_mode(rnd), code, depts) for code in depts}
    tables = {code: len(t) for code, t in table_lists.items()}
    key_path = token_key_path()
    key_existed = key_path.exists()
    issued = issue_tokens(engine, round_code, kind=kind, targets=targets, extra=extra, groups=groups)
    by_view: dict[str, int] = {}
    by_group: dict[str, int] = {}
    for i in issued:
        by_view[i.scope.view] = by_view.get(i.scope.view, 0) + 1
        if i.scope.group:
            by_group[i.scope.group] = by_group.get(i.scope.group, 0) + 1
    if not issued:
        return SlipsResult(round_code, 0, by_view, key_path=key_path, key_created=not key_existed)
    issued = order_for_print(issued)
    html_path = Path(out) if out is not None else None
    csv_file = Path(csv_path) if csv_path is not None else None
    ballots_file = Path(paper_ballots) if paper_ballots is not None else None
    staged: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        if html_path is not None:
            page = render_slips_html(issued, title=rnd["title"], names=names, url=url, lang=lang, tables=tables)
            staged.append((_stage(html_path, page.encode("utf-8")), html_path))
        if csv_file is not None:
            data = render_slips_csv(issued, round_code=round_code, title=rnd["title"], names=names, url=url,
                                    lang=lang, tables=tables)
            staged.append((_stage(csv_file, data), csv_file))
        if ballots_file is not None:
            inst = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
            page = render_ballots_html(issued, title=rnd["title"], names=names, instrument=inst, lang=lang,
                                       tables=table_lists)
            staged.append((_stage(ballots_file, page.encode("utf-8")), ballots_file))
        for tmp, path in staged:
            _place(tmp, path, force)
            placed.append(path)
    except BaseException:
        for tmp, path in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for path in placed:
            path.unlink(missing_ok=True)
        _withdraw(engine, issued)
        raise
    return SlipsResult(round_code, len(issued), by_view, html_path, csv_file,
                       math.ceil(len(issued) / SLIPS_PER_PAGE) if html_path else 0, key_path, not key_existed,
                       ballots_file, ballot_pages(issued, table_lists) if ballots_file else 0, by_group,
                       len({i.scope.rater for i in issued}) if ballots_file else 0)
