"""The task registry against a published figure: the GLUE leaderboard's BERT-large row scores 80.5."""

from __future__ import annotations

import pytest

from gen.analysis.scores import glue_scores, score_cells, task_scores
from gen.benchmarks import GLUE_TASKS, preset
from tests.helpers import run, runs_of, table_of

# GLUE leaderboard, BERT-large (Devlin et al.): task figures as published (as fractions); its score is 80.5.
BERT_LARGE = [
    run("bert", "FFT", "cola", 0, matthews_correlation=0.605),
    run("bert", "FFT", "sst2", 0, accuracy=0.949),
    run("bert", "FFT", "mrpc", 0, f1=0.893, accuracy=0.854),
    run("bert", "FFT", "stsb", 0, pearson=0.876, spearman=0.865),
    run("bert", "FFT", "qqp", 0, f1=0.721, accuracy=0.893),
    run("bert", "FFT", "mnli", 0, matched_accuracy=0.867, mismatched_accuracy=0.859),
    run("bert", "FFT", "qnli", 0, accuracy=0.927),
    run("bert", "FFT", "rte", 0, accuracy=0.701),
    run("bert", "FFT", "wnli", 0, accuracy=0.651),
]


def test_glue_convention_reproduces_the_leaderboard_score() -> None:
    scores = task_scores(table_of(BERT_LARGE, "glue"), preset("glue", "glue"))
    (row,) = glue_scores(score_cells(scores)).to_dict("records")
    assert row["n_columns"] == 9
    assert round(100 * row["glue_score"], 1) == 80.5


def test_primary_convention_splits_mnli_and_takes_one_metric_per_task() -> None:
    columns = {c.column: c.metrics for c in preset("glue", "primary").columns()}
    assert columns["mnli_m"] == ("matched_accuracy",)
    assert columns["mnli_mm"] == ("mismatched_accuracy",)
    assert columns["cola"] == ("matthews_correlation",)
    assert columns["stsb"] == ("pearson",)
    assert columns["mrpc"] == columns["qqp"] == ("accuracy",)
    scores = task_scores(table_of(BERT_LARGE), preset("glue", "primary"))
    by_column = dict(zip(scores["column"], scores["score"], strict=True))
    assert by_column == {
        "cola": 0.605, "sst2": 0.949, "mrpc": 0.854, "stsb": 0.876, "qqp": 0.893,
        "mnli_m": 0.867, "mnli_mm": 0.859, "qnli": 0.927, "rte": 0.701, "wnli": 0.651,
    }  # fmt: skip


def test_registry_is_the_nine_glue_tasks() -> None:
    assert sorted(GLUE_TASKS) == sorted(["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"])


@pytest.mark.parametrize("scheme", ["primary", "glue"])
def test_a_run_missing_a_needed_metric_is_rejected(scheme: str) -> None:
    runs = runs_of([run("bert", "FFT", "mrpc", 0, f1=0.009)], scheme)
    assert runs.table.empty
    assert "missing metric(s) accuracy" in runs.rejected_runs["reason"].iloc[0]
    assert runs.files["outcome"].tolist() == ["rejected"]
