"""Task registry: which metric scores each benchmark task, under each scoring convention (GLUE first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scheme = Literal["primary", "glue"]


@dataclass(frozen=True)
class ScoreColumn:
    """One column of a score table: a task (or one half of it) and the metrics averaged into it."""

    task: str
    column: str
    label: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """A benchmark task with its columns under the ``primary`` and ``glue`` conventions."""

    name: str
    label: str
    primary: tuple[ScoreColumn, ...]
    glue: tuple[ScoreColumn, ...]

    def columns(self, scheme: Scheme) -> tuple[ScoreColumn, ...]:
        """Score columns this task contributes under ``scheme``."""
        return self.primary if scheme == "primary" else self.glue


def _task(name: str, label: str, primary: str, glue: tuple[str, ...] | None = None) -> Task:
    return Task(
        name,
        label,
        (ScoreColumn(name, name, label, (primary,)),),
        (ScoreColumn(name, name, label, glue or (primary,)),),
    )


# GLUE in the benchmark's own order. `primary` is the KD-LoRA seed's convention; `glue` the leaderboard's.
GLUE_TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        _task("cola", "CoLA", "matthews_correlation"),
        _task("sst2", "SST-2", "accuracy"),
        _task("mrpc", "MRPC", "accuracy", ("f1", "accuracy")),
        _task("stsb", "STS-B", "pearson", ("pearson", "spearman")),
        _task("qqp", "QQP", "accuracy", ("f1", "accuracy")),
        Task(
            "mnli",
            "MNLI",
            (
                ScoreColumn("mnli", "mnli_m", "MNLI-m", ("matched_accuracy",)),
                ScoreColumn("mnli", "mnli_mm", "MNLI-mm", ("mismatched_accuracy",)),
            ),
            (ScoreColumn("mnli", "mnli", "MNLI", ("matched_accuracy", "mismatched_accuracy")),),
        ),
        _task("qnli", "QNLI", "accuracy"),
        _task("rte", "RTE", "accuracy"),
        _task("wnli", "WNLI", "accuracy"),
    )
}


def score_columns(scheme: Scheme) -> list[ScoreColumn]:
    """Every score column of the registry, in benchmark order."""
    return [column for task in GLUE_TASKS.values() for column in task.columns(scheme)]


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
