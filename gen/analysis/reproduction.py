"""Reproduction: our runs against published figures, per task and on average."""

from __future__ import annotations

import pandas as pd

KEYS = ["family", "strategy", "column"]


def reproduction(ours: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, task column) both have: published, our mean ± CI, delta in points, inside the CI.

    ``ours`` is the cell table with intervals (cell_stats), ``published`` the published cells (score_cells).
    A published figure with no interval on our side (one run) is never called inside it.
    """
    published_means = published.set_index(KEYS)["mean"].rename("published")
    table = ours.join(published_means, on=KEYS, how="inner")
    table["delta_points"] = 100 * (table["mean"] - table["published"])
    table["inside_ci"] = (table["ci_low"] <= table["published"]) & (table["published"] <= table["ci_high"])
    columns = [*KEYS, "column_rank", "published", "n_runs", "mean", "ci_low", "ci_high", "delta_points", "inside_ci"]
    return table[columns].reset_index(drop=True)


def reproduction_averages(table: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy): published and reproduced averages over the task columns both have."""
    grouped = table.groupby(["family", "strategy"], sort=False)
    averages = grouped.agg(
        published=("published", "mean"),
        reproduced=("mean", "mean"),
        n_columns=("column", "size"),
        inside=("inside_ci", "sum"),
    )
    averages["delta_points"] = 100 * (averages["reproduced"] - averages["published"])
    return averages.reset_index()
