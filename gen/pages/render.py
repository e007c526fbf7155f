"""HTML/markdown building blocks: escaped tables, chart figures, number formats, relative links."""

from __future__ import annotations

import html
import math
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gen.charts import Chart

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


def missing(value: object) -> bool:
    """True for None / NaN / NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def text(value: Any) -> str:
    """Formatter for data strings inside tables (escaped)."""
    return "—" if missing(value) else esc(value)


def num(digits: int, suffix: str = "") -> Callable[[Any], str]:
    """Formatter with a fixed number of decimals; an em dash for missing values."""

    def fmt(value: Any) -> str:
        return "—" if missing(value) else f"{float(value):,.{digits}f}{suffix}"

    return fmt


def pct(digits: int = 1) -> Callable[[Any], str]:
    """A fraction as a percentage."""

    def fmt(value: Any) -> str:
        return "—" if missing(value) else f"{100 * float(value):.{digits}f}%"

    return fmt


def ratio(digits: int = 2) -> Callable[[Any], str]:
    """A ratio such as a speed-up, as ``1.37×``."""

    def fmt(value: Any) -> str:
        return "—" if missing(value) else f"{float(value):.{digits}f}×"

    return fmt


def sig(value: Any) -> str:
    """Four significant digits, for quantities that span orders of magnitude."""
    if missing(value):
        return "—"
    number = float(value)
    if number != 0 and (abs(number) >= 1e6 or abs(number) < 1e-3):
        return f"{number:.3e}"
    if math.isclose(number, round(number)):
        return f"{number:,.0f}"
    return f"{number:,.4g}"


@dataclass(frozen=True)
class Col:
    """A table column: frame key, header, cell formatter, numeric (right-aligned) or not."""

    key: str
    label: str
    fmt: Callable[[Any], str] = text
    numeric: bool = False
    title: str = ""


@dataclass
class Page:
    """A generated page: its path, markdown, and the charts it shows."""

    path: str
    markdown: str
    charts: list[Chart] = field(default_factory=list)


def _th(column: Col) -> str:
    attrs = ' class="num"' if column.numeric else ""
    attrs += f' title="{esc(column.title)}"' if column.title else ""
    return f'<th scope="col"{attrs}>{esc(column.label)}</th>'


def _td(column: Col, value: Any) -> str:
    attrs = ' class="num"' if column.numeric else ""
    return f"<td{attrs}>{column.fmt(value)}</td>"


def html_table(frame: pd.DataFrame, columns: Sequence[Col], caption: str) -> str:
    """An escaped HTML table (no markdown involved, so no cell can break its row)."""
    head = "".join(_th(c) for c in columns)
    body = "".join(
        "<tr>" + "".join(_td(c, record[c.key]) for c in columns) + "</tr>" for record in frame.to_dict("records")
    )
    return (
        '<div class="md-typeset__scrollwrap"><div class="md-typeset__table"><table>'
        f"<caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div></div>"
    )


def rel(page_path: str, target: str) -> str:
    """Link from a page (``a/b.md``) to a site file (``charts/x.svg``)."""
    return posixpath.relpath(target, posixpath.dirname(page_path) or ".")


def chart_block(chart: Chart, page_path: str) -> str:
    """A chart: drawn by vega-embed from its spec file, the static SVG until then (or without scripts).

    The spec is fetched rather than inlined: Material's instant navigation re-runs every <script> of a new page
    as JavaScript, JSON blocks included, and the page stays light however much data a chart holds.
    """
    base = rel(page_path, f"charts/{chart.name}")
    description = esc(chart.description)
    return (
        f'<figure class="vl-figure" id="chart-{chart.name}">'
        f'<div class="vl-chart" role="img" aria-label="{description}" data-spec="{base}.vl.json">'
        f'<div class="vl-target"><img src="{base}.svg" alt="{description}"></div></div>'
        f"<figcaption>{esc(chart.title)} · "
        f'<a href="{base}.svg" download>SVG</a> · <a href="{base}.png" download>PNG</a> · '
        f'<a href="{base}.vl.json" download>Vega-Lite JSON</a></figcaption></figure>'
    )


def download_link(page_path: str, name: str) -> str:
    """A link to a file under downloads/."""
    return f'<a href="{rel(page_path, "downloads/" + name)}" download>{esc(name)}</a>'


def download_links(page_path: str, names: Sequence[str]) -> str:
    """A line of download links to files under downloads/."""
    return f'<p class="downloads">Download: {" · ".join(download_link(page_path, n) for n in names)}</p>'


def raw(value: Any) -> str:
    """Formatter for cells the page already built from escaped parts."""
    return str(value)


def covered_score(frame: pd.DataFrame, labels: dict[str, str], digits: int = 4) -> tuple[list[str], str]:
    """GLUE score cells with a † on averages over fewer columns than their neighbours, and the footnote."""
    cells, partial = [], []
    for score, complete, columns in zip(frame["glue_score"], frame["complete"], frame["columns"], strict=True):
        value = num(digits)(score)
        if missing(complete) or bool(complete):
            cells.append(value)
            continue
        covered = ", ".join(labels.get(c, c) for c in str(columns).split())
        partial.append(covered)
        cells.append(f'{value}<sup title="covers {esc(covered)}">†</sup>')
    note = ""
    if partial:
        covers = "; ".join(esc(p) for p in dict.fromkeys(partial))
        note = (
            '<p class="coverage-note">† Average over fewer tasks than other rows, so not directly comparable. '
            f"It covers: {covers}. Comparisons between strategies use only the tasks both have.</p>"
        )
    return cells, note
