"""The headline figures of a set of runs (suite scores, costs, observations), and how they move without the runs
that are not healthy."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gen.analysis.efficiency import combined_table, measured_efficiency, observations, overview_costs
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
    return Headline(
        scores, cells, glue, differences, measured, combined, observations(combined, differences, strategies)
    )


def sensitivity(everything: Headline, healthy: Headline) -> pd.DataFrame:
    """Each headline figure with every valid run and with healthy runs only, side by side."""
    keys = ["family", "strategy", "model"]

    def suite(figures: Headline) -> pd.DataFrame:
        runs = figures.scores.groupby(keys, sort=False)["run_id"].nunique().rename("n_runs").reset_index()
        return figures.glue[[*keys, "glue_score"]].merge(runs, on=keys, how="left")

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
        }
    )
    table = pd.concat([score_rows, observation_rows], ignore_index=True)
    table["difference"] = table["healthy_only"] - table["all_runs"]
    return table
