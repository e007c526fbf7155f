"""Tables in the browser: sortable by value, numbers right-aligned at one precision per column, the header stays in
view while a long table scrolls, wide tables scroll sideways in their own box, the best value per column marked."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import serve
from tests.frontend import pages, tab
from tests.test_browser import Served, assert_clean

pytestmark = pytest.mark.browser

# Per table: per header cell its label, text-align, sort method and best direction; per body row each cell's
# text, text-align, sort value and whether it is marked best.
TABLES = """() => [...document.querySelectorAll('article table')].map(t => ({
    caption: t.caption ? t.caption.textContent : '',
    headers: [...t.tHead.rows[0].cells].map(th => ({
        label: th.textContent, align: getComputedStyle(th).textAlign,
        method: th.dataset.sortMethod || null, best: th.dataset.best || null, numeric: th.classList.contains('num'),
    })),
    rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(td => ({
        text: td.textContent, align: getComputedStyle(td).textAlign,
        sort: td.dataset.sort === undefined ? null : Number(td.dataset.sort), best: td.classList.contains('best'),
    }))),
}))"""
NUMBER = re.compile(r"-?[\d,]*\.?\d+(?:e[+-]?\d+)?")


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


def sort_value(cell: dict[str, object]) -> float:
    """What a numeric cell sorts by: its exact value, else its text's leading number; missing is lowest."""
    if cell["sort"] is not None:
        return float(str(cell["sort"]))
    match = NUMBER.search(str(cell["text"]))
    return float(match.group(0).replace(",", "")) if match else -math.inf


def column(page: Page, table: int, index: int) -> list[dict[str, object]]:
    rows = page.evaluate(TABLES)[table]["rows"]
    return [row[index] for row in rows]


def test_columns_sort_by_value_both_ways_and_text_alphabetically(browser: Browser, site: Served) -> None:
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        headers = page.locator("article table").first.locator("thead th")
        first = page.evaluate(TABLES)[0]
        numeric = [i for i, h in enumerate(first["headers"]) if h["method"] == "value"]
        assert len(numeric) >= 5
        reordered = 0
        for index in numeric:
            before = [sort_value(c) for c in column(page, 0, index)]
            headers.nth(index).click()
            assert headers.nth(index).get_attribute("aria-sort") == "ascending"
            ascending = [sort_value(c) for c in column(page, 0, index)]
            assert ascending == sorted(before)
            headers.nth(index).press("Enter")  # sortable from the keyboard too
            assert headers.nth(index).get_attribute("aria-sort") == "descending"
            assert [sort_value(c) for c in column(page, 0, index)] == sorted(before, reverse=True)
            reordered += before != ascending
        assert reordered >= 3, "sorting never changed the row order: the test proves nothing"
        model = [h["label"] for h in first["headers"]].index("Model")
        headers.nth(model).click()
        names = [str(c["text"]).lower() for c in column(page, 0, model)]
        assert names == sorted(names)
        assert_clean(watch, site)


def precision(text: str) -> tuple[int, int | None]:
    """Decimals and significant digits of the first number in a cell (None for zero, which fits any)."""
    number = NUMBER.search(text)
    assert number is not None, text
    mantissa = number.group(0).replace(",", "").lstrip("-").split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    digits = mantissa.replace(".", "").lstrip("0")
    return decimals, len(digits) or None


def test_numbers_are_right_aligned_at_one_precision_per_column(browser: Browser, site: Served) -> None:
    checked, misaligned, mixed = 0, [], []
    with tab(browser, site) as (page, _):
        for name in pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            for table in page.evaluate(TABLES):
                for index, header in enumerate(table["headers"]):
                    if not header["numeric"]:
                        continue
                    cells = [row[index] for row in table["rows"]]
                    if {header["align"], *(c["align"] for c in cells)} != {"right"}:
                        misaligned.append((name, header["label"]))
                    shown = [precision(str(c["text"])) for c in cells if NUMBER.search(str(c["text"]))]
                    decimals = {d for d, _ in shown}
                    digits = {s for _, s in shown if s is not None}
                    if len(decimals) > 1 and len(digits) > 1:
                        mixed.append((name, header["label"], [str(c["text"]) for c in cells][:6]))
                    checked += len(shown)
    assert checked >= 50
    assert misaligned == []
    assert mixed == [], "columns mixing precisions (neither one number of decimals nor of significant digits)"


def test_long_tables_keep_their_header_in_view(browser: Browser, site: Served) -> None:
    stuck = 0
    with tab(browser, site, viewport={"width": 1280, "height": 400}) as (page, _):
        for name in pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            # Per scroll box that scrolls vertically: where its header row starts, how far the box scrolled to its
            # end, and where the header row is then (all relative to the box's top).
            positions = page.eval_on_selector_all(
                ".md-typeset__scrollwrap",
                """boxes => boxes.filter(b => b.scrollHeight > b.clientHeight + 1).map(b => {
                    const th = b.querySelector('thead th');
                    const top = () => th.getBoundingClientRect().top - b.getBoundingClientRect().top;
                    const start = top();
                    b.scrollTop = b.scrollHeight;
                    return [start, b.scrollTop, top()];
                })""",
            )
            for start, scrolled, now in positions:
                # Without sticking, the header would be at start - scrolled (above the box once that is negative).
                assert abs(now - max(0, start - scrolled)) <= 1, name
                stuck += start - scrolled < -1
    assert stuck >= 1, "no table was long enough for its header to stick: the test proves nothing"


def test_wide_tables_scroll_sideways_in_a_keyboard_reachable_box(browser: Browser, site: Served) -> None:
    with tab(browser, site, viewport={"width": 390, "height": 800}) as (page, _):
        page.goto(f"{site.url}/index.html", wait_until="load")
        box = page.locator(".md-typeset__scrollwrap").first
        caption = page.locator("article table caption").first.text_content()
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the Overview table fits at 390 px"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert (box.get_attribute("tabindex"), box.get_attribute("role")) == ("0", "region")
        assert box.get_attribute("aria-label") == caption
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("b => b.scrollLeft > 0", arg=box.element_handle())


def test_the_best_value_of_marked_columns_is_marked(browser: Browser, site: Served) -> None:
    marked = 0
    with tab(browser, site) as (page, _):
        for name in pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            for table in page.evaluate(TABLES):
                for index, header in enumerate(table["headers"]):
                    cells = [row[index] for row in table["rows"]]
                    flags = [bool(c["best"]) for c in cells]
                    if header["best"] is None:
                        assert not any(flags), (name, header["label"])
                        continue
                    values = [c["sort"] for c in cells]
                    present = [float(str(v)) for v in values if v is not None]
                    best = max(present) if header["best"] == "max" else min(present)
                    assert flags == [v is not None and float(str(v)) == best for v in values], (name, header["label"])
                    assert all(str(c["text"]).endswith(" (best)") for c in cells if c["best"])
                    marked += 1
            if name == "index.html":
                assert marked >= 5, "the Overview marks no best values (Col(best=...) in gen/pages/overview.py)"
