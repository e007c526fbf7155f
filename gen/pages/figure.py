"""Page pieces that need no data libraries: escaping, relative links, chart figures, the fence generated tables go in
and their hiding from search.

Kept light on purpose: a rebuild with unchanged inputs replays the cached pages and expands hand-written pages'
embeds with this module alone, without importing pandas or Altair.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from typing import Protocol

_MARKUP_ENTITIES = (
    ("[", "&#91;"),
    ("]", "&#93;"),
    ("`", "&#96;"),
    ("*", "&#42;"),
    ("_", "&#95;"),
    ("{", "&#123;"),
    ("}", "&#125;"),
    ("|", "&#124;"),
    ("\\", "&#92;"),
)


def esc(value: object) -> str:
    """Text from data, safe in HTML and inert in markdown and template engines."""
    escaped = html.escape(str(value), quote=True)
    for char, entity in _MARKUP_ENTITIES:
        escaped = escaped.replace(char, entity)
    return escaped


def title_attr(value: object) -> str:
    """Text from data for a ``title`` attribute. Material's tooltips (content.tooltips) put an element's title into
    the page as HTML, so the text is escaped twice: once for the attribute, once for the tooltip."""
    return esc(esc(value))


class Figure(Protocol):
    """What a chart figure shows besides its files: a name (file stem), title and text description."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class FigureRef:
    """A chart by its name, title and description only (what embedding it in a page needs)."""

    name: str
    title: str
    description: str


def rel(page_path: str, target: str) -> str:
    """Link from a page (``a/b.md``) to a site file (``charts/x.svg``)."""
    return posixpath.relpath(target, posixpath.dirname(page_path) or ".")


def chart_block(chart: Figure, page_path: str) -> str:
    """A chart: drawn by vega-embed from its spec file, the static SVG without scripts and in print.

    The spec is fetched rather than inlined: Material's instant navigation re-runs every <script> of a new page
    as JavaScript, JSON blocks included, and the page stays light however much data a chart holds. With scripts,
    javascripts/charts.js adds the static image (``data-static``) lazily, so it is fetched only to print.
    """
    base = rel(page_path, f"charts/{chart.name}")
    description = esc(chart.description)
    return (
        f'<figure class="vl-figure" id="chart-{chart.name}">'
        f'<div class="vl-chart" role="img" aria-label="{description}" data-spec="{base}.vl.json" '
        f'data-static="{base}.svg">'
        f'<div class="vl-target"><noscript><img class="vl-static" src="{base}.svg" alt="{description}"></noscript>'
        "</div></div>"
        f"<figcaption>{esc(chart.title)} · "
        f'Data: <a href="{base}.csv" download>CSV table</a> · '
        f'<a href="{base}.svg" download>SVG</a> · <a href="{base}.png" download>PNG</a> · '
        f'<a href="{base}.vl.json" download>Vega-Lite JSON</a></figcaption></figure>'
    )


# The fence generated pages put their HTML tables in (pymdownx.superfences, configured by
# gen/hooks.py): its content goes into the page as it is. Left as raw HTML, Python-Markdown parses every tag of
# it to find where the block ends: over a quarter of MkDocs' time on the real data's pages, 0.26 s a build.
HTML_FENCE = "gen-html"


def fenced_html(markdown: str) -> str:
    """A generated page's markdown with each HTML table that Markdown reads as a raw HTML block (one whole line after
    a blank one) fenced instead, a blank line after it as after the raw block: the page shows the same HTML.

    Tables only: they hold the tags, and no ids. Markdown collects the ids of raw HTML for MkDocs' anchor check, so
    a chart figure's id (a link target) would go unseen in a fence.
    """
    lines = markdown.split("\n")
    fenced: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("<table") and line.endswith("</table>") and (index == 0 or not lines[index - 1].strip()):
            fenced += [f"```{HTML_FENCE}", line, "```", ""]
        else:
            fenced.append(line)
    return "\n".join(fenced)


def html_block(source: str, language: str, class_name: str, options: object, md: object, **kwargs: object) -> str:
    """pymdownx.superfences' formatter of HTML_FENCE: the HTML as it is."""
    return source


# A generated table (gen.pages.render.html_table: one line, caption first); tables written in markdown span lines.
_GENERATED_TABLE = re.compile(r"<table><caption>(.*?)</caption>.*?</table>")
HiddenTables = list[tuple[str, str]]


def hide_tables(html_text: str) -> tuple[str, HiddenTables]:
    """A page's HTML with each generated table replaced by a paragraph of its caption, and (placeholder, table) to
    put them back (``restore_tables``).

    For Material's search plugin, which parses every tag of a page into its index: a generated table's cells came
    out glued into one word each ("BERT-baseFFTLoRA-3.22not"), which no search matches, and parsing them was a
    quarter of MkDocs' build. The caption says what the table holds, and is what search finds.
    """
    hidden: HiddenTables = []

    def hide(found: re.Match[str]) -> str:
        placeholder = f'<p data-gen-table="{len(hidden)}">{found[1]}</p>'
        hidden.append((placeholder, found[0]))
        return placeholder

    return _GENERATED_TABLE.sub(hide, html_text), hidden


def restore_tables(html_text: str, hidden: HiddenTables) -> str:
    """The HTML ``hide_tables`` was given back; ValueError when a table's placeholder is no longer in it (something
    between the two changed the page: the table would be lost)."""
    for placeholder, table in hidden:
        if placeholder not in html_text:
            raise ValueError(f"generated table {placeholder} was changed before it could be put back")
        html_text = html_text.replace(placeholder, table, 1)
    return html_text
