"""Accessibility: axe-core finds no serious or critical violation on a page of each type in either scheme; every
chart has a title, a text description that labels it, and a link to its data as a table; every table has a
caption and header cells."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.conftest import serve
from tests.frontend import chart_pages, page_types, pages, tab, toggle_scheme, wait_drawn
from tests.test_browser import Served

SERIOUS = {"serious", "critical"}
# Material's hover/focus tooltips fade in and out after the palette click; caught mid-fade, their text is a blend of
# colours no reader ever sees. Everything else on the page is checked.
NOT_TRANSIENT = {"exclude": [[".md-tooltip"]]}


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


def violations(results: dict[str, object]) -> list[str]:
    """Serious and critical axe violations, one line each with the first offending element."""
    found = results["violations"]
    assert isinstance(found, list)
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['nodes'][0]['html'][:160]} — {v['help']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.mark.browser
def test_axe_finds_no_serious_violation_on_any_page_type_in_either_scheme(browser: Browser, site: Served) -> None:
    axe = Axe()
    checked = []
    with tab(browser, site) as (page, _):
        for name in page_types(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            for scheme in ("light", "dark"):
                wait_drawn(page, site.root / name, scheme)
                results = axe.run(page, context=NOT_TRANSIENT).response
                assert results["passes"], "axe checked nothing"
                assert violations(results) == [], f"{name}, {scheme} scheme"
                checked.append((name, scheme))
                toggle_scheme(page)
            wait_drawn(page, site.root / name, "light")
    assert len(checked) == 2 * len(page_types(site.root)) >= 10


class _Figures(HTMLParser):
    """Each chart figure of a page: its spec, aria-label, caption text and links."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, object]] = []
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "figure" and "vl-figure" in (values.get("class") or ""):
            self.figures.append({"links": {}, "caption": ""})
        elif self.figures and "data-spec" in values:
            self.figures[-1].update(spec=values["data-spec"], label=values.get("aria-label"), role=values.get("role"))
        elif tag == "figcaption" and self.figures:
            self._caption = []
        elif tag == "a" and self._caption is not None:
            self._link = values.get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
            if getattr(self, "_link", None):
                links = self.figures[-1]["links"]
                assert isinstance(links, dict)
                links[data] = self._link
                self._link = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption" and self._caption is not None:
            self.figures[-1]["caption"] = "".join(self._caption)
            self._caption = None


def test_every_chart_has_a_title_a_description_and_its_data_as_a_table(site: Served) -> None:
    checked = 0
    for name in chart_pages(site.root):
        parser = _Figures()
        parser.feed((site.root / name).read_text(encoding="utf-8"))
        assert parser.figures, name
        for figure in parser.figures:
            spec_path = (site.root / name).parent / str(figure["spec"])
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
            assert spec["title"] and spec["description"], spec_path.name
            assert figure["role"] == "img" and figure["label"] == spec["description"]
            assert str(figure["caption"]).startswith(spec["title"] + " · ")
            links = figure["links"]
            assert isinstance(links, dict)
            table = (site.root / name).parent / links["CSV table"]
            assert table.is_file(), f"{table.name} is not written (charts.chart_data in gen/pages/site.py)"
            with table.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            assert rows and len(rows[0]) >= 2, table.name
            checked += 1
    assert checked >= 8


@pytest.mark.browser
def test_drawn_charts_are_labelled_with_their_description(browser: Browser, site: Served) -> None:
    """vega-embed gives the drawn chart the spec's description as its aria-label (Vega's own ARIA output)."""
    with tab(browser, site) as (page, _):
        for name in chart_pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            wait_drawn(page, site.root / name)
            labels = page.eval_on_selector_all(
                ".vl-figure",
                "figures => figures.map(f => [f.querySelector('.vl-view').getAttribute('aria-label'),"
                " f.querySelector('.vl-view').getAttribute('role'), f.querySelector('.vl-chart').dataset.spec])",
            )
            for label, role, spec in labels:
                spec_path = (site.root / name).parent / spec
                description = json.loads(spec_path.read_text(encoding="utf-8"))["description"]
                assert (label, role) == (description, "graphics-document")


class _Tables(HTMLParser):
    """Each table of a page: caption text, header cells (with scope) and the cell count of every body row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list[object]]] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": [], "headers": [], "rows": []})
        elif not self.tables:
            return
        elif tag == "caption":
            self._in = "caption"
        elif tag == "th":
            self.tables[-1]["headers"].append(dict(attrs).get("scope"))
        elif tag == "tbody":
            self._in = "body"
        elif tag == "tr" and self._in == "body":
            self.tables[-1]["rows"].append(0)
        elif tag == "td" and self._in == "body":
            rows = self.tables[-1]["rows"]
            rows[-1] = int(str(rows[-1])) + 1

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.tables[-1]["caption"].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("caption", "tbody"):
            self._in = None


def test_every_table_has_a_caption_and_header_cells(site: Served) -> None:
    count = 0
    for name in pages(site.root):
        parser = _Tables()
        parser.feed((site.root / name).read_text(encoding="utf-8"))
        for table in parser.tables:
            caption = re.sub(r"\s+", " ", "".join(map(str, table["caption"]))).strip()
            assert caption, f"{name}: a table without a caption"
            # Header cells of the header row: column headers, whether scope says so or not.
            assert table["headers"] and set(table["headers"]) <= {"col", None}, (name, caption)
            assert set(table["rows"]) <= {len(table["headers"])}, (name, caption)
            count += 1
    assert count >= 5
