"""Run health on small hand-made runs: each verdict, its precedence, seeds counted twice and varying settings."""

from __future__ import annotations

import dataclasses
import statistics

import pandas as pd
import pytest

from gen.analysis.headline import headline, sensitivity
from gen.analysis.health import run_health
from gen.benchmarks import preset
from gen.config import RunHealthConfig
from gen.sources.base import RunRecord
from tests.helpers import config, run, runs_of


def with_fields(record: RunRecord, **fields: str) -> RunRecord:
    return dataclasses.replace(record, fields={**record.fields, **fields})


def verdicts(records: list[RunRecord]) -> dict[str, tuple[str, str]]:
    runs = runs_of(records)
    health = run_health(runs.all_table, runs.settings, [], preset("glue", "primary"))
    return {r["run_id"]: (r["verdict"], r["reason"]) for r in health.runs.to_dict("records")}


def test_a_run_at_a_class_rate_collapsed_and_one_above_it_did_not() -> None:
    # QQP's validation split: 25,545 of 40,430 pairs are not duplicates. A run predicting "not duplicate" always
    # scores that rate; one predicting "duplicate" always scores the rest.
    majority, minority = 25_545 / 40_430, 14_885 / 40_430
    records = [
        run("bert", "FFT", "qqp", 1, accuracy=majority),
        run("bert", "FFT", "qqp", 2, accuracy=minority),
        run("bert", "FFT", "qqp", 3, accuracy=0.89),
        run("bert", "FFT", "cola", 1, matthews_correlation=0.0),
        run("bert", "FFT", "cola", 2, matthews_correlation=0.55),
        run("bert", "FFT", "mnli", 1, matched_accuracy=0.84, mismatched_accuracy=0.85),
        run("bert", "FFT", "mnli", 2, matched_accuracy=3_479 / 9_815, mismatched_accuracy=3_463 / 9_832),
    ]
    found = verdicts(records)
    collapsed = {run_id for run_id, (verdict, _) in found.items() if verdict == "collapsed"}
    assert collapsed == {r.run_id for r in (records[0], records[1], records[3], records[6])}
    assert "0.6318" in found[records[0].run_id][1] and "25,545 of 40,430" in found[records[0].run_id][1]
    assert "no correlation" in found[records[3].run_id][1]


def test_an_outlier_is_far_below_its_cell_by_a_robust_rule() -> None:
    values = [0.80, 0.81, 0.80, 0.82, 0.81, 0.70]
    records = [run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate(values)]
    found = verdicts(records)
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    z = 0.6745 * (0.70 - median) / mad
    assert z < -3.5
    assert found[records[-1].run_id][0] == "outlier"
    assert f"robust z {z:.1f}" in found[records[-1].run_id][1]
    assert {verdict for verdict, _ in list(found.values())[:-1]} == {"healthy"}


def test_no_outlier_in_a_small_cell_or_for_a_tiny_dip() -> None:
    small = [run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate([0.80, 0.81, 0.60])]
    assert {v for v, _ in verdicts(small).values()} == {"healthy"}
    # Identical runs and one 0.5 point lower: MAD is 0, but half a point is within noise.
    tight = [run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate([0.80, 0.80, 0.80, 0.80, 0.795])]
    assert {v for v, _ in verdicts(tight).values()} == {"healthy"}


def test_a_collapsed_run_is_not_also_an_outlier_nor_part_of_the_outlier_cell() -> None:
    values = [0.80, 0.81, 0.80, 0.82, 0.81, 0.53]
    records = [run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate(values)]
    found = verdicts(records)
    assert found[records[-1].run_id][0] == "collapsed"
    assert {v for v, _ in list(found.values())[:-1]} == {"healthy"}


def test_duplicates_ignore_a_setting_missing_on_one_side_but_not_a_different_one() -> None:
    original = with_fields(run("bert", "FFT", "rte", 42, accuracy=0.7, eval_loss=0.5), lora_dropout="0.05")
    twin = dataclasses.replace(run("bert", "FFT", "rte", 42, accuracy=0.7, eval_loss=0.5), source_file="twin.json")
    other_dropout = dataclasses.replace(
        with_fields(run("bert", "FFT", "rte", 42, accuracy=0.7, eval_loss=0.5), lora_dropout="0.1"),
        source_file="other.json",
    )
    rerun = dataclasses.replace(run("bert", "FFT", "rte", 42, accuracy=0.71, eval_loss=0.5), source_file="rerun.json")
    found = verdicts([original, twin, other_dropout, rerun])
    assert found[original.run_id][0] == "healthy"
    assert found[twin.run_id] == (
        "duplicate",
        f"same result as {original.run_id} (lora_dropout given on one side only)",
    )
    assert found[other_dropout.run_id][0] == "healthy"  # another configuration of the same seed
    assert found[rerun.run_id][0] == "healthy"  # a rerun with another result


def test_seeds_counted_twice_and_settings_that_vary_are_listed() -> None:
    records = [
        with_fields(run("bert", "LoRA", "rte", seed, accuracy=0.7 + seed / 100), rank=rank)
        for seed, rank in [(1, "8"), (2, "8"), (1, "16")]
    ]
    records[2] = dataclasses.replace(records[2], source_file="r16.json")
    runs = runs_of(records)
    health = run_health(runs.all_table, runs.settings, [], preset("glue", "primary"))
    (repeat,) = health.seed_repeats.to_dict("records")
    assert (repeat["task"], repeat["seed"], repeat["n_runs"]) == ("rte", "1", 2)
    (varying,) = health.varying.to_dict("records")
    assert (varying["setting"], varying["values"]) == ("rank", "8, 16")


def test_policy_names_the_verdicts_it_excludes() -> None:
    assert RunHealthConfig().excluded_verdicts() == set()
    policy = RunHealthConfig(collapsed="exclude", duplicates="exclude")
    assert policy.excluded_verdicts() == {"collapsed", "duplicate"}


def test_healthy_only_headline_equals_a_computation_without_the_collapsed_runs() -> None:
    records = [
        run("bert", "FFT", "rte", 1, accuracy=0.70),
        run("bert", "FFT", "rte", 2, accuracy=0.72),
        run("bert", "LoRA", "rte", 1, accuracy=0.69),
        run("bert", "LoRA", "rte", 2, accuracy=0.50),  # below RTE's majority rate 146/277
    ]
    runs = runs_of(records)
    health = run_health(runs.all_table, runs.settings, [], preset("glue", "primary"))
    healthy = headline(runs.without(health.unhealthy_ids()).table, config(), None)
    scores = healthy.glue.set_index("strategy")["glue_score"]
    assert scores["FFT"] == pytest.approx(0.71)
    assert scores["LoRA"] == pytest.approx(0.69)
    frame = healthy.observations.set_index(["observation", "from", "to"])
    assert frame.loc[("glue_difference", "FFT", "LoRA"), "value"] == pytest.approx(-2.0)


def test_sensitivity_names_the_columns_healthy_runs_lack() -> None:
    records = [
        run("bert", "FFT", "rte", 1, accuracy=0.70),
        run("bert", "FFT", "sst2", 1, accuracy=0.90),
        run("bert", "LoRA", "rte", 1, accuracy=0.69),
        run("bert", "LoRA", "sst2", 1, accuracy=0.40),  # below SST-2's majority rate: LoRA keeps no SST-2 run
    ]
    runs = runs_of(records)
    health = run_health(runs.all_table, runs.settings, [], preset("glue", "primary"))
    everything = headline(runs.table, config(), None)
    healthy = headline(runs.without(health.unhealthy_ids()).table, config(), None)
    table = sensitivity(everything, healthy).set_index(["figure", "to"])
    assert table.loc[("glue_score", "LoRA"), "healthy_missing"] == "sst2"
    assert table.loc[("glue_score", "FFT"), "healthy_missing"] == ""
    # LoRA's healthy-only score is its RTE alone; the difference FFT → LoRA is over RTE alone.
    assert table.loc[("glue_score", "LoRA"), "healthy_only"] == pytest.approx(0.69)
    assert table.loc[("glue_difference", "LoRA"), "healthy_missing"] == "sst2"
    assert table.loc[("glue_difference", "LoRA"), "healthy_only"] == pytest.approx(-1.0)


def test_a_zero_cost_gives_a_blank_ratio_with_its_reason() -> None:
    from gen.analysis.efficiency import combined_table

    scores = pd.DataFrame(
        {
            "family": ["bert", "bert"],
            "strategy": ["FFT", "LoRA"],
            "model": ["B", "B"],
            "glue_score": [0.8, 0.7],
            "n_columns": [1, 1],
            "columns": ["rte", "rte"],
            "complete": [True, True],
        }
    )
    costs = pd.DataFrame(
        {
            "model": ["B", "B"],
            "strategy": ["FFT", "LoRA"],
            "params_m": [110.0, 0.0],
            "memory_mb": [1000.0, None],
            "inference_s": [2.0, 1.0],
        }
    )
    table = combined_table(scores, costs).set_index("strategy")
    assert table.loc["FFT", "score_per_param_m"] == pytest.approx(0.8 / 110)
    assert pd.isna(table.loc["LoRA", "score_per_param_m"]) and pd.isna(table.loc["LoRA", "score_per_gb"])
    assert table.loc["LoRA", "ratio_note"] == "no ratio: params_m = 0; memory_mb missing"
    assert table.loc["LoRA", "score_per_s"] == pytest.approx(0.7)
