"""The respondent's page: ipywidgets that take a token and collect one answer sheet.

Token entry → the survey that token opens (self or peer, the rated department named) → the 22 items
grouped by dimension, each with the five scale options and 不了解 → category (optional) → the overall
rating (peer surveys only) → a suggestion (bounded length) → submit → thank-you. The page states the
round's privacy promise. Voilà serves it (``zuofeng.collect.serve``); tests drive it by setting ``.value`` and
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

from ..errors import RoundError, TokenError, ZuofengError
from ..instrument import Instrument, load_instrument
from ..sheet import CATEGORIES, COMMENT_MAX, Sheet
from .desk import DeskUnavailable, DirectBackend, backend_for
from .survey_text import PRIVACY, TEXT, token_message

log = logging.getLogger(__name__)

LANGS = ("zh", "en")
DONT_KNOW = 0  # the widget value of 不了解; stored as NULL (missing)
ENV_ROUND = "ZUOFENG_SURVEY_ROUND"
ENV_LANG = "ZUOFENG_SURVEY_LANG"

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
.zf-label .zf-num { color: #57606a; font-weight: 400; margin-right: 0.3em; }
.zf-text { color: #3d444d; font-size: 0.93em; margin: 0.15em 0 0.4em; }
.zf-survey .widget-toggle-buttons { width: 100%; height: auto; }
.zf-survey .widget-toggle-buttons .widget-toggle-button { width: auto; min-width: 5.2em; height: auto;
  min-height: 2.3em; margin: 0 6px 6px 0; padding: 0.25em 0.6em; white-space: normal; font-size: 0.95em; }
.zf-survey .widget-toggle-buttons .widget-toggle-button.mod-active { background: #2f6f9f; color: #fff; }
.zf-survey .widget-toggle-buttons > div, .zf-survey .widget-toggle-buttons .widget-inline-hbox {
  flex-wrap: wrap; }
.zf-survey .widget-text, .zf-survey .widget-textarea { width: calc(100% - 8px); max-width: 28em; }
.zf-survey .widget-textarea textarea { min-height: 6em; font-size: 1em; }
.zf-survey .widget-text input { font-size: 1.1em; letter-spacing: 0.05em; height: 2.2em; }
.zf-survey .widget-button { height: auto; min-height: 2.4em; font-size: 1em; padding: 0.3em 1.2em; }
.zf-msg-error { color: #b42318; font-weight: 600; }
.zf-msg-ok { color: #1a7f37; font-weight: 600; }
.zf-muted { color: #57606a; }
@media (max-width: 600px) {
  .zf-survey { font-size: 15px; }
  .zf-survey .widget-toggle-buttons > div { display: flex; flex-wrap: wrap; }
  .zf-survey .widget-toggle-buttons .widget-toggle-button { flex: 1 1 40%; min-width: 40%; margin: 0 5px 6px 0; }
}
</style>"""


def _html(text: str, cls: str = "") -> w.HTML:
    h = w.HTML(text, layout=w.Layout(width="100%"))
    if cls:
        h.add_class(cls)
    return h


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
            raise ZuofengError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
        if not hasattr(backend, "check"):
            backend = DirectBackend(backend)
        self.backend, self.round_code, self.lang = backend, round_code, lang
        self.t = TEXT[lang]
        rnd = backend.round_info(round_code)
        self.departments = dict(rnd["departments"])
        self.round = rnd
        self.inst: Instrument = load_instrument(rnd["instrument_id"], rnd["instrument_version"])
        self._scope = None
        self._token_hash: str | None = None
        self.state = "token" if rnd["status"] == "open" else "closed"
        self._build()
        self._show_start()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        t, inst, lang = self.t, self.inst, self.lang
        self.style = w.HTML(CSS)
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
        self.token_box = w.VBox([_html(f"<b>{_esc(t['token_prompt'])}</b>"), self.token_input,
                                 self.start_button, self.message])
        self.widget = w.VBox(layout=w.Layout(width="100%"))
        self.widget.add_class("zf-survey")
        self.items: dict[int, w.ToggleButtons] = {}

    def _build_form(self) -> None:
        # Built when the first token is accepted, not before: the page a respondent first loads then
        # carries a dozen widgets instead of a few hundred, which is what makes it appear quickly.
        t, inst, lang = self.t, self.inst, self.lang
        self.heading = _html("", "zf-heading")
        scale_opts = [(o.text.get(lang), o.value) for o in inst.item_scale.options]
        scale_opts.append((inst.item_scale.missing.get(lang), DONT_KNOW))
        blocks = [_html(f"<p>{_esc(t['scale_hint'].format(question=inst.item_scale.question.get(lang)))}</p>")]
        for pos, d in enumerate(inst.dimensions, start=1):
            mark = f"{d.id}、" if lang == "zh" else f"{pos}. "
            blocks.append(_html(f"<h3>{_esc(mark)}{_esc(d.heading.get(lang))}</h3>"))
            for it in d.items:
                tb = w.ToggleButtons(options=scale_opts, value=None, style={"button_width": "auto"},
                                     layout=w.Layout(width="100%"))
                tb.add_class(f"zf-{it.key}")
                tb.observe(self._on_change, names="value")
                self.items[it.number] = tb
                head = (f"<div class='zf-label'><span class='zf-num'>{it.number}.</span>{_esc(it.label.get(lang))}"
                        f"</div><div class='zf-text'>{_esc(it.text.get(lang))}</div>")
                box = w.VBox([_html(head), tb], layout=w.Layout(width="100%"))
                box.add_class("zf-item")
                blocks.append(box)

        cat_labels = {"党员": t["party"], "非党员": t["non_party"]}
        self.category = w.ToggleButtons(options=[(cat_labels[c], c) for c in CATEGORIES], value=None,
                                        style={"button_width": "auto"}, layout=w.Layout(width="100%"))
        self.category.add_class("zf-category")
        overall_opts = [(o.text.get(lang), o.value) for o in inst.overall_scale.options]
        overall_opts.append((inst.overall_scale.missing.get(lang), DONT_KNOW))
        self.overall = w.ToggleButtons(options=overall_opts, value=None, style={"button_width": "auto"},
                                       layout=w.Layout(width="100%"))
        self.overall.add_class("zf-overall")
        self.overall.observe(self._on_change, names="value")
        self.overall_box = w.VBox([_html(f"<h3>{_esc(inst.overall_scale.question.get(lang))}</h3>"), self.overall])
        self.comment = w.Textarea(placeholder=t["comment_placeholder"], continuous_update=True)
        self.comment.add_class("zf-comment")
        self.comment.observe(self._on_change, names="value")
        self.comment_count = _html("", "zf-comment-count")
        self.progress = _html("", "zf-progress")
        self.submit_button = w.Button(description=t["submit"], button_style="success", disabled=True)
        self.submit_button.add_class("zf-submit")
        self.submit_button.on_click(self._on_submit)
        self.submit_message = _html("", "zf-submit-message")
        self.category_box = w.VBox([_html(f"<h3>{_esc(t['category_heading'])}</h3>"
                                          f"<p>{_esc(t['category_hint'])}</p>"), self.category])
        self.comment_box = w.VBox([
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
        footer += [self.comment_box, self.progress, self.submit_button, self.submit_message]
        self.widget.children = [self.style, self.title, self.heading, self.privacy, *self.item_blocks, *footer]
        self._refresh()

    # --- state ------------------------------------------------------------------------------

    @property
    def answered(self) -> int:
        """How many of the items have an answer (不了解 counts)."""
        return sum(tb.value is not None for tb in self.items.values())

    def _complete(self) -> bool:
        if not self.items or self.answered != len(self.items):
            return False
        if self._scope is not None and self._scope.kind == "peer" and self.overall.value is None:
            return False
        return len(self.comment.value) <= COMMENT_MAX

    def _refresh(self) -> None:
        if not self.items:
            return
        t, n = self.t, len(self.items)
        parts = [t["progress"].format(done=self.answered, n=n)]
        if self._scope is not None and self._scope.kind == "peer" and self.overall.value is None:
            parts.append(t["overall_missing"])
        self.progress.value = "<span class='zf-muted'>" + _esc(" · ".join(parts)) + "</span>"
        used = len(self.comment.value)
        cls = "zf-msg-error" if used > COMMENT_MAX else "zf-muted"
        self.comment_count.value = f"<span class='{cls}'>{used} / {COMMENT_MAX}</span>"
        self.submit_button.disabled = not (self.state == "form" and self._complete())

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
        self._scope, self._token_hash = scope, hashed
        self.message.value = ""
        self.state = "form"
        if not self.items:
            self._build_form()
        self._show_form()

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

    def _on_submit(self, _button=None) -> None:
        if self.state != "form" or not self._complete():
            return
        self.submit_button.disabled = True
        try:
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
            raise RoundError(f"no round given: pass round_code or set {ENV_ROUND}")
        app = SurveyApp(backend_for(db), round_code, lang=lang)
    except (ZuofengError, DeskUnavailable) as e:
        log.error("survey: cannot open the survey: %s", getattr(e, "message", type(e).__name__))
        notice = w.HTML(f"{CSS}<p class='zf-msg-error'>{_esc(TEXT[lang]['unavailable'])}</p>")
        notice.add_class("zf-survey")
        return notice
    return app.widget
