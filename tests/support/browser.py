"""Debian's Chromium, driven by Playwright: the one place that names its path and its flags.

Never ``playwright install``: Playwright drives the Chromium the system has (``executable_path``).
``launch`` works with Playwright's sync and async APIs alike (the async one returns an awaitable).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .ci import require_or_skip

CHROMIUM = "/usr/bin/chromium"
# headless, no sandbox (containers run as root), and nothing that talks to the network by itself
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which("chromium") is not None


def require_chromium() -> None:
    """Skip without Chromium (a failure on CI)."""
    require_or_skip(chromium_available(), f"Chromium is not installed at {CHROMIUM}")


def sync_playwright_or_skip(artifacts: Path | None = None):
    """Playwright's ``sync_playwright`` for the Chromium here (a skip without either, a failure on CI),
    with the screenshots' folder ``artifacts`` made."""
    import pytest
    require_chromium()
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if artifacts is not None:
        artifacts.mkdir(parents=True, exist_ok=True)
    return sync_playwright


def launch(playwright, *, extra: tuple[str, ...] = (), **kwargs):
    """A headless Chromium browser (``playwright.chromium.launch``) with the flags above and ``extra``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra], **kwargs)


def launch_persistent(playwright, profile: Path, **kwargs):
    """A headless Chromium context on the profile folder ``profile`` (``launch_persistent_context``)."""
    return playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=ARGS,
                                                         **kwargs)


def print_pdf(page, path: Path) -> None:
    """Print ``page`` to the PDF ``path`` as it goes to paper: the page size its CSS asks for, backgrounds
    included; the page stays in print media for the screenshots and measurements that follow."""
    page.emulate_media(media="print")
    page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
