"""lm-evaluation-harness results files (``results*.json``, the 0.4 format), at any depth: one file is one
evaluation of one model, and each task of its ``results`` (plus any group only under ``groups``) is one run per
filter.

A run's fields: ``model`` (``model_name``, else the model ``config.model_args`` names: ``peft=``, ``delta=``,
``pretrained=``, ``model=``, ``path=`` or ``engine=``, lm-eval's own order), ``model_args`` (as written),
``task``, ``filter`` (the part after the comma of its metric keys: ``acc,none`` is metric ``acc``, filter
``none``), ``n_shot``, the seeds of ``config`` (``random_seed``, ``numpy_seed``, ``torch_seed``, ``fewshot_seed``;
``seed`` is ``random_seed``), ``limit`` when the evaluation was limited, ``group`` (``True`` for a group's own
aggregate row, ``False`` for a task: a suite picks ``group: false`` rows, so a group is never counted beside its
subtasks) and ``parent`` (the group a subtask belongs to: ``group_subtasks``, or in files without it the ``" - "``
indent of the alias). The ``path_pattern`` and ``fields:`` of the source add fields; where they name one the file
gives too, the file's value is used and a warning says so. ``family`` is the model unless ``path_pattern`` or
``fields:`` give one.

Metrics keep lm-eval's names: ``acc``, ``acc_norm``, ``exact_match``, ...; a standard error is the metric
``<metric>_stderr``. ``"N/A"`` (or null) means not reported: no metric, and no warning for a standard error
(lm-eval writes it whenever bootstrapping is off, and for groups); for any other metric a warning. ``alias`` and
the other keys without a comma are labels, not metrics. ``higher_is_better`` is not kept: a suite declares what
it scores. NaN/Infinity, values that are no number and keys given twice are treated as in metrics_json.
"""

from __future__ import annotations

from typing import Any

from gen.config.sources import LmEvalSource
from gen.sources.base import (
    InputError,
    ParsedJson,
    RunRecord,
    SourceLoad,
    as_field,
    non_finite_paths,
    parse_json_object,
)
from gen.sources.files import load_files
from gen.sources.metrics_json import TrainerMetrics, field_conflicts

# Where lm-eval looks for the model's name in model_args, in its order (EvaluationTracker._get_model_name).
MODEL_KEYS = ("peft", "delta", "pretrained", "model", "path", "engine")
SEEDS = ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")


def read_lm_eval(data: bytes, relative: str, path_fields: dict[str, str] | None) -> list[RunRecord]:
    """The runs of one results file, each keyed ``<task>,<filter>``; ``path_fields``: the source's constants and
    path fields. A task entry that cannot be read is a run carrying its ``problem``: the file's others count."""
    parsed = parse_json_object(data)
    top = parsed.data
    if "results" not in top:
        raise InputError("field 'results': missing (not an lm-evaluation-harness results file)")
    results = _section(top, "results")
    groups = _section(top, "groups")
    shots = _section(top, "n-shot")
    evaluation = _evaluation_fields(top, _section(top, "config"))
    given = path_fields or {}
    if "family" not in given and "model" not in evaluation:
        raise InputError(
            "field 'model_name': missing, and config.model_args names no model (pretrained=...): "
            "give family in the source's path_pattern or fields:"
        )
    entries = {**results, **{name: entry for name, entry in groups.items() if name not in results}}
    if not entries:
        raise InputError("field 'results': no task in it")
    parents = _parents(entries, _section(top, "group_subtasks"))
    groups_named = set(groups) | set(parents.values())
    notes = _notes(parsed, entries, results)
    runs = []
    for task, entry in entries.items():
        place = f"results.{task}" if task in results else f"groups.{task}"
        from_file = evaluation | {"task": task, "group": as_field(task in groups_named)}
        if task in parents:
            from_file["parent"] = parents[task]
        if shots.get(task) not in (None, ""):
            from_file["n_shot"] = as_field(shots[task])
        if not isinstance(entry, dict):
            fields = _fields(given, from_file)
            problem = f"field {place!r}: expected an object, got {type(entry).__name__}"
            runs.append(RunRecord("", relative, task, fields, {}, problem=problem))
            continue
        filters = _by_filter(entry)
        if not filters and task not in groups_named:
            fields = _fields(given, from_file)
            problem = f"field {place!r}: no metric in it (lm-eval 0.4 writes them as 'acc,none': metric,filter)"
            runs.append(RunRecord("", relative, task, fields, {}, problem=problem))
        # A group without metrics is the header of its subtasks (lm-eval writes it when it does not aggregate).
        for filter_name, keys in filters.items():
            run_file = from_file | {"filter": filter_name}
            read, problem = _metrics(entry, keys, place)
            warnings = [
                *field_conflicts(given, run_file, "the path or the source's fields: say", "the file says"),
                *_owned(notes, task, filter_name, entries),
                *read.warnings,
            ]
            runs.append(
                RunRecord(
                    "",
                    relative,
                    f"{task},{filter_name}",
                    _fields(given, run_file),
                    read.metrics,
                    non_finite=read.non_finite,
                    warnings=tuple(warnings),
                    problem=problem,
                )
            )
    if not runs:
        raise InputError("field 'results': no task in it has a metric, only group headers")
    return runs


def _section(top: dict[str, Any], key: str) -> dict[str, Any]:
    value = top.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"field {key!r}: expected an object, got {type(value).__name__}")
    return value


def _fields(given: dict[str, str], from_file: dict[str, str]) -> dict[str, str]:
    """The run's fields: the file's over the path's and the source's; the family is the model's unless given."""
    fields = given | from_file
    if "family" not in fields and "model" in fields:
        fields["family"] = fields["model"]
    return fields


def _model_args(args: object) -> tuple[str, dict[str, str]]:
    """``config.model_args`` as written (a ``k=v,k=v`` string, or an object written so) and as a mapping."""
    if isinstance(args, dict):
        pairs = {str(key): as_field(value) for key, value in args.items() if value is not None}
        return ",".join(f"{key}={value}" for key, value in pairs.items()), pairs
    if isinstance(args, str):
        pairs = {}
        for part in args.split(","):
            key, sep, value = part.partition("=")
            if sep:
                pairs[key.strip()] = value.strip()
        return args, pairs
    return "", {}


def _evaluation_fields(top: dict[str, Any], config: dict[str, Any]) -> dict[str, str]:
    """The fields every run of the file shares: model, model_args, seeds, limit."""
    fields: dict[str, str] = {}
    written, args = _model_args(config.get("model_args"))
    model = top.get("model_name")
    if isinstance(model, str) and model.strip():
        fields["model"] = model
    elif named := next((args[key] for key in MODEL_KEYS if args.get(key)), None):
        fields["model"] = named
    if written:
        fields["model_args"] = written
    for seed in SEEDS:
        if config.get(seed) is not None:
            fields[seed] = as_field(config[seed])
    if "random_seed" in fields:
        fields["seed"] = fields["random_seed"]
    if config.get("limit") is not None:
        fields["limit"] = as_field(config["limit"])
    return fields


def _parents(entries: dict[str, Any], subtasks: dict[str, Any]) -> dict[str, str]:
    """The group each subtask belongs to: from ``group_subtasks`` (the first group listing it), or in files without
    it from the alias' indent (``" - humanities"`` under the task before it with less indent)."""
    parents: dict[str, str] = {}
    for group, members in subtasks.items():
        if not isinstance(members, list):
            raise InputError(f"field 'group_subtasks.{group}': expected a list, got {type(members).__name__}")
        for member in members:
            if isinstance(member, str) and member != group:
                parents.setdefault(member, group)
    if subtasks:
        return parents
    stack: list[tuple[int, str]] = []
    for task, entry in entries.items():
        depth = _depth(entry.get("alias") if isinstance(entry, dict) else None)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack and depth > 0:
            parents[task] = stack[-1][1]
        stack.append((depth, task))
    return parents


def _depth(alias: object) -> int:
    """How deep lm-eval indented a task under its groups: ``" " * depth + "- "`` before the name, nothing at 0."""
    if not isinstance(alias, str):
        return 0
    name = alias.lstrip(" ")
    return len(alias) - len(name) if name.startswith("- ") and alias != name else 0


def _by_filter(entry: dict[str, Any]) -> dict[str, list[str]]:
    """A task entry's metric keys (``metric,filter``) per filter, in file order."""
    filters: dict[str, list[str]] = {}
    for key in entry:
        _, comma, filter_name = key.partition(",")
        if comma:
            filters.setdefault(filter_name, []).append(key)
    return filters


def _metrics(entry: dict[str, Any], keys: list[str], place: str) -> tuple[TrainerMetrics, str]:
    """The metrics of one task and filter, and the first value that is no number (the run's problem), if any."""
    read = TrainerMetrics({}, {}, [])
    problem = ""
    for key in keys:
        metric = key.partition(",")[0]
        value, where = entry[key], f"{place}.{key}"
        if value is None or value == "N/A":
            if not metric.endswith("_stderr"):
                read.warnings.append((where, f"{_json_text(value)}: not reported, no value"))
            continue
        try:
            read.keep(metric, value, where)
        except InputError as exc:
            problem = problem or str(exc)
    return read, problem


def _json_text(value: object) -> str:
    """How a JSON file writes a scalar (``null``, ``"N/A"``)."""
    return "null" if value is None else f'"{value}"'


def _notes(parsed: ParsedJson, entries: dict[str, Any], results: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, reason) of what is odd outside the metrics read: keys given twice, NaN/Infinity elsewhere."""
    notes = list(parsed.duplicate_keys)
    if parsed.has_non_finite:
        read = {
            f"{'results' if task in results else 'groups'}.{task}.{key}"
            for task, entry in entries.items()
            if isinstance(entry, dict)
            for key in entry
            if "," in key
        }
        notes += [
            (path, f"{token} is not a finite number; not used")
            for path, token in non_finite_paths(parsed.data)
            if path not in read
        ]
    return notes


def _owned(notes: list[tuple[str, str]], task: str, filter_name: str, entries: dict[str, Any]) -> list[tuple[str, str]]:
    """The notes that concern the run of ``task`` and ``filter_name``: those under its task entry (of its filter,
    when about a metric key) and those outside every task entry."""
    owned = []
    for path, reason in notes:
        owner, rest = _owner(path, entries)
        if owner is None or (owner == task and rest.partition(",")[2] in ("", filter_name)):
            owned.append((path, reason))
    return owned


def _owner(path: str, entries: dict[str, Any]) -> tuple[str | None, str]:
    """The task whose entry (under ``results`` or ``groups``) holds a field path, and the rest of the path."""
    for section in ("results.", "groups."):
        if path.startswith(section):
            inside = path.removeprefix(section)
            for task in sorted(entries, key=len, reverse=True):
                if inside == task or inside.startswith(f"{task}."):
                    return task, inside.removeprefix(task).removeprefix(".")
    return None, ""


def load_lm_eval(source: LmEvalSource, label: str) -> SourceLoad:
    """Every file named ``source.pattern`` (``results*.json``) under ``source.path``."""
    constants = {key: as_field(value) for key, value in source.fields.items()}
    return load_files(source, label, read_lm_eval, constants)
