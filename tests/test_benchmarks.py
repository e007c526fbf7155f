"""The task registry against a published figure: the GLUE leaderboard's BERT-large row scores 80.5."""

from __future__ import annotations

import pytest

from gen.analysis.scores import glue_scores, score_cells, task_scores
from gen.benchmarks import GLUE_TASKS, score_columns
from tests.helpers import run, runs_of, table_of

# GLUE leaderboard, BERT-large (Devlin et al.): task figures as published; the leaderboard's score is 80.5.
BERT_LARGE = [
    run("bert", "FFT", "cola", 0, matthews_correlation=60.5),
    run("bert", "FFT", "sst2", 0, accuracy=94.9),
    run("bert", "FFT", "mrpc", 0, f1=89.3, accuracy=85.4),
    run("bert", "FFT", "stsb", 0, pearson=87.6, spearman=86.5),
    run("bert", "FFT", "qqp", 0, f1=72.1, accuracy=89.3),
    run("bert", "FFT", "mnli", 0, matched_accuracy=86.7, mismatched_accuracy=85.9),
    run("bert", "FFT", "qnli", 0, accuracy=92.7),
    run("bert", "FFT", "rte", 0, accuracy=70.1),
    run("bert", "FFT", "wnli", 0, accuracy=65.1),
]


def test_glue_convention_reproduces_the_leaderboard_score() -> None:
    scores = task_scores(table_of(BERT_LARGE, "glue"), "glue")
    (row,) = glue_scores(score_cells(scores)).to_dict("records")
    assert row["n_columns"] == 9
    assert round(row["glue_score"], 1) == 80.5


def test_primary_convention_splits_mnli_and_takes_one_metric_per_task() -> None:
    columns = {c.column: c.metrics for c in score_columns("primary")}
    assert columns["mnli_m"] == ("matched_accuracy",)
    assert columns["mnli_mm"] == ("mismatched_accuracy",)
    assert columns["cola"] == ("matthews_correlation",)
    assert columns["stsb"] == ("pearson",)
    assert columns["mrpc"] == columns["qqp"] == ("accuracy",)
    scores = task_scores(table_of(BERT_LARGE), "primary")
    by_column = dict(zip(scores["column"], scores["score"], strict=True))
    assert by_column == {
        "cola": 60.5, "sst2": 94.9, "mrpc": 85.4, "stsb": 87.6, "qqp": 89.3,
        "mnli_m": 86.7, "mnli_mm": 85.9, "qnli": 92.7, "rte": 70.1, "wnli": 65.1,
    }  # fmt: skip


def test_registry_is_the_nine_glue_tasks() -> None:
    assert sorted(GLUE_TASKS) == sorted(["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"])


@pytest.mark.parametrize("scheme", ["primary", "glue"])
def test_a_run_missing_a_needed_metric_is_rejected(scheme: str) -> None:
    runs = runs_of([run("bert", "FFT", "mrpc", 0, f1=0.9)], scheme)
    assert runs.table.empty
    assert "missing metric(s) accuracy" in runs.rejected_runs["reason"].iloc[0]
    assert runs.files["outcome"].tolist() == ["rejected"]
