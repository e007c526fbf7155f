"""The headline figures of a set of runs (suite scores, costs, observations), and how they move without the runs
that are not healthy."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gen.analysis.efficiency import (
    OVERVIEW_NAMES,
    combined_table,
    matched_means,
    measured_efficiency,
    observations,
    overview_costs,
)
from gen.analysis.order import ordered
from gen.analysis.scores import glue_scores, score_cells, score_differences, suite_columns, task_scores
from gen.config import ReportConfig


@dataclass
class Headline:
    """The headline figures of one set of runs: scores per run and cell, suite scores, costs, observations."""

    scores: pd.DataFrame
    cells: pd.DataFrame
    glue: pd.DataFrame
    differences: pd.DataFrame
    measured: pd.DataFrame
    combined: pd.DataFrame
    observations: pd.DataFrame


def headline(table: pd.DataFrame, config: ReportConfig, reference: pd.DataFrame | None) -> Headline:
    """The headline figures computed from a tidy runs table."""
    families, strategies = config.family_order, config.strategy_names
    scores = task_scores(table, config.suite)
    cells = ordered(score_cells(scores), families, strategies)
    # The suite score averages the columns where higher is better; a latency column is shown, not averaged in.
    in_suite = cells[cells["column"].isin(suite_columns(config.suite))]
    glue = ordered(glue_scores(in_suite), families, strategies)
    differences = score_differences(in_suite, strategies)
    measured = ordered(measured_efficiency(table), families, strategies)
    combined = ordered(combined_table(glue, overview_costs(measured, reference)), families, strategies)
    # Measured costs are compared on the tasks both strategies have (a reference table's are per model only).
    matched = None if reference is not None else matched_means(table, strategies[0]).rename(columns=OVERVIEW_NAMES)
    return Headline(
        scores, cells, glue, differences, measured, combined, observations(combined, differences, strategies, matched)
    )


def sensitivity(everything: Headline, healthy: Headline, measured_costs: bool = True) -> pd.DataFrame:
    """Each headline figure with every valid run and with healthy runs only, side by side.

    ``healthy_missing`` names the score columns (space-separated, in suite order) that the figure's cells have with
    every run but not with healthy runs only: a healthy-only figure then averages fewer tasks, and the change is
    partly the task mix. Cost observations rest on runs only when ``measured_costs`` (not from a reference table).
    """
    keys = ["family", "strategy", "model"]

    def suite(figures: Headline) -> pd.DataFrame:
        runs = figures.scores.groupby(keys, sort=False)["run_id"].nunique().rename("n_runs").reset_index()
        return figures.glue[[*keys, "glue_score"]].merge(runs, on=keys, how="left")

    order = {c: rank for c, rank in zip(everything.cells["column"], everything.cells["column_rank"], strict=True)}
    lost = _lost_columns(everything.scores, healthy.scores)

    def missing(families: list[str] | None, strategies: list[str]) -> str:
        chosen = lost[lost["strategy"].isin(strategies) & (True if families is None else lost["family"].isin(families))]
        return " ".join(sorted(set(chosen["column"]), key=lambda c: order.get(c, 0)))

    # Left joins keep the headline's own order (config order of families and strategies).
    scores = suite(everything).merge(suite(healthy), on=keys, how="left", suffixes=("_all", "_healthy"))
    score_rows = pd.DataFrame(
        {
            "figure": "glue_score",
            "family": scores["family"],
            "from": "",
            "to": scores["strategy"],
            "all_runs": scores["glue_score_all"],
            "healthy_only": scores["glue_score_healthy"],
            "n_runs_all": scores["n_runs_all"],
            "n_runs_healthy": scores["n_runs_healthy"],
            "healthy_missing": [missing([f], [s]) for f, s in zip(scores["family"], scores["strategy"], strict=True)],
        }
    )
    obs = everything.observations.merge(
        healthy.observations, on=["observation", "from", "to"], how="left", suffixes=("_all", "_healthy")
    )
    observation_rows = pd.DataFrame(
        {
            "figure": obs["observation"],
            "family": "all families",
            "from": obs["from"],
            "to": obs["to"],
            "all_runs": obs["value_all"],
            "healthy_only": obs["value_healthy"],
            "healthy_missing": [
                missing(None, [a, b]) if figure == "glue_difference" or measured_costs else ""
                for figure, a, b in zip(obs["observation"], obs["from"], obs["to"], strict=True)
            ],
        }
    )
    table = pd.concat([score_rows, observation_rows], ignore_index=True)
    table["difference"] = table["healthy_only"] - table["all_runs"]
    columns = [c for c in table.columns if c != "healthy_missing"]
    return table[[*columns, "healthy_missing"]]


def _lost_columns(everything: pd.DataFrame, healthy: pd.DataFrame) -> pd.DataFrame:
    """``family, strategy, column`` scored by some run but by no healthy one."""
    keys = ["family", "strategy", "column"]
    present = everything[keys].drop_duplicates()
    kept = healthy[keys].drop_duplicates().assign(kept=True)
    merged = present.merge(kept, on=keys, how="left")
    return merged.loc[merged["kept"].isna(), keys].astype(str)
