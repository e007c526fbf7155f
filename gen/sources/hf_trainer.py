"""Hugging Face Trainer output folders: what ``run_glue.py`` (transformers examples) and most fine-tuning scripts
write. A run is a folder holding ``all_results.json`` or ``eval_results.json``.

Every file under the source is found and gets one outcome. In a run folder:

- the result file is read: ``all_results.json`` when the folder has it (the Trainer merges the train and eval
  metrics into it), else ``eval_results.json``; the other one is then ignored, unread;
- ``train_results.json`` (training metrics, e.g. ``train_runtime``, used where the result file lacks them) and
  ``trainer_state.json`` (its ``log_history`` gives the training curves) are ingested as part of the run; one
  that cannot be read is rejected with its reason and the run goes on without it (a warning says so);
- pickles (``training_args.bin``, ``*.pt``, ...) are never read (loading one can run code), nor are weights,
  tokenizer or config files: ignored, with the reason.

Files in a folder without a result file (checkpoints, logs) are ignored. A run's fields come from the source's
``path_pattern`` (matched against the result file's path) and its ``fields:`` constants; the Trainer writes
neither task nor model into its results, and its training arguments only as a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from gen.config.sources import HfTrainerSource, path_regex
from gen.sources.base import (
    FileOutcome,
    InputError,
    Outcome,
    ParsedJson,
    RunRecord,
    SourceLoad,
    as_field,
    decode_runs,
    parse_json_object,
)
from gen.sources.discovery import Found, discover
from gen.sources.files import Pending, check_size, fields_from_path, parse_all
from gen.sources.metrics_json import FINAL_METRICS, TrainerMetrics, log_warnings, require_identity, trainer_curves
from gen.sources.parse_cache import ParseCache, Parsed

# The result files of a run folder, the preferred first.
RESULT_FILES = ("all_results.json", "eval_results.json")
# The other files of a run folder read as part of the run, and what each gives it.
COMPANIONS = {"train_results.json": "training metrics", "trainer_state.json": "training log"}
# Files that are (or usually are) pickles: never opened.
PICKLES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
PICKLE_REASON = "a pickle (training_args.bin, weights, optimizer state): never read, loading one can run code"

# Trainer keys renamed to the names the rest of the pipeline uses (costs carry their unit); any other ``eval_x`` is
# ``x`` and any other key keeps its name.
TRAINER_NAMES = {
    **FINAL_METRICS,
    "eval_spearmanr": "spearman",
    "train_runtime": "train_time_s",
    "train_samples_per_second": "train_samples_per_s",
    "train_steps_per_second": "train_steps_per_s",
}
# run_glue.py evaluates MNLI twice and suffixes the mismatched set's keys with `_mm`.
MNLI_NAMES = {"eval_accuracy": "matched_accuracy", "eval_accuracy_mm": "mismatched_accuracy"}
_WHERE = "give it in the source's path_pattern or fields:"


def metric_name(key: str, task: str | None) -> str:
    """The pipeline's name for a key of a Trainer results file of ``task`` (MNLI's ``_mm`` keys as ``mismatched_``)."""
    if task == "mnli":
        if key in MNLI_NAMES:
            return MNLI_NAMES[key]
        if key.endswith("_mm"):
            return "mismatched_" + metric_name(key.removesuffix("_mm"), None)
    if key in TRAINER_NAMES:
        return TRAINER_NAMES[key]
    return key.removeprefix("eval_")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)  # NaN/Infinity are floats too


def read_metrics(parsed: ParsedJson, task: str | None, prefix: str = "") -> TrainerMetrics:
    """The metrics of a Trainer results file (``all_results.json``, ``eval_results.json``, ``train_results.json``).

    Every number is a metric; a key that is no number is a warning, unless it names a score or cost (``eval_*``,
    ``train_*``, ``epoch``, ``total_flos``), which rejects the file. NaN/Infinity are set aside as in metrics_json;
    a key given twice, or two keys giving one metric, is a warning.
    """
    read = TrainerMetrics({}, {}, [])
    source_of: dict[str, str] = {}
    for key, value in parsed.data.items():
        where = prefix + key
        if not _is_number(value) and not key.startswith(("eval_", "train_")) and key not in TRAINER_NAMES:
            read.warnings.append((where, f"not a number ({type(value).__name__}): not a metric, not used"))
            continue
        name = metric_name(key, task)
        if name in source_of:
            read.warnings.append((where, f"gives metric {name!r} as {source_of[name]!r} does: this value is used"))
            read.metrics.pop(name, None)
            read.non_finite.pop(name, None)
        source_of[name] = key
        read.keep(name, value, where)
    read.warnings += [(prefix + name, reason) for name, reason in parsed.duplicate_keys]
    return read


def read_trainer_file(data: bytes, relative: str, path_fields: dict[str, str] | None) -> list[RunRecord]:
    """One file of a run folder as a record: for the result file, the run (``path_fields``: its fields); for a
    companion, what it adds (metrics or curves, named ``<file>:<field>`` in warnings)."""
    name = PurePosixPath(relative).name
    fields = path_fields or {}
    parsed = parse_json_object(data)
    if name == "trainer_state.json":
        prefix = f"{name}:"
        curves = trainer_curves(parsed.data, prefix)
        warnings = log_warnings(parsed.data, prefix) if parsed.has_non_finite else []
        warnings += [(prefix + field, reason) for field, reason in parsed.duplicate_keys]
        return [RunRecord("", relative, "", {}, {}, curves=curves, warnings=tuple(warnings))]
    if name in COMPANIONS:
        read = read_metrics(parsed, fields.get("task"), f"{name}:")
        return [RunRecord("", relative, "", {}, read.metrics, non_finite=read.non_finite, warnings=(*read.warnings,))]
    require_identity(fields, _WHERE)
    read = read_metrics(parsed, fields["task"])
    return [RunRecord("", relative, "", fields, read.metrics, non_finite=read.non_finite, warnings=(*read.warnings,))]


@dataclass
class RunFolder:
    """A folder with a result file: its result file and the companions read with it (relative paths)."""

    result: str
    companions: list[str]


def _outcome(label: str, found: Found, outcome: Outcome, reason: str) -> FileOutcome:
    return FileOutcome(label, found.relative, outcome, reason=reason)


def _folder_fields(folder: str, name: str, source: HfTrainerSource) -> dict[str, str]:
    """The fields of a run folder: ``fields:`` constants plus what ``path_pattern`` captures from the result file's
    path (either result file name fits a pattern naming one, and so does the folder's own path)."""
    constants = {key: as_field(value) for key, value in source.fields.items()}
    if source.path_pattern is None:
        return constants
    pattern = path_regex(source.path_pattern)
    prefix = "" if folder == "." else f"{folder}/"
    for candidate in (f"{prefix}{name}", *(f"{prefix}{other}" for other in RESULT_FILES), folder):
        if (captured := fields_from_path(candidate, pattern)) is not None:
            return constants | captured
    raise InputError(f"path does not match path_pattern {source.path_pattern!r}")


def load_hf_trainer(source: HfTrainerSource, label: str) -> SourceLoad:
    """Every run folder under ``source.path``; every file found is ingested (a run's result file, or part of its
    run), rejected or ignored, with the reason."""
    outcomes: dict[str, FileOutcome] = {}
    folders: dict[str, list[Found]] = {}
    for found in discover(source.path, "*", source.exclude):
        if found.decided is not None:
            outcomes[found.relative] = _outcome(label, found, found.decided, found.reason)
        else:
            folders.setdefault(str(PurePosixPath(found.relative).parent), []).append(found)
    runs: list[RunFolder] = []
    pending: list[Pending] = []
    for folder, files in folders.items():
        run = _run_folder(folder, files, source, label, outcomes, pending)
        if run is not None:
            runs.append(run)
    parsed = _parse(source, pending)
    load = SourceLoad()
    for run in runs:
        record, companions = _run_record(run, parsed, label)
        if record is not None:
            load.runs.append(record)
        for outcome in companions:
            outcomes[outcome.source_file] = outcome
    load.files = [outcomes[name] for name in sorted(outcomes)]
    return load


def _run_folder(
    folder: str,
    files: list[Found],
    source: HfTrainerSource,
    label: str,
    outcomes: dict[str, FileOutcome],
    pending: list[Pending],
) -> RunFolder | None:
    """Sort the files of one folder: the outcome of those not read goes to ``outcomes``, those to read to
    ``pending``; the run folder, or None when the folder holds no usable result file."""
    names = {PurePosixPath(found.relative).name: found for found in files}
    result_name = next((name for name in RESULT_FILES if name in names), None)
    not_a_run = f"no {' or '.join(RESULT_FILES)} in its folder: not part of a run"
    fields: dict[str, str] = {}
    if result_name is not None:
        result = names[result_name]
        try:
            check_size(result.stamp[0], source.max_file_mb)
            fields = _folder_fields(folder, result_name, source)
        except InputError as exc:
            outcomes[result.relative] = _outcome(label, result, "rejected", str(exc))
            result_name, not_a_run = None, f"not used: {result.relative} of its run folder is rejected"
    run = RunFolder(names[result_name].relative, []) if result_name is not None else None
    limit = int(source.max_file_mb * 1_000_000)
    for name, found in names.items():
        if found.relative in outcomes:
            continue
        if name.endswith(PICKLES):
            outcomes[found.relative] = _outcome(label, found, "ignored", PICKLE_REASON)
        elif run is None:
            outcomes[found.relative] = _outcome(label, found, "ignored", not_a_run)
        elif name in RESULT_FILES and name != result_name:
            reason = f"{result_name} of the same folder is read instead (it holds the eval metrics too)"
            outcomes[found.relative] = _outcome(label, found, "ignored", reason)
        elif name == result_name or name in COMPANIONS:
            try:
                check_size(found.stamp[0], source.max_file_mb)
            except InputError as exc:
                outcomes[found.relative] = _outcome(label, found, "rejected", str(exc))
                continue
            pending.append(Pending(found.path, found.relative, fields, found.stamp, limit))
            if name != result_name:
                run.companions.append(found.relative)
        else:
            reason = f"not read: a run's results are {', '.join((*RESULT_FILES, *COMPANIONS))}"
            outcomes[found.relative] = _outcome(label, found, "ignored", reason)
    return run


def _parse(source: HfTrainerSource, pending: list[Pending]) -> dict[str, Parsed]:
    """Each pending file parsed, or taken from the parse cache when unchanged since."""
    cached = ParseCache.open(source, read_trainer_file)
    parsed: dict[str, Parsed] = {}
    to_parse = []
    for item in pending:
        hit = cached.get(item.relative, item.stamp)
        if hit is not None:
            parsed[item.relative] = hit
        else:
            to_parse.append(item)
    parsed |= parse_all(read_trainer_file, to_parse)
    cached.save(parsed)
    return parsed


def _run_record(run: RunFolder, parsed: dict[str, Parsed], label: str) -> tuple[RunRecord | None, list[FileOutcome]]:
    """The run of a folder, its result file merged with its companions, and the outcome of each of its files."""
    result = parsed[run.result]
    if result.outcome == "rejected":
        outcomes = [FileOutcome(label, run.result, "rejected", reason=result.reason)]
        for name in run.companions:
            if parsed[name].outcome == "rejected":
                outcomes.append(FileOutcome(label, name, "rejected", reason=parsed[name].reason))
            else:
                outcomes.append(FileOutcome(label, name, "ignored", reason=f"not used: {run.result} is rejected"))
        return None, outcomes
    (record,) = decode_runs(result.payload, label, run.result, result.stamp[1])
    merged = TrainerMetrics(dict(record.metrics), dict(record.non_finite), list(record.warnings))
    curves = record.curves
    outcomes = [FileOutcome(label, run.result, "ingested", runs=1)]
    for name in run.companions:
        companion = parsed[name]
        file_name = PurePosixPath(name).name
        if companion.outcome == "rejected":
            outcomes.append(FileOutcome(label, name, "rejected", reason=companion.reason))
            merged.warnings.append(
                (file_name, f"rejected ({companion.reason}): the run has no {COMPANIONS[file_name]}")
            )
            continue
        outcomes.append(FileOutcome(label, name, "ingested", reason=f"part of the run of {run.result}"))
        (extra,) = decode_runs(companion.payload, label, name, companion.stamp[1])
        curves = curves or extra.curves
        _merge(merged, extra, file_name, PurePosixPath(run.result).name)
    return (
        RunRecord(
            label,
            run.result,
            "",
            record.fields,
            merged.metrics,
            record.modified_ns,
            curves=curves,
            non_finite=merged.non_finite,
            warnings=tuple(merged.warnings),
        ),
        outcomes,
    )


def _merge(into: TrainerMetrics, extra: RunRecord, file_name: str, result_name: str) -> None:
    """Add a companion's metrics and warnings to a run's; a metric the result file gives already keeps its value (a
    different one in the companion is a warning)."""
    into.warnings += extra.warnings
    given: list[tuple[str, float | None]] = [*extra.metrics.items(), *((m, None) for m in extra.non_finite)]
    for metric, value in given:
        if metric in into.metrics or metric in into.non_finite:
            known = into.metrics.get(metric)
            if known != value:
                into.warnings.append(
                    (
                        f"{file_name}:{metric}",
                        f"{file_name} says {_shown(value)}, {result_name} says {_shown(known)}: "
                        f"{result_name}'s value is used",
                    )
                )
        elif value is None:
            into.non_finite[metric] = extra.non_finite[metric]
        else:
            into.metrics[metric] = value


def _shown(value: float | None) -> str:
    return "a value that is not a finite number" if value is None else as_field(value)
