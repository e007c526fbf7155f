"""Charts in the browser: legible on a 390 px phone (no text below 9 px, nothing shrunk to fit, panels reflowed
into the box) and in both colour schemes (legend, axis, header and title text with enough contrast on the page's
own background, legend symbols opaque and visible). One page of each type is checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser

from tests.conftest import REAL_CONFIG, serve
from tests.frontend import artifact, chart_pages, page_types, tab, wait_drawn
from tests.test_browser import Served, assert_clean
from tests.test_frontend_render import contrast
from tests.test_frontend_theme import rgb

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Smallest rendered text (CSS px) a chart may show: its font size times every scale between the SVG and the screen.
MIN_TEXT_PX = 9
# Per figure: [id, [[text, rendered px], ...], drawn SVG width, width of the figure's box].
TEXT_SIZES = """() => [...document.querySelectorAll('.vl-figure')].map(f => {
    const svg = f.querySelector('.vl-view svg');
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && t.getClientRects().length);
    return [f.id, texts.map(t => {
        const m = t.getScreenCTM();
        return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
    }), svg.getBoundingClientRect().width, f.querySelector('.vl-chart').clientWidth];
})"""
# Per figure: the guide texts (legend, axis, header, title: not labels drawn on a heatmap cell) with their fill,
# and the legend symbols with their fill, stroke and opacities.
GUIDES = """() => [...document.querySelectorAll('.vl-figure')].map(f => {
    const svg = f.querySelector('.vl-view svg');
    const texts = [...svg.querySelectorAll('text')]
        .filter(t => t.textContent.trim() && !t.closest('g.role-mark'))
        .map(t => [t.closest('g[class*=role-]').getAttribute('class'), t.textContent, getComputedStyle(t).fill]);
    const symbols = [...svg.querySelectorAll('.role-legend-symbol path')].map(p => {
        const s = getComputedStyle(p);
        return [s.fill, s.stroke, parseFloat(s.fillOpacity) * parseFloat(s.opacity),
                parseFloat(s.strokeOpacity) * parseFloat(s.opacity)];
    });
    return [f.id, texts, symbols];
})"""


@pytest.fixture(scope="module")
def site(bundled_site: Path) -> Iterator[Served]:
    """The bundled site (the real study), served on 127.0.0.1."""
    with serve(bundled_site) as url:
        yield Served(bundled_site, url)


def checked_pages(root: Path) -> list[str]:
    """One page of each type that shows charts (Overview, Accuracy, a family's and a task's page, ...)."""
    with_charts = set(chart_pages(root))
    chosen = [name for name in page_types(root) if name in with_charts]
    assert len(chosen) >= 8, chosen
    return chosen


def transparent(css: str) -> bool:
    return css in ("none", "transparent") or css.replace(" ", "").endswith(",0)")


def test_chart_text_stays_legible_on_a_phone(browser: Browser, site: Served) -> None:
    small: list[tuple[str, str, str, float]] = []
    overflowing: list[tuple[str, str, float, float]] = []
    texts = 0
    with tab(browser, site, viewport=PHONE, is_mobile=True, has_touch=True) as (page, watch):
        for name in checked_pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            wait_drawn(page, site.root / name)
            for figure, sizes, drawn, box in page.evaluate(TEXT_SIZES):
                assert sizes, (name, figure)
                texts += len(sizes)
                small += [(name, figure, text, round(px, 1)) for text, px in sizes if px < MIN_TEXT_PX]
                # Reflowed to its box rather than scaled down or cut off at the side.
                if drawn > box + 1:
                    overflowing.append((name, figure, drawn, box))
            if name == "tradeoffs.html":
                page.screenshot(path=artifact("tradeoffs-390px.png"), full_page=True)
        assert_clean(watch, site)
    assert texts > 1000
    assert small == [], small[:10]
    assert overflowing == []


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_legends_axes_and_titles_read_on_the_page_background(browser: Browser, site: Served, scheme: str) -> None:
    weak_text: list[tuple[str, str, str, float]] = []
    weak_symbols: list[tuple[str, str, str, float, float]] = []
    legend_labels = symbols_seen = 0
    with tab(browser, site, viewport=DESKTOP, color_scheme=scheme) as (page, watch):
        for name in checked_pages(site.root):
            page.goto(f"{site.url}/{name}", wait_until="load")
            assert page.evaluate("document.body.dataset.mdColorScheme") == ("slate" if scheme == "dark" else "default")
            wait_drawn(page, site.root / name, scheme)
            background = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
            for figure, texts, legend_symbols in page.evaluate(GUIDES):
                for role, text, fill in texts:
                    legend_labels += "role-legend-label" in role
                    ratio = contrast(rgb(fill), background)
                    if ratio < 4.5:
                        weak_text.append((name, figure, f"{role}: {text}", round(ratio, 2)))
                for fill, stroke, fill_opacity, stroke_opacity in legend_symbols:
                    # What shows of a symbol: its fill, or its outline when it has no fill.
                    shown, opacity = (stroke, stroke_opacity) if transparent(fill) else (fill, fill_opacity)
                    if transparent(shown):
                        continue
                    symbols_seen += 1
                    ratio = contrast(rgb(shown), background)
                    if opacity < 0.9 or ratio < 3:
                        weak_symbols.append((name, figure, shown, opacity, round(ratio, 2)))
            if name == "training.html":
                page.screenshot(path=artifact(f"training-{scheme}.png"), full_page=False)
        assert_clean(watch, site)
    assert legend_labels > 50 and symbols_seen > 50
    assert weak_text == [], weak_text[:10]
    assert weak_symbols == [], weak_symbols[:10]


# Centre of each family's panel header in the first chart of the Training page (panels titled by family).
HEADER_CENTRES = """families => {
    const svg = document.querySelector('.vl-figure .vl-view svg');
    return [...svg.querySelectorAll('text')].filter(t => families.includes(t.textContent))
        .map(t => { const r = t.getBoundingClientRect(); return Math.round(r.left + r.width / 2); });
}"""


def test_panels_reflow_when_the_screen_narrows(browser: Browser, site: Served) -> None:
    # Panels are titled by the families' display names from the config's models: section.
    families = [names["name"] for names in yaml.safe_load(REAL_CONFIG.read_text())["models"].values()]
    with tab(browser, site, viewport=DESKTOP) as (page, watch):
        page.goto(f"{site.url}/training.html", wait_until="load")
        wait_drawn(page, site.root / "training.html")
        wide = page.evaluate(HEADER_CENTRES, families)
        assert len(wide) == 3 and len(set(wide)) == 3, wide  # side by side
        page.set_viewport_size(PHONE)
        # Redrawn one panel per row, one above the other, and the whole chart fits the phone's box.
        page.wait_for_function(f"() => new Set(({HEADER_CENTRES})({families!r})).size === 1")
        figure, sizes, drawn, box = page.evaluate(TEXT_SIZES)[0]
        assert drawn <= box + 1, figure
        assert min(px for _, px in sizes) >= MIN_TEXT_PX
        assert_clean(watch, site)
