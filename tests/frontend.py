"""Helpers shared by the front-end tests (tests/test_frontend_*.py): pages of a built site, a browser tab that
only reaches the local server, chart and scheme states, and the artifacts folder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route

from tests.conftest import ROOT
from tests.test_browser import TIMEOUT_MS, Served, Watch, figure_ids

ARTIFACTS = ROOT / "test-artifacts"
# Files every page shares (loaded once, then cached): Material's assets, the scripts and styles, the search index.
SHARED_PREFIXES = ("assets/", "javascripts/", "stylesheets/", "search/")
PALETTE_TOGGLE = "[data-md-component=palette] label:not([hidden])"
# True once the page shows exactly the expected figures, every one drawn in the given scheme ("light" or "dark").
CHARTS_IN = """([expected, theme]) => {
    const figures = [...document.querySelectorAll('.vl-figure')];
    return JSON.stringify(figures.map(f => f.id)) === JSON.stringify(expected)
        && figures.every(f => f.dataset.drawn === 'yes' && f.dataset.theme === theme);
}"""


def pages(root: Path) -> list[str]:
    """Every page of a built site (site-relative paths, 404 included), sorted."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))


def page_types(root: Path) -> list[str]:
    """One page of each type: every top-level page, and the first page of each folder (e.g. one per family)."""
    first: dict[str, str] = {}
    for name in pages(root):
        first.setdefault(name.rsplit("/", 1)[0] if "/" in name else name, name)
    return sorted(first.values())


def chart_pages(root: Path) -> list[str]:
    """Pages that show at least one chart."""
    return [name for name in pages(root) if 'class="vl-figure"' in (root / name).read_text(encoding="utf-8")]


@contextmanager
def tab(browser: Browser, site: Served, **context: Any) -> Iterator[tuple[Page, Watch]]:
    """A fresh tab that records console errors and requests, and aborts anything not on the local server."""
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(TIMEOUT_MS)
    watch = Watch()

    def route(route: Route) -> None:
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            watch.blocked.append(route.request.url)
            route.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda message: message.type == "error" and watch.errors.append(message.text))
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: watch.requests.append(request.url))
    try:
        yield page, watch
    finally:
        ctx.close()


def wait_drawn(page: Page, html: Path, theme: str = "light") -> int:
    """Wait until the page shows the charts of the built page ``html``, all drawn in ``theme``; returns how many."""
    expected = figure_ids(html)
    page.wait_for_function(CHARTS_IN, arg=[expected, theme])
    return len(expected)


def toggle_scheme(page: Page) -> None:
    """Click Material's light/dark toggle, then move focus and pointer away until no tooltip shows."""
    page.locator(PALETTE_TOGGLE).click()
    # Material shows a control's tooltip while it has focus, and the toggle keeps it after the click.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    # The start of the title: nothing there has a tooltip (the header and tables do), so none fades in mid-check.
    title = page.locator("article h1").first.bounding_box()
    assert title is not None
    page.mouse.move(title["x"] + 4, title["y"] + title["height"] / 2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.md-tooltip, .md-tooltip2')]"
        ".every(t => getComputedStyle(t).opacity === '0')"
    )


def artifact(name: str) -> Path:
    """A path under test-artifacts/ (git-ignored) for screenshots and reports kept after the tests."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def site_path(site: Served, url: str) -> str | None:
    """The site-relative path of a URL on the local server (query and fragment dropped), or None if elsewhere."""
    prefix = site.url + "/"
    if not url.startswith(prefix):
        return None
    return re.split(r"[?#]", url[len(prefix) :], maxsplit=1)[0]
