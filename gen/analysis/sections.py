"""Analyses that combine several analysis modules, for the Report's stages: PEFT variants, paired comparisons,
trade-offs, coverage, training dynamics, run health, the reference table's warnings, and the shapes of changes and
reproduction (whose inputs gen.report reads)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gen.analysis.coverage import completion_rate, coverage
from gen.analysis.headline import Headline, headline, sensitivity
from gen.analysis.health import Health, run_health
from gen.analysis.scores import suite_columns
from gen.analysis.stats import holm_corrected, paired_comparisons
from gen.analysis.tradeoffs import labelled, tradeoff_points, with_fronts
from gen.analysis.training import best_steps, checkpoint_choice, curve_bands, downsample, drawable
from gen.analysis.variants import (
    at_shared_ranks,
    best_per_task,
    by_task,
    method_cells,
    method_health,
    method_ranking,
    method_scores,
    rank_sweep,
)
from gen.benchmarks import Suite
from gen.config import ReportConfig
from gen.runs import WARNING_COLUMNS, Runs, without_runs
from gen.sources.reference import unmatched_reference_rows


@dataclass
class Changes:
    """This build against a previous published version."""

    previous: str
    runs: pd.DataFrame
    cells: pd.DataFrame


@dataclass
class Variants:
    """PEFT methods and ranks against the baseline, per group: every run's scores, and those the methods are
    compared on (at the ranks all methods of a group have in a family)."""

    scores: pd.DataFrame
    compared: pd.DataFrame
    cells: pd.DataFrame
    by_task: pd.DataFrame
    ranking: pd.DataFrame
    best: pd.DataFrame
    sweep: pd.DataFrame
    # ``group, family, ranks``: the LoRA ranks the methods of a group are compared at in a family.
    shared_ranks: pd.DataFrame


def all_comparisons(
    scores: pd.DataFrame, cells: pd.DataFrame, config: ReportConfig, variants: Variants | None
) -> pd.DataFrame:
    """Paired tests between strategies (per task, suite, over families), and between the methods of each variants
    group (suite per family), Holm-corrected together: they are the rows of one page."""
    suite = config.suite.name
    averaged = suite_columns(config.suite)
    parts = [paired_comparisons(scores, cells, config.strategy_names, suite, config.family_order, averaged)]
    if variants is not None:
        methods_compared = variants.compared[variants.compared["group"] != "baseline"]
        for group, runs in methods_compared.groupby("group", sort=False):
            methods = sorted(runs["method"].unique())
            group_cells = variants.cells[variants.cells["group"] == group].assign(strategy=lambda f: f["method"])
            tested = paired_comparisons(
                runs.assign(strategy=runs["method"]), group_cells, methods, suite, config.family_order, averaged
            )
            parts.append(tested[tested["task"] == suite].assign(compared=group))
    return holm_corrected(pd.concat(parts, ignore_index=True))


def compare_variants(config: ReportConfig, runs: Runs, unhealthy_ids: set[str]) -> Variants | None:
    """The variants analyses, when the config asks for them. Methods are compared (cells, ranking, best per task,
    and the tests and trade-offs built on ``compared``) at the ranks every method of the group has in a family
    (``ranks``), the rank sweep over every rank; the ranking and the sweep count the runs in ``unhealthy_ids`` (a
    method that collapses often ranks low for that)."""
    if config.variants is None:
        return None
    scores = method_scores(runs.all_table, config.variants, config.suite)
    scores = scores.assign(unhealthy=scores["run_id"].isin(unhealthy_ids))
    compared = at_shared_ranks(scores)
    cells = method_cells(compared)
    # Every method of a group is compared at the same ranks in a family: one list per (group, family).
    ranks = compared[compared["group"] != "baseline"].groupby(["group", "family"], sort=False, observed=True)["rank"]
    shared_ranks = ranks.agg(lambda r: ", ".join(f"{v:g}" for v in sorted(r.dropna().unique()))).rename("ranks")
    ranking = method_ranking(cells).merge(method_health(scores), on=["group", "method"], how="left")
    return Variants(
        scores,
        compared,
        cells,
        by_task(cells),
        ranking,
        best_per_task(cells),
        rank_sweep(scores),
        shared_ranks.reset_index(),
    )


def trade_offs(
    report_scores: pd.DataFrame, runs: Runs, variants: Variants | None, unhealthy_ids: set[str]
) -> pd.DataFrame:
    """Accuracy–cost points with their Pareto fronts: per (family, group · method) when variants are configured,
    else per (family, strategy); each with how many of its runs are in ``unhealthy_ids``."""
    if variants is not None:
        ids = variants.compared.drop_duplicates("run_id").set_index("run_id")
        label = ids["group"].where(ids["group"] == "baseline", ids["group"] + " · " + ids["method"])
        scores, table = labelled(variants.compared, runs.all_table, label)
    else:
        label = report_scores.drop_duplicates("run_id").set_index("run_id")["strategy"]
        scores, table = labelled(report_scores, runs.table, label)
    return with_fronts(tradeoff_points(scores, table, unhealthy_ids))


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
        # The baseline (full fine-tuning) has no method or rank, whatever settings its runs were given.
        configuration = (runs["group"] + " · " + runs["method"] + rank).where(runs["group"] != "baseline", "baseline")
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
    # Task columns whose published figures are nearer another metric of ours (gen.analysis.reproduction).
    nearer: pd.DataFrame


# Steps per curve drawn on the page; the CSV download keeps every logged step.
CURVE_POINTS = 40


@dataclass
class Training:
    """Training dynamics: curves (every step, and downsampled for drawing), the best step per cell and which
    checkpoint the runs of each task report."""

    bands: pd.DataFrame
    drawn: pd.DataFrame
    best: pd.DataFrame
    checkpoints: pd.DataFrame


def training(runs: Runs, suite: Suite) -> Training:
    """Curves, best steps and the checkpoint each run reports, of the runs that have logs."""
    bands = curve_bands(runs.curves)
    return Training(
        bands,
        downsample(drawable(bands), CURVE_POINTS),
        best_steps(runs.curves, runs.table, suite),
        checkpoint_choice(runs.curves, runs.table, suite),
    )


@dataclass
class RunHealth:
    """Every run's health verdict and what the policy excluded."""

    health: Health
    excluded: pd.DataFrame


def judge_runs(every: Runs, config: ReportConfig, reference: pd.DataFrame | None) -> tuple[Runs, RunHealth, Headline]:
    """Health verdicts for every valid run; the runs the analyses use (less what the policy excludes) and their
    headline figures."""
    health = run_health(every.all_table, every.settings, config.duplicates.ignore, config.suite)
    excluded_ids = health.unhealthy_ids(config.run_health.excluded_verdicts())
    runs = every.without(excluded_ids)
    excluded = health.runs[health.runs["run_id"].isin(excluded_ids)].reset_index(drop=True)
    return runs, RunHealth(health, excluded), headline(runs.table, config, reference)


def headline_sensitivity(
    every: Runs, health: Health, used: Headline, config: ReportConfig, reference: pd.DataFrame | None
) -> pd.DataFrame:
    """Each headline figure with every valid run and with healthy runs only (``used``: the headline of the runs the
    policy keeps, reused where it is one of the two). Apart from judge_runs: only the pages showing it wait for it."""
    excluded_ids = health.unhealthy_ids(config.run_health.excluded_verdicts())
    unhealthy_ids = health.unhealthy_ids()
    everything = used if not excluded_ids else headline(every.table, config, reference)
    if excluded_ids == unhealthy_ids:
        healthy = used
    elif not unhealthy_ids:
        healthy = everything
    else:
        # Only the scored table: Runs.without would also filter the curves, the largest table, for nothing.
        healthy = headline(without_runs(every.table, unhealthy_ids), config, reference)
    return sensitivity(everything, healthy, measured_costs=reference is None)


def reference_warnings(runs: Runs, reference: pd.DataFrame, name: str) -> pd.DataFrame:
    """The runs' warnings plus one per reference-table row that matches no (model, strategy) of the runs."""
    rows = [
        {"source": "efficiency.table", "source_file": name, "run_id": "", "field": row, "reason": reason}
        for row, reason in unmatched_reference_rows(reference, runs.table[["model", "strategy"]].drop_duplicates())
    ]
    if not rows:
        return runs.warnings
    return pd.concat([runs.warnings, pd.DataFrame(rows, columns=WARNING_COLUMNS)], ignore_index=True)
