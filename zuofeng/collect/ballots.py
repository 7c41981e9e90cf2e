"""Printable paper ballots: one A4 questionnaire per token, with its 答题码 printed on it, and one count
sheet per department for the 唱票 on the spot.

A ballot is the form of its token's view (:data:`zuofeng.axes.BY_CODE`): the 22 items of the instrument
for the department the token rates, and on a peer ballot the overall rating, plus the optional Party
membership and suggestion, exactly the fields of the paper 录入 template (:mod:`zuofeng.io.template`), so
that a returned ballot is typed in row by row and imported. The inside-view peer ballot (互评 · 本部门)
also carries the round's 民主测评 table, as the survey page does: one row per department on the rater's
table (:func:`zuofeng.axes.table_targets`), with the overall rating and a rating per dimension heading,
printed first on a page of its own (:data:`TABLE_ROWS_PER_PAGE` rows a page) with the same 答题码.

The page is self-contained (no external resource, no script), every roster string is escaped, and the
ballots come in the order of :func:`zuofeng.collect.slips.order_for_print`: bundles by department and
survey, random within a bundle. A ballot carries no serial number, so its place says nothing.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence

from ..axes import BY_CODE, ITEMS_FORM, TABLE_FORM, view_of
from ..instrument import Instrument
from ..sheet import COMMENT_MAX
from .tokens import IssuedToken

#: The forms of :data:`zuofeng.axes.FORMS` that a paper ballot prints.
PRINTED_FORMS = (ITEMS_FORM, TABLE_FORM)
#: Rows of the 民主测评 table on one printed page: an organisation of up to 17 departments fits one page.
TABLE_ROWS_PER_PAGE = 16

TEXT = {
    "zh": {
        "ballot": "纸质测评表",
        "count_sheet": "唱票计数单",
        "token": "答题码",
        "department": "所在部门",
        "survey": "问卷",
        "target": "被评部门",
        "self": "自评（评价本人作风）",
        "peer_inside": "互评 · 评价本部门",
        "peer_outside": "互评 · 评价其他部门",
        "how": "请在每题选定的一格内打“√”，每题只选一格；不清楚的选“不了解”。本表不记名，请勿写姓名或能认出"
               "您的信息。填好后折好，投入票箱。",
        "self_question": "请对照本人实际，评价每个问题的存在程度。",
        "peer_question": "请评价「{dept}」每个问题的存在程度。",
        "no": "序号",
        "item": "问题",
        "overall": "总体评价",
        "category": "政治面貌（选填）",
        "comment": "意见建议（选填，不超过{n}字；请勿写姓名）",
        "party": "党员",
        "non_party": "非党员",
        "promise": "答题码只证明本表可以录入一次，录入后即作废；系统不记录谁领取了哪一张，答卷与答题人无法对应。",
        "screen_note": "本文件含有效答题码：请用 A4 纸单面打印（每张测评表一页，每个部门先有一页唱票计数单），"
                       "分发后删除本文件。共 {n} 张测评表、{d} 张计数单，{pages} 页。",
        "count_intro": "测评结束后当场清点、唱票，填写本单，由计票人、监票人签字。收回的测评表按答题码录入导入模板"
                       "（{cmd}），连同本单交组织单位。",
        "count_head": ["问卷", "被评部门", "发出（本次印发）", "收回", "有效", "无效"],
        "tally": "总体评价唱票（互评，每张一票，可用“正”字计数）",
        "tally_head": ["被评部门"],
        "signatures": ["计票人：", "监票人：", "日期："],
        "valid_note": "有效：答题码清楚、每题至多选一格的测评表；无效：答题码无法辨认、一题选多格或空白表。",
        "parts": "本测评表共两部分，答题码相同：第一部分是民主测评表，评价本单位其他 {n} 个部门（{pages}）；"
                 "第二部分评价本部门的 22 个问题（最后一页）。两部分都填好后一起投入票箱。",
        "part_one": "第一部分 · 民主测评表：评价其他部门",
        "part_two_short": "第二部分",
        "table_pages": "第 {i} / {n} 页",
        "table_where": ["本页", "前 {n} 页"],
        "table_how": "每个部门一行：“总体评价”选一格；五个方面各选一格，1 不存在，2 个别存在，3 一定程度存在，"
                     "4 比较突出，5 非常突出。",
        "table_dept": "被评部门",
        "dims": "各方面问题的存在程度",
    },
    "en": {
        "ballot": "Paper ballot",
        "count_sheet": "Count sheet",
        "token": "Token",
        "department": "Department",
        "survey": "Survey",
        "target": "Department rated",
        "self": "Self assessment (your own conduct)",
        "peer_inside": "Peer assessment · your own department",
        "peer_outside": "Peer assessment · another department",
        "how": "Tick one box per question; if you cannot judge, tick \"Don't know\". The ballot is anonymous: "
               "write no name or anything that identifies you. Fold it and put it in the ballot box.",
        "self_question": "How present is each problem in your own conduct?",
        "peer_question": "How present is each problem in {dept}?",
        "no": "No.",
        "item": "Problem",
        "overall": "Overall rating",
        "category": "Party membership (optional)",
        "comment": "Suggestions (optional, at most {n} characters; no names)",
        "party": "Party member",
        "non_party": "Not a Party member",
        "promise": "The token only lets this ballot be entered once and is then used up; nobody records who got "
                   "which ballot, and answers cannot be traced to a person.",
        "screen_note": "This file holds live tokens: print on A4, one side (one page per ballot, a count sheet "
                       "first for each department), hand out, then delete this file. {n} ballots, {d} count "
                       "sheets, {pages} pages.",
        "count_intro": "Count the ballots on the spot after the vote, fill in this sheet and have it signed by "
                       "the counter and the scrutineer. Type the returned ballots into the import template by "
                       "their token ({cmd}) and hand them in with this sheet.",
        "count_head": ["Survey", "Department rated", "Issued (this print)", "Returned", "Valid", "Invalid"],
        "tally": "Overall rating tally (peer ballots, one vote each)",
        "tally_head": ["Department rated"],
        "signatures": ["Counted by:", "Scrutineer:", "Date:"],
        "valid_note": "Valid: the token is legible and no question has more than one box ticked; invalid: an "
                      "illegible token, several boxes ticked on one question, or a blank ballot.",
        "parts": "This ballot has two parts with the same token: part one is the evaluation table of the other "
                 "{n} departments ({pages}); part two rates your own department on the 22 items (last page). "
                 "Put both parts in the ballot box together.",
        "part_one": "Part one · evaluation table: the other departments",
        "part_two_short": "part two",
        "table_pages": "page {i} of {n}",
        "table_where": ["this page", "the first {n} pages"],
        "table_how": "One row per department: tick one box for the overall rating, and one box for each of the "
                     "five areas (1 none, 2 isolated, 3 to some extent, 4 marked, 5 very serious); for a "
                     "department you do not know, tick \"Don't know\".",
        "table_dept": "Department rated",
        "dims": "How present the problems of each area are",
    },
}

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"SimHei", sans-serif')

CSS = """
@page { size: A4 portrait; margin: 9mm 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: FONTS; color: #000; background: #ddd; font-size: 8.6pt; line-height: 1.28; }
.note { max-width: 190mm; margin: 6mm auto; padding: 3mm 4mm; background: #fff8d6; border: 1px solid #c9a400;
        font-size: 11pt; }
.sheet { width: 190mm; margin: 0 auto 6mm; padding: 0; background: #fff; break-after: page;
         page-break-after: always; break-inside: avoid; overflow: hidden; }
.sheet:last-of-type { break-after: auto; page-break-after: auto; }
h1 { font-size: 12.5pt; margin: 0 0 1mm; text-align: center; }
.facts { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1mm 5mm; border-top: 0.4mm solid #000;
         border-bottom: 0.4mm solid #000; padding: 1mm 0; margin-bottom: 1mm; }
.label { color: #333; }
.token { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, "Courier New", monospace; font-size: 13pt;
         font-weight: bold; letter-spacing: 0.04em; white-space: nowrap; }
.token span + span { margin-left: 0.45em; }
.facts .tokenbox { margin-left: auto; white-space: nowrap; }
.how { margin: 0 0 1mm; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 0.25mm solid #000; padding: 0.35mm 1mm; vertical-align: middle; }
table.items th { font-size: 7.2pt; font-weight: normal; line-height: 1.1; text-align: center; padding: 0.5mm 0.3mm; }
table.items td.no { text-align: center; }
table.items td.text { font-size: 7.4pt; line-height: 1.2; }
table.items td.box { text-align: center; font-size: 10pt; }
table.items tr.dim td { background: #eee; font-weight: bold; font-size: 7.8pt; }
col.no { width: 7mm; } col.box { width: 10.5mm; }
.choices { margin: 1.2mm 0 0; display: flex; flex-wrap: wrap; gap: 1mm 4mm; align-items: baseline; }
.choices b { min-width: 24mm; }
.choice { white-space: nowrap; }
.comment { margin-top: 1.2mm; }
.comment .lines { height: 13mm; border: 0.25mm solid #000;
                  background: repeating-linear-gradient(#fff, #fff 6.2mm, #999 6.2mm, #999 6.5mm); }
.promise { margin-top: 1mm; font-size: 7.6pt; color: #333; }
table.count { margin: 3mm 0 5mm; font-size: 10pt; }
table.count th { background: #eee; }
table.count col.survey { width: 42mm; } table.count col.target { width: 40mm; }
code { white-space: nowrap; }
table.count td { height: 10mm; }
table.count td.num { text-align: center; font-weight: bold; }
.sign { display: flex; gap: 8mm; margin-top: 8mm; font-size: 11pt; }
.sign span { flex: 1; border-bottom: 0.3mm solid #000; padding-bottom: 6mm; }
.count-sheet p { font-size: 10pt; }
.part { font-size: 10.5pt; margin: 1mm 0; }
.parts { margin: 0 0 1mm; padding: 0.8mm 1.5mm; border: 0.3mm dashed #000; }
table.demo { font-size: 7.6pt; }
table.demo th { font-size: 6.6pt; font-weight: normal; line-height: 1.1; text-align: center; padding: 0.4mm 0.1mm; }
table.demo th.group { font-weight: bold; font-size: 7.2pt; }
table.demo td { height: 9.2mm; padding: 0.2mm 0.2mm; }
table.demo td.name { font-size: 7.6pt; line-height: 1.15; padding: 0.3mm 1mm; word-break: break-all; }
table.demo td.box { text-align: center; font-size: 9.5pt; }
table.demo td.first { border-left: 0.6mm solid #000; }
table.demo th.first { border-left: 0.6mm solid #000; }
col.tname { width: 33mm; } col.tov { width: 5.4mm; } col.tdim { width: 4.3mm; }
@media print {
  body { background: none; }
  .note { display: none; }
  .sheet { margin: 0; }
}
""".replace("FONTS", FONT_STACK)

BOX = "□"


def _esc(s: object) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _dept(names: dict[str, str], code: str) -> str:
    return f"{_esc(names.get(code, code))}（{_esc(code)}）"


def ballot_pages(issued: list[IssuedToken], tables: Mapping[str, Sequence[str]] | None = None) -> int:
    """Pages of the printed file: one per ballot, the 民主测评 table's pages of each inside-view peer
    ballot, and one count sheet per department."""
    return len(issued) + sum(_table_pages(len(_table_of(i, tables))) for i in issued) \
        + len({i.scope.rater for i in issued})


def _table_pages(n_rows: int) -> int:
    return math.ceil(n_rows / TABLE_ROWS_PER_PAGE)


def _table_of(it: IssuedToken, tables: Mapping[str, Sequence[str]] | None) -> Sequence[str]:
    """The departments on the 民主测评 table of ``it``'s ballot: only an inside-view peer ballot has one."""
    if not tables or _view(it) != "peer_inside":
        return ()
    return tables.get(it.scope.rater, ())


def _facts(it: IssuedToken, names: dict[str, str], t: dict, survey: str, target: str | None) -> str:
    groups = "".join(f"<span>{_esc(g)}</span>" for g in it.token.split("-"))
    rated = "" if target is None else (
        f'<span><span class="label">{_esc(t["target"])}：</span>{_dept(names, target)}</span>')
    return ('<div class="facts">'
            f'<span><span class="label">{_esc(t["department"])}：</span>{_dept(names, it.scope.rater)}</span>'
            f'<span><span class="label">{_esc(t["survey"])}：</span>{_esc(survey)}</span>{rated}'
            f'<span class="tokenbox"><span class="label">{_esc(t["token"])}：</span>'
            f'<span class="token">{groups}</span></span></div>')


def render_ballot(it: IssuedToken, *, title: str, names: dict[str, str], instrument: Instrument,
                  lang: str = "zh", table: Sequence[str] = ()) -> str:
    """One A4 ballot of ``it``'s view, its 答题码 printed in the header.

    ``table`` lists the departments of the 民主测评 table of an inside-view peer ballot (in order): their
    rows are printed first, on pages of their own with the same 答题码 (part one), then the 22 items (part two).
    """
    t = TEXT[lang]
    s = it.scope
    view = BY_CODE[_view(it)]
    inst = instrument
    table = list(table) if view.code == "peer_inside" else []
    pages = [table[i:i + TABLE_ROWS_PER_PAGE] for i in range(0, len(table), TABLE_ROWS_PER_PAGE)]
    out = [_table_page(it, rows, i, len(pages), len(table), title=title, names=names, instrument=inst, lang=lang)
           for i, rows in enumerate(pages, start=1)]
    out += [(f'<section class="sheet ballot" data-kind="{_esc(s.kind)}" data-view="{view.code}" '
            f'data-rater="{_esc(s.rater)}" data-target="{_esc(s.target)}">'),
            f"<h1>{_esc(title)} · {_esc(t['ballot'])}</h1>",
            _facts(it, names, t, f'{t[view.code]} · {t["part_two_short"]}' if pages else t[view.code],
                   None if view.survey == "self" else s.target)]
    question = (t["self_question"] if view.survey == "self"
                else t["peer_question"].format(dept=names.get(s.target, s.target)))
    out.append(f'<p class="how">{_esc(question)}{_esc(t["how"])}</p>')
    for form in view.forms:
        if form == ITEMS_FORM:
            out.append(_items_table(inst, lang))
    if view.survey == "peer":
        opts = "".join(f'<span class="choice">{BOX} {_esc(o.text.get(lang))}</span>'
                       for o in inst.overall_scale.options)
        opts += f'<span class="choice">{BOX} {_esc(inst.overall_scale.missing.get(lang))}</span>'
        out.append(f'<div class="choices overall"><b>{_esc(t["overall"])}：</b>{opts}</div>')
    out.append(f'<div class="choices category"><b>{_esc(t["category"])}：</b>'
               f'<span class="choice">{BOX} {_esc(t["party"])}</span>'
               f'<span class="choice">{BOX} {_esc(t["non_party"])}</span></div>')
    out.append(f'<div class="comment"><b>{_esc(t["comment"].format(n=COMMENT_MAX))}</b>'
               '<div class="lines"></div></div>')
    out.append(f'<div class="promise">{_esc(t["promise"])}</div></section>')
    return "".join(out)


def _table_page(it: IssuedToken, rows: Sequence[str], page: int, n_pages: int, n_rows: int, *, title: str,
                names: dict[str, str], instrument: Instrument, lang: str) -> str:
    """One printed page of the 民主测评 table (part one of an inside-view peer ballot): a row per department,
    boxes for the overall rating and for each dimension heading, 不了解 in each group."""
    t = TEXT[lang]
    s = it.scope
    inst = instrument
    overall = [o.text.get(lang) for o in inst.overall_scale.options] + [inst.overall_scale.missing.get(lang)]
    scale = [str(o.value) for o in inst.item_scale.options]
    dont_know = inst.item_scale.missing.get(lang)
    n_dims = len(inst.dimensions)
    page_note = t["table_pages"].format(i=page, n=n_pages) if n_pages > 1 else ""
    if page == 1:
        which = t["table_where"][n_pages > 1].format(n=n_pages)
        intro = f'<p class="parts">{_esc(t["parts"].format(n=n_rows, pages=which))}</p>'
    else:
        intro = ""

    def stacked(text: str) -> str:  # a narrow column's heading, one character a line
        return "<br>".join(_esc(ch) for ch in text) if lang == "zh" and len(text) > 2 else _esc(text)

    cols = ('<colgroup><col class="tname">' + '<col class="tov">' * len(overall)
            + ('<col class="tdim">' * (len(scale) + 1)) * n_dims + "</colgroup>")
    head1 = (f'<tr><th rowspan="2">{_esc(t["table_dept"])}</th>'
             f'<th class="group first" colspan="{len(overall)}">{_esc(t["overall"])}</th>'
             + "".join(f'<th class="group first" colspan="{len(scale) + 1}">'
                       f'{_esc(d.id + "、" if lang == "zh" else f"{j}. ")}{_esc(d.label.get(lang))}</th>'
                       for j, d in enumerate(inst.dimensions, start=1)) + "</tr>")
    head2 = ("<tr>" + "".join(f'<th{" class=first" if i == 0 else ""}>{stacked(o)}</th>' for i, o in enumerate(overall))
             + "".join("".join(f'<th{" class=first" if i == 0 else ""}>{_esc(v)}</th>' for i, v in enumerate(scale))
                       + f"<th>{stacked(dont_know)}</th>" for _ in inst.dimensions) + "</tr>")
    body = "".join(
        f'<tr class="trow" data-target="{_esc(code)}"><td class="name">{_dept(names, code)}</td>'
        + "".join(f'<td class="box{" first" if i == 0 else ""}" data-answer="overall">{BOX}</td>'
                  for i in range(len(overall)))
        + "".join(f'<td class="box{" first" if i == 0 else ""}" data-answer="{j}">{BOX}</td>'
                  for j in range(1, n_dims + 1) for i in range(len(scale) + 1))
        + "</tr>" for code in rows)
    return (f'<section class="sheet table-page" data-kind="{_esc(s.kind)}" data-view="peer_inside" '
            f'data-rater="{_esc(s.rater)}" data-page="{page}">'
            f"<h1>{_esc(title)} · {_esc(t['ballot'])}</h1>"
            + _facts(it, names, t, t["peer_inside"], None)
            + intro
            + f'<p class="part"><b>{_esc(t["part_one"])}</b> {_esc(page_note)}</p>'
            + f'<p class="how">{_esc(t["table_how"])}{_esc(t["how"])}</p>'
            + f'<table class="demo">{cols}<thead>{head1}{head2}</thead><tbody>{body}</tbody></table>'
            + f'<div class="promise">{_esc(t["promise"])}</div></section>')


def _view(it: IssuedToken) -> str:
    return view_of(it.scope.kind, it.scope.rater, it.scope.target)


def _items_table(inst: Instrument, lang: str) -> str:
    t = TEXT[lang]
    scale = inst.item_scale
    heads = [f"{o.value}<br>{_esc(o.text.get(lang))}" for o in scale.options] + [_esc(scale.missing.get(lang))]
    n_cols = 2 + len(heads)
    rows = ['<table class="items"><colgroup><col class="no"><col class="text">'
            + '<col class="box">' * len(heads) + "</colgroup>",
            f'<thead><tr><th>{_esc(t["no"])}</th><th>{_esc(t["item"])}（{_esc(scale.question.get(lang))}）</th>'
            + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead><tbody>"]
    for d in inst.dimensions:
        rows.append(f'<tr class="dim"><td colspan="{n_cols}">{_esc(d.id)}、{_esc(d.label.get(lang))}</td></tr>')
        for item in d.items:
            rows.append(f'<tr class="item" data-item="{item.key}"><td class="no">{item.number}</td>'
                        f'<td class="text">{_esc(item.text.get(lang))}</td>'
                        + f'<td class="box">{BOX}</td>' * len(heads) + "</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def render_count_sheet(rater: str, bundle: list[IssuedToken], *, title: str, names: dict[str, str],
                       instrument: Instrument, lang: str = "zh") -> str:
    """The 唱票 sheet of one department: 发出 (the ballots printed here) per survey, blanks for 收回, 有效
    and 无效, a tally of the overall rating per rated department, and the signatures."""
    t = TEXT[lang]
    counts = Counter((_view(i), i.scope.target) for i in bundle)
    order = sorted(counts, key=lambda vt: (list(BY_CODE).index(vt[0]), vt[1]))
    rows = "".join(
        f'<tr data-view="{v}" data-target="{_esc(tg)}"><td>{_esc(t[v])}</td>'
        f'<td>{"—" if v == "self" else _dept(names, tg)}</td>'
        f'<td class="num">{counts[(v, tg)]}</td><td></td><td></td><td></td></tr>' for v, tg in order)
    out = [f'<section class="sheet count-sheet" data-department="{_esc(rater)}">',
           f"<h1>{_esc(title)} · {_esc(t['count_sheet'])}</h1>",
           (f'<div class="facts"><span><span class="label">{_esc(t["department"])}：</span>'
           f"{_dept(names, rater)}</span></div>"),
           f"<p>{_esc(t['count_intro']).format(cmd='<code>zuofeng import --template</code>')}</p>",
           '<table class="count"><colgroup><col class="survey"><col class="target"></colgroup><thead><tr>'
           + "".join(f"<th>{_esc(h)}</th>" for h in t["count_head"])
           + f"</tr></thead><tbody>{rows}</tbody></table>",
           f"<p>{_esc(t['valid_note'])}</p>"]
    peers = [(v, tg) for v, tg in order if v != "self"]
    if peers:
        opts = [o.text.get(lang) for o in instrument.overall_scale.options] + [instrument.overall_scale.missing.get(lang)]
        out.append(f"<p><b>{_esc(t['tally'])}</b></p>"
                   '<table class="count tally"><thead><tr>'
                   + "".join(f"<th>{_esc(h)}</th>" for h in t["tally_head"] + opts) + "</tr></thead><tbody>"
                   + "".join(f"<tr><td>{_dept(names, tg)}</td>" + "<td></td>" * len(opts) + "</tr>"
                             for _, tg in peers)
                   + "</tbody></table>")
    out.append('<div class="sign">' + "".join(f"<span>{_esc(s)}</span>" for s in t["signatures"]) + "</div>")
    out.append("</section>")
    return "".join(out)


def render_ballots_html(issued: list[IssuedToken], *, title: str, names: dict[str, str], instrument: Instrument,
                        lang: str = "zh", tables: Mapping[str, Sequence[str]] | None = None) -> str:
    """A self-contained HTML file of A4 pages: per department its count sheet, then one ballot per token.

    ``issued`` should already be in print order (:func:`zuofeng.collect.slips.order_for_print`);
    ``tables`` maps a department to the departments of its 民主测评 table (:func:`zuofeng.axes.table_targets`),
    printed on its inside-view peer ballots.
    """
    t = TEXT[lang]
    bundles: dict[str, list[IssuedToken]] = {}
    for it in issued:
        bundles.setdefault(it.scope.rater, []).append(it)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="referrer" content="no-referrer">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_esc(title)} · {_esc(t['ballot'])}</title>",
        f"<style>{CSS}</style></head><body>",
        (f'<p class="note">{_esc(t["screen_note"].format(n=len(issued), d=len(bundles), pages=ballot_pages(issued, tables)))}'
        "</p>"),
    ]
    for rater, bundle in bundles.items():
        out.append(render_count_sheet(rater, bundle, title=title, names=names, instrument=instrument, lang=lang))
        out.extend(render_ballot(it, title=title, names=names, instrument=instrument, lang=lang,
                                 table=_table_of(it, tables)) for it in bundle)
    out.append("</body></html>")
    return "\n".join(out)
