"""The Coverage page's grid: one row per configuration and family, a column per task, the numbers of coverage.csv."""

from __future__ import annotations

import csv
import html
import re
from collections import defaultdict
from pathlib import Path

from gen.config import load_config
from tests.conftest import REAL_CONFIG


def grid(page: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the rows (cell texts) of the page's first table."""
    table = re.search(r"<table>(.*?)</table>", page.read_text(), re.S)
    assert table is not None
    text = [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1))
    ]
    return text[0], text[1:]


def test_the_grid_shows_the_seeds_of_coverage_csv(bundled_site: Path) -> None:
    header, rows = grid(bundled_site / "coverage.html")
    suite = load_config(REAL_CONFIG).suite
    with (bundled_site / "downloads" / "coverage.csv").open() as handle:
        cells = list(csv.DictReader(handle))
    tasks = [t.name for t in suite.tasks if any(c["task"] == t.name for c in cells)]
    assert header == ["Configuration", "Family", *[suite.task(t).label for t in tasks], "Complete"]  # type: ignore[union-attr]
    # Per configuration: the seeds of each task, over its families, as coverage.csv counts them. The page names a
    # configuration as readers know it: the group by its strategy, the method as it is written.
    groups = {"baseline": "FFT", "teacher": "LoRA", "student": "KD-LoRA"}
    methods = {"lora": "LoRA", "dora": "DoRA", "olora": "OLoRA", "rslora": "rsLoRA", "adalora": "AdaLoRA"}

    def named(configuration: str) -> str:
        group, *rest = configuration.split(" · ")
        return " · ".join([groups[group], *([methods[rest[0]], *rest[1:]] if rest else [])])

    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        counts = expected[(named(cell["configuration"]), cell["task"])]
        counts[0] += int(cell["present"])
        counts[1] += int(cell["expected"])
    shown: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for task, seeds in zip(tasks, row[2:-1], strict=True):
            present, of = seeds.split("/")
            counts = shown[(row[0], task)]
            counts[0] += int(present)
            counts[1] += int(of)
    assert shown == expected
    families = {(c["configuration"], c["family"]) for c in cells}
    assert len(rows) == len(families)
    assert any(row[-1] != "100%" for row in rows)  # the bundled study has gaps: the row totals show them


def test_the_completion_line_counts_slots_not_runs(bundled_site: Path) -> None:
    with (bundled_site / "downloads" / "coverage.csv").open() as handle:
        cells = list(csv.DictReader(handle))
    present, expected = (sum(int(c[k]) for c in cells) for k in ("present", "expected"))
    runs = sum(1 for _ in (bundled_site / "downloads" / "run_health.csv").open()) - 1
    assert present < runs  # several runs fill one slot: the line must not call slots runs
    text = html.unescape(re.sub(r"<[^>]+>", "", (bundled_site / "coverage.html").read_text()))
    assert f"{present:,} of {expected:,} expected (configuration, family, task, seed) slots hold a run" in text
    quality = html.unescape(re.sub(r"<[^>]+>", "", (bundled_site / "data-quality.html").read_text()))
    with (bundled_site / "downloads" / "run_health.csv").open() as handle:
        repeats = sum(r["verdict"] == "duplicate" for r in csv.DictReader(handle))
    assert f"No two runs share every field and seed. {repeats} runs repeat another run's result" in quality
