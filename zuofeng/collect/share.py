"""The share page: the survey's address and its QR code, large, to show on a projector at the meeting.

Like the slips, the QR code holds the survey address only, never an 答题码: respondents scan it, then
type the code from their slip. The page is self-contained (no script, no external resource).
"""

from __future__ import annotations

import html
from pathlib import Path

from ..errors import ZuofengError
from .slips import check_url, qr_symbol

TEXT = {
    "zh": {
        "heading": "扫码参加测评",
        "steps": "手机扫描二维码或打开下面的地址，输入答题码条上的答题码，答完提交。",
        "promise": "测评不记名：答卷与答题码无法对应。",
        "address": "问卷地址",
    },
    "en": {
        "heading": "Scan to take part",
        "steps": "Scan the QR code or open the address below, type the answer code from your slip, answer and "
                 "submit.",
        "promise": "The survey is anonymous: answers cannot be traced to a code.",
        "address": "Survey address",
    },
}

CSS = """
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", sans-serif; color: #111; background: #fff; }
main { min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center;
       padding: 3vh 4vw; text-align: center; gap: 2vh; }
h1 { font-size: clamp(22px, 5vw, 56px); margin: 0; }
h2 { font-size: clamp(18px, 3.2vw, 36px); margin: 0; color: #b71c1c; }
.qr { width: min(60vh, 80vw); height: min(60vh, 80vw); }
.url { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: clamp(16px, 3vw, 34px);
       overflow-wrap: anywhere; }
p { font-size: clamp(15px, 2.2vw, 26px); margin: 0; max-width: 40em; }
"""


def qr_svg(url: str, css_class: str = "qr") -> str:
    """The QR code of ``url`` as an inline SVG element (black on white, with its quiet zone)."""
    size, path = qr_symbol(url)
    return (f'<svg class="{css_class}" viewBox="0 0 {size} {size}" role="img" aria-label="QR" '
            f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{path}"/></svg>')


def render_share_page(title: str, url: str, *, lang: str = "zh") -> str:
    """The share page of a round titled ``title`` whose survey is at ``url`` (checked as for the slips)."""
    if lang not in TEXT:
        raise ZuofengError(f"lang 必须是 zh 或 en，而不是 {lang!r}", f"lang must be zh or en, not {lang!r}")
    url = check_url(url)
    if url is None:
        raise ZuofengError("分享页需要测评网址（http:// 或 https://）",
                           "the share page needs the survey address (http:// or https://)")
    t = TEXT[lang]
    e = html.escape
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(title)} · {e(t['heading'])}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{e(title)}</h1>", f"<h2>{e(t['heading'])}</h2>", qr_svg(url),
        f'<div class="url" aria-label="{e(t["address"])}">{e(url)}</div>',
        f"<p>{e(t['steps'])}</p>", f"<p>{e(t['promise'])}</p>",
        "</main></body></html>"])


def write_share_page(path: Path, title: str, url: str, *, lang: str = "zh") -> Path:
    """Write the share page to ``path`` (its folder is created); return the path."""
    page = render_share_page(title, url, lang=lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
