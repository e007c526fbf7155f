"""Reproduction: our runs against published figures, per task and on average."""

from __future__ import annotations

import pandas as pd

from gen.benchmarks import Suite

KEYS = ["family", "strategy", "column"]
# Another metric of a task is called nearer the published figures when its median gap is at most this share of the
# scored metric's, and the scored metric is at least NEARER_MIN_POINTS off.
NEARER_SHARE = 0.5
NEARER_MIN_POINTS = 1.0


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
    if "n_unhealthy" in table:
        columns.append("n_unhealthy")
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


def nearer_metrics(table: pd.DataFrame, published: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Task columns whose published figures are markedly nearer our mean of another metric of the task than of the
    metric the report scores it by: a sign that the publication reports that metric (MRPC and QQP are often given as
    F1). Per column scored by one metric, the median over the (family, strategy) cells both have of |ours −
    published|, in points, for each metric the suite names for the task; a row where another metric's median is at
    most half the scored one's and the scored one is at least a point off.

    ``table`` is the tidy runs table, ``published`` the published cells (``family, strategy, column, mean``).
    Columns: ``column, metric, points, nearer_metric, nearer_points, n_cells``.
    """
    columns = ["column", "metric", "points", "nearer_metric", "nearer_points", "n_cells"]
    figures = published.set_index(["family", "strategy", "column"])["mean"]
    known = {
        task.name: dict.fromkeys([m for c in (*task.primary, *task.glue) for m in c.metrics]) for task in suite.tasks
    }
    wanted = table[table["metric"].isin({m for metrics in known.values() for m in metrics})]
    means = wanted.groupby(["task", "metric", "family", "strategy"], observed=True)["value"].mean()
    rows = []
    for task in suite.tasks:
        if len(task.primary) != 1 or len(task.primary[0].metrics) != 1:
            continue
        column, scored = task.primary[0].column, task.primary[0].metrics[0]
        if column not in figures.index.get_level_values("column") or task.name not in means.index.get_level_values(0):
            continue
        shown, ours_by_metric = figures.xs(column, level="column"), means.xs(task.name, level="task")
        gaps = {}
        for metric in known[task.name]:
            if metric in ours_by_metric.index.get_level_values("metric"):
                ours = ours_by_metric.xs(metric, level="metric")
                both = ours.index.intersection(shown.index)
                if len(both):
                    gaps[metric] = (float((100 * (ours[both] - shown[both])).abs().median()), len(both))
        if scored not in gaps:
            continue
        points, cells = gaps[scored]
        others = sorted((gap, metric) for metric, (gap, _) in gaps.items() if metric != scored)
        if others and points >= NEARER_MIN_POINTS and others[0][0] <= NEARER_SHARE * points:
            rows.append((column, scored, points, others[0][1], others[0][0], cells))
    return pd.DataFrame(rows, columns=columns)
