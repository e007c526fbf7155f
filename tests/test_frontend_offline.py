"""Offline: with every host but the local server unreachable, the site is fully usable — pages, charts, sortable
tables and search — and uses no web fonts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import serve
from tests.frontend import site_path, tab, wait_drawn
from tests.test_browser import Served, assert_clean

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


def test_search_and_charts_work_with_no_network_but_the_local_server(browser: Browser, site: Served) -> None:
    # tab() aborts, and records, every request to another host: the internet is off.
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/data.html", wait_until="load")
        # A heading of the Overview, as built (the page's wording may change).
        heading = re.search(r'<h2 id="[^"]+">([^<]+)', (site.root / "index.html").read_text(encoding="utf-8"))
        assert heading is not None
        # Typed key by key, as a reader does: Material reads the query on key events, which fill() does not send
        # (on a loaded machine the worker is not ready yet when the value lands, and the query was never run).
        search = page.get_by_role("textbox", name="Search")
        search.click()
        search.press_sequentially(heading.group(1).lower())
        overview = page.locator('.md-search-result__link[href*="index.html"]').first
        overview.wait_for()
        assert page.locator(".md-search-result__item").count() >= 1
        assert "search/search_index.json" in {site_path(site, url) for url in watch.requests}
        # Following a result works and the charts of the page it leads to draw.
        overview.click()
        page.wait_for_url(f"{site.url}/index.html*")
        wait_drawn(page, site.root / "index.html")
        page.locator("article table thead th").nth(3).click()
        assert page.locator("article table thead th").nth(3).get_attribute("aria-sort") == "ascending"
        assert_clean(watch, site)


def test_no_web_fonts(browser: Browser, site: Served) -> None:
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        assert page.evaluate("[...document.fonts].map(f => f.family)") == []
        family = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "Roboto" not in family and "sans-serif" in family
        assert not [u for u in watch.requests if u.endswith((".woff", ".woff2", ".ttf", ".otf"))]
        assert_clean(watch, site)
