"""Any screen: at 390 px no page scrolls sideways (only wide tables and charts, inside their own boxes); charts
resize with their container; printing shows the static SVG of every chart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import serve
from tests.frontend import artifact, chart_pages, pages, site_path, tab, wait_drawn
from tests.test_browser import Served, assert_clean

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Elements reaching past the right edge of the viewport that are not inside a box allowed to scroll sideways.
OVERFLOWING = """width => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
    .filter(e => !e.closest('.md-typeset__scrollwrap, .vl-chart'))
    .map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className : ''))"""
# Per figure: whether its spec fills the container, the drawn SVG's width and the width of its box.
WIDTHS = """() => [...document.querySelectorAll('.vl-figure')].map(f => [
    f.id, f.querySelector('.vl-view svg').getBoundingClientRect().width, f.querySelector('.vl-chart').clientWidth,
])"""


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


def container_charts(site: Served, name: str) -> set[str]:
    """Ids of the page's charts whose spec fills its container (single and layered views)."""
    html = (site.root / name).read_text(encoding="utf-8")
    ids = set()
    for spec_path in sorted((site.root / "charts").glob("*.vl.json")):
        chart = spec_path.name.removesuffix(".vl.json")
        if f'id="chart-{chart}"' in html and json.loads(spec_path.read_text()).get("width") == "container":
            ids.add(f"chart-{chart}")
    return ids


def test_no_page_scrolls_sideways_on_a_phone(browser: Browser, site: Served) -> None:
    with tab(browser, site, viewport=PHONE, is_mobile=True, has_touch=True) as (page, watch):
        for name in pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            wait_drawn(page, site.root / name)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
            assert page.evaluate(OVERFLOWING, PHONE["width"]) == [], name
            fitted = container_charts(site, name)
            for chart, drawn, box in page.evaluate(WIDTHS):
                if chart in fitted:
                    assert drawn <= box + 1, (name, chart)
            if name == "index.html":
                page.screenshot(path=artifact(f"overview-390px-{site.root.parent.name}.png"), full_page=True)
        assert_clean(watch, site)


def test_charts_resize_with_their_container(browser: Browser, site: Served) -> None:
    resized = 0
    with tab(browser, site, viewport={"width": 1280, "height": 900}) as (page, _):
        for name in chart_pages(site.root):
            fitted = container_charts(site, name)
            if not fitted:
                continue  # only fixed-width (faceted or concatenated) charts, which scroll in their box instead
            page.goto(f"{site.url}/{name}", wait_until="load")
            wait_drawn(page, site.root / name)
            wide = {chart: (drawn, box) for chart, drawn, box in page.evaluate(WIDTHS)}
            page.set_viewport_size(PHONE)
            page.wait_for_function(
                f"() => ({WIDTHS})().every(([id, drawn, box]) => !{json.dumps(sorted(fitted))}.includes(id)"
                " || drawn <= box + 1)"
            )
            narrow = {chart: (drawn, box) for chart, drawn, box in page.evaluate(WIDTHS)}
            page.set_viewport_size({"width": 1280, "height": 900})
            for chart in fitted:
                # Filled its box on a wide screen, and shrank with it on a narrow one.
                assert abs(wide[chart][0] - wide[chart][1]) <= 1, (name, chart)
                assert narrow[chart][0] < wide[chart][0] - 200, (name, chart)
                resized += 1
    assert resized >= 8


def test_printing_shows_the_static_svg_charts(browser: Browser, site: Served) -> None:
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        count = wait_drawn(page, site.root / "index.html")
        # On screen, the drawn charts are shown and their static images are not even fetched.
        assert not [u for u in watch.requests if (site_path(site, u) or "").endswith(".svg")]
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.emulate_media(media="print")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.vl-static')].every(i => i.complete && i.naturalWidth > 0)"
        )
        shown = page.eval_on_selector_all(
            ".vl-figure",
            """figures => figures.map(f => [f.id, getComputedStyle(f.querySelector('.vl-view')).display,
                getComputedStyle(f.querySelector('.vl-static')).display,
                new URL(f.querySelector('.vl-static').src).pathname])""",
        )
        assert shown == [[f, "none", "block", f"/charts/{f.removeprefix('chart-')}.svg"] for f, *_ in shown]
        assert len(shown) == count
        page.pdf(path=artifact(f"overview-print-{site.root.parent.name}.pdf"))
        assert_clean(watch, site)
