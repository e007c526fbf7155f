"""Run health end to end on a small result tree: a NaN in a training log only warns (also under strict), a
collapsed run is flagged wherever it shows, and each policy excludes exactly its runs from every analysis."""

from __future__ import annotations

import html
import json
import re
import statistics
from pathlib import Path

import pandas as pd
import pytest

from gen.analysis.headline import headline, sensitivity
from gen.config import load_config
from gen.report import analyse
from gen.runs import without_runs
from tests.conftest import build_site
from tests.test_real_data import read_csv

CONFIG = """
title: health check
sources:
  - type: metrics-json
    path: results
strategies:
  - {{name: FFT, match: {{variant: fft}}}}
  - {{name: LoRA, match: {{variant: lora}}}}
{extra}
"""
# RTE accuracy per (strategy, seed): LoRA seed 5 collapsed (below RTE's majority rate, 146 of 277), LoRA seed 6
# an outlier of its cell; FFT seed 1 appears twice with the same result (the second folder lacks lora_dropout).
RTE = {
    ("fft", 1): 0.70,
    ("fft", 2): 0.71,
    ("fft", 3): 0.72,
    ("lora", 1): 0.68,
    ("lora", 2): 0.69,
    ("lora", 3): 0.68,
    ("lora", 4): 0.69,
    ("lora", 5): 0.47,
    ("lora", 6): 0.60,
}


def write_run(root: Path, variant: str, seed: int, accuracy: float, folder: str = "peft_lora_16_0.05_8") -> str:
    relative = f"{variant}/task_rte_bert_{seed}/base_32_2e-05_0.01/{folder}/metrics.json"
    args = {"model_family": "bert", "task": "rte", "seed": seed, "peft": "lora", "rank": 8, "lora_alpha": 16}
    if "{}" not in folder:
        args["lora_dropout"] = 0.05
    log = [
        {"loss": 0.7, "grad_norm": float("nan"), "step": 10},
        {"eval_accuracy": accuracy, "eval_loss": 0.6, "step": 10},
        {"loss": 0.5, "grad_norm": 1.0, "step": 20},
    ]
    data = {"eval_accuracy": accuracy, "eval_loss": 0.6, "variant": variant, "args": args, "log_history": log}
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))  # json writes NaN, as the Trainer does
    return relative


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for (variant, seed), accuracy in RTE.items():
        write_run(tmp_path / "results", variant, seed, accuracy)
    write_run(tmp_path / "results", "fft", 1, RTE[("fft", 1)], folder="peft_lora_16_{}_8")
    return tmp_path


def config(tree: Path, extra: str = "") -> Path:
    path = tree / "report.yml"
    path.write_text(CONFIG.format(extra=extra))
    return path


def test_a_strict_build_shows_health_everywhere_and_warnings_do_not_fail_it(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORT_STRICT", "1")
    result = build_site(tree / "site", config(tree), quiet=False)
    assert result.returncode == 0, result.stdout + result.stderr
    site = tree / "site"
    verdicts = {r["run_id"]: r["verdict"] for r in read_csv(site / "downloads" / "run_health.csv")}
    assert verdicts["lora/task_rte_bert_5/base_32_2e-05_0.01/peft_lora_16_0.05_8/metrics.json"] == "collapsed"
    assert verdicts["lora/task_rte_bert_6/base_32_2e-05_0.01/peft_lora_16_0.05_8/metrics.json"] == "outlier"
    assert verdicts["fft/task_rte_bert_1/base_32_2e-05_0.01/peft_lora_16_{}_8/metrics.json"] == "duplicate"
    assert list(verdicts.values()).count("healthy") == 7
    warnings = read_csv(site / "downloads" / "warnings.csv")
    assert {w["field"] for w in warnings} >= {"log_history[].grad_norm"} and len(warnings) >= 10
    overview = html.unescape((site / "index.html").read_text())
    assert "3 runs not healthy" in overview
    # Each finding counts the distinct runs under it, however many of its figures rest on them: the best score
    # (FFT) the duplicate; FFT → LoRA all three.
    assert re.findall(r"Rests on cells holding (\d+) runs? that", overview) == ["1", "3"]
    quality = html.unescape((site / "data-quality.html").read_text())
    assert "collapsed runs are kept, outliers kept, duplicates kept" in quality
    accuracy = html.unescape((site / "accuracy.html").read_text())
    assert "⚠ 2 of 6" in accuracy and "⚠ 1 of 4" in accuracy
    spec = json.loads((site / "charts" / "run-scores.vl.json").read_text())
    assert json.dumps(spec).count('"collapsed"') >= 2  # the shape legend's domain and the run's own row
    assert spec["spec"]["encoding"]["shape"]["field"] == "verdict"


@pytest.mark.parametrize(
    ("policy", "excluded_seeds"),
    [
        ("collapsed: keep", set()),
        ("collapsed: exclude", {("lora", 5)}),
        ("outliers: exclude", {("lora", 6)}),
        ("duplicates: exclude", {("fft", 1, "twin")}),
        (
            "{collapsed: exclude, outliers: exclude, duplicates: exclude}",
            {("lora", 5), ("lora", 6), ("fft", 1, "twin")},
        ),
    ],
)
def test_each_policy_excludes_exactly_its_runs(
    tree: Path, policy: str, excluded_seeds: set[tuple[object, ...]]
) -> None:
    text = f"run_health: {policy}" if policy.startswith("{") else f"run_health: {{{policy}}}"
    report = analyse(load_config(config(tree, text)))
    assert len(report.health.excluded) == len(excluded_seeds)
    kept: dict[str, list[float]] = {"FFT": [], "LoRA": []}
    for (variant, seed), accuracy in RTE.items():
        if (variant, seed) not in excluded_seeds:
            kept["FFT" if variant == "fft" else "LoRA"].append(accuracy)
    if ("fft", 1, "twin") not in excluded_seeds:
        kept["FFT"].append(RTE[("fft", 1)])
    cells = report.cells.set_index("strategy")
    for strategy, values in kept.items():
        assert cells.loc[strategy, "n_runs"] == len(values)
        assert cells.loc[strategy, "mean"] == pytest.approx(statistics.fmean(values))
    # The sensitivity table's healthy-only column never depends on the policy.
    healthy = report.sensitivity.set_index(["figure", "to"]).loc[("glue_score", "LoRA"), "healthy_only"]
    assert healthy == pytest.approx(statistics.fmean([0.68, 0.69, 0.68, 0.69]))
    # Nor does the table: every valid run against healthy ones only, each headline computed from its own runs.
    every, unhealthy = report.every, report.health.health.unhealthy_ids()
    expected = sensitivity(
        headline(every.table, report.config, report.overview_reference),
        headline(without_runs(every.table, unhealthy), report.config, report.overview_reference),
    )
    pd.testing.assert_frame_equal(report.sensitivity, expected)
    all_runs = report.sensitivity.set_index(["figure", "to"]).loc[("glue_score", "LoRA"), "all_runs"]
    assert all_runs == pytest.approx(statistics.fmean([v for (variant, _), v in RTE.items() if variant == "lora"]))
