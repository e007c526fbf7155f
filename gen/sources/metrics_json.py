"""Hugging Face Trainer-style ``metrics.json`` result trees: one run per file, at any depth."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from gen.config import MetricsJsonSource
from gen.sources.base import FileOutcome, InputError, RunRecord, SourceLoad, as_field, as_number

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


def path_fields(relative: Path) -> dict[str, str]:
    """Fields encoded in the folder names of a result file's path."""
    fields: dict[str, str] = {}
    for part in relative.parent.parts:
        for pattern in PATH_FIELDS:
            if found := pattern.match(part):
                fields.update(found.groupdict())
    return fields


def trainer_metrics(result: dict[str, Any]) -> dict[str, float]:
    """Final metrics of one Trainer result: eval metrics at the top level plus the ``train`` block."""
    metrics: dict[str, float] = {}
    for key, value in result.items():
        name = FINAL_METRICS.get(key) or (key.removeprefix("eval_") if key.startswith("eval_") else None)
        if name is not None:
            metrics[name] = as_number(value, key)
    train = result.get("train", {})
    if not isinstance(train, dict):
        raise InputError(f"field 'train': expected an object, got {type(train).__name__}")
    for key, name in TRAIN_SCALARS.items():
        if key in train:
            metrics[name] = as_number(train[key], f"train.{key}")
    for key, name in TRAIN_PEAKS.items():
        samples = train.get(key)
        if samples is None:
            continue
        if not isinstance(samples, list) or not samples:
            raise InputError(f"field 'train.{key}': expected a non-empty list of numbers")
        metrics[name] = max(as_number(v, f"train.{key}") for v in samples)
    return metrics


def settings(args: object) -> dict[str, str]:
    """The run's settings from its ``args`` block, as strings; ``model_family`` also names the family."""
    if not isinstance(args, dict):
        raise InputError(f"field 'args': expected an object, got {type(args).__name__}")
    fields = {str(k): as_field(v) for k, v in args.items() if not isinstance(v, dict | list)}
    if "model_family" in fields:
        fields["family"] = fields["model_family"]
    return fields


def parse_metrics_json(data: bytes, relative: Path) -> dict[str, Any]:
    """Parse one file's bytes into a JSON object, or InputError with a one-line reason."""
    if not data.strip():
        raise InputError("empty file")
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InputError(f"top level is a JSON {type(parsed).__name__}, expected an object")
    return parsed


def read_run(data: bytes, relative: Path, source: str) -> RunRecord:
    """One run from the bytes of a ``metrics.json``."""
    parsed = parse_metrics_json(data, relative)
    fields = path_fields(relative) | settings(parsed.get("args", {}))
    if "variant" in parsed:
        fields["variant"] = as_field(parsed["variant"])
    for required in ("task", "family"):
        if required not in fields:
            raise InputError(f"field '{required}': missing (neither in args nor in the folder names)")
    return RunRecord(source, relative.as_posix(), "", fields, trainer_metrics(parsed))


def load_metrics_json(source: MetricsJsonSource, label: str) -> SourceLoad:
    """Every file named ``source.pattern`` under ``source.path``, in sorted order."""
    load = SourceLoad()
    for path in sorted(source.path.rglob(source.pattern)):
        relative = path.relative_to(source.path)
        name = relative.as_posix()
        try:
            run = read_run(path.read_bytes(), relative, label)
        except InputError as exc:
            load.files.append(FileOutcome(label, name, "rejected", reason=str(exc)))
        except OSError as exc:
            load.files.append(FileOutcome(label, name, "rejected", reason=f"unreadable: {exc.strerror}"))
        else:
            load.runs.append(run)
            load.files.append(FileOutcome(label, name, "ingested", runs=1))
    return load
