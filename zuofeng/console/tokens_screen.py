"""The tokens screen: issue 答题码 as slips that download from the page, and the share page (link + QR).

The slips hold live 答题码, so they are never written where they stay: the file passes through a private
temporary folder, removed at once, and reaches the analyst as a ``data:`` link.
"""

from __future__ import annotations

import html
import inspect
from pathlib import Path

import ipywidgets as w

from .. import api
from ..axes import kind_label
from .base import WIDE, Scratch, Shell, button, data_link, heading, row

BALLOTS_PARAMETER = "paper_ballots"  # the keyword of api.issue_slips that writes printable paper ballots


def paper_ballots_offered() -> bool:
    """Whether :func:`zuofeng.api.issue_slips` can write paper ballots (``paper_ballots=FILE.html``).

    The hook for printable ballots: when the API offers the keyword, the console shows a checkbox and
    passes it a file beside the slips, offered as a second download; until then the checkbox stays hidden.
    """
    return BALLOTS_PARAMETER in inspect.signature(api.issue_slips).parameters


class TokensScreen:
    """Issue the round's missing 答题码 (slips, and paper ballots where the API offers them); the share page."""

    def __init__(self, shell: Shell):
        self.shell = s = shell
        self.survey_url = w.Text(description=s.t("survey_url"), placeholder="https://survey.example.org/",
                                 style=WIDE, layout=w.Layout(width="420px", max_width="100%"))
        self.survey_url.add_class("zf-survey-url")
        self.extra = w.BoundedIntText(value=0, min=0, max=1000, description=s.t("extra"), style=WIDE,
                                      layout=w.Layout(width="160px"))
        self.ballots = w.Checkbox(value=False, description=s.t("ballots"), indent=False)
        self.ballots.add_class("zf-ballots")
        self.ballots.layout.display = None if paper_ballots_offered() else "none"
        self.issue_button = button(s.t("issue"), "zf-issue")
        self.share_button = button(s.t("share"), "zf-share")
        self.slips = w.HTML()
        self.slips.add_class("zf-slips")
        self.share = w.HTML()
        self.share.add_class("zf-share-page")
        self.issue_button.on_click(lambda _b: self.issue())
        self.share_button.on_click(lambda _b: self.make_share_page())
        self.widget = w.VBox([heading(s.t("h_tokens")), row([self.survey_url, self.extra]),
                              row([self.issue_button, self.ballots, self.share_button]), self.slips, self.share])

    def on_round(self, rnd: dict | None) -> None:
        self.issue_button.disabled = self.share_button.disabled = rnd is None
        self.slips.value = self.share.value = ""

    def issue(self) -> None:
        """Issue the missing 答题码; the slips (and ballots) become download links, never files on the server."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        with Scratch() as tmp:
            out = tmp / f"slips-{code}.html"
            extra = {}
            ballots = tmp / f"ballots-{code}.html"
            if self.ballots.value and paper_ballots_offered():
                extra[BALLOTS_PARAMETER] = ballots
            r = s.run(api.issue_slips, code, extra=self.extra.value, out=out,
                      url=self.survey_url.value.strip() or None, lang=s.lang, db=s.db, **extra)
            if r is None:
                return
            if not r.issued:
                self.slips.value = ""
                s.ok(s.t("nothing_to_issue", code=code))
                return
            links = [data_link(out.name, out.read_bytes(), s.t("slips_link", code=code, n=r.issued, pages=r.pages),
                               "zf-slips-link")]
            if extra and Path(ballots).is_file():
                links.append(data_link(ballots.name, ballots.read_bytes(), s.t("ballots"), "zf-ballots-link"))
        self.slips.value = " ".join(links) + f"<br><small>{html.escape(s.t('slips_note'))}</small>"
        views = "，".join(f"{kind_label(v, s.lang)} {n}" for v, n in sorted(r.by_view.items()))
        key = s.t("key_created", path=r.key_path) if r.key_created else ""
        s.ok(s.t("issued", code=code, n=r.issued, views=views) + key)

    def make_share_page(self) -> None:
        """Write the share page (title, survey address, QR code) and show it with a link to open it full size."""
        s = self.shell
        code = s.code()
        if code is None:
            return
        url = self.survey_url.value.strip()
        if not url:
            s.error(s.t("need_url"))
            return
        page = s.run(api.share_page, code, url, lang=s.lang, db=s.db)
        if page is None:
            return
        from ..collect.share import qr_svg

        href = f"{s.link_base()}{page.parent.name}/{page.name}"
        self.share.value = (
            f"<div class='zf-share-qr'>{qr_svg(url)}</div><div><code>{html.escape(url)}</code></div>"
            f"<a class='zf-download zf-share-link' href='{html.escape(href)}' target='_blank'>"
            f"{html.escape(s.t('share_open'))}</a> "
            + data_link(f"share-{code}.html", page.read_bytes(), s.t("share_download", code=code), "zf-share-file"))
        s.ok(s.t("share_ready"))
