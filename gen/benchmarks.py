"""Benchmark suites: which metric scores each task, under each scoring convention; the built-in presets (GLUE,
SuperGLUE) and suites declared in the report config."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

Scheme = Literal["primary", "glue"]


@dataclass(frozen=True)
class ScoreColumn:
    """One column of a score table: a task (or one half of it) and the metrics averaged into it.

    A lower-is-better column (a latency) is shown with the others but left out of the suite score, which averages
    scores where higher is better.
    """

    task: str
    column: str
    label: str
    metrics: tuple[str, ...]
    higher_is_better: bool = True


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


@dataclass(frozen=True)
class Suite:
    """A benchmark suite: its name (as every label, title and finding says it) and its tasks in order."""

    name: str
    tasks: tuple[Task, ...]
    scheme: Scheme = "primary"

    def columns(self) -> list[ScoreColumn]:
        """Every score column, in the suite's order."""
        return [column for task in self.tasks for column in task.columns(self.scheme)]

    def task(self, name: str) -> Task | None:
        """The task called ``name``, or None."""
        return next((task for task in self.tasks if task.name == name), None)

    def labels(self) -> dict[str, str]:
        """Column name -> label."""
        return {column.column: column.label for column in self.columns()}

    def column_task(self, column: str) -> str:
        """The task a score column belongs to (``mnli_m`` → ``mnli``); the column itself if unknown."""
        for task in self.tasks:
            if any(c.column == column for c in task.columns(self.scheme)):
                return task.name
        return column

    def task_label(self, name: str) -> str:
        """A task's label, or its name when the suite does not know it."""
        task = self.task(name)
        return task.label if task is not None else name


def declared_task(
    name: str, label: str, metrics: tuple[str, ...], trivial: float | None, higher_is_better: bool
) -> Task:
    """A task declared in a report config: one column, the mean of its metrics."""
    column = ScoreColumn(name, name, label, metrics, higher_is_better)
    basis = "declared in the report config"
    levels = tuple(Trivial(metric, trivial, basis) for metric in metrics[:1]) if trivial is not None else ()
    return Task(name, label, (column,), (column,), levels)


@functools.lru_cache(maxsize=8)
def preset(name: str, scheme: Scheme) -> Suite:
    """A built-in suite: ``glue`` (with the ``primary`` or ``glue`` convention) or ``superglue``."""
    if name == "superglue":
        # The leaderboard's convention: CB, MultiRC and ReCoRD score the mean of their two metrics.
        return Suite("SuperGLUE", tuple(SUPERGLUE_TASKS.values()), "glue")
    return Suite("GLUE", tuple(GLUE_TASKS.values()), scheme)


def column_score(metrics: dict[str, float], column: ScoreColumn) -> float | None:
    """The column's score from one run's metrics: the mean of its metrics, None when one is missing."""
    values = [metrics.get(name) for name in column.metrics]
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / len(values)


# SuperGLUE (Wang et al., 2019) as the Hugging Face `super_glue` metrics name its scores. Trivial levels only
# where the validation split's majority rate is a published fact: BoolQ 2,033 of 3,270 "yes", RTE as in GLUE,
# WiC balanced by construction (319 of 638).
SUPERGLUE_TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        _task("boolq", "BoolQ", "accuracy", trivial=_majority("accuracy", 2_033, 3_270, "yes")),
        _task("cb", "CB", "f1", ("f1", "accuracy")),
        _task("copa", "COPA", "accuracy"),
        _task("multirc", "MultiRC", "f1_a", ("f1_a", "exact_match")),
        _task("record", "ReCoRD", "f1", ("f1", "exact_match")),
        _task("rte", "RTE", "accuracy", trivial=_majority("accuracy", 146, 277, "entailment")),
        _task("wic", "WiC", "accuracy", trivial=_majority("accuracy", 319, 638, "the same sense")),
        _task("wsc", "WSC", "accuracy"),
    )
}


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


_UNBOUNDED = (float("-inf"), float("inf"))


def out_of_range(metrics: dict[str, float]) -> str | None:
    """The first metric outside its plausible range, as a reason; None when all are plausible."""
    # Nearly every run passes: the metrics with a range are checked in any order first, the rest only for NaN (a
    # metric without a range may be any number), and they are sorted only to name the first implausible one.
    ranged = metrics.keys() & METRIC_RANGES.keys()
    if not any(map(math.isnan, metrics.values())) and all(
        METRIC_RANGES[name][0] <= metrics[name] <= METRIC_RANGES[name][1] for name in ranged
    ):
        return None
    for name, value in sorted(metrics.items()):
        low, high = METRIC_RANGES.get(name, _UNBOUNDED)
        if not low <= value <= high:
            return f"metric '{name}' = {value:g} is outside [{low:g}, {high:g}]"
    return None
