"""One convention for every number: each (family, from, to, task) difference shows the same value, to − from in
points, on every page and in every download of the built site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import REAL_CONFIG
from tests.test_real_data import read_csv

Key = tuple[str, str, str, str]


class Tables(HTMLParser):
    """Every table of a page: its header texts and, per row, each cell's text and exact sort value."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list]] = []
        self._cell: list[str] | None = None
        self._sort: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"header": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell, self._sort = [], dict(attrs).get("data-sort")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "th":
                self.tables[-1]["header"].append(text)
            else:
                self.tables[-1]["rows"][-1].append((text, self._sort))
            self._cell = None


def tables(page: Path) -> list[dict[str, list]]:
    parser = Tables()
    parser.feed(page.read_text())
    return [t for t in parser.tables if t["header"]]


def with_header(page: Path, column: str) -> list[dict[str, tuple[str, str | None]]]:
    """The rows (header -> (text, sort value)) of every table of ``page`` having a ``column`` header."""
    rows = []
    for table in tables(page):
        if column in table["header"]:
            rows += [dict(zip(table["header"], row, strict=True)) for row in table["rows"] if row]
    return rows


@pytest.fixture(scope="module")
def comparisons(bundled_site: Path) -> dict[Key, float]:
    rows = read_csv(bundled_site / "downloads" / "comparisons.csv")
    assert list(rows[0])[:11] == [
        "compared", "family", "from", "to", "task", "unit", "n", "difference_points", "test", "effect_size_dz", "p"
    ]  # fmt: skip
    return {
        (r["family"], r["from"], r["to"], r["task"]): float(r["difference_points"])
        for r in rows
        if r["compared"] == "strategies"
    }


def test_downloads_agree(bundled_site: Path, comparisons: dict[Key, float]) -> None:
    differences = read_csv(bundled_site / "downloads" / "differences.csv")
    assert differences
    for row in differences:
        assert float(row["difference_points"]) == pytest.approx(
            comparisons[(row["family"], row["from"], row["to"], "GLUE")]
        )
    observations = [r for r in read_csv(bundled_site / "downloads" / "observations.csv") if r["unit"] == "points"]
    assert observations
    for row in observations:
        assert float(row["value"]) == pytest.approx(comparisons[("all families", row["from"], row["to"], "GLUE")])
    # A statistics row never has more pairs than the unit allows: 5 seeds, 3 families.
    for row in read_csv(bundled_site / "downloads" / "comparisons.csv"):
        assert int(row["n"]) <= {"seed": 5, "family": 3}[row["unit"]], row


def test_pages_agree(bundled_site: Path, comparisons: dict[Key, float]) -> None:
    # Pages name families by their display names from the config's models: section.
    models = yaml.safe_load(REAL_CONFIG.read_text())["models"]
    family = {names["name"]: key for key, names in models.items()} | {"all families": "all families"}
    checked = 0
    accuracy = with_header(bundled_site / "accuracy.html", "Difference to − from (points)")
    for row in accuracy:
        key = (family[row["Family"][0]], row["From"][0], row["To"][0], "GLUE")
        assert float(str(row["Difference to − from (points)"][1])) == pytest.approx(comparisons[key])
        checked += 1
    labels = {"GLUE": "GLUE", "CoLA": "cola", "SST-2": "sst2", "MRPC": "mrpc", "STS-B": "stsb", "QQP": "qqp"}
    labels |= {"MNLI": "mnli", "QNLI": "qnli", "RTE": "rte"}
    pages = [bundled_site / "statistics.html", *(bundled_site / "families").glob("*.html")]
    for page in pages:
        for row in with_header(page, "Difference (points)"):
            name = family.get(row["Family"][0], row["Family"][0]) if "Family" in row else page.stem
            source, _, target = row["From → to"][0].partition(" → ")
            key = (name, source, target, labels[row["Task"][0]])
            if key not in comparisons:  # a PEFT method row ("teacher · bert")
                continue
            assert float(str(row["Difference (points)"][1])) == pytest.approx(comparisons[key]), (page.name, key)
            checked += 1
    overview = (bundled_site / "index.html").read_text()
    for source, target, value in re.findall(
        r"GLUE score difference (\S+) → (\S+), mean over families: <strong>([+−-][\d.]+) points", overview
    ):
        assert float(value.replace("−", "-")) == pytest.approx(
            comparisons[("all families", source, target, "GLUE")], abs=0.05
        )
        checked += 1
    assert checked > 100
