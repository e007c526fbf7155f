"""The analyses: config → sources → runs table → every table and figure the pages show (one ``Report``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from gen import memo
from gen.analysis.changes import SCORE_KEYS, cell_changes, run_changes, scores_from_runs_csv
from gen.analysis.efficiency import (
    matched_versus,
    normalised_metrics,
    versus_baseline,
    with_unhealthy,
)
from gen.analysis.findings import findings, unhealthy_runs
from gen.analysis.headline import Headline
from gen.analysis.health import configurations, unhealthy_counts
from gen.analysis.order import ordered
from gen.analysis.reproduction import nearer_metrics, reproduction, reproduction_averages
from gen.analysis.scores import CELL_KEYS, score_cells, task_scores, thin_cells
from gen.analysis.sections import (
    Changes,
    Coverage,
    Reproduction,
    RunHealth,
    Training,
    Variants,
    all_comparisons,
    compare_variants,
    grid_coverage,
    headline_sensitivity,
    judge_runs,
    reference_warnings,
    trade_offs,
    training,
)
from gen.analysis.stats import cell_stats, seed_variability
from gen.config import ReportConfig
from gen.config.base import ConfigError
from gen.config.sources import TableSource
from gen.fingerprint import GIT_STATUS
from gen.memo import Memo, stage
from gen.runs import Runs, build_runs, without_runs
from gen.sources import discovery
from gen.sources.load import load_sources
from gen.sources.previous import load_previous
from gen.sources.reference import load_reference
from gen.sources.table import load_table


def compare_with_previous(config: ReportConfig, scores: pd.DataFrame) -> Changes | None:
    """Changes since the configured previous version, or None when there is none."""
    previous = load_previous(config.changes, Path.cwd())
    if previous is None:
        return None
    before = scores_from_runs_csv(previous.runs, config.suite)
    now = scores[SCORE_KEYS]
    return Changes(previous.label, run_changes(now, before), cell_changes(now, before))


def reproduce(config: ReportConfig, intervals: pd.DataFrame, table: pd.DataFrame) -> Reproduction | None:
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
    figures = score_cells(task_scores(published.table, config.suite))
    cells = reproduction(intervals, figures)
    nearer = nearer_metrics(table, figures, config.suite)
    return Reproduction(config.published.label, cells, reproduction_averages(cells), nearer)


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
        with discovery.no_cycle_collection():
            with discovery.reusing(self.memo.walks):  # the files this build's fingerprint describes
                loaded = load_sources(self.config)
            self.memo.walks.clear()  # read once: 300k runs' walk is worth its memory back
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

    @property
    def overview_reference(self) -> pd.DataFrame | None:
        """The Overview's costs: the reference table's when the config says so (None: the measured ones)."""
        return self.reference if self.config.efficiency.source == "reference" else None

    @stage
    def judged(self) -> tuple[Runs, RunHealth, Headline]:
        """The runs the analyses use, every run's health, and the headline figures (the properties below name the
        parts; reading one reads this stage)."""
        return judge_runs(self.every, self.config, self.overview_reference)

    @stage
    def sensitivity(self) -> pd.DataFrame:
        """Each headline figure with every valid run and with healthy runs only."""
        return headline_sensitivity(
            self.every, self.health.health, self.judged[2], self.config, self.overview_reference
        )

    @property
    def runs(self) -> Runs:
        """The runs the analyses use (less what the health policy excludes)."""
        return self.judged[0]

    @stage
    def unhealthy_ids(self) -> set[str]:
        """The runs whose verdict is not healthy (read by several stages: the set is made once)."""
        return self.health.health.unhealthy_ids()

    @property
    def health(self) -> RunHealth:
        """Every run's health verdict and the excluded runs."""
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

    @property
    def glue(self) -> pd.DataFrame:
        """The suite score per (family, strategy)."""
        return self.judged[2].glue

    @property
    def differences(self) -> pd.DataFrame:
        """Suite-score differences between strategies."""
        return self.judged[2].differences

    @property
    def measured(self) -> pd.DataFrame:
        """Measured costs per (family, strategy)."""
        return self.judged[2].measured

    @property
    def combined(self) -> pd.DataFrame:
        """Scores and costs side by side."""
        return self.judged[2].combined

    @property
    def observations(self) -> pd.DataFrame:
        """The key observations of the Overview."""
        return self.judged[2].observations

    @stage
    def versus(self) -> pd.DataFrame:
        """Costs against the baseline strategy."""
        return versus_baseline(self.measured, self.strategies[0])

    @stage
    def costs(self) -> pd.DataFrame:
        """Measured costs per (family, strategy) and how many of their runs are not healthy (``n_unhealthy``)."""
        return with_unhealthy(self.measured, self.runs.table, self.unhealthy_ids)

    @stage
    def healthy_versus(self) -> pd.DataFrame:
        """Costs against the baseline over healthy runs only, each pair on the tasks both have: a run that is not
        healthy may stop early, and its costs are not those of a training run."""
        healthy = without_runs(self.runs.table, self.unhealthy_ids)
        return ordered(matched_versus(healthy, self.strategies[0]), self.config.family_order, self.strategies)

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
        return compare_variants(self.config, self.runs, self.unhealthy_ids)

    @stage
    def comparisons(self) -> pd.DataFrame:
        """Paired tests between strategies and methods, Holm-corrected together."""
        return all_comparisons(self.scores, self.cells, self.config, self.variants)

    @stage
    def tradeoffs(self) -> pd.DataFrame:
        """Accuracy–cost points with Pareto fronts."""
        return trade_offs(self.scores, self.runs, self.variants, self.unhealthy_ids)

    @stage
    def coverage(self) -> Coverage:
        """The experiment grid's completion."""
        return grid_coverage(self.scores, self.variants)

    @stage
    def reproduction(self) -> Reproduction | None:
        """Our runs against the published figures."""
        memo.read("published")
        return reproduce(self.config, self.cell_stats, self.runs.table)

    @stage
    def findings(self) -> pd.DataFrame:
        """The findings, per pair of strategies."""
        return findings(self.glue, self.cells, self.strategies, self.config.suite, unhealthy_runs(self.scores))

    @stage
    def training(self) -> Training:
        """Training curves and best steps."""
        return training(self.runs, self.config.suite)

    def prepare_shared(self) -> None:
        """Compute now the stages nearly every page reads (the runs, their health, the headline): a forked copy of the
        process made next (gen.forked) then starts with them instead of computing them again."""
        self.judged  # noqa: B018  (a stage is computed on first use)

    def pending(self, name: str) -> bool:
        """True when the stage ``name`` is still to compute in this build (neither computed nor kept)."""
        return name not in self._stages and not self.memo.held(name)

    def compute_all(self) -> Report:
        """Every stage, now (errors in the inputs surface here rather than on first use)."""
        for name, value in vars(type(self)).items():
            if isinstance(value, stage):
                getattr(self, name)
        return self


def analyse(config: ReportConfig) -> Report:
    """Load every source, judge every run's health and compute every analysis the pages need."""
    return Report(config).compute_all()


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
