"""Tables that fit: on a 1400 px screen every column of the report pages' tables is in view without scrolling
sideways (the columns a reader comes for included: suite score, p, verdict, delta); on a 390 px phone a wide table
scrolls inside its own box with its first column staying put."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import serve
from tests.frontend import tab
from tests.test_browser import Served

pytestmark = pytest.mark.browser

# The report pages whose tables must fit; Data quality's lists of file paths may scroll.
REPORT_PAGES = ["index", "accuracy", "statistics", "efficiency", "variants", "reproduction", "tradeoffs", "training"]
KEY_COLUMNS = {
    "accuracy": ["GLUE score", "Difference to − from (points)", "Paired test (Holm)"],
    "statistics": ["Difference (points)", "p (Holm)", "Verdict"],
    "index": ["GLUE score", "Score per second", "Healthy runs only"],
}
# Per table: its caption, and the header cells whose right edge lies beyond the table's scroll box.
CUT_OFF = """() => [...document.querySelectorAll('article table')].map(t => {
    const box = t.closest('.md-typeset__scrollwrap') || t.parentElement;
    const right = box.getBoundingClientRect().right;
    return {
        caption: t.caption ? t.caption.textContent.slice(0, 60) : '',
        headers: [...t.tHead.rows[0].cells].map(th => th.textContent),
        hidden: [...t.tHead.rows[0].cells].filter(th => th.getBoundingClientRect().right > right + 1)
            .map(th => th.textContent),
    };
})"""


@pytest.fixture(scope="module")
def site(bundled_site: Path) -> Iterator[Served]:
    with serve(bundled_site) as url:
        yield Served(bundled_site, url)


def test_every_column_is_in_view_at_1400_px(browser: Browser, site: Served) -> None:
    cut: list[tuple[str, str, list[str]]] = []
    seen: dict[str, set[str]] = {}
    with tab(browser, site, viewport={"width": 1400, "height": 900}) as (page, _):
        for name in REPORT_PAGES:
            page.goto(f"{site.url}/{name}.html", wait_until="load")
            tables = page.evaluate(CUT_OFF)
            assert tables, name
            seen[name] = {h for t in tables for h in t["headers"]}
            cut += [(name, t["caption"], t["hidden"]) for t in tables if t["hidden"]]
    assert cut == []
    for name, headers in KEY_COLUMNS.items():
        assert set(headers) <= seen[name], (name, set(headers) - seen[name])


def test_a_wide_table_scrolls_in_its_box_with_the_first_column_in_place_at_390_px(
    browser: Browser, site: Served
) -> None:
    with tab(browser, site, viewport={"width": 390, "height": 800}) as (page, _):
        page.goto(f"{site.url}/accuracy.html", wait_until="load")
        table = page.locator("article table").first
        box = table.locator("xpath=ancestor::div[contains(@class, 'md-typeset__scrollwrap')]")
        widths = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert widths[0] > widths[1] + 200, widths  # it is wide, and scrolls
        # The page itself does not scroll sideways: only the table's box does.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        before = table.locator("tbody tr").first.locator("td").nth(1).bounding_box()
        box.evaluate("b => { b.scrollLeft = 300; }")
        first = table.locator("tbody tr").first.locator("td").first.bounding_box()
        second = table.locator("tbody tr").first.locator("td").nth(1).bounding_box()
        edge = box.bounding_box()
        assert first is not None and second is not None and edge is not None and before is not None
        assert abs(first["x"] - edge["x"]) <= 1  # the family column stays at the box's left edge
        assert second["x"] < before["x"] - 200  # while the rest moved
