"""The respondent's page: ipywidgets that take a token and collect one answer sheet.

Token entry → the survey that token opens (self or peer, the rated department named) → the 22 items
grouped by dimension, each with the five scale options and 不了解 → category (optional) → the overall
rating (peer surveys only) → with an inside-view peer token, unless the round's outside mode is
``targets``, the 民主测评 table of the other departments (``zuofeng.collect.table_form``) → a suggestion
(bounded length) → submit → thank-you. The page states the
round's privacy promise. Voilà serves it (``zuofeng.collect.server.serve``); tests drive it by setting ``.value`` and
calling ``Button.click()``.

This module runs in every respondent's kernel, so it imports little: no pandas, numpy or matplotlib,
and under ``zuofeng serve`` not even SQLAlchemy (tokens are checked and sheets stored by the server's
collection desk, ``zuofeng.collect.desk``).
Nothing a respondent enters is logged; the token itself is dropped as soon as it is checked (only its
keyed hash is kept until the sheet is stored).
"""

from __future__ import annotations

import html
import logging
import os

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from ..axes import table_targets
from ..errors import RoundError, TokenError, ZuofengError
from ..instrument import Instrument, load_instrument
from ..sheet import CATEGORIES, COMMENT_MAX, Sheet
from .desk import DeskUnavailable, DirectBackend, backend_for
from .survey_text import PRIVACY, TEXT, token_message
from .table_form import EvaluationTable

log = logging.getLogger(__name__)

LANGS = ("zh", "en")
DONT_KNOW = 0  # the widget value of 不了解; stored as NULL (missing)
ENV_ROUND = "ZUOFENG_SURVEY_ROUND"
ENV_LANG = "ZUOFENG_SURVEY_LANG"
ENV_ENTRY = "ZUOFENG_SURVEY_ENTRY"  # set by ``zuofeng serve``: the token was checked by the entry page

CSS = """<style>
.zf-survey { max-width: 760px; width: 100%; margin: 0 auto; box-sizing: border-box; font-size: 16px;
  line-height: 1.5; color: #1f2328; }
.zf-survey * { box-sizing: border-box; }
.zf-survey .widget-html, .zf-survey .widget-html-content { width: 100%; max-width: 100%; }
.zf-survey .widget-html-content { white-space: normal; overflow-wrap: anywhere; line-height: 1.5;
  font-size: inherit; height: auto; }
.zf-survey .widget-html, .zf-survey .widget-label, .zf-survey .jupyter-widgets { font-size: inherit; }
.zf-survey h2 { font-size: 1.35em; margin: 0.4em 0; line-height: 1.3; }
.zf-survey h3 { font-size: 1.12em; margin: 1.2em 0 0.3em; padding: 0.35em 0.5em; background: #eef3f8;
  border-left: 4px solid #2f6f9f; line-height: 1.4; }
.zf-privacy { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6em 0.9em;
  font-size: 0.92em; margin-right: 4px; }
.zf-privacy ul { margin: 0.3em 0; padding-left: 1.2em; }
.zf-item { border-bottom: 1px solid #e5e7eb; padding: 0.6em 0 0.7em; width: 100%; }
.zf-label { font-weight: 700; font-size: 1.05em; }
.zf-label .zf-num { color: #424a53; font-weight: 400; margin-right: 0.3em; }
.zf-text { color: #1f2328; font-size: 1em; margin: 0.15em 0 0.4em; }
.zf-item.zf-missing { background: #fff5e6; outline: 3px solid #bc4c00; outline-offset: 2px; border-radius: 4px; }
.zf-survey .widget-toggle-buttons { width: 100%; height: auto; }
.zf-survey .widget-toggle-buttons .widget-toggle-button { width: auto; min-width: 5.2em; height: auto;
  min-height: 44px; margin: 0 6px 6px 0; padding: 0.25em 0.6em; white-space: normal; font-size: 1em;
  color: #1f2328; border: 1px solid #8c959f; }
.zf-survey .widget-toggle-buttons .widget-toggle-button.mod-active { background: #2f6f9f; color: #fff; }
.zf-survey button:focus-visible, .zf-survey input:focus-visible, .zf-survey textarea:focus-visible {
  outline: 3px solid #bf3989; outline-offset: 2px; }
.zf-survey .widget-toggle-buttons > div, .zf-survey .widget-toggle-buttons .widget-inline-hbox {
  flex-wrap: wrap; }
.zf-survey .widget-text, .zf-survey .widget-textarea { width: calc(100% - 8px); max-width: 28em; }
.zf-survey .widget-textarea textarea { min-height: 6em; font-size: 1em; }
.zf-survey .widget-text input { font-size: 1.1em; letter-spacing: 0.05em; height: 2.2em; min-height: 44px; }
.zf-survey .widget-button { height: auto; min-height: 48px; font-size: 1.05em; padding: 0.3em 1.2em; }
.zf-msg-error { color: #b42318; font-weight: 600; }
.zf-msg-ok { color: #1a7f37; font-weight: 600; }
.zf-muted { color: #424a53; }
@media (max-width: 600px) {
  .zf-survey { font-size: 16px; }
  .zf-survey .widget-toggle-buttons > div { display: flex; flex-wrap: wrap; }
  .zf-survey .widget-toggle-buttons .widget-toggle-button { flex: 1 1 40%; min-width: 40%; margin: 0 5px 6px 0; }
}
</style>"""


class _Shared:
    """The layout and style models the widgets of one page share.

    Every widget would otherwise bring a Layout and a style model of its own (261 models for a peer
    form instead of 104): each is one more message when the page's kernel builds the form, when the
    server relays it and when the browser asks for the widget states, in every respondent's kernel.
    """

    def __init__(self):
        self.wide = w.Layout(width="100%")
        self.plain = w.Layout()
        self.html = HTMLStyle()
        self.choice = w.ToggleButtonsStyle(button_width="auto")

    def html_widget(self, text: str, cls: str = "") -> w.HTML:
        h = w.HTML(text, layout=self.wide, style=self.html)
        if cls:
            h.add_class(cls)
        return h

    def choices(self, options) -> w.ToggleButtons:
        return w.ToggleButtons(options=options, value=None, style=self.choice, layout=self.wide)

    def vbox(self, children, wide: bool = False) -> w.VBox:
        return w.VBox(children, layout=self.wide if wide else self.plain)


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


class SurveyApp:
    """One respondent's survey page.

    Parameters
    ----------
    backend : DeskClient, DirectBackend or sqlalchemy.engine.Engine
        Where tokens are checked and sheets stored (``zuofeng.collect.desk``); an engine means the store itself.
    round_code : str
        The round this page collects answers for.
    lang : {"zh", "en"}
        Language of the page.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The page; display it.
    token_input, start_button, message : widgets
        Token entry and the line that explains a refusal.
    items : dict[int, ipywidgets.ToggleButtons]
        Item number → its answer (1..5, or ``DONT_KNOW``; None while unanswered).
    category, overall, comment, progress, submit_button : widgets
        The rest of the form; ``overall`` is shown for peer surveys only.
    state : str
        ``token`` (waiting for a token), ``form``, ``done``, ``closed`` (the round was not open when the
        page loaded) or ``refused`` (the token was used meanwhile, or the round closed, while the form
        was open; nothing was stored).
    """

    def __init__(self, backend, round_code: str, *, lang: str = "zh"):
        if lang not in LANGS:
            raise ZuofengError(f"语言必须是 {', '.join(LANGS)} 之一，而不是 {lang!r}",
                               f"language must be one of {', '.join(LANGS)}, not {lang!r}")
        if not hasattr(backend, "check"):
            backend = DirectBackend(backend)
        self.backend, self.round_code, self.lang = backend, round_code, lang
        self.t = TEXT[lang]
        rnd = backend.round_info(round_code)
        self.departments = dict(rnd["departments"])
        self.round = rnd
        self.outside = rnd.get("outside") or "targets"
        self.roster = dict(rnd.get("roster") or {})
        self.table: EvaluationTable | None = None
        self.inst: Instrument = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
        self._scope = None
        self._token_hash: str | None = None
        self.state = "token" if rnd["status"] == "open" else "closed"
        self._build()
        self._show_start()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        t, inst, lang = self.t, self.inst, self.lang
        self.shared = sh = _Shared()
        _html = sh.html_widget
        self.style = _html(CSS)
        self.title = _html(f"<h2>{_esc(self.round['title'])}</h2>")
        promise = PRIVACY[lang].format(k=int(self.round["k_min"]), k_comment=int(self.round["k_comment"]),
                                       n=len(inst.items))
        self.privacy = _html(f"<div class='zf-privacy'>{promise}</div>")
        self.token_input = w.Text(placeholder="ABCD-EFGH-JKLM-NPQR", description="")
        self.token_input.add_class("zf-token")
        self.start_button = w.Button(description=t["start"], button_style="primary")
        self.start_button.add_class("zf-start")
        self.start_button.on_click(self._on_start)
        self.message = _html("", "zf-message")
        self.token_box = sh.vbox([_html(f"<b>{_esc(t['token_prompt'])}</b>"), self.token_input,
                                  self.start_button, self.message])
        self.widget = sh.vbox([], wide=True)
        self.widget.add_class("zf-survey")
        self.items: dict[int, w.ToggleButtons] = {}
        self.item_boxes: dict[int, w.VBox] = {}
        self._jumps = 0

    def _build_form(self) -> None:
        # Built when the first token is accepted, not before: the page a respondent first loads then
        # carries a dozen widgets instead of a few hundred, which is what makes it appear quickly.
        t, inst, lang, sh = self.t, self.inst, self.lang, self.shared
        _html = sh.html_widget
        self.heading = _html("", "zf-heading")
        scale_opts = [(o.text.get(lang), o.value) for o in inst.item_scale.options]
        scale_opts.append((inst.item_scale.missing.get(lang), DONT_KNOW))
        blocks = [_html(f"<p>{_esc(t['scale_hint'].format(question=inst.item_scale.question.get(lang)))}</p>")]
        for pos, d in enumerate(inst.dimensions, start=1):
            mark = f"{d.id}、" if lang == "zh" else f"{pos}. "
            blocks.append(_html(f"<h3>{_esc(mark)}{_esc(d.heading.get(lang))}</h3>"))
            for it in d.items:
                tb = sh.choices(scale_opts)
                tb.add_class(f"zf-{it.key}")
                tb.add_class("zf-choice")
                tb.observe(self._on_change, names="value")
                self.items[it.number] = tb
                head = (f"<div class='zf-label'><span class='zf-num'>{it.number}.</span>{_esc(it.label.get(lang))}"
                        f"</div><div class='zf-text'>{_esc(it.text.get(lang))}</div>")
                box = sh.vbox([_html(head), tb], wide=True)
                box.add_class("zf-item")
                self.item_boxes[it.number] = box
                blocks.append(box)

        cat_labels = {"党员": t["party"], "非党员": t["non_party"]}
        self.category = sh.choices([(cat_labels[c], c) for c in CATEGORIES])
        self.category.add_class("zf-category")
        self.category.add_class("zf-choice")
        overall_opts = [(o.text.get(lang), o.value) for o in inst.overall_scale.options]
        overall_opts.append((inst.overall_scale.missing.get(lang), DONT_KNOW))
        self.overall = sh.choices(overall_opts)
        self.overall.add_class("zf-overall")
        self.overall.add_class("zf-choice")
        self.overall.observe(self._on_change, names="value")
        self.overall_box = sh.vbox([_html(f"<h3>{_esc(inst.overall_scale.question.get(lang))}</h3>"), self.overall])
        self.overall_box.add_class("zf-item")
        self.comment = w.Textarea(placeholder=t["comment_placeholder"], continuous_update=True)
        self.comment.add_class("zf-comment")
        self.comment.observe(self._on_change, names="value")
        self.comment_count = _html("", "zf-comment-count")
        self.progress = _html("", "zf-progress")
        self.submit_button = w.Button(description=t["submit"], button_style="success")
        self.submit_button.add_class("zf-submit")
        self.submit_button.on_click(self._on_submit)
        self.submit_message = _html("", "zf-submit-message")
        self.category_box = sh.vbox([_html(f"<h3>{_esc(t['category_heading'])}</h3>"
                                           f"<p>{_esc(t['category_hint'])}</p>"), self.category])
        self.comment_box = sh.vbox([
            _html(f"<h3>{_esc(t['comment_heading'])}</h3><p>{_esc(t['comment_hint'].format(n=COMMENT_MAX))}</p>"),
            self.comment, self.comment_count])
        self.item_blocks = blocks
        self.thanks = _html(f"<h2>{_esc(t['thanks_title'])}</h2><p>{_esc(t['thanks'])}</p>", "zf-thanks")

    def _show_start(self) -> None:
        if self.state == "closed":
            self.message.value = f"<span class='zf-msg-error'>{_esc(self.t['round_closed'])}</span>"
            self.widget.children = [self.style, self.title, self.privacy, self.message]
        else:
            self.widget.children = [self.style, self.title, self.privacy, self.token_box]

    def _show_form(self) -> None:
        s, t = self._scope, self.t
        target = _esc(self.departments.get(s.target, s.target))
        if s.kind == "self":
            head = t["self_heading"].format(dept=target)
        else:
            key = "peer_inside_heading" if s.rater == s.target else "peer_outside_heading"
            head = t[key].format(dept=target)
        self.heading.value = f"<h2>{head}</h2>"
        footer = [self.category_box]
        if s.kind == "peer":
            footer.append(self.overall_box)
        self._open_table(s)
        if self.table is not None:
            footer.append(self.table.widget)
        footer += [self.comment_box, self.progress, self.submit_button, self.submit_message]
        self.widget.children = [self.style, self.title, self.heading, self.privacy, *self.item_blocks, *footer]
        self._refresh()

    def _open_table(self, s) -> None:
        """The 民主测评 table of the token's rater: with an inside-view peer token only."""
        codes: list[str] = []
        if s.kind == "peer" and s.rater == s.target and s.rater in self.roster:
            codes = [c for c in table_targets(self.outside, s.rater, self.roster) if c in self.departments]
        if not codes:
            self.table = None
        elif self.table is None or self.table.codes != codes:
            self.table = EvaluationTable(self.shared, self.inst, [(c, self.departments[c]) for c in codes],
                                         self.lang, self._on_change)

    # --- state ------------------------------------------------------------------------------

    @property
    def answered(self) -> int:
        """How many of the items have an answer (不了解 counts)."""
        return sum(tb.value is not None for tb in self.items.values())

    def missing(self) -> list[str]:
        """What still needs an answer, in page order: item numbers as strings, then ``"overall"``, then
        ``"table:CODE"`` for each department of the 民主测评 table with a question left."""
        out = [str(n) for n, tb in self.items.items() if tb.value is None]
        if self._scope is not None and self._scope.kind == "peer" and self.overall.value is None:
            out.append("overall")
        if self.table is not None:
            out += [f"table:{c}" for c in self.table.missing()]
        return out

    def _complete(self) -> bool:
        if not self.items or self.answered != len(self.items):
            return False
        if self._scope is not None and self._scope.kind == "peer" and self.overall.value is None:
            return False
        if self.table is not None and self.table.missing():
            return False
        return len(self.comment.value) <= COMMENT_MAX

    def _refresh(self) -> None:
        if not self.items:
            return
        t, n = self.t, len(self.items)
        parts = [t["progress"].format(done=self.answered, n=n)]
        if self._scope is not None and self._scope.kind == "peer" and self.overall.value is None:
            parts.append(t["overall_missing"])
        if self.table is not None:
            self.table.refresh()
            left = len(self.table.missing())
            if left:
                parts.append(t["table_missing"].format(n=left))
        self.progress.value = "<span class='zf-muted'>" + _esc(" · ".join(parts)) + "</span>"
        used = len(self.comment.value)
        if used > COMMENT_MAX:
            note, cls = t["comment_over"].format(n=COMMENT_MAX, over=used - COMMENT_MAX), "zf-msg-error"
        elif used == COMMENT_MAX:
            note, cls = t["comment_full"].format(n=COMMENT_MAX), "zf-msg-error"
        else:
            note, cls = t["comment_left"].format(n=COMMENT_MAX, used=used, left=COMMENT_MAX - used), "zf-muted"
        self.comment_count.value = f"<span class='{cls}'>{_esc(note)}</span>"
        for number, tb in self.items.items():
            if tb.value is not None:
                self.item_boxes[number].remove_class("zf-missing")
        if self.overall.value is not None:
            self.overall_box.remove_class("zf-missing")
        if "zf-jump" in self.submit_message.value and self._complete():
            self.submit_message.value = ""
        self.submit_button.disabled = self.state != "form"

    def _on_change(self, _change) -> None:
        self._refresh()

    # --- actions ----------------------------------------------------------------------------

    def _say(self, target: w.HTML, text: str, ok: bool = False) -> None:
        target.value = f"<span class='{'zf-msg-ok' if ok else 'zf-msg-error'}'>{_esc(text)}</span>"

    def _on_start(self, _button=None) -> None:
        if self.state != "token":
            return
        raw = self.token_input.value
        self.start_button.disabled = True
        try:
            scope, hashed = self.backend.check(self.round_code, raw)
        except ZuofengError as e:
            self._say(self.message, token_message(e, self.lang))
            self.start_button.disabled = False
            return
        except Exception as e:  # noqa: BLE001 -- a respondent never sees a traceback; nothing typed is logged
            log.error("survey: token check failed with %s", type(e).__name__)
            self._say(self.message, self.t["system_error"])
            self.start_button.disabled = False
            return
        self.token_input.value = ""  # the token is not kept; only its keyed hash, until the sheet is stored
        self.open_form(scope, hashed)

    def open_form(self, scope, hashed: str) -> None:
        """Show the form for a checked token: its scope and keyed hash (the token itself is not needed)."""
        self._scope, self._token_hash = scope, hashed
        self.message.value = ""
        self.state = "form"
        if not self.items:
            self._build_form()
        self._show_form()

    def open_ticket(self, ticket: str | None) -> None:
        """Open the form for the token the entry page checked, by claiming its one-time ticket at the desk.

        A missing, used or expired ticket shows a line with a link back to the entry page.
        """
        if self.state != "token":
            return
        try:
            if not ticket:
                raise TokenError("没有凭据", "no ticket")
            scope, hashed = self.backend.claim(self.round_code, ticket)
        except (ZuofengError, DeskUnavailable) as e:
            if not isinstance(e, ZuofengError):
                log.error("survey: claiming a ticket failed with %s", type(e).__name__)
            self.state = "expired"
            self.message.value = (f"<span class='zf-msg-error'>{_esc(self.t['expired'])}</span> "
                                  f"<a href='./?expired=1'>{_esc(self.t['back_to_entry'])}</a>")
            self.widget.children = [self.style, self.title, self.message]
            return
        self.open_form(scope, hashed)

    def sheet(self) -> Sheet:
        """The answer sheet as it stands (the values clicked, 不了解 as None)."""
        s = self._scope
        answers = {n: (None if tb.value == DONT_KNOW else tb.value) for n, tb in self.items.items()}
        overall = None
        if s.kind == "peer" and self.overall.value not in (None, DONT_KNOW):
            overall = self.overall.value
        comment = self.comment.value.strip() or None
        return Sheet(kind=s.kind, rater=s.rater, target=s.target, answers=answers, category=self.category.value,
                     overall=overall, comment=comment, token_hash=self._token_hash)

    def table_sheets(self) -> list[Sheet]:
        """The 民主测评 table rows as they stand (empty without a table)."""
        if self.table is None:
            return []
        return self.table.sheets(self._scope.kind, self._scope.rater, self.category.value)

    def _point_at_missing(self) -> None:
        """Highlight what is missing, name how much, and let the page scroll to the first one."""
        t, missing = self.t, self.missing()
        boxes = [self.overall_box if m == "overall" else self.item_boxes[int(m)]
                 for m in missing if not m.startswith("table:")]
        if self.table is not None:
            self.table.point_at([m[6:] for m in missing if m.startswith("table:")])
            boxes += [self.table.rows[m[6:]] for m in missing[:1] if m.startswith("table:")]
        for box in [*self.item_boxes.values(), self.overall_box]:
            box.remove_class("zf-missing")
            box.remove_class("zf-first-missing")
        for box in boxes:
            box.add_class("zf-missing")
        self._jumps += 1
        if boxes:
            boxes[0].add_class("zf-first-missing")
            if missing[0] == "overall":
                first = t["overall_label"]
            elif missing[0].startswith("table:"):
                first = self.table.label(missing[0][6:])
            else:
                first = t["item_label"].format(n=missing[0])
            text = t["missing"].format(count=len(missing), first=first)
        else:
            text = t["too_long"]
        target = "zf-first-missing" if boxes else "zf-comment"
        self.submit_message.value = (f"<span class='zf-msg-error zf-jump' data-jump='{self._jumps}' "
                                     f"data-target='{target}'>{_esc(text)}</span>")

    def _on_submit(self, _button=None) -> None:
        if self.state != "form":
            return
        if not self._complete():
            self._point_at_missing()
            return
        self.submit_button.disabled = True
        try:
            table = self.table_sheets()
            if table:  # the table rows are stored with the sheet, under its token, in one transaction
                self.backend.store(self.round_code, self.sheet(), table)
            else:
                self.backend.store(self.round_code, self.sheet())
        except (TokenError, RoundError) as e:
            # the token was used meanwhile or the round closed: this page cannot store anything any more
            self.state = "refused"
            self._say(self.submit_message, token_message(e, self.lang))
            return
        except ZuofengError as e:
            self._say(self.submit_message, token_message(e, self.lang))
            self._refresh()
            return
        except Exception as e:  # noqa: BLE001 -- a respondent never sees a traceback; no answer is logged
            log.error("survey: storing an answer sheet failed with %s", type(e).__name__)
            self._say(self.submit_message, self.t["system_error"])
            self._refresh()
            return
        self._finish()

    def _finish(self) -> None:
        self.state = "done"
        self._token_hash = None
        self.widget.children = [self.style, self.title, self.thanks]
        for tb in self.items.values():
            tb.value = None
        self.comment.value = ""
        self.category.value = None
        self.overall.value = None
        if self.table is not None:
            self.table.reset()
        self.backend.close()


def survey_app(round_code: str | None = None, *, db: str | None = None, lang: str | None = None):
    """The survey page for ``round_code``, ready to display (what the survey notebook calls).

    Parameters
    ----------
    round_code : str, optional
        The round; default ``$ZUOFENG_SURVEY_ROUND`` (``zuofeng serve`` sets it).
    db : str, optional
        Database URL to open in this kernel. Default: the collection desk of ``zuofeng serve``
        (``$ZUOFENG_SURVEY_DESK``), so that the kernel never imports the store; without one,
        ``$ZUOFENG_DB``, else ``sqlite:///data/zuofeng.db``.
    lang : {"zh", "en"}, optional
        Language; default ``$ZUOFENG_SURVEY_LANG``, else ``zh``.

    Returns
    -------
    ipywidgets.Widget
        The page, or a one-line notice when the store or the round cannot be used (the details go to
        the server's log, never to the respondent).
    """
    round_code = round_code or os.environ.get(ENV_ROUND)
    lang = lang or os.environ.get(ENV_LANG) or "zh"
    if lang not in LANGS:
        lang = "zh"
    try:
        if not round_code:
            raise RoundError(f"没有给出轮次：请传入 round_code 或设置 {ENV_ROUND}",
                             f"no round given: pass round_code or set {ENV_ROUND}")
        app = SurveyApp(backend_for(db), round_code, lang=lang)
        if db is None and os.environ.get(ENV_ENTRY) and app.state == "token":
            app._build_form()  # in a preheated kernel: before the respondent arrives
            app.open_ticket(_request_ticket())
    except (ZuofengError, DeskUnavailable) as e:
        log.error("survey: cannot open the survey: %s", getattr(e, "message", type(e).__name__))
        notice = w.HTML(f"{CSS}<p class='zf-msg-error'>{_esc(TEXT[lang]['unavailable'])}</p>")
        notice.add_class("zf-survey")
        return notice
    return app.widget


def _request_ticket() -> str | None:
    """The one-time ticket the survey address passed to this kernel (``zuofeng.collect.server.tickets``).

    A kernel started for the request finds it in its environment; a preheated kernel waits here until
    Voilà hands it to a page and sends that request's details over Voilà's request-info websocket
    (what ``voila.utils.wait_for_request`` does, without importing the Jupyter server into the kernel).
    """
    import json
    from urllib.parse import parse_qs

    env = os.environ
    query = env.get("QUERY_STRING", "")
    if env.get("VOILA_PREHEAT", "False") != "False":
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect
        base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
        ip = env.get("VOILA_APP_IP", "127.0.0.1")
        url = (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{f'[{ip}]' if ':' in ip else ip}:"
               f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}")
        try:
            with connect(url, open_timeout=10, max_size=2**16) as ws:
                info = json.loads(ws.recv())
        except (OSError, ValueError, WebSocketException):
            return None
        query = info.get("QUERY_STRING", "") if isinstance(info, dict) else ""
    values = parse_qs(query).get("zf_ticket")
    return values[0] if values else None
