"""Generated tables, charts and numbers that hand-written pages embed by a stable name: ``[[kind:name]]``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from gen.pages.figure import FigureRef, chart_block, fenced_html

MARKER = re.compile(r"\[\[(table|chart|number):([A-Za-z0-9_.\-]+)\]\]")
# Fenced blocks and inline code show markers literally (that is how a page documents them).
CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.DOTALL)


class EmbedError(Exception):
    """A page names something the report does not have; the message lists what it has."""


@dataclass
class Embeds:
    """What this build offers: tables (HTML), charts, and numbers (formatted text)."""

    tables: dict[str, str] = field(default_factory=dict)
    charts: dict[str, FigureRef] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)

    def names(self, kind: str) -> list[str]:
        """Every valid name of one kind, sorted."""
        if kind == "chart":
            return sorted(self.charts)
        return sorted(self.tables if kind == "table" else self.numbers)

    def expand(self, markdown: str, page_path: str) -> str:
        """Replace every marker in a page's markdown; an unknown name raises EmbedError."""

        def replace(found: re.Match[str]) -> str:
            kind, name = found[1], found[2]
            if kind == "table" and name in self.tables:
                return _block(self.tables[name], markdown, offset + found.start(), offset + found.end())
            if kind == "chart" and name in self.charts:
                return chart_block(self.charts[name], page_path)
            if kind == "number" and name in self.numbers:
                return self.numbers[name]
            valid = ", ".join(self.names(kind))
            raise EmbedError(f"{page_path}: [[{kind}:{name}]] names no {kind} of this report; valid: {valid}")

        expanded = []
        offset = 0  # of the part being expanded, in ``markdown``
        # split() with one group alternates text and code: even indexes are text.
        for index, part in enumerate(CODE.split(markdown)):
            expanded.append(MARKER.sub(replace, part) if index % 2 == 0 else part)
            offset += len(part)
        return "".join(expanded)

    def to_data(self) -> dict[str, Any]:
        """Everything offered as plain JSON data (for the build cache: reading it back runs no code)."""
        return {
            "tables": self.tables,
            "charts": {name: [ref.name, ref.title, ref.description] for name, ref in self.charts.items()},
            "numbers": self.numbers,
        }

    @classmethod
    def from_data(cls, data: object) -> Embeds:
        """Embeds from ``to_data``; ValueError when ``data`` is not such data."""
        if not isinstance(data, dict):
            raise ValueError("embeds: not an object")
        tables, charts, numbers = data.get("tables"), data.get("charts"), data.get("numbers")
        if not (_text_map(tables) and _text_map(numbers) and isinstance(charts, dict)):
            raise ValueError("embeds: tables, charts or numbers of the wrong type")
        refs = {}
        for name, ref in charts.items():
            if not (isinstance(ref, list) and len(ref) == 3 and all(isinstance(part, str) for part in ref)):
                raise ValueError("embeds: a chart is not [name, title, description]")
            refs[name] = FigureRef(*ref)
        return cls(tables=tables, charts=refs, numbers=numbers)


def _block(table: str, markdown: str, start: int, end: int) -> str:
    """The table for the marker at ``start:end`` of a page: fenced where Markdown would read it as a raw HTML block
    (the marker alone on its line, after a blank one), as generated pages' tables are (gen.pages.figure.fenced_html),
    so Markdown passes it through instead of parsing every tag; as it is elsewhere."""
    line_start = markdown.rfind("\n", 0, start) + 1
    line_end = markdown.find("\n", end)
    if line_start != start or end != (len(markdown) if line_end == -1 else line_end):
        return table
    if line_start > 0 and markdown[markdown.rfind("\n", 0, line_start - 1) + 1 : line_start - 1].strip():
        return table  # the line before is not blank
    return fenced_html(table)


def _text_map(value: object) -> TypeGuard[dict[str, str]]:
    """Whether ``value`` maps text to text."""
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


# Filled by write_site during the build, read by the page hook (gen/hooks.py) in the same process.
CURRENT = Embeds()
