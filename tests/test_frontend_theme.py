"""Light and dark: charts follow Material's palette toggle, redrawn in place without a reload, readable on the
page's own background; screenshots of the Overview in both schemes are kept in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from gen.charts import PALETTE
from tests.conftest import serve
from tests.frontend import artifact, tab, toggle_scheme, wait_drawn
from tests.test_browser import Served, assert_clean
from tests.test_frontend_render import contrast, linear

pytestmark = pytest.mark.browser

# Colours a drawn chart uses for its axis labels, and what shows behind it (the chart's own or the page's).
CHART_COLOURS = """() => [...document.querySelectorAll('.vl-figure')].map(f => {
    const svg = f.querySelector('.vl-view svg');
    const label = svg.querySelector('.role-axis-label text');
    let behind = getComputedStyle(svg).backgroundColor;
    for (let e = svg; behind === 'rgba(0, 0, 0, 0)' && e; e = e.parentElement) {
        behind = getComputedStyle(e).backgroundColor;
    }
    return [f.id, label.getAttribute('fill'), behind];
})"""


@pytest.fixture(scope="module")
def site(bundled_site: Path) -> Iterator[Served]:
    """The bundled site, served on 127.0.0.1."""
    with serve(bundled_site) as url:
        yield Served(bundled_site, url)


def rgb(css: str) -> list[float]:
    """A CSS colour as Chromium reports it (``rgb(r, g, b)``, ``#rrggbb`` or a few names) in linear RGB."""
    named = {"black": "#000000", "white": "#ffffff"}
    css = named.get(css, css)
    if css.startswith("#"):
        if len(css) == 4:
            css = "#" + "".join(c * 2 for c in css[1:])
        return linear(css)
    channels = [int(float(v)) for v in re.findall(r"[\d.]+", css)[:3]]
    return linear("#" + "".join(f"{c:02x}" for c in channels))


def chart_colours(page: Page) -> list[tuple[str, str, float]]:
    """Each chart's id, its axis label colour, and the contrast of its axis labels with what is behind them."""
    return [(name, label, contrast(rgb(label), rgb(behind))) for name, label, behind in page.evaluate(CHART_COLOURS)]


def test_charts_follow_the_palette_toggle_without_reload(browser: Browser, site: Served) -> None:
    with tab(browser, site, viewport={"width": 1280, "height": 900}) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        assert wait_drawn(page, site.root / "index.html", "light") == 4
        light = chart_colours(page)
        page.screenshot(path=artifact("overview-light.png"), full_page=True)
        page.evaluate("window.__sameDocument = true")

        toggle_scheme(page)
        assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
        wait_drawn(page, site.root / "index.html", "dark")
        dark = chart_colours(page)
        page.screenshot(path=artifact("overview-dark.png"), full_page=True)
        assert page.evaluate("window.__sameDocument === true"), "switching schemes reloaded the page"
        print(f"\nscreenshots: {artifact('overview-light.png')} {artifact('overview-dark.png')}")

        # Readable in both schemes, and really redrawn: every chart's labels changed colour with the background.
        assert [name for name, _, _ in dark] == [name for name, _, _ in light]
        assert min(ratio for _, _, ratio in light + dark) >= 4.5
        assert all(a != b for (_, a, _), (_, b, _) in zip(light, dark, strict=True))

        toggle_scheme(page)
        wait_drawn(page, site.root / "index.html", "light")
        assert chart_colours(page) == light
        assert_clean(watch, site)


def test_a_page_opened_in_the_dark_scheme_draws_dark_charts(browser: Browser, site: Served) -> None:
    """The scheme survives instant navigation, and charts of the new page are drawn dark from the start."""
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        wait_drawn(page, site.root / "index.html", "light")
        toggle_scheme(page)
        wait_drawn(page, site.root / "index.html", "dark")
        page.locator(".md-nav--primary").get_by_role("link", name="Accuracy", exact=True).click()
        page.wait_for_url(f"{site.url}/accuracy.html")
        assert wait_drawn(page, site.root / "accuracy.html", "dark") >= 2
        assert min(ratio for _, _, ratio in chart_colours(page)) >= 4.5
        assert_clean(watch, site)


def test_strategy_colours_stand_out_from_the_dark_page(browser: Browser, site: Served) -> None:
    """The first four strategy colours keep 3:1 contrast against the dark scheme's real page background."""
    with tab(browser, site, color_scheme="dark") as (page, _):
        page.goto(f"{site.url}/index.html", wait_until="load")
        assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
        background = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        assert min(contrast(linear(c), background) for c in PALETTE[:4]) >= 3
