"""Task registry: which metric scores each benchmark task, under each scoring convention (GLUE first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scheme = Literal["primary", "glue"]
# The benchmark suite's name, as tables and comparisons label its aggregate score.
SUITE_NAME = "GLUE"


@dataclass(frozen=True)
class ScoreColumn:
    """One column of a score table: a task (or one half of it) and the metrics averaged into it."""

    task: str
    column: str
    label: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Trivial:
    """What a model that learned nothing scores on a metric: the majority-class rate of the evaluation split for
    classification accuracy (``basis`` gives the counts), 0 for correlations."""

    metric: str
    level: float
    basis: str


@dataclass(frozen=True)
class Task:
    """A benchmark task with its columns under the ``primary`` and ``glue`` conventions, and its trivial levels."""

    name: str
    label: str
    primary: tuple[ScoreColumn, ...]
    glue: tuple[ScoreColumn, ...]
    trivial: tuple[Trivial, ...] = ()

    def columns(self, scheme: Scheme) -> tuple[ScoreColumn, ...]:
        """Score columns this task contributes under ``scheme``."""
        return self.primary if scheme == "primary" else self.glue


def _task(
    name: str, label: str, primary: str, glue: tuple[str, ...] | None = None, trivial: Trivial | None = None
) -> Task:
    return Task(
        name,
        label,
        (ScoreColumn(name, name, label, (primary,)),),
        (ScoreColumn(name, name, label, glue or (primary,)),),
        (trivial,) if trivial else (),
    )


def _majority(metric: str, majority: int, total: int, label: str) -> Trivial:
    return Trivial(metric, majority / total, f"{majority:,} of {total:,} validation examples are {label}")


def _no_correlation(metric: str) -> Trivial:
    return Trivial(metric, 0.0, "a constant prediction has no correlation with the labels")


# GLUE in the benchmark's own order. `primary` is the KD-LoRA seed's convention; `glue` the leaderboard's.
# Trivial levels: label counts of the GLUE validation splits as distributed in the `glue` dataset (Wang et al.,
# 2019; Hugging Face `nyu-mll/glue`). Real runs that collapsed land exactly on them (QQP 0.63183 = 25,545/40,430).
GLUE_TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        _task("cola", "CoLA", "matthews_correlation", trivial=_no_correlation("matthews_correlation")),
        _task("sst2", "SST-2", "accuracy", trivial=_majority("accuracy", 444, 872, "positive")),
        _task("mrpc", "MRPC", "accuracy", ("f1", "accuracy"), _majority("accuracy", 279, 408, "paraphrases")),
        _task("stsb", "STS-B", "pearson", ("pearson", "spearman"), _no_correlation("pearson")),
        _task("qqp", "QQP", "accuracy", ("f1", "accuracy"), _majority("accuracy", 25_545, 40_430, "not duplicates")),
        Task(
            "mnli",
            "MNLI",
            (
                ScoreColumn("mnli", "mnli_m", "MNLI-m", ("matched_accuracy",)),
                ScoreColumn("mnli", "mnli_mm", "MNLI-mm", ("mismatched_accuracy",)),
            ),
            (ScoreColumn("mnli", "mnli", "MNLI", ("matched_accuracy", "mismatched_accuracy")),),
            (
                _majority("matched_accuracy", 3_479, 9_815, "entailment (matched)"),
                _majority("mismatched_accuracy", 3_463, 9_832, "entailment (mismatched)"),
            ),
        ),
        _task("qnli", "QNLI", "accuracy", trivial=_majority("accuracy", 2_761, 5_463, "not entailment")),
        _task("rte", "RTE", "accuracy", trivial=_majority("accuracy", 146, 277, "entailment")),
        _task("wnli", "WNLI", "accuracy", trivial=_majority("accuracy", 40, 71, "not entailment")),
    )
}


def score_columns(scheme: Scheme) -> list[ScoreColumn]:
    """Every score column of the registry, in benchmark order."""
    return [column for task in GLUE_TASKS.values() for column in task.columns(scheme)]


def column_task(column: str) -> str:
    """The task a score column belongs to under either convention (``mnli_m`` → ``mnli``); itself if unknown."""
    for task in GLUE_TASKS.values():
        if any(c.column == column for c in (*task.primary, *task.glue)):
            return task.name
    return column


def column_score(metrics: dict[str, float], column: ScoreColumn) -> float | None:
    """The column's score from one run's metrics: the mean of its metrics, None when one is missing."""
    values = [metrics.get(name) for name in column.metrics]
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / len(values)


# Plausible ranges of final metrics; a value outside is a broken or mis-scaled file, not a result.
# Scores are fractions (0.85, not 85). Costs allow anything a real GPU run could produce.
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "accuracy": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "matched_accuracy": (0.0, 1.0),
    "mismatched_accuracy": (0.0, 1.0),
    "matthews_correlation": (-1.0, 1.0),
    "pearson": (-1.0, 1.0),
    "spearman": (-1.0, 1.0),
    "params_m": (0.0, 1e7),
    "memory_allocated_mb": (0.0, 1e7),
    "memory_reserved_mb": (0.0, 1e7),
    "train_time_s": (0.0, 1e8),
    "eval_runtime_s": (0.0, 1e8),
    "eval_samples_per_s": (0.0, 1e9),
}


# Measured costs a run may carry: a NaN in one of them makes the run unusable for the efficiency pages.
COST_METRICS = (
    "params_m",
    "memory_allocated_mb",
    "memory_reserved_mb",
    "train_time_s",
    "eval_runtime_s",
    "eval_samples_per_s",
)


def out_of_range(metrics: dict[str, float]) -> str | None:
    """The first metric outside its plausible range, as a reason; None when all are plausible."""
    for name, value in sorted(metrics.items()):
        low, high = METRIC_RANGES.get(name, (float("-inf"), float("inf")))
        if not low <= value <= high:
            return f"metric '{name}' = {value:g} is outside [{low:g}, {high:g}]"
    return None
