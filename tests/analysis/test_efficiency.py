"""Efficiency analyses on small frames, against the definitions computed by hand."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from gen.analysis.efficiency import (
    combined_table,
    matched_versus,
    measured_efficiency,
    normalised_metrics,
    observations,
    versus_baseline,
    with_unhealthy,
)
from gen.analysis.headline import headline
from tests.helpers import config, run, table_of


def costs(memory: float, runtime: float, params: float) -> dict[str, float]:
    return {"accuracy": 0.5, "memory_allocated_mb": memory, "eval_runtime_s": runtime, "params_m": params}


RUNS = [
    run("bert", "FFT", "rte", 1, **costs(100, 1.0, 110)),
    run("bert", "FFT", "rte", 2, **costs(200, 3.0, 110)),
    run("bert", "FFT", "qnli", 1, **costs(400, 10.0, 110)),
    run("bert", "LoRA", "rte", 1, **costs(50, 1.0, 1)),
    run("bert", "LoRA", "qnli", 1, **costs(100, 4.0, 1)),
]


def test_measured_costs_weigh_each_task_once() -> None:
    measured = measured_efficiency(table_of(RUNS)).set_index("strategy")
    assert measured.loc["FFT", "memory_allocated_mb"] == pytest.approx(statistics.mean([150, 400]))
    assert measured.loc["FFT", "eval_runtime_s"] == pytest.approx(statistics.mean([2.0, 10.0]))
    assert measured.loc["FFT", "n_runs"] == 3
    assert pd.isna(measured.loc["FFT", "train_time_s"])


def test_versus_baseline_reductions_and_speedups() -> None:
    measured = measured_efficiency(table_of(RUNS))
    lora = versus_baseline(measured, "FFT").set_index("strategy").loc["LoRA"]
    assert lora["memory_allocated_mb_vs_base"] == pytest.approx(1 - 75 / 275)
    assert lora["eval_runtime_s_vs_base"] == pytest.approx(6.0 / 2.5)
    assert lora["params_m_vs_base"] == pytest.approx(1 - 1 / 110)


COMBINED_SCORES = pd.DataFrame(
    {
        "family": ["bert", "bert", "roberta", "roberta"],
        "strategy": ["FFT", "LoRA", "FFT", "LoRA"],
        "model": ["B", "B", "R", "R"],
        "glue_score": [0.8, 0.7, 0.9, 0.85],
        "n_columns": [2, 2, 2, 2],
        "columns": ["a b"] * 4,
        "complete": [True] * 4,
    }
)
COSTS = pd.DataFrame(
    {
        "model": ["B", "B", "R", "R"],
        "strategy": ["FFT", "LoRA", "FFT", "LoRA"],
        "params_m": [100.0, 2.0, 120.0, 3.0],
        "memory_mb": [2048.0, 512.0, 1000.0, 500.0],
        "inference_s": [4.0, 5.0, 6.0, 2.0],
    }
)


def test_combined_ratios_follow_the_seed_definitions() -> None:
    combined = combined_table(COMBINED_SCORES, COSTS).set_index(["family", "strategy"])
    row = combined.loc[("bert", "FFT")]
    assert row["score_per_param_m"] == pytest.approx(0.8 / 100)
    assert row["score_per_gb"] == pytest.approx(0.8 / 2)
    assert row["score_per_s"] == pytest.approx(0.8 / 4)


def test_observations_follow_the_seed_definitions() -> None:
    combined = combined_table(COMBINED_SCORES, COSTS)
    differences = pd.DataFrame(
        {"family": ["bert", "roberta"], "from": "FFT", "to": "LoRA", "difference_points": [-10.0, -5.0]}
    )
    rows = observations(combined, differences, ["FFT", "LoRA"]).to_dict("records")
    found = {(o["observation"], o["from"], o["to"]): o["value"] for o in rows}
    assert {o["observation"]: o["unit"] for o in rows}["glue_difference"] == "points"
    assert found == pytest.approx(
        {
            ("glue_difference", "FFT", "LoRA"): -7.5,
            ("param_reduction", "FFT", "LoRA"): 1 - 5 / 220,
            ("memory_reduction", "FFT", "LoRA"): 1 - 1012 / 3048,
            ("inference_speedup", "FFT", "LoRA"): 5.0 / 3.5,
        }
    )


def test_normalised_metrics_span_zero_to_one() -> None:
    normalised = normalised_metrics(combined_table(COMBINED_SCORES, COSTS))
    params = normalised[normalised["metric"] == "params_m"].set_index(["family", "strategy"])["normalised"]
    assert params.to_dict() == pytest.approx(
        {("bert", "FFT"): 98 / 118, ("bert", "LoRA"): 0.0, ("roberta", "FFT"): 1.0, ("roberta", "LoRA"): 1 / 118}
    )


def test_matched_comparison_averages_both_sides_over_the_tasks_both_have() -> None:
    # LoRA has no QNLI run: FFT's QNLI (10 s) would make LoRA look faster than it is.
    records = [
        run("bert", "FFT", "rte", 1, **costs(100, 1.0, 110)),
        run("bert", "FFT", "rte", 2, **costs(200, 3.0, 110)),
        run("bert", "FFT", "qnli", 1, **costs(400, 10.0, 110)),
        run("bert", "LoRA", "rte", 1, **costs(50, 1.0, 1)),
    ]
    matched = matched_versus(table_of(records), "FFT").set_index("strategy")
    assert matched.loc["LoRA", "n_tasks"] == 1 and matched.loc["LoRA", "tasks_left_out"] == "qnli"
    # Over RTE alone: FFT 2.0 s and 150 MB against LoRA's 1.0 s and 50 MB.
    assert matched.loc["LoRA", "eval_runtime_s_vs_base"] == pytest.approx(2.0 / 1.0)
    assert matched.loc["LoRA", "memory_allocated_mb_vs_base"] == pytest.approx(1 - 50 / 150)
    assert matched.loc["FFT", "n_tasks"] == 2 and matched.loc["FFT", "eval_runtime_s_vs_base"] == 1.0
    # Not what the unmatched comparison says: FFT's mean over both of its tasks, (2 + 10) / 2 = 6 s.
    unmatched = versus_baseline(measured_efficiency(table_of(records)), "FFT").set_index("strategy")
    assert unmatched.loc["LoRA", "eval_runtime_s_vs_base"] == pytest.approx(6.0)


def test_matched_comparison_equals_the_plain_one_when_every_task_is_there() -> None:
    matched = matched_versus(table_of(RUNS), "FFT").set_index("strategy")
    plain = versus_baseline(measured_efficiency(table_of(RUNS)), "FFT").set_index("strategy")
    ratios = [c for c in plain.columns if c.endswith("_vs_base")]
    pd.testing.assert_frame_equal(matched.loc[plain.index, ratios], plain[ratios])


def test_unhealthy_runs_with_costs_are_counted_per_row() -> None:
    table = table_of(RUNS)
    unhealthy = {r.source_file for r in RUNS[:2]}  # both FFT RTE runs (run ids are their files)
    flagged = with_unhealthy(measured_efficiency(table), table, unhealthy).set_index("strategy")
    assert flagged.loc["FFT", "n_unhealthy"] == 2 and flagged.loc["LoRA", "n_unhealthy"] == 0


def test_cost_observations_compare_the_tasks_both_strategies_have() -> None:
    # LoRA has no QNLI run (none healthy, say): its time is compared with FFT's on RTE alone.
    records = [
        run("bert", "FFT", "rte", 1, **costs(100, 1.0, 110)),
        run("bert", "FFT", "rte", 2, **costs(200, 3.0, 110)),
        run("bert", "FFT", "qnli", 1, **costs(400, 10.0, 110)),
        run("bert", "LoRA", "rte", 1, **costs(50, 1.0, 1)),
    ]
    figures = headline(table_of(records), config(), None).observations.set_index(["observation", "to"])["value"]
    assert figures[("inference_speedup", "LoRA")] == pytest.approx(2.0 / 1.0)  # not (2 + 10) / 2 / 1
    assert figures[("memory_reduction", "LoRA")] == pytest.approx(1 - 50 / 150)
