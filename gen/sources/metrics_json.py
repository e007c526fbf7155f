"""Hugging Face Trainer-style ``metrics.json`` result trees: one run per file, at any depth."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from gen.config.sources import MetricsJsonSource
from gen.sources.base import (
    Curves,
    InputError,
    NonFinite,
    ParsedJson,
    RunRecord,
    SourceLoad,
    all_numbers,
    as_field,
    as_number,
    interleave,
    non_finite_paths,
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
    for part in relative.split("/")[:-1]:
        for pattern in PATH_FIELDS:
            if found := pattern.match(part):
                fields.update(found.groupdict())
    return fields


@dataclass
class TrainerMetrics:
    """Final metrics of one Trainer result, those given as NaN/Infinity (metric -> reason), and warnings."""

    metrics: dict[str, float]
    non_finite: dict[str, str]
    warnings: list[tuple[str, str]]

    def keep(self, name: str, value: object, where: str) -> None:
        """Keep ``value`` (the file's field ``where``) as metric ``name``: NaN/Infinity set aside with the reason,
        a value that is no number an InputError naming the field."""
        if type(value) is float and math.isfinite(value):  # the usual value, kept without the checks' calls
            self.metrics[name] = value
        elif (reason := _non_finite_reason(value, where)) is not None:
            self.non_finite[name] = reason
        else:
            self.metrics[name] = float(value)  # type: ignore[arg-type]  # checked by _non_finite_reason


def _non_finite_reason(value: object, name: str) -> str | None:
    """Why a value read as a number is unusable (NaN/Infinity), or None; wrong types raise InputError."""
    if isinstance(value, NonFinite):
        return f"field {name!r}: {value.token} is not a finite number"
    as_number(value, name)
    return None


def final_metric_name(key: str) -> str | None:
    """The metric a top-level key of a ``metrics.json`` gives (FINAL_METRICS, else ``eval_x`` as ``x``), or None."""
    return FINAL_METRICS.get(key) or (key.removeprefix("eval_") if key.startswith("eval_") else None)


def trainer_metrics(result: dict[str, Any], prefix: str = "") -> TrainerMetrics:
    """Final metrics of one Trainer result: eval metrics at the top level plus the ``train`` block.

    A NaN/Infinity metric is set aside with its reason rather than failing the run: whether it matters depends
    on whether a score or a cost needs it (gen.runs). A string where a number belongs still fails the run.
    """
    read = TrainerMetrics({}, {}, [])
    keep = read.keep
    for key, value in result.items():
        name = final_metric_name(key)
        if name is not None:
            keep(name, value, prefix + key)
    train = result.get("train", {})
    if not isinstance(train, dict):
        raise InputError(f"field '{prefix}train': expected an object, got {type(train).__name__}")
    for key, name in TRAIN_SCALARS.items():
        if key in train:
            keep(name, train[key], f"{prefix}train.{key}")
    for key, name in TRAIN_PEAKS.items():
        samples = train.get(key)
        if samples is None:
            continue
        where = f"{prefix}train.{key}"
        if not isinstance(samples, list) or not samples:
            raise InputError(f"field {where!r}: expected a non-empty list of numbers")
        if all_numbers(samples):
            read.metrics[name] = float(max(samples))
            continue
        finite = [float(v) for i, v in enumerate(samples) if _non_finite_reason(v, f"{where}[{i}]") is None]
        if finite:
            read.metrics[name] = max(finite)
            read.warnings.append(
                (where, f"{len(samples) - len(finite)} of {len(samples)} samples not finite: peak of the others")
            )
        else:
            read.non_finite[name] = f"field {where!r}: no finite sample"
    return read


# Trainer log entries carry these besides the curves worth drawing.
_NOT_CURVES = {"step", "epoch", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second"}


def trainer_curves(result: dict[str, Any], prefix: str = "") -> Curves:
    """The training loss and every eval metric of ``log_history`` as (series, step, value) points.

    The log ends at its closing summary entry (train_runtime, total_flos, ...): what follows are the evaluations
    made once training ended (of the checkpoint kept; MNLI's two splits), not points of the curve. NaN/Infinity
    values are left out (a gap in the curve; ``log_warnings`` reports them).
    """
    history = result.get("log_history", [])
    if not isinstance(history, list):
        raise InputError(f"field '{prefix}log_history': expected a list, got {type(history).__name__}")
    # Checked at C speed; only a log holding something else is walked, to name the first such entry.
    if not set(map(type, history)) <= {dict}:
        for index, entry in enumerate(history):
            if not isinstance(entry, dict):
                raise InputError(
                    f"field '{prefix}log_history[{index}]': expected an object, got {type(entry).__name__}"
                )
    series = _series_by_shape(history)
    if series is None:
        series = _finite_points(history, prefix)
    return tuple((name, interleave(steps, values)) for name, (steps, values) in series.items())


def _series_by_shape(history: list[dict[str, Any]]) -> dict[str, tuple[list[Any], list[Any]]] | None:
    """The curves of a log whose steps and values are all finite numbers and whose every curve is logged in entries
    of one shape (keys, in order); None for any other log.

    The hot loop of ingest (hundreds of entries per file): a log has a handful of entry shapes, so entries are
    grouped by shape in one pass, then each series of a shape is taken from its entries and checked in bulk.
    """
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for entry in history:
        shape = tuple(entry)
        if (entries := shapes.get(shape)) is None:
            if "train_runtime" in shape:
                break  # the closing summary: checked once per new shape, so the log's usual shapes cost nothing
            shapes[shape] = entries = []
        entries.append(entry)
    series: dict[str, tuple[list[Any], list[Any]]] = {}
    for shape, entries in shapes.items():
        if "step" not in shape:
            continue
        steps = list(map(itemgetter("step"), entries))
        if not all_numbers(steps):
            return None
        for key in shape:
            if _is_curve(key):
                values = list(map(itemgetter(key), entries))
                if key in series or not all_numbers(values):
                    return None
                series[key] = (steps, values)
    return series


def _is_curve(key: str) -> bool:
    return key == "loss" or (key.startswith("eval_") and key not in _NOT_CURVES)


def _finite_points(history: list[dict[str, Any]], prefix: str) -> dict[str, tuple[list[Any], list[Any]]]:
    """The curves of ``history`` without NaN/Infinity points; InputError naming the first value of a wrong type."""
    series: dict[str, tuple[list[Any], list[Any]]] = {}
    for index, entry in enumerate(history):
        if "train_runtime" in entry:
            break
        if "step" not in entry:
            continue
        where = f"{prefix}log_history[{index}]"
        if _non_finite_reason(entry["step"], f"{where}.step") is not None:
            continue
        for key, value in entry.items():
            if _is_curve(key) and _non_finite_reason(value, f"{where}.{key}") is None:
                steps, values = series.setdefault(key, ([], []))
                steps.append(entry["step"])
                values.append(value)
    return series


_LOG_ENTRY = re.compile(r"^log_history\[(?P<index>\d+)\]\.(?P<key>.+)$")
# How many steps a warning lists before "…".
_STEPS_SHOWN = 5


def log_warnings(result: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """One warning per log field holding NaN/Infinity (which steps, how it is treated), and one per other odd
    field outside the final metrics (which ``trainer_metrics`` sets aside itself)."""
    history = result.get("log_history", [])
    at_steps: dict[str, list[str]] = {}
    tokens: dict[str, set[str]] = {}
    warnings = []
    for path, token in non_finite_paths(result):
        if found := _LOG_ENTRY.match(path):
            entry = history[int(found["index"])]
            step = entry.get("step") if isinstance(entry, dict) else None
            at_steps.setdefault(found["key"], []).append(
                as_field(step) if step is not None else f"entry {found['index']}"
            )
            tokens.setdefault(found["key"], set()).add(token)
        elif path.split(".")[0] not in FINAL_METRICS and not path.startswith(("eval_", "train.")):
            warnings.append((prefix + path, f"{token} is not a finite number; not used"))
    for key, steps in at_steps.items():
        shown = ", ".join(steps[:_STEPS_SHOWN]) + (", …" if len(steps) > _STEPS_SHOWN else "")
        treated = "left out of the curve (a gap)" if _is_curve(key) else "not used"
        warnings.append(
            (
                f"{prefix}log_history[].{key}",
                f"{'/'.join(sorted(tokens[key]))} at {len(steps)} step(s) ({shown}): {treated}",
            )
        )
    return warnings


_NESTED = (dict, list)


def settings(values: dict[str, Any]) -> dict[str, str]:
    """Scalar settings as strings; ``model_family`` also names the family."""
    fields = {str(k): as_field(v) for k, v in values.items() if not isinstance(v, _NESTED)}
    if "model_family" in fields:
        fields["family"] = fields["model_family"]
    return fields


def require_identity(fields: dict[str, str], where: str = "neither in the file nor in the folder names") -> None:
    """Every run needs a task and a model family to be placed anywhere (``where``: where it was looked for)."""
    for required in ("task", "family"):
        if required not in fields:
            raise InputError(f"field '{required}': missing ({where})")
        if not fields[required].strip():
            raise InputError(f"field '{required}': empty")


def field_conflicts(
    from_path: dict[str, str],
    from_file: dict[str, str],
    path_says: str = "the folder says",
    file_says: str = "the file's args say",
) -> list[tuple[str, str]]:
    """Warnings for fields the folder names and the file's ``args`` both give, with different values (the file
    wins: it is what the training script was run with)."""
    return [
        (name, f"{path_says} {from_path[name]!r}, {file_says} {value!r}: the file's value is used")
        for name, value in from_file.items()
        if name in from_path and from_path[name] != value
    ]


def trainer_run(
    result: dict[str, Any], relative: str, key: str, fields: dict[str, str], parsed: ParsedJson, prefix: str = ""
) -> RunRecord:
    """One run from a Trainer result block (``prefix``: where the block sits in the file, for messages); keys the
    block gives twice are warnings."""
    read = trainer_metrics(result, prefix)
    curves = trainer_curves(result, prefix)
    warnings = read.warnings + (log_warnings(result, prefix) if parsed.has_non_finite else [])
    warnings += [(name, reason) for name, reason in parsed.duplicate_keys if name.startswith(prefix)]
    return RunRecord(
        "", relative, key, fields, read.metrics, curves=curves, non_finite=read.non_finite, warnings=tuple(warnings)
    )


def read_run(data: bytes, relative: str, path_fields: dict[str, str] | None = None) -> list[RunRecord]:
    """The one run in the bytes of a ``metrics.json``; ``path_fields`` None means the default layout."""
    parsed = parse_json_object(data)
    result = parsed.data
    args = result.get("args", {})
    if not isinstance(args, dict):
        raise InputError(f"field 'args': expected an object, got {type(args).__name__}")
    from_path = default_path_fields(relative) if path_fields is None else path_fields
    # A folder named by a format string the script never filled in (`peft_lora_16_{}_8`) gives no value.
    unfilled = sorted(name for name, value in from_path.items() if "{" in value and _UNFILLED.fullmatch(value))
    from_path = {name: value for name, value in from_path.items() if name not in unfilled}
    from_file = settings(args)
    fields = from_path | from_file
    if "variant" in result:
        fields["variant"] = as_field(result["variant"])
    require_identity(fields)
    run = trainer_run(result, relative, "", fields, parsed)
    notes = [
        *((name, "the folder name holds an unfilled placeholder '{}': no value taken from it") for name in unfilled),
        *field_conflicts(from_path, from_file),
    ]
    return [dataclasses.replace(run, warnings=(*notes, *run.warnings)) if notes else run]


_UNFILLED = re.compile(r"\{[A-Za-z0-9_]*\}")


def load_metrics_json(source: MetricsJsonSource, label: str) -> SourceLoad:
    """Every file named ``source.pattern`` under ``source.path``."""
    return load_files(source, label, read_run)
