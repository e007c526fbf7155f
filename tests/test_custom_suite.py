"""A benchmark suite declared in report.yml: its name on every page instead of GLUE, its score the mean of its tasks'
scores (a lower-is-better task shown but not averaged in), and typos in it stopped like any config mistake."""

from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

import pytest

from gen.config import load_config
from gen.config.base import ConfigError
from gen.report import analyse
from tests.conftest import build_site
from tests.test_real_data import read_csv

SUITE = """
title: My suite report
benchmark:
  name: My suite
  tasks:
    - {name: boolq, label: BoolQ, metrics: [accuracy], trivial: 0.622}
    - {name: cb, label: CB, metrics: [f1, accuracy]}
    - {name: latency, label: Latency, metrics: [latency_ms], higher_is_better: false}
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: Base, match: {variant: base}}
  - {name: Tuned, match: {variant: tuned}}
"""
# (variant, seed) -> BoolQ accuracy, CB f1, CB accuracy, latency (ms).
RUNS = {
    ("base", 1): (0.70, 0.60, 0.70, 12.0),
    ("base", 2): (0.72, 0.62, 0.74, 11.0),
    ("base", 3): (0.71, 0.58, 0.72, 13.0),
    ("tuned", 1): (0.78, 0.70, 0.80, 20.0),
    ("tuned", 2): (0.80, 0.72, 0.82, 21.0),
    ("tuned", 3): (0.79, 0.74, 0.84, 19.0),
}


def write(
    folder: Path,
    config: str = SUITE,
    runs: dict[tuple[str, int], tuple[float, float, float, float]] = RUNS,
    latency: bool = True,
) -> Path:
    with (folder / "runs.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["family", "variant", "seed", "task", "metric", "value"])
        for (variant, seed), (boolq, f1, accuracy, latency_ms) in runs.items():
            writer.writerow(["t5", variant, seed, "boolq", "accuracy", boolq])
            writer.writerow(["t5", variant, seed, "cb", "f1", f1])
            writer.writerow(["t5", variant, seed, "cb", "accuracy", accuracy])
            if latency:
                writer.writerow(["t5", variant, seed, "latency", "latency_ms", latency_ms])
    (folder / "report.yml").write_text(config)
    return folder / "report.yml"


def expected_score(variant: str) -> float:
    """Mean over the higher-is-better tasks of the task's mean score (CB: the mean of F1 and accuracy)."""
    rows = [values for (v, _), values in RUNS.items() if v == variant]
    boolq = statistics.fmean(r[0] for r in rows)
    cb = statistics.fmean((r[1] + r[2]) / 2 for r in rows)
    return (boolq + cb) / 2


def test_a_declared_suite_builds_with_its_name_and_score(tmp_path: Path) -> None:
    config = write(tmp_path)
    result = build_site(tmp_path / "site", config)
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    combined = {r["strategy"]: r for r in read_csv(site / "downloads" / "combined.csv")}
    assert "glue_score" not in combined["Base"]
    for strategy, variant in (("Base", "base"), ("Tuned", "tuned")):
        assert float(combined[strategy]["score"]) == pytest.approx(expected_score(variant), abs=1e-12)
    pages = {p.relative_to(site).as_posix(): p.read_text() for p in site.rglob("*.html")}
    assert [name for name, text in pages.items() if re.search(r"GLUE", text)] == []
    assert "My suite score" in pages["index.html"] and "Latency" in pages["accuracy.html"]
    # The boolq runs sit above the declared trivial level: none collapsed.
    assert {r["verdict"] for r in read_csv(site / "downloads" / "run_health.csv")} == {"healthy"}


def test_a_run_at_the_declared_trivial_level_collapsed(tmp_path: Path) -> None:
    at_chance = {**RUNS, ("tuned", 3): (0.62, 0.74, 0.84, 19.0)}
    latency_task = "    - {name: latency, label: Latency, metrics: [latency_ms], higher_is_better: false}\n"
    config = write(tmp_path, SUITE.replace(latency_task, ""), at_chance, latency=False)
    health = analyse(load_config(config)).health.health.runs
    collapsed = health[health["verdict"] == "collapsed"]
    assert collapsed["task"].tolist() == ["boolq"] and "0.6200" in collapsed["reason"].iloc[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "metrics: [accuracy], trivial",
            "key 'benchmark.tasks[0].metrics': no run of task 'boolq' has metric(s) 'acc'",
        ),
        ("name: boolq", "key 'benchmark.tasks[0].name': no run has task 'boolqq'"),
        ("label: CB, metrics", "key 'benchmark.tasks[1].colour': Extra inputs are not permitted"),
    ],
)
def test_typos_in_a_declared_suite_are_config_errors(tmp_path: Path, change: str, message: str) -> None:
    broken = {
        "metrics: [accuracy], trivial": "metrics: [acc], trivial",
        "name: boolq": "name: boolqq",
        "label: CB, metrics": "label: CB, colour: red, metrics",
    }[change]
    config = write(tmp_path, SUITE.replace(change, broken, 1))
    with pytest.raises(ConfigError) as error:
        analyse(load_config(config))
    assert message in str(error.value)
    assert "use one of" in str(error.value) or "remove it" in str(error.value)
