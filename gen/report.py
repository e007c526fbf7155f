"""The analyses: config → sources → runs table → every table and figure the pages show (one ``Report``)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gen import memo
from gen.analysis.changes import SCORE_KEYS, cell_changes, run_changes, scores_from_runs_csv
from gen.analysis.coverage import completion_rate, coverage
from gen.analysis.efficiency import (
    normalised_metrics,
    versus_baseline,
)
from gen.analysis.findings import findings
from gen.analysis.headline import Headline, headline, sensitivity
from gen.analysis.health import Health, configurations, run_health, unhealthy_counts
from gen.analysis.order import ordered
from gen.analysis.reproduction import reproduction, reproduction_averages
from gen.analysis.scores import CELL_KEYS, score_cells, suite_columns, task_scores, thin_cells
from gen.analysis.stats import cell_stats, holm_corrected, paired_comparisons, seed_variability
from gen.analysis.tradeoffs import labelled, tradeoff_points, with_fronts
from gen.analysis.training import best_steps, curve_bands, downsample, drawable
from gen.analysis.variants import best_per_task, by_task, method_cells, method_ranking, method_scores, rank_sweep
from gen.benchmarks import Suite
from gen.config import ConfigError, ReportConfig, TableSource
from gen.fingerprint import GIT_STATUS
from gen.memo import Memo, stage
from gen.runs import WARNING_COLUMNS, Runs, build_runs
from gen.sources.load import load_sources
from gen.sources.previous import load_previous
from gen.sources.reference import load_reference, unmatched_reference_rows
from gen.sources.table import load_table


@dataclass
class Changes:
    """This build against a previous published version."""

    previous: str
    runs: pd.DataFrame
    cells: pd.DataFrame


def compare_with_previous(config: ReportConfig, scores: pd.DataFrame) -> Changes | None:
    """Changes since the configured previous version, or None when there is none."""
    previous = load_previous(config.changes, Path.cwd())
    if previous is None:
        return None
    before = scores_from_runs_csv(previous.runs, config.suite)
    now = scores[SCORE_KEYS]
    return Changes(previous.label, run_changes(now, before), cell_changes(now, before))


@dataclass
class Variants:
    """PEFT methods and ranks against the baseline, per group."""

    scores: pd.DataFrame
    cells: pd.DataFrame
    by_task: pd.DataFrame
    ranking: pd.DataFrame
    best: pd.DataFrame
    sweep: pd.DataFrame


def all_comparisons(
    scores: pd.DataFrame, cells: pd.DataFrame, config: ReportConfig, variants: Variants | None
) -> pd.DataFrame:
    """Paired tests between strategies (per task, suite, over families), and between the methods of each variants
    group (suite per family), Holm-corrected together: they are the rows of one page."""
    suite = config.suite.name
    averaged = suite_columns(config.suite)
    parts = [paired_comparisons(scores, cells, config.strategy_names, suite, config.family_order, averaged)]
    if variants is not None:
        for group, runs in variants.scores[variants.scores["group"] != "baseline"].groupby("group", sort=False):
            methods = sorted(runs["method"].unique())
            group_cells = variants.cells[variants.cells["group"] == group].assign(strategy=lambda f: f["method"])
            tested = paired_comparisons(
                runs.assign(strategy=runs["method"]), group_cells, methods, suite, config.family_order, averaged
            )
            parts.append(tested[tested["task"] == suite].assign(compared=group))
    return holm_corrected(pd.concat(parts, ignore_index=True))


def compare_variants(config: ReportConfig, runs: Runs) -> Variants | None:
    """The variants analyses, when the config asks for them."""
    if config.variants is None:
        return None
    scores = method_scores(runs.all_table, config.variants, config.suite)
    cells = method_cells(scores)
    return Variants(scores, cells, by_task(cells), method_ranking(cells), best_per_task(cells), rank_sweep(scores))


def trade_offs(report_scores: pd.DataFrame, runs: Runs, variants: Variants | None) -> pd.DataFrame:
    """Accuracy–cost points with their Pareto fronts: per (family, group · method) when variants are configured,
    else per (family, strategy)."""
    if variants is not None:
        ids = variants.scores.drop_duplicates("run_id").set_index("run_id")
        label = ids["group"].where(ids["group"] == "baseline", ids["group"] + " · " + ids["method"])
        scores, table = labelled(variants.scores, runs.all_table, label)
    else:
        label = report_scores.drop_duplicates("run_id").set_index("run_id")["strategy"]
        scores, table = labelled(report_scores, runs.table, label)
    return with_fronts(tradeoff_points(scores, table))


@dataclass
class Coverage:
    """The experiment grid: completion per cell, the missing runs, and the overall rate."""

    cells: pd.DataFrame
    missing: pd.DataFrame
    rate: float


def grid_coverage(report_scores: pd.DataFrame, variants: Variants | None) -> Coverage:
    """Coverage by (group · method · rank) when variants are configured, else by strategy."""
    if variants is not None:
        runs = variants.scores.drop_duplicates("run_id")
        rank = runs["rank"].map(lambda r: "" if pd.isna(r) else f" · r{int(r)}")
        configuration = runs["group"] + " · " + runs["method"] + rank
    else:
        runs = report_scores.drop_duplicates("run_id")
        configuration = runs["strategy"]
    cells, missing = coverage(runs.assign(configuration=configuration))
    return Coverage(cells, missing, completion_rate(cells))


@dataclass
class Reproduction:
    """Our runs against published figures."""

    label: str
    cells: pd.DataFrame
    averages: pd.DataFrame


def reproduce(config: ReportConfig, intervals: pd.DataFrame) -> Reproduction | None:
    """Compare with the configured published figures, read like a table source and named by the same rules."""
    if config.published is None:
        return None
    path = config.published.path
    load = load_table(TableSource(type="table", path=path), "published")
    rejected = [f.reason for f in load.files if f.outcome == "rejected"]
    if rejected:
        raise ConfigError(f"{config.config_path}: key 'published.path': {path}: {rejected[0]} — fix the table")
    published = build_runs(load.runs, load.files, config, check_rules=False)
    if not published.rejected_runs.empty:
        first = published.rejected_runs.iloc[0]
        raise ConfigError(
            f"{config.config_path}: key 'published.path': {path}: {first['reason']} "
            f"({len(published.rejected_runs)} unusable figure(s)) — fix the table"
        )
    cells = reproduction(intervals, score_cells(task_scores(published.table, config.suite)))
    return Reproduction(config.published.label, cells, reproduction_averages(cells))


# Steps per curve drawn on the page; the CSV download keeps every logged step.
CURVE_POINTS = 40


@dataclass
class Training:
    """Training dynamics: curves (every step, and downsampled for drawing) and the best step per cell."""

    bands: pd.DataFrame
    drawn: pd.DataFrame
    best: pd.DataFrame


def training(runs: Runs, suite: Suite) -> Training:
    """Curves and best steps of the runs that have logs."""
    bands = curve_bands(runs.curves)
    return Training(bands, downsample(drawable(bands), CURVE_POINTS), best_steps(runs.curves, runs.table, suite))


@dataclass
class RunHealth:
    """Every run's health verdict, what the policy excluded, and the headline with all runs against healthy ones."""

    health: Health
    excluded: pd.DataFrame
    sensitivity: pd.DataFrame


def judge_runs(every: Runs, config: ReportConfig, reference: pd.DataFrame | None) -> tuple[Runs, RunHealth, Headline]:
    """Health verdicts for every valid run; the runs the analyses use (less what the policy excludes) and their
    headline figures."""
    health = run_health(every.all_table, every.settings, config.duplicates.ignore, config.suite)
    excluded_ids = health.unhealthy_ids(config.run_health.excluded_verdicts())
    unhealthy_ids = health.unhealthy_ids()
    runs = every.without(excluded_ids)
    everything = headline(every.table, config, reference)
    healthy = headline(every.without(unhealthy_ids).table, config, reference) if unhealthy_ids else everything
    if not excluded_ids:
        used = everything
    elif excluded_ids == unhealthy_ids:
        used = healthy
    else:
        used = headline(runs.table, config, reference)
    excluded = health.runs[health.runs["run_id"].isin(excluded_ids)].reset_index(drop=True)
    return runs, RunHealth(health, excluded, sensitivity(everything, healthy)), used


class Report:
    """Everything the pages show, derived from the runs table: each field is a stage (gen.memo) computed on first
    use, so a build computes only what the pages it regenerates read."""

    def __init__(self, config: ReportConfig, memo: Memo | None = None) -> None:
        self.config = config
        self.memo = memo or Memo()
        self._stages: dict[str, tuple[dict[str, str], object]] = {}

    @property
    def strategies(self) -> list[str]:
        """Strategies in config order."""
        return self.config.strategy_names

    @stage
    def every(self) -> Runs:
        """Every valid run, before the health policy excludes any."""
        memo.read("sources")
        loaded = load_sources(self.config)
        return build_runs(loaded.runs, loaded.files, self.config)

    @stage
    def reference(self) -> pd.DataFrame | None:
        """The efficiency reference table, when configured."""
        if self.config.efficiency.table is None:
            return None
        memo.read("efficiency")
        return load_reference(self.config.efficiency)

    @stage
    def warnings(self) -> pd.DataFrame:
        """What was read but is odd without costing a run, and reference rows that match no run."""
        if self.reference is None or self.config.efficiency.table is None:
            return self.every.warnings
        return reference_warnings(self.every, self.reference, self.config.efficiency.table.name)

    @stage
    def judged(self) -> tuple[Runs, RunHealth, Headline]:
        """The runs the analyses use, every run's health, and the headline figures."""
        # The Overview's costs: the reference table's when the config says so, else the measured ones.
        overview_reference = self.reference if self.config.efficiency.source == "reference" else None
        return judge_runs(self.every, self.config, overview_reference)

    @stage
    def runs(self) -> Runs:
        """The runs the analyses use (less what the health policy excludes)."""
        return self.judged[0]

    @stage
    def health(self) -> RunHealth:
        """Every run's health verdict, the excluded runs, the sensitivity of the headline."""
        return self.judged[1]

    @stage
    def scores(self) -> pd.DataFrame:
        """A row per run and score column, with its health verdict and configuration."""
        health = self.health.health
        verdicts = health.runs[["run_id", "verdict", "reason"]].rename(columns={"reason": "health_reason"})
        return (
            self.judged[2]
            .scores.merge(verdicts, on="run_id", how="left")
            .merge(configurations(self.runs.table, health.varying), on="run_id", how="left")
        )

    @stage
    def unhealthy(self) -> pd.DataFrame:
        """Unhealthy runs per cell and column."""
        return unhealthy_counts(self.scores)

    @stage
    def cells(self) -> pd.DataFrame:
        """Mean score per (family, strategy, column)."""
        return self.judged[2].cells.merge(self.unhealthy, on=[*CELL_KEYS, "column"], how="left")

    @stage
    def cell_stats(self) -> pd.DataFrame:
        """Per cell: n, mean, std and the 95% interval."""
        intervals = ordered(cell_stats(self.scores), self.config.family_order, self.strategies)
        return intervals.merge(self.unhealthy, on=[*CELL_KEYS, "column"], how="left")

    @stage
    def glue(self) -> pd.DataFrame:
        """The suite score per (family, strategy)."""
        return self.judged[2].glue

    @stage
    def differences(self) -> pd.DataFrame:
        """Suite-score differences between strategies."""
        return self.judged[2].differences

    @stage
    def measured(self) -> pd.DataFrame:
        """Measured costs per (family, strategy)."""
        return self.judged[2].measured

    @stage
    def combined(self) -> pd.DataFrame:
        """Scores and costs side by side."""
        return self.judged[2].combined

    @stage
    def observations(self) -> pd.DataFrame:
        """The key observations of the Overview."""
        return self.judged[2].observations

    @stage
    def versus(self) -> pd.DataFrame:
        """Costs against the baseline strategy."""
        return versus_baseline(self.measured, self.strategies[0])

    @stage
    def normalised(self) -> pd.DataFrame:
        """Every metric scaled so that 1 is best."""
        return normalised_metrics(self.combined)

    @stage
    def thin_cells(self) -> pd.DataFrame:
        """Cells with fewer runs than the config asks for."""
        return thin_cells(self.cells, self.config.min_runs)

    @stage
    def changes(self) -> Changes | None:
        """This build against the previous published version."""
        memo.read("changes")
        return compare_with_previous(self.config, self.scores)

    @stage
    def commit(self) -> str | None:
        """The commit the results come from."""
        memo.read("git")
        return git_commit(self.config.config_path.parent)

    @stage
    def variability(self) -> pd.DataFrame:
        """Seed variability per task column."""
        return seed_variability(self.scores)

    @stage
    def variants(self) -> Variants | None:
        """PEFT methods and ranks, when configured."""
        return compare_variants(self.config, self.runs)

    @stage
    def comparisons(self) -> pd.DataFrame:
        """Paired tests between strategies and methods, Holm-corrected together."""
        return all_comparisons(self.scores, self.cells, self.config, self.variants)

    @stage
    def tradeoffs(self) -> pd.DataFrame:
        """Accuracy–cost points with Pareto fronts."""
        return trade_offs(self.scores, self.runs, self.variants)

    @stage
    def coverage(self) -> Coverage:
        """The experiment grid's completion."""
        return grid_coverage(self.scores, self.variants)

    @stage
    def reproduction(self) -> Reproduction | None:
        """Our runs against the published figures."""
        memo.read("published")
        return reproduce(self.config, self.cell_stats)

    @stage
    def findings(self) -> pd.DataFrame:
        """The findings, per pair of strategies."""
        return findings(self.glue, self.cells, self.strategies, self.config.suite)

    @stage
    def training(self) -> Training:
        """Training curves and best steps."""
        return training(self.runs, self.config.suite)

    def compute_all(self) -> Report:
        """Every stage, now (errors in the inputs surface here rather than on first use)."""
        for name, value in vars(type(self)).items():
            if isinstance(value, stage):
                getattr(self, name)
        return self


def analyse(config: ReportConfig) -> Report:
    """Load every source, judge every run's health and compute every analysis the pages need."""
    return Report(config).compute_all()


def reference_warnings(runs: Runs, reference: pd.DataFrame, name: str) -> pd.DataFrame:
    """The runs' warnings plus one per reference-table row that matches no (model, strategy) of the runs."""
    rows = [
        {"source": "efficiency.table", "source_file": name, "run_id": "", "field": row, "reason": reason}
        for row, reason in unmatched_reference_rows(reference, runs.table[["model", "strategy"]].drop_duplicates())
    ]
    if not rows:
        return runs.warnings
    return pd.concat([runs.warnings, pd.DataFrame(rows, columns=WARNING_COLUMNS)], ignore_index=True)


def git_commit(folder: Path) -> str | None:
    """The commit checked out where the config lives (the results' repository), if it is one, with ``+dirty``
    when tracked files differ from it.

    Untracked files do not count (as with ``git describe --dirty``): the footer's results fingerprint already pins
    the data, and scratch files or build outputs would mark every build. Only the flag is shown, never what changed,
    so the same tree gives the same label (gen.fingerprint includes the same status).
    """

    def git(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None

    commit = git("rev-parse", "--short=12", "HEAD")
    if commit is None or commit.returncode != 0:
        return None
    status = git(*GIT_STATUS)
    # Clean only when git says so: the footer must not vouch for a tree it could not check.
    clean = status is not None and status.returncode == 0 and not status.stdout.strip()
    return commit.stdout.strip() + ("" if clean else "+dirty")
