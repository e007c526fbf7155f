"""Run health on the 2,941 real result files: hand-picked runs at chance level are flagged, and with
``collapsed: exclude`` every suite score equals a plain-Python computation over the other runs."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from gen.config import load_config
from gen.report import analyse
from tests.conftest import REAL_CONFIG, RESULTS
from tests.test_real_data import STRATEGY, primary

# Majority-class rates of the GLUE validation splits, typed from the label counts (not from gen/benchmarks.py):
# SST-2 444/872 positive, MRPC 279/408 paraphrases, QQP 25,545/40,430 not duplicates, QNLI 2,761/5,463 not
# entailment, RTE 146/277 entailment, MNLI 3,479/9,815 (matched) and 3,463/9,832 (mismatched) entailment.
CHANCE = {
    "sst2": 444 / 872,
    "mrpc": 279 / 408,
    "qqp": 25_545 / 40_430,
    "qnli": 2_761 / 5_463,
    "rte": 146 / 277,
    "mnli_m": 3_479 / 9_815,
    "mnli_mm": 3_463 / 9_832,
    "cola": 0.0,
    "stsb": 0.0,
}
HAND_PICKED_COLLAPSED = [
    "lora/task_qqp_deberta_2024/base_32_2e-05_0.01/peft_lora_16_0.05_8/metrics.json",  # 0.6318: all "not duplicate"
    "lora/task_qqp_deberta_42/base_32_2e-05_0.01/peft_lora_16_0.05_8/metrics.json",  # 0.3682: all "duplicate"
    "lora/task_qqp_bert_123/base_32_2e-05_0.01/peft_lora_8_0.05_8/metrics.json",  # 0.612 after 0.42 epochs
    "kd-lora/task_mnli_deberta_123/base_32_2e-05_0.01/peft_lora_16_0.05_16/metrics.json",  # MNLI-m 0.3545
]
HAND_PICKED_HEALTHY = [
    "lora/task_qqp_deberta_42/base_32_2e-05_0.01/peft_lora_64_0.05_64/metrics.json",  # 0.903
    "lora/task_qqp_bert_123/base_32_2e-05_0.01/peft_lora_16_0.05_8/metrics.json",  # 0.854
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_hand_picked_runs_at_chance_are_collapsed_and_the_others_not(bundled_site: Path) -> None:
    rows = {r["run_id"]: r for r in read_csv(bundled_site / "downloads" / "run_health.csv")}
    assert list(next(iter(rows.values()))) == [
        "run_id", "source_file", "family", "strategy", "task", "seed", "verdict", "reason"
    ]  # fmt: skip
    assert len(rows) == 2941
    for run_id in HAND_PICKED_COLLAPSED:
        assert rows[run_id]["verdict"] == "collapsed", rows[run_id]
    for run_id in HAND_PICKED_HEALTHY:
        assert rows[run_id]["verdict"] == "healthy", rows[run_id]
    # The 15 FFT files in `peft_lora_16_{}_8` folders repeat their seed-42 twin's result.
    twins = [r for r in rows.values() if "{}" in r["run_id"]]
    assert len(twins) == 15 and {r["verdict"] for r in twins} == {"duplicate"}
    overview = (bundled_site / "index.html").read_text()
    assert "runs not healthy</a>" in overview and "Sensitivity to unhealthy runs" in overview


@pytest.fixture(scope="module")
def excluding_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = yaml.safe_load(REAL_CONFIG.read_text(encoding="utf-8"))
    # The same report elsewhere: its relative paths made absolute, and collapsed runs excluded.
    config["sources"][0]["path"] = str(RESULTS)
    config["published"]["path"] = str(REAL_CONFIG.parent / config["published"]["path"])
    config["efficiency"]["table"] = str(REAL_CONFIG.parent / config["efficiency"]["table"])
    config["run_health"] = {"collapsed": "exclude"}
    path = tmp_path_factory.mktemp("exclude") / "report.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_excluding_collapsed_runs_gives_the_scores_of_the_other_runs(excluding_config: Path) -> None:
    kept: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    dropped = 0
    for folder, _, names in os.walk(RESULTS):
        if "metrics.json" not in names:
            continue
        data = json.loads((Path(folder) / "metrics.json").read_text())
        strategy = STRATEGY.get((data["variant"], None)) or STRATEGY.get((data["variant"], data["args"]["peft"]))
        if strategy is None:
            continue
        columns = primary(data["args"]["task"], data)
        if any(value <= CHANCE[column] + 0.01 for column, value in columns.items()):
            dropped += 1
            continue
        for column, value in columns.items():
            kept[(data["args"]["model_family"], strategy)][column].append(value)
    report = analyse(load_config(excluding_config))
    excluded_runs = report.health.excluded
    # Unmatched runs (the PEFT variants page's) are judged and excluded too; the strategies' runs are counted here.
    assert int((excluded_runs["strategy"] != "").sum()) == dropped > 50
    assert set(excluded_runs["verdict"]) == {"collapsed"}
    glue = report.glue.set_index(["family", "strategy"])["glue_score"]
    assert set(glue.index) == set(kept)
    for key, columns in kept.items():
        expected = statistics.fmean(statistics.fmean(values) for values in columns.values())
        assert glue[key] == pytest.approx(expected, abs=1e-12), key
    # Nothing excluded reaches any table the pages read.
    excluded = set(report.health.excluded["run_id"])
    assert excluded.isdisjoint(report.scores["run_id"]) and excluded.isdisjoint(report.runs.curves["run_id"])


def test_healthy_only_figures_name_the_tasks_no_healthy_run_covers(bundled_site: Path) -> None:
    verdicts = [r for r in read_csv(bundled_site / "downloads" / "run_health.csv") if r["strategy"]]
    cells = {(r["family"], r["strategy"], r["task"]) for r in verdicts}
    healthy = {(r["family"], r["strategy"], r["task"]) for r in verdicts if r["verdict"] == "healthy"}
    lost = cells - healthy
    assert lost == {("roberta", "KD-LoRA", "qqp"), ("deberta", "KD-LoRA", "qqp")}  # every such run collapsed
    rows = read_csv(bundled_site / "downloads" / "sensitivity.csv")
    marked = {(r["family"], r["to"]) for r in rows if r["figure"] == "glue_score" and r["healthy_missing"]}
    assert marked == {(family, strategy) for family, strategy, _ in lost}
    assert {r["healthy_missing"] for r in rows if r["healthy_missing"]} == {"qqp"}
    overview = (bundled_site / "index.html").read_text()
    assert overview.count('<sup title="without QQP: no healthy run">†</sup>') == len(lost)
    assert (
        "-5.2 with healthy runs only (without QQP for RoBERTa-base KD-LoRA and DeBERTa-v3-base KD-LoRA: no healthy"
        in overview
    )


def test_healthy_only_values_are_shown_where_they_read_differently(bundled_site: Path) -> None:
    """Every key observation whose healthy-only value differs at the precision shown says so, and every suite
    score's change is given in hundredths of a point, as the scores themselves are."""
    overview = html.unescape(re.sub(r"<[^>]+>", "", (bundled_site / "index.html").read_text()))
    rows = read_csv(bundled_site / "downloads" / "sensitivity.csv")
    shown = 0
    for row in rows:
        if row["figure"] in ("param_reduction", "memory_reduction") and row["healthy_only"]:
            everything, healthy = (f"{100 * float(row[k]):.1f}%" for k in ("all_runs", "healthy_only"))
            if everything != healthy:
                shown += 1
                assert f"vs {row['from']}: {everything}; healthy runs only: {healthy}" in overview
        if row["figure"] == "glue_score":
            change = f"{100 * (float(row['healthy_only']) - float(row['all_runs'])):+.2f} points"
            assert (change if change not in ("+0.00 points", "-0.00 points") else "same") in overview
    assert shown >= 1  # the trainable-parameter reduction of LoRA: 99.5% with every run, 99.4% healthy only
