"""The built sites in headless Chromium: charts draw, no console errors, no third-party requests, a no-JS fallback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.conftest import serve

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
CHART_PAGES = ["index.html", "accuracy.html", "efficiency.html"]
# True once the page shows exactly the expected figures and every draw() has finished, successfully or not.
CHARTS_SETTLED = """expected => {
    const figures = [...document.querySelectorAll('.vl-figure')];
    return JSON.stringify(figures.map(f => f.id)) === JSON.stringify(expected)
        && figures.every(f => f.dataset.drawn && f.dataset.drawn !== 'pending');
}"""


@dataclass
class Served:
    """A built site on a local server."""

    root: Path
    url: str


@dataclass
class Watch:
    """What a page did: console errors, uncaught exceptions, every request, and those blocked as off-origin."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


@pytest.fixture
def page(browser: Browser, site: Served) -> Iterator[tuple[Page, Watch]]:
    """A fresh page that records errors and requests, and aborts anything not on the local server."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    watch = Watch()

    def route(route: Route) -> None:
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            watch.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and watch.errors.append(message.text))
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: watch.requests.append(request.url))
    yield page, watch
    context.close()


def figure_ids(html: Path) -> list[str]:
    """The chart figure ids in a built page, in order."""
    return re.findall(r'<figure class="vl-figure" id="([^"]+)"', html.read_text(encoding="utf-8"))


def assert_charts_drawn(page: Page, expected: list[str]) -> None:
    """The page shows exactly the expected figures, each drawn by vega-embed into an svg or canvas."""
    assert expected, "a chart page without charts"
    page.wait_for_function(CHARTS_SETTLED, arg=expected)
    states = page.eval_on_selector_all(
        ".vl-figure",
        "figures => figures.map(f => [f.id, f.dataset.drawn, !!f.querySelector('.vl-target svg, .vl-target canvas')])",
    )
    assert states == [[name, "yes", True] for name in expected]


def assert_clean(watch: Watch, site: Served) -> None:
    """Every request went to the local server, nothing was blocked, and the console shows no errors."""
    assert watch.requests, "no requests recorded at all"
    foreign = [url for url in watch.requests if not url.startswith(site.url + "/")]
    assert foreign == []
    assert watch.blocked == []
    assert watch.errors == []


@pytest.mark.parametrize("name", CHART_PAGES)
def test_charts_draw_without_errors_or_foreign_requests(page: tuple[Page, Watch], site: Served, name: str) -> None:
    """Every chart on the page is drawn by vega-embed, with a clean console and only local requests."""
    tab, watch = page
    tab.goto(f"{site.url}/{name}", wait_until="load")
    assert_charts_drawn(tab, figure_ids(site.root / name))
    assert_clean(watch, site)


def test_instant_navigation_draws_charts(page: tuple[Page, Watch], site: Served) -> None:
    """Clicking to Accuracy swaps the page in place (no reload) and its charts still draw."""
    tab, watch = page
    tab.goto(f"{site.url}/index.html", wait_until="load")
    assert_charts_drawn(tab, figure_ids(site.root / "index.html"))
    tab.evaluate("window.__sameDocument = true")
    # Instant navigation rewrites nav hrefs to absolute URLs, so find the link by its text.
    tab.locator(".md-nav--primary").get_by_role("link", name="Accuracy", exact=True).click()
    tab.wait_for_url(f"{site.url}/accuracy.html")
    assert_charts_drawn(tab, figure_ids(site.root / "accuracy.html"))
    assert tab.evaluate("window.__sameDocument === true"), "the click reloaded the page instead of swapping it"
    assert_clean(watch, site)


def test_static_fallback_without_javascript(browser: Browser, site: Served) -> None:
    """With scripts off, every chart on the overview shows its static SVG image, and the image loads."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tab = context.new_page()
        tab.goto(f"{site.url}/index.html", wait_until="load")
        expected = figure_ids(site.root / "index.html")
        assert expected, "the overview has no charts"
        images = tab.eval_on_selector_all(
            ".vl-figure",
            "figures => figures.map(f => { const img = f.querySelector('.vl-target img');"
            " return [f.id, !!img && img.complete && img.naturalWidth > 0]; })",
        )
        assert images == [[name, True] for name in expected]
    finally:
        context.close()


def test_every_chart_on_every_page_draws(page: tuple[Page, Watch], site: Served) -> None:
    """Every other page with charts (statistics, variants, trade-offs, training, coverage, drill-downs) draws them."""
    tab, watch = page
    pages = sorted(
        p.relative_to(site.root).as_posix()
        for p in site.root.rglob("*.html")
        if figure_ids(p) and p.relative_to(site.root).as_posix() not in CHART_PAGES
    )
    assert pages, "no further page with charts"
    for name in pages:
        tab.goto(f"{site.url}/{name}", wait_until="load")
        assert_charts_drawn(tab, figure_ids(site.root / name))
    assert_clean(watch, site)
