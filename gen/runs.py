"""Normalise run records into the one tidy runs table (one row per run × metric) every page derives from."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gen.benchmarks import COST_METRICS, Suite, Task, out_of_range
from gen.config import ReportConfig
from gen.config.base import ConfigError, ReportError, printable
from gen.sources.base import FileOutcome, RunRecord

ID_COLUMNS = ["run_id", "source", "source_file", "strategy", "family", "model", "task", "seed"]
# Fields already in ID_COLUMNS; everything else a run carries is a setting.
_NOT_SETTINGS = {"family", "task", "seed"}
CURVE_COLUMNS = ["run_id", "family", "strategy", "task", "seed", "series", "step", "value"]
DUPLICATE_COLUMNS = ["group", "run_id", "source_file", "strategy", "family", "task", "seed", "kept"]
WARNING_COLUMNS = ["source", "source_file", "run_id", "field", "reason"]


@dataclass
class Runs:
    """The tidy runs table plus the account of what did not make it in."""

    table: pd.DataFrame
    settings: list[str]
    # Every valid run, unmatched ones included (strategy empty): for analyses across methods and ranks.
    all_table: pd.DataFrame
    unmatched: pd.DataFrame
    # Training curves of the runs in `table`: run_id, family, strategy, task, seed, series, step, value.
    curves: pd.DataFrame
    rejected_runs: pd.DataFrame
    duplicates: pd.DataFrame
    files: pd.DataFrame
    # What was read but is odd, without costing a run (a NaN in a training log, folder and file disagreeing).
    warnings: pd.DataFrame

    def without(self, run_ids: set[str]) -> Runs:
        """The same runs less ``run_ids`` in every table the analyses read (the accounts stay as they are)."""
        if not run_ids:
            return self
        return dataclasses.replace(
            self,
            table=without_runs(self.table, run_ids),
            all_table=without_runs(self.all_table, run_ids),
            curves=without_runs(self.curves, run_ids),
        )


def without_runs(frame: pd.DataFrame, run_ids: set[str]) -> pd.DataFrame:
    """``frame`` less the rows of ``run_ids``, its categorical columns less the values no row has any more."""
    # isin on the categorical itself matches codes; as strings, 300k runs' curves took gigabytes.
    kept = frame[~frame["run_id"].isin(run_ids)].reset_index(drop=True)
    for column in kept.select_dtypes("category"):
        kept[column] = kept[column].cat.remove_unused_categories()
    return kept


Rules = list[tuple[str, list[tuple[str, frozenset[str]]]]]


def strategy_rules(config: ReportConfig) -> Rules:
    """The strategy rules as (name, [(field, accepted values)]), in order: built once per build, not per run."""
    return [(rule.name, list(rule.allowed().items())) for rule in config.strategies]


def assign_strategy(fields: dict[str, str], config: ReportConfig, rules: Rules | None = None) -> str | None:
    """Name of the first strategy rule whose fields all match, or None (``rules``: strategy_rules(config))."""
    for name, allowed in strategy_rules(config) if rules is None else rules:
        if all(fields.get(key) in values for key, values in allowed):
            return name
    return None


def run_problem(run: RunRecord, needs: TaskNeeds) -> str | None:
    """Why a run cannot be scored (unreadable block, unknown task, a NaN, implausible or missing metric a score or
    a cost needs), or None; ``needs``: the suite's tasks, shared by the runs of one build."""
    if run.problem:
        return run.problem
    task, needed, columns = needs.of(run.fields["task"])
    if task is None:
        known = ", ".join(t.name for t in needs.suite.tasks)
        return f"unknown task {run.fields['task']!r} ({needs.suite.name} has: {known})"
    if run.non_finite:
        if scored := sorted(needed & run.non_finite.keys()):
            return f"{run.non_finite[scored[0]]} (the {task.label} score needs it)"
        if costs := sorted(run.non_finite.keys() & set(COST_METRICS)):
            return f"{run.non_finite[costs[0]]} (a measured cost)"
    if implausible := out_of_range(run.metrics):
        return implausible
    if not needed <= run.metrics.keys():
        for metrics in columns:
            missing = [m for m in metrics if m not in run.metrics]
            if missing:
                return (
                    f"task {task.name}: missing metric(s) {', '.join(missing)} (has {', '.join(sorted(run.metrics))})"
                )
    return None


class TaskNeeds:
    """Each task of a suite with the metrics its score columns need, looked up once per task name rather
    than once per run (every run of a task needs the same)."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.found: dict[str, tuple[Task | None, frozenset[str], list[tuple[str, ...]]]] = {}

    def of(self, name: str) -> tuple[Task | None, frozenset[str], list[tuple[str, ...]]]:
        """The task called ``name`` (None when the suite has none), the metrics its score needs, and each score
        column's metrics in order."""
        known = self.found.get(name)
        if known is None:
            task = self.suite.task(name)
            columns = [tuple(column.metrics) for column in task.columns(self.suite.scheme)] if task else []
            known = self.found[name] = (task, frozenset(m for metrics in columns for m in metrics), columns)
        return known


def run_warnings(run: RunRecord) -> list[tuple[str, str]]:
    """(field, reason) of what is odd about a usable run: its own warnings, then NaN metrics nothing needs."""
    unused = [(metric, f"{reason}; no score or cost uses it") for metric, reason in sorted(run.non_finite.items())]
    return [*run.warnings, *unused]


def check_rule_fields(records: list[RunRecord], config: ReportConfig) -> None:
    """A strategy rule naming a field that no run has, or a declared suite naming a task or metric that no run has,
    is a typo in the config: stop with what there is."""
    if not records:
        return
    check_declared_suite(records, config)
    known = set().union(*(run.fields for run in records))
    for index, rule in enumerate(config.strategies):
        for key in rule.match:
            if key not in known:
                raise ConfigError(
                    f"{config.config_path}: key 'strategies[{index}].match.{key}': no run has a field {key!r} — "
                    f"use one of: {', '.join(sorted(known))}"
                )


def check_declared_suite(records: list[RunRecord], config: ReportConfig) -> None:
    """Every task a declared suite lists must be some run's task, and each of its metrics some such run's metric."""
    if isinstance(config.benchmark, str):
        return
    metrics: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    groups: set[str] = set()
    for run in records:
        name = run.fields.get("task", "")
        metrics[name].update(run.metrics)
        if run.fields.get("parent"):
            parents[name].add(run.fields["parent"])
        if run.fields.get("group", "").lower() == "true":
            groups.add(name)
    for index, task in enumerate(config.benchmark.tasks):
        key = f"{config.config_path}: key 'benchmark.tasks[{index}]"
        if task.name not in metrics:
            raise ConfigError(f"{key}.name': no run has task {task.name!r} — use one of: {', '.join(sorted(metrics))}")
        if missing := [m for m in task.metrics if m not in metrics[task.name]]:
            raise ConfigError(
                f"{key}.metrics': no run of task {task.name!r} has metric(s) {', '.join(map(repr, missing))} — "
                f"use one of: {', '.join(sorted(metrics[task.name]))}"
            )
    # A group's score (lm-eval's mmlu) already averages its subtasks: both in one suite would count them twice.
    declared = {task.name for task in config.benchmark.tasks}
    for index, task in enumerate(config.benchmark.tasks):
        if inside := sorted(parents[task.name] & declared & groups):
            raise ConfigError(
                f"{config.config_path}: key 'benchmark.tasks[{index}].name': {task.name!r} is a subtask of group "
                f"{inside[0]!r}, also in the suite, whose score already averages it — declare the group or its "
                "subtasks, not both"
            )


def _duplicate_key(run: RunRecord, strategy: str, ignore: set[str]) -> tuple[str, frozenset[tuple[str, str]]]:
    # A set of the (field, value) pairs, made in C rather than sorted in Python: equal fields, equal keys.
    pairs = run.fields.items()
    return strategy, frozenset(pairs - {(k, run.fields[k]) for k in ignore if k in run.fields} if ignore else pairs)


def find_duplicates(matched: list[tuple[RunRecord, str]], config: ReportConfig) -> tuple[set[str], pd.DataFrame]:
    """Runs with identical fields (seed included) and strategy; returns the run ids to drop and the groups.

    ``keep: latest`` keeps the most recently modified file's run (ties: the later run id); ``keep: fail`` stops
    the build; ``keep: all`` keeps every run and only flags them.
    """
    ignore = set(config.duplicates.ignore)
    groups: dict[tuple[object, ...], list[tuple[RunRecord, str]]] = defaultdict(list)
    for run, strategy in matched:
        groups[_duplicate_key(run, strategy, ignore)].append((run, strategy))
    repeated = [group for group in groups.values() if len(group) > 1]
    if repeated and config.duplicates.keep == "fail":
        ids = printable("; ".join(" = ".join(run.run_id for run, _ in group) for group in repeated[:5]))
        raise ReportError(
            f"{len(repeated)} group(s) of duplicate runs and duplicates.keep is 'fail' in {config.config_path}: "
            f"{ids} — remove the reruns or set duplicates.keep to all or latest"
        )
    dropped: set[str] = set()
    rows = []
    for number, group in enumerate(repeated, start=1):
        latest = max(group, key=lambda item: (item[0].modified_ns, item[0].run_id))[0].run_id
        for run, strategy in group:
            kept = config.duplicates.keep == "all" or run.run_id == latest
            if not kept:
                dropped.add(run.run_id)
            rows.append(
                {
                    "group": number,
                    "run_id": run.run_id,
                    "source_file": run.source_file,
                    "strategy": strategy,
                    "family": run.fields["family"],
                    "task": run.fields["task"],
                    "seed": run.fields.get("seed", ""),
                    "kept": kept,
                }
            )
    return dropped, pd.DataFrame(rows, columns=DUPLICATE_COLUMNS)


def build_runs(
    records: list[RunRecord], files: list[FileOutcome], config: ReportConfig, check_rules: bool = True
) -> Runs:
    """Validate, name and flatten the runs; every run ends up in the table, unmatched, rejected or a dropped
    duplicate (listed)."""
    if check_rules:
        check_rule_fields(records, config)
    unmatched: list[dict[str, str]] = []
    rejected: list[dict[str, str]] = []
    matched: list[tuple[RunRecord, str]] = []
    unassigned: list[RunRecord] = []
    kept_per_file: dict[tuple[str, str], int] = defaultdict(int)
    reasons_per_file: dict[tuple[str, str], list[str]] = defaultdict(list)
    warnings: list[dict[str, str]] = []
    rules = strategy_rules(config)
    needs = TaskNeeds(config.suite)
    for run in records:
        file_key = (run.source, run.source_file)
        if problem := run_problem(run, needs):
            rejected.append(
                {"source": run.source, "source_file": run.source_file, "run_id": run.run_id, "reason": problem}
            )
            reasons_per_file[file_key].append(problem)
            continue
        kept_per_file[file_key] += 1
        if run.warnings or run.non_finite:  # most runs have none: no list to build for them
            warnings += [
                {
                    "source": run.source,
                    "source_file": run.source_file,
                    "run_id": run.run_id,
                    "field": name,
                    "reason": why,
                }
                for name, why in run_warnings(run)
            ]
        strategy = assign_strategy(run.fields, config, rules)
        if strategy is None:
            unmatched.append({"run_id": run.run_id, "source": run.source, **run.fields})
            unassigned.append(run)
        else:
            matched.append((run, strategy))
    dropped, duplicates = find_duplicates(matched, config)
    kept = [(run, s) for run, s in matched if run.run_id not in dropped] if dropped else matched
    # One tidy table for every run; the scored table is its first part (the kept runs come first).
    all_table = _tidy([*kept, *((run, "") for run in unassigned)], config)
    settings = _setting_columns(kept)
    scored_rows = sum(len(run.metrics) for run, _ in kept)
    table = all_table.iloc[:scored_rows][[*ID_COLUMNS, *settings, "metric", "value"]].copy()
    for column in table.select_dtypes("category"):
        table[column] = table[column].cat.remove_unused_categories()
    curves = _curves(kept)
    return Runs(
        table=table,
        settings=settings,
        all_table=all_table,
        curves=curves,
        unmatched=pd.DataFrame(unmatched).fillna("") if unmatched else pd.DataFrame(columns=["run_id", "source"]),
        rejected_runs=pd.DataFrame(rejected, columns=["source", "source_file", "run_id", "reason"]),
        duplicates=duplicates,
        files=_file_accounting(files, kept_per_file, reasons_per_file),
        warnings=pd.DataFrame(warnings, columns=WARNING_COLUMNS),
    )


def _identity(run: RunRecord, strategy: str) -> list[str]:
    return [run.run_id, run.fields["family"], strategy, run.fields["task"], run.fields.get("seed", "")]


def _curves(kept: list[tuple[RunRecord, str]]) -> pd.DataFrame:
    """One row per logged point of the kept runs, built from the packed arrays without a Python object per point.

    The identity columns repeat for every point of a run: categorical, they cost a small integer per row.
    """
    owners, names, counts, packed = [], [], [], []
    for index, (run, _) in enumerate(kept):
        for name, points in run.curves:
            if not points:  # no rows: its name is not a category either
                continue
            owners.append(index)
            names.append(name)
            counts.append(len(points) // 16)  # (step, value) float64 pairs
            packed.append(points)
    identity = pd.DataFrame([_identity(run, strategy) for run, strategy in kept], columns=CURVE_COLUMNS[:5])
    identity = identity.astype("category")
    flat = np.frombuffer(b"".join(packed), dtype=np.float64).reshape(-1, 2)
    curves = identity.take(np.repeat(np.asarray(owners, dtype=np.int64), counts)).reset_index(drop=True)
    # Named once per curve and its codes repeated per point: naming every point first took a string per point.
    series = pd.Categorical(names)
    curves["series"] = pd.Categorical.from_codes(np.repeat(series.codes, counts), dtype=series.dtype)
    curves["step"] = flat[:, 0]
    curves["value"] = flat[:, 1]
    return curves[CURVE_COLUMNS]


def _setting_columns(runs: list[tuple[RunRecord, str]]) -> list[str]:
    return sorted(set().union(*(run.fields for run, _ in runs)) - _NOT_SETTINGS - set(ID_COLUMNS))


def _tidy(matched: list[tuple[RunRecord, str]], config: ReportConfig) -> pd.DataFrame:
    """The long table, built column by column: one identity row per run, repeated for each of its metrics.

    Fields named like an identity column (``strategy``, ``model``, ...) do not override it: the identity is what
    the config and the files say, a setting is anything else.
    """
    runs = [run for run, _ in matched]
    strategies = [strategy for _, strategy in matched]
    families = [run.fields["family"] for run in runs]
    # Strategy "" (unmatched): the family's model.
    models = {pair: config.model_name(*pair) for pair in set(zip(families, strategies, strict=True))}
    identity: dict[str, Sequence[str | None]] = {
        "run_id": [run.run_id for run in runs],
        "source": [run.source for run in runs],
        "source_file": [run.source_file for run in runs],
        "strategy": strategies,
        "family": families,
        "model": [models[pair] for pair in zip(families, strategies, strict=True)],
        "task": [run.fields["task"] for run in runs],
        "seed": [run.fields.get("seed", "") for run in runs],
    }
    settings = _setting_columns(matched)
    # A row of settings per run, each got in C, then turned into columns: a get per run and column took 1 s at 300k.
    rows = [tuple(map(run.fields.get, settings)) for run in runs]
    identity |= zip(settings, map(list, zip(*rows, strict=True)), strict=True)
    # Runs of one task name the same metrics: their order is sorted once per set of names, and each run's values
    # are taken in that order in C rather than by a Python step per metric.
    ordered: dict[tuple[str, ...], tuple[str, ...]] = {}
    counts: list[int] = []
    metrics: list[str] = []
    values: list[float] = []
    for run in runs:
        names = tuple(run.metrics)
        if (sorted_names := ordered.get(names)) is None:
            sorted_names = ordered[names] = tuple(sorted(names))
        counts.append(len(sorted_names))
        metrics += sorted_names
        values += map(run.metrics.__getitem__, sorted_names)
    # Categorical: each run's identity repeats once per metric, and most values (tasks, settings) across runs; as
    # codes into one list of distinct values, 300k runs take megabytes where strings took gigabytes.
    table = pd.DataFrame(identity).astype("category")
    table = table.take(np.repeat(np.arange(len(runs), dtype=np.int64), counts)).reset_index(drop=True)
    table["metric"] = pd.Categorical(metrics)
    table["value"] = np.asarray(values, dtype=np.float64)
    return table


def _file_accounting(
    files: list[FileOutcome],
    kept: dict[tuple[str, str], int],
    reasons: dict[tuple[str, str], list[str]],
) -> pd.DataFrame:
    """One row per input file; a file whose every run was rejected counts as rejected."""
    rows = []
    for f in files:
        key = (f.source, f.source_file)
        outcome, runs, reason = f.outcome, f.runs, f.reason
        if outcome == "ingested" and key in reasons:
            runs = kept.get(key, 0)
            if runs == 0:
                outcome, reason = "rejected", "; ".join(dict.fromkeys(reasons[key]))
        rows.append(
            {"source": f.source, "source_file": f.source_file, "outcome": outcome, "runs": runs, "reason": reason}
        )
    return pd.DataFrame(rows, columns=["source", "source_file", "outcome", "runs", "reason"])


def wide_runs(runs: Runs) -> pd.DataFrame:
    """One row per run: identity, every setting and every final metric as its own column."""
    table = runs.table
    if table.empty:
        return pd.DataFrame(columns=[*ID_COLUMNS, *runs.settings])
    metrics = table.pivot(index="run_id", columns="metric", values="value")
    identity = table.drop_duplicates("run_id").set_index("run_id")[[*ID_COLUMNS[1:], *runs.settings]]
    return identity.join(metrics[sorted(metrics.columns)]).reset_index()
