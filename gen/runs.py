"""Normalise run records into the one tidy runs table (one row per run × metric) every page derives from."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from gen.benchmarks import GLUE_TASKS
from gen.config import ReportConfig
from gen.sources.base import FileOutcome, RunRecord

ID_COLUMNS = ["run_id", "source", "source_file", "strategy", "family", "model", "task", "seed"]
# Fields already in ID_COLUMNS or meaningless as settings; everything else a run carries is a setting.
_NOT_SETTINGS = {"family", "task", "seed"}


@dataclass
class Runs:
    """The tidy runs table plus the account of what did not make it in."""

    table: pd.DataFrame
    settings: list[str]
    unmatched: pd.DataFrame
    rejected_runs: pd.DataFrame
    files: pd.DataFrame


def assign_strategy(fields: dict[str, str], config: ReportConfig) -> str | None:
    """Name of the first strategy rule whose fields all match, or None."""
    for rule in config.strategies:
        if all(fields.get(key) in allowed for key, allowed in rule.allowed().items()):
            return rule.name
    return None


def run_problem(run: RunRecord, config: ReportConfig) -> str | None:
    """Why a run cannot be scored (unknown task, missing metric), or None."""
    task = GLUE_TASKS.get(run.fields["task"])
    if task is None:
        return f"unknown task {run.fields['task']!r} (known: {', '.join(GLUE_TASKS)})"
    for column in task.columns(config.score):
        missing = [m for m in column.metrics if m not in run.metrics]
        if missing:
            return f"task {task.name}: missing metric(s) {', '.join(missing)} (has {', '.join(sorted(run.metrics))})"
    return None


def build_runs(records: list[RunRecord], files: list[FileOutcome], config: ReportConfig) -> Runs:
    """Validate, name and flatten the runs; every run ends up in the table, unmatched or rejected."""
    rows: list[dict[str, object]] = []
    unmatched: list[dict[str, str]] = []
    rejected: list[dict[str, str]] = []
    settings: set[str] = set()
    kept_per_file: dict[tuple[str, str], int] = defaultdict(int)
    reasons_per_file: dict[tuple[str, str], list[str]] = defaultdict(list)
    for run in records:
        file_key = (run.source, run.source_file)
        problem = run_problem(run, config)
        if problem:
            rejected.append(
                {
                    "source": run.source,
                    "source_file": run.source_file,
                    "run_id": run.run_id,
                    "reason": problem,
                }
            )
            reasons_per_file[file_key].append(problem)
            continue
        kept_per_file[file_key] += 1
        strategy = assign_strategy(run.fields, config)
        if strategy is None:
            unmatched.append({"run_id": run.run_id, "source": run.source, **run.fields})
            continue
        family = run.fields["family"]
        run_settings = {k: v for k, v in run.fields.items() if k not in _NOT_SETTINGS}
        settings.update(run_settings)
        base = {
            "run_id": run.run_id,
            "source": run.source,
            "source_file": run.source_file,
            "strategy": strategy,
            "family": family,
            "model": config.model_name(family, strategy),
            "task": run.fields["task"],
            "seed": run.fields.get("seed", ""),
            **run_settings,
        }
        rows.extend({**base, "metric": metric, "value": value} for metric, value in sorted(run.metrics.items()))
    setting_columns = sorted(settings - set(ID_COLUMNS))
    table = pd.DataFrame(rows, columns=[*ID_COLUMNS, *setting_columns, "metric", "value"])
    return Runs(
        table=table,
        settings=setting_columns,
        unmatched=pd.DataFrame(unmatched).sort_values("run_id").reset_index(drop=True)
        if unmatched
        else pd.DataFrame(columns=["run_id", "source"]),
        rejected_runs=pd.DataFrame(rejected, columns=["source", "source_file", "run_id", "reason"]),
        files=_file_accounting(files, kept_per_file, reasons_per_file),
    )


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
            {
                "source": f.source,
                "source_file": f.source_file,
                "outcome": outcome,
                "runs": runs,
                "reason": reason,
            }
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
