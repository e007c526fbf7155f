"""Hugging Face Trainer-style ``metrics.json`` result trees: one run per file, at any depth."""

from __future__ import annotations

import functools
import re
from pathlib import PurePosixPath
from typing import Any

from gen.config import MetricsJsonSource
from gen.sources.base import (
    Curves,
    InputError,
    RunRecord,
    SourceLoad,
    all_numbers,
    as_field,
    as_number,
    interleave,
    parse_json_object,
)
from gen.sources.files import load_files

# Top-level keys kept as final metrics, renamed so the unit (if any) is in the name.
FINAL_METRICS = {
    "eval_accuracy": "accuracy",
    "eval_f1": "f1",
    "eval_matthews_correlation": "matthews_correlation",
    "eval_pearson": "pearson",
    "eval_spearman": "spearman",
    "matched_accuracy": "matched_accuracy",
    "mismatched_accuracy": "mismatched_accuracy",
    "eval_loss": "eval_loss",
    "eval_runtime": "eval_runtime_s",
    "eval_samples_per_second": "eval_samples_per_s",
    "eval_steps_per_second": "eval_steps_per_s",
    "epoch": "epochs",
}
TRAIN_SCALARS = {"train_time": "train_time_s", "trainable_params_count": "params_m"}
# Memory is sampled once per epoch; the peak is what a reader budgets a GPU for.
TRAIN_PEAKS = {"memory_allocated": "memory_allocated_mb", "memory_reserved": "memory_reserved_mb"}

# The default layout: <variant>/task_<task>_<family>_<seed>/base_<batch>_<lr>_<wd>/peft_<peft>_<alpha>_<dropout>_<rank>
PATH_FIELDS = [
    re.compile(r"^task_(?P<task>[^_]+)_(?P<family>[^_]+)_(?P<seed>[^_]+)$"),
    re.compile(r"^base_(?P<batch>[^_]+)_(?P<lr>[^_]+)_(?P<weight_decay>[^_]+)$"),
    re.compile(r"^peft_(?P<peft>[^_]+)_(?P<alpha>[^_]+)_(?P<dropout>[^_]+)_(?P<rank>[^_]+)$"),
]


def default_path_fields(relative: str) -> dict[str, str]:
    """Fields the default layout encodes in the folder names of a result file's path."""
    fields: dict[str, str] = {}
    for part in PurePosixPath(relative).parent.parts:
        for pattern in PATH_FIELDS:
            if found := pattern.match(part):
                fields.update(found.groupdict())
    return fields


def trainer_metrics(result: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Final metrics of one Trainer result: eval metrics at the top level plus the ``train`` block."""
    metrics: dict[str, float] = {}
    for key, value in result.items():
        name = FINAL_METRICS.get(key) or (key.removeprefix("eval_") if key.startswith("eval_") else None)
        if name is not None:
            metrics[name] = as_number(value, prefix + key)
    train = result.get("train", {})
    if not isinstance(train, dict):
        raise InputError(f"field '{prefix}train': expected an object, got {type(train).__name__}")
    for key, name in TRAIN_SCALARS.items():
        if key in train:
            metrics[name] = as_number(train[key], f"{prefix}train.{key}")
    for key, name in TRAIN_PEAKS.items():
        samples = train.get(key)
        if samples is None:
            continue
        if not isinstance(samples, list) or not samples:
            raise InputError(f"field '{prefix}train.{key}': expected a non-empty list of numbers")
        if not all_numbers(samples):
            for value in samples:
                as_number(value, f"{prefix}train.{key}")
        metrics[name] = float(max(samples))
    return metrics


# Trainer log entries carry these besides the curves worth drawing.
_NOT_CURVES = {"step", "epoch", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second"}


def trainer_curves(result: dict[str, Any], prefix: str = "") -> Curves:
    """The training loss and every eval metric of ``log_history`` as (series, step, value) points.

    The closing summary entry (train_runtime, total_flos, ...) is not a curve and is skipped.
    """
    history = result.get("log_history", [])
    if not isinstance(history, list):
        raise InputError(f"field '{prefix}log_history': expected a list, got {type(history).__name__}")
    # The hot loop of ingest (hundreds of entries per file): values are gathered unchecked and checked per series
    # in bulk; only a file that fails the check is walked again to name the offending field.
    series: dict[str, tuple[list[Any], list[Any]]] = {}
    every_step = []
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise InputError(f"field '{prefix}log_history[{index}]': expected an object, got {type(entry).__name__}")
        if "train_runtime" in entry or "step" not in entry:
            continue
        step = entry["step"]
        every_step.append(step)
        for key in _curve_keys(tuple(entry)):
            steps, values = series.setdefault(key, ([], []))
            steps.append(step)
            values.append(entry[key])
    if not (all_numbers(every_step) and all(all_numbers(values) for _, values in series.values())):
        _name_bad_number(history, prefix)
    return tuple((name, interleave(steps, values)) for name, (steps, values) in series.items())


@functools.lru_cache(maxsize=1024)
def _curve_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of a log entry that are curves; a log has a handful of entry shapes, so this is remembered."""
    return tuple(key for key in keys if _is_curve(key))


def _is_curve(key: str) -> bool:
    return key == "loss" or (key.startswith("eval_") and key not in _NOT_CURVES)


def _name_bad_number(history: list[dict[str, Any]], prefix: str) -> None:
    """Raise InputError naming the first curve field of ``history`` that is not a finite number."""
    for index, entry in enumerate(history):
        if "train_runtime" in entry or "step" not in entry:
            continue
        where = f"{prefix}log_history[{index}]"
        as_number(entry["step"], f"{where}.step")
        for key, value in entry.items():
            if _is_curve(key):
                as_number(value, f"{where}.{key}")


def settings(values: dict[str, Any]) -> dict[str, str]:
    """Scalar settings as strings; ``model_family`` also names the family."""
    fields = {str(k): as_field(v) for k, v in values.items() if not isinstance(v, dict | list)}
    if "model_family" in fields:
        fields["family"] = fields["model_family"]
    return fields


def require_identity(fields: dict[str, str]) -> None:
    """Every run needs a task and a model family to be placed anywhere."""
    for required in ("task", "family"):
        if required not in fields:
            raise InputError(f"field '{required}': missing (neither in the file nor in the folder names)")


def read_run(data: bytes, relative: str, path_fields: dict[str, str] | None = None) -> list[RunRecord]:
    """The one run in the bytes of a ``metrics.json``; ``path_fields`` None means the default layout."""
    parsed = parse_json_object(data)
    args = parsed.get("args", {})
    if not isinstance(args, dict):
        raise InputError(f"field 'args': expected an object, got {type(args).__name__}")
    fields = (default_path_fields(relative) if path_fields is None else path_fields) | settings(args)
    if "variant" in parsed:
        fields["variant"] = as_field(parsed["variant"])
    require_identity(fields)
    return [RunRecord("", relative, "", fields, trainer_metrics(parsed), curves=trainer_curves(parsed))]


def load_metrics_json(source: MetricsJsonSource, label: str) -> SourceLoad:
    """Every file named ``source.pattern`` under ``source.path``."""
    return load_files(source, label, read_run)
