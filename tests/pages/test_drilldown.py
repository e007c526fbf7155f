"""Drill-down pages exist for every family and task, are linked from the tables, and show that slice's numbers."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path


def test_every_family_and_task_page_is_linked_and_exists(bundled_site: Path) -> None:
    accuracy = (bundled_site / "accuracy.html").read_text()
    families = set(re.findall(r'href="families/([a-z0-9-]+)\.html"', accuracy))
    tasks = set(re.findall(r'href="tasks/([a-z0-9-]+)\.html"', accuracy))
    assert families == {"bert", "roberta", "deberta"}
    assert tasks == {"cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte"}
    for name in families:
        assert (bundled_site / "families" / f"{name}.html").is_file()
    for name in tasks:
        assert (bundled_site / "tasks" / f"{name}.html").is_file()
    overview = (bundled_site / "index.html").read_text()
    assert 'href="families/bert.html"' in overview


def test_family_page_shows_that_familys_scores(bundled_site: Path) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", (bundled_site / "families" / "roberta.html").read_text()))
    with (bundled_site / "downloads" / "glue_table.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    roberta = [r for r in rows if r["family"] == "roberta"]
    assert len(roberta) == 3
    assert all(f"{float(r['glue_score']):.4f}" in text for r in roberta)
    # Links from a nested page climb back to the site root.
    assert 'href="../families/roberta.html"' in (bundled_site / "tasks" / "cola.html").read_text()
