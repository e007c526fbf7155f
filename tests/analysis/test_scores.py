"""Scores on small hand-made runs, checked against sums done by hand with the statistics module."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from gen.analysis.scores import glue_scores, glue_table, score_cells, score_differences, task_scores
from gen.benchmarks import preset
from tests.helpers import run, table_of

RUNS = [
    run("bert", "FFT", "rte", 1, accuracy=0.70),
    run("bert", "FFT", "rte", 2, accuracy=0.74),
    run("bert", "FFT", "rte", 3, accuracy=0.66),
    run("bert", "FFT", "cola", 1, matthews_correlation=0.58),
    run("bert", "FFT", "mnli", 1, matched_accuracy=0.84, mismatched_accuracy=0.85),
    run("bert", "LoRA", "rte", 1, accuracy=0.60),
    run("bert", "LoRA", "rte", 2, accuracy=0.64),
    run("bert", "LoRA", "mnli", 1, matched_accuracy=0.80, mismatched_accuracy=0.82),
    run("roberta", "FFT", "rte", 1, accuracy=0.80),
    run("roberta", "FFT", "cola", 1, matthews_correlation=0.60),
    run("roberta", "FFT", "mnli", 1, matched_accuracy=0.87, mismatched_accuracy=0.86),
]


@pytest.fixture
def cells() -> pd.DataFrame:
    return score_cells(task_scores(table_of(RUNS), preset("glue", "primary")))


def test_cells_hold_n_mean_and_sample_std(cells: pd.DataFrame) -> None:
    rte = cells[(cells["family"] == "bert") & (cells["strategy"] == "FFT") & (cells["column"] == "rte")].iloc[0]
    assert rte["n_runs"] == 3
    assert rte["mean"] == pytest.approx(statistics.mean([0.70, 0.74, 0.66]))
    assert rte["std"] == pytest.approx(statistics.stdev([0.70, 0.74, 0.66]))
    single = cells[(cells["family"] == "bert") & (cells["column"] == "cola")].iloc[0]
    assert single["n_runs"] == 1 and single["std"] != single["std"]  # one run: no spread (NaN)


def test_glue_score_is_mean_of_column_means_and_partial_rows_are_flagged(cells: pd.DataFrame) -> None:
    glue = glue_scores(cells).set_index(["family", "strategy"])
    fft = statistics.mean([statistics.mean([0.70, 0.74, 0.66]), 0.58, 0.84, 0.85])
    assert glue.loc[("bert", "FFT"), "glue_score"] == pytest.approx(fft)
    assert glue.loc[("bert", "FFT"), "columns"] == "cola mnli_m mnli_mm rte"
    lora = statistics.mean([0.62, 0.80, 0.82])
    assert glue.loc[("bert", "LoRA"), "glue_score"] == pytest.approx(lora)
    assert glue["complete"].to_dict() == {("bert", "FFT"): True, ("bert", "LoRA"): False, ("roberta", "FFT"): True}


def test_differences_are_to_minus_from_in_points_over_the_tasks_both_have(cells: pd.DataFrame) -> None:
    (row,) = score_differences(cells, ["FFT", "LoRA"]).to_dict("records")
    per_column = [100 * (0.62 - statistics.mean([0.70, 0.74, 0.66])), 100 * (0.80 - 0.84), 100 * (0.82 - 0.85)]
    assert (row["family"], row["from"], row["to"]) == ("bert", "FFT", "LoRA")
    assert row["columns"] == "mnli_m mnli_mm rte"
    assert row["difference_points"] == pytest.approx(statistics.mean(per_column))
    assert row["difference_points"] < 0  # LoRA scores lower here
    assert row["std_points"] == pytest.approx(statistics.stdev(per_column))


def test_glue_table_is_wide_in_benchmark_order(cells: pd.DataFrame) -> None:
    table = glue_table(cells, glue_scores(cells))
    assert list(table.columns) == [
        "family", "strategy", "model", "cola", "mnli_m", "mnli_mm", "rte", "glue_score", "n_columns", "complete",
    ]  # fmt: skip
    lora = table[(table["family"] == "bert") & (table["strategy"] == "LoRA")].iloc[0]
    assert lora["cola"] != lora["cola"]  # no CoLA run: empty, not zero
    assert lora["rte"] == pytest.approx(0.62)
