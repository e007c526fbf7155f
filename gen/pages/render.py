"""HTML/markdown building blocks: escaped tables, chart figures, number formats, relative links."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from gen.charts import Chart
from gen.pages.figure import chart_block as chart_block
from gen.pages.figure import esc as esc
from gen.pages.figure import rel as rel
from gen.pages.figure import title_attr


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
    """Four significant digits, trailing zeros kept so a column reads at one precision; e-notation outside
    0.001–9,999 (quantities that span orders of magnitude)."""
    if missing(value):
        return "—"
    number = float(value)
    if number == 0:
        return "0.000"
    if abs(number) >= 1e4 or abs(number) < 1e-3:
        return f"{number:.3e}"
    return f"{number:,.{3 - math.floor(math.log10(abs(number)))}f}"


@dataclass(frozen=True)
class Col:
    """A table column: frame key, header, cell formatter, numeric (right-aligned, sorted as numbers) or not.

    ``best`` marks the highest ("max") or lowest ("min") value of the column; ``value`` names the frame column
    holding the number behind a formatted one (e.g. ``glue_score`` behind ``glue_display``), for sorting and
    for finding the best.
    """

    key: str
    label: str
    fmt: Callable[[Any], str] = text
    numeric: bool = False
    title: str = ""
    best: Literal["max", "min"] | None = None
    value: str | None = None


@dataclass
class Page:
    """A generated page: its path, markdown, and the charts it shows."""

    path: str
    markdown: str
    charts: list[Chart] = field(default_factory=list)


def _number(value: Any) -> float | None:
    """A cell's value as a finite float, or None for missing values, infinities and text."""
    if missing(value) or isinstance(value, str | bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


_BEST_TITLE = {"max": "Bold: the highest value is best.", "min": "Bold: the lowest value is best."}


def _th(column: Col) -> str:
    # Numeric columns sort by value (the "value" method of javascripts/tables.js), not as text.
    attrs = ' class="num" data-sort-method="value"' if column.numeric else ""
    title = " ".join(t for t in (column.title, _BEST_TITLE.get(column.best or "", "")) if t)
    attrs += f' data-best="{column.best}"' if column.best else ""
    attrs += f' title="{title_attr(title)}"' if title else ""
    return f'<th scope="col"{attrs}>{esc(column.label)}</th>'


def _td(column: Col, value: Any, number: float | None = None, best: bool = False) -> str:
    classes = " ".join(name for name, on in (("num", column.numeric), ("best", best)) if on)
    attrs = f' class="{classes}"' if classes else ""
    # The exact number to sort by; cells without one sort by their text's leading number, missing ones last.
    attrs += f' data-sort="{number!r}"' if column.numeric and number is not None else ""
    content = column.fmt(value)
    if best:
        content = f'<strong>{content}</strong><span class="visually-hidden"> (best)</span>'
    return f"<td{attrs}>{content}</td>"


def _best(numbers: list[float | None], direction: Literal["max", "min"] | None) -> float | None:
    """The best of a column's numbers; None when there is nothing to single out (fewer than two distinct)."""
    present = [n for n in numbers if n is not None]
    if direction is None or len(set(present)) < 2:
        return None
    return max(present) if direction == "max" else min(present)


def html_table(frame: pd.DataFrame, columns: Sequence[Col], caption: str) -> str:
    """An escaped HTML table (no markdown involved, so no cell can break its row).

    Numeric cells carry their exact value for sorting (tablesort, see javascripts/tables.js); the best value of
    each column with ``best`` set is bold and announced as best. Material wraps the table in its scroll box.
    """
    records = frame.to_dict("records")
    numbers = [[_number(r[c.value or c.key]) for r in records] for c in columns]
    best = [_best(column_numbers, c.best) for column_numbers, c in zip(numbers, columns, strict=True)]
    rows = [
        "<tr>"
        + "".join(
            _td(c, record[c.key], numbers[j][i], best[j] is not None and numbers[j][i] == best[j])
            for j, c in enumerate(columns)
        )
        + "</tr>"
        for i, record in enumerate(records)
    ]
    note = ' <span class="best-note">Bold: best in its column.</span>' if any(b is not None for b in best) else ""
    return (
        f"<table><caption>{esc(caption)}{note}</caption>"
        f"<thead><tr>{''.join(_th(c) for c in columns)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def download_link(page_path: str, name: str) -> str:
    """A link to a file under downloads/."""
    return f'<a href="{rel(page_path, "downloads/" + name)}" download>{esc(name)}</a>'


# Lists of runs on a page show this many rows, and the download beside them has every one: a page's size (and
# MkDocs' time to render it) must not grow with the number of runs.
LISTED_ROWS = 100


def listed(frame: pd.DataFrame, download: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows of ``frame`` a page lists (the first LISTED_ROWS), and the lines saying where the rest are."""
    if len(frame) <= LISTED_ROWS:
        return frame, []
    return frame.head(LISTED_ROWS), [f"The first {LISTED_ROWS} of {len(frame):,} are listed; {download} has all.", ""]


def download_links(page_path: str, names: Sequence[str]) -> str:
    """A line of download links to files under downloads/."""
    return f'<p class="downloads">Download: {" · ".join(download_link(page_path, n) for n in names)}</p>'


def runs_flagged(frame: pd.DataFrame) -> list[str]:
    """Each row's run count (``n_runs``), with ⚠ and how many of its runs are not healthy (``n_unhealthy``) when
    some are."""
    cells = []
    for n_runs, n_unhealthy in zip(frame["n_runs"], frame["n_unhealthy"], strict=True):
        count, flagged = int(str(n_runs)), 0 if missing(n_unhealthy) else int(str(n_unhealthy))
        cells.append(
            f'{count:,} <span class="unhealthy" title="{flagged} of {count} runs not healthy">⚠ {flagged}</span>'
            if flagged
            else f"{count:,}"
        )
    return cells


def raw(value: Any) -> str:
    """Formatter for cells the page already built from escaped parts."""
    return str(value)


def covered_score(frame: pd.DataFrame, labels: dict[str, str], digits: int = 4) -> tuple[list[str], str]:
    """Suite-score cells with a † on averages over fewer columns than their neighbours, and the footnote."""
    cells, partial = [], []
    for score, complete, columns in zip(frame["glue_score"], frame["complete"], frame["columns"], strict=True):
        value = num(digits)(score)
        if missing(complete) or bool(complete):
            cells.append(value)
            continue
        covered = ", ".join(labels.get(c, c) for c in str(columns).split())
        partial.append(covered)
        cells.append(f'{value}<sup title="covers {title_attr(covered)}">†</sup>')
    note = ""
    if partial:
        covers = "; ".join(esc(p) for p in dict.fromkeys(partial))
        note = (
            '<p class="coverage-note">† Average over fewer tasks than other rows, so not directly comparable. '
            f"It covers: {covers}. Comparisons between strategies use only the tasks both have.</p>"
        )
    return cells, note
