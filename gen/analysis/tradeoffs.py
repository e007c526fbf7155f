"""Accuracy–cost trade-offs: one point per (family, label) and the Pareto frontier for each cost."""

from __future__ import annotations

import pandas as pd

from gen.analysis.health import run_counts

COSTS = ["params_m", "memory_allocated_mb", "train_time_s", "eval_runtime_s"]
POINT_KEYS = ["family", "label"]


def tradeoff_points(scores: pd.DataFrame, table: pd.DataFrame, unhealthy_ids: set[str]) -> pd.DataFrame:
    """Points from per-run scores and the tidy table, both with a ``label`` column naming what a point is.

    score = mean over task columns of the mean over runs; each cost = mean over tasks of the mean over runs (task-
    balanced, as on Efficiency). ``complete`` is False for points covering fewer columns than the best-covered one.
    ``n_runs`` counts a point's runs, ``n_unhealthy`` those of them in ``unhealthy_ids``.
    """
    cells = scores.groupby([*POINT_KEYS, "column"], sort=False)["score"].mean()
    points = cells.groupby(POINT_KEYS, sort=False).agg(score="mean", n_columns="size")
    points = points.join(run_counts(scores, POINT_KEYS, scores["run_id"].isin(unhealthy_ids)))
    costs = table[table["metric"].isin(COSTS)]
    per_task = costs.groupby([*POINT_KEYS, "task", "metric"], sort=False)["value"].mean()
    cost_means = per_task.groupby([*POINT_KEYS, "metric"], sort=False).mean().unstack("metric")
    points = points.join(cost_means.reindex(columns=COSTS))
    points["complete"] = points["n_columns"] == points["n_columns"].max()
    return pd.DataFrame(points.reset_index())


def pareto_front(points: pd.DataFrame, cost: str) -> pd.Series:
    """True for points no other point dominates (score at least as high and cost at least as low, one strictly).

    Only complete points with the cost measured take part; the rest are never on the frontier.
    """
    eligible = points[points["complete"] & points[cost].notna()]
    score, price = eligible["score"].to_numpy(), eligible[cost].to_numpy()
    on_front = [
        not ((score >= s) & (price <= c) & ((score > s) | (price < c))).any() for s, c in zip(score, price, strict=True)
    ]
    return pd.Series(on_front, index=eligible.index, dtype=bool).reindex(points.index, fill_value=False)


def with_fronts(points: pd.DataFrame) -> pd.DataFrame:
    """The points with an ``on_front_<cost>`` column per cost."""
    return points.assign(**{f"on_front_{cost}": pareto_front(points, cost) for cost in COSTS})


def labelled(scores: pd.DataFrame, table: pd.DataFrame, label: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores and tidy table restricted to the runs ``label`` (run_id -> label) names, with a ``label`` column."""
    keep_scores = scores[scores["run_id"].isin(label.index)]
    keep_table = table[table["run_id"].isin(label.index)]
    return (
        keep_scores.assign(label=keep_scores["run_id"].map(label)),
        keep_table.assign(label=keep_table["run_id"].map(label)),
    )
