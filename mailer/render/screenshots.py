"""Screenshots of a rendered email in headless Chromium: phone, desktop and dark mode.

The one module that drives a browser: Debian's ``chromium`` through Playwright (the optional
``review`` extra, or the test extra), never a browser Playwright downloads. Nothing leaves the
machine: the email's own images are served from the project's files, every other request is
refused. Without Playwright, or when Chromium is missing or fails to start,
:func:`open_camera` yields the reason instead of a camera and the caller goes on without
pictures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
HEIGHT = 900  # the first screen; the screenshot takes the whole page


@dataclass(frozen=True)
class View:
    """A way of looking at an email: viewport width and light or dark colour scheme."""

    name: str
    width: int
    scheme: Literal["light", "dark"]
    label: str


VIEWS = (
    View("phone", 375, "light", "phone (375 px)"),
    View("desktop", 600, "light", "desktop (600 px)"),
    View("dark", 375, "dark", "dark mode (375 px)"),
)


class Camera:
    """Takes full-page screenshots of HTML with one running Chromium."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser

    def shoot(self, html: str, view: View, target: Path, media: Mapping[str, Path]) -> None:
        """Write a PNG of ``html`` seen in ``view``; ``media`` maps image URLs to files."""

        def serve(route: Route) -> None:
            path = media.get(route.request.url)
            if path is not None and path.is_file():
                route.fulfill(path=path)
            else:
                route.abort()  # offline: fonts and remote images show as a reader's blocked ones

        context = self._browser.new_context(
            viewport={"width": view.width, "height": HEIGHT}, color_scheme=view.scheme
        )
        try:
            page = context.new_page()
            page.route("**/*", serve)
            page.set_content(html, wait_until="load")
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=target, full_page=True)
        finally:
            context.close()


@contextlib.contextmanager
def open_camera(executable: Path = CHROMIUM) -> Iterator[Camera | str]:
    """A :class:`Camera` on headless Chromium, or one line saying why there is none."""
    if not executable.is_file():
        yield f"no browser ({executable} is missing)"
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        yield "no browser (Playwright is not installed: pip install 'charity-newsletter[review]')"
        return
    with contextlib.ExitStack() as stack:
        camera: Camera | str
        try:
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(
                executable_path=executable, args=list(CHROMIUM_ARGS)
            )
        except Exception as exc:  # any launch failure means: go on without pictures
            reason = str(exc).strip().splitlines()
            camera = f"no browser ({executable} failed to start: {reason[0] if reason else exc})"
        else:
            stack.callback(browser.close)
            camera = Camera(browser)
        yield camera
