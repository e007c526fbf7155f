"""Charts of scores: task heatmaps per family, every run's score, seeds with their intervals, reproduction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd

from gen.benchmarks import GLUE_TASKS, SUPERGLUE_TASKS, ScoreColumn
from gen.charts.base import (
    HEIGHT,
    NEUTRAL,
    WIDTH,
    Chart,
    facet_columns,
    finish,
    health_shape,
    health_tooltips,
    in_order,
    records,
    reused,
    round_out,
    slug,
    strategy_color,
    text_color,
    with_health,
)

# Metrics that are correlations (range −1 to 1, 0 = no skill): their columns get a colour scale of their own.
CORRELATIONS = frozenset({"matthews_correlation", "pearson", "spearman"})
# Heatmap colour scales per kind of score column: legend title, scheme, and whether the scheme is reversed (so the
# brightest cell is always the best). Accuracy and F1 share one scale; a suite's lower-is-better columns (a
# latency) get one where the lowest is brightest.
HEAT_KINDS: dict[str, tuple[str, Literal["viridis", "magma"], bool]] = {
    "scores": ("Accuracy / F1", "viridis", False),
    "correlations": ("Correlation", "magma", False),
    "lower": ("Lower is better", "viridis", True),
}


# Score columns of the built-in suites, under both conventions.
_BUILT_IN = [
    score_column
    for task in (*GLUE_TASKS.values(), *SUPERGLUE_TASKS.values())
    for score_column in (*task.primary, *task.glue)
]


def _kind(column: ScoreColumn) -> str:
    if not column.higher_is_better:
        return "lower"
    return "correlations" if column.metrics and set(column.metrics) <= CORRELATIONS else "scores"


def column_kind(column: str, columns: Sequence[ScoreColumn] | None = None) -> str:
    """The colour scale a score column is read on: "correlations" when every metric of the column is a correlation
    (CoLA, STS-B), "lower" for a lower-is-better column, else "scores". ``columns`` are the report suite's; without
    them, the built-in suites'."""
    known = columns if columns is not None else _BUILT_IN
    kinds = {_kind(c) for c in known if c.column == column}
    return kinds.pop() if len(kinds) == 1 else "scores"


def heat_domains(cells: pd.DataFrame, columns: Sequence[ScoreColumn] | None = None) -> dict[str, list[float]]:
    """One colour domain per kind of column over every family's cells, so a colour means the same value on each
    family's heatmap (widened to multiples of 0.05)."""
    kinds = cells["column"].map(lambda c: column_kind(c, columns))
    domains = {}
    for kind in HEAT_KINDS:
        means = pd.to_numeric(cells.loc[kinds == kind, "mean"], errors="coerce").dropna()
        if not means.empty:
            domains[kind] = round_out(float(means.min()), float(means.max()))
    return domains


@reused
def accuracy_heatmap(
    cells: pd.DataFrame,
    family: str,
    strategies: list[str],
    labels: dict[str, str],
    columns: Sequence[ScoreColumn] | None = None,
    family_label: str | None = None,
) -> Chart:
    """Heatmap of mean task score, task × strategy, for one family (``family_label``: its display name).

    ``cells`` holds every family: the colour scales span all of them, one for accuracy and F1 columns and one for
    correlation columns (CoLA's Matthews correlation, STS-B's Pearson), so equal colours are equal values on every
    family's heatmap and a correlation is never read on the accuracy scale. ``columns`` (the suite's score columns)
    say which kind each column is.
    """
    domains = heat_domains(cells, columns)
    data = records(
        cells[cells["family"] == family].assign(
            task_label=lambda f: f["column"].map(labels),
            kind=lambda f: f["column"].map(lambda c: column_kind(c, columns)),
        )
    )
    x = alt.X("task_label:N", title="Task", sort=list(dict.fromkeys(data["task_label"])))
    y = alt.Y("strategy:N", title="Strategy", sort=strategies)
    tooltip = [
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("strategy:N", title="Strategy"),
        alt.Tooltip("task_label:N", title="Task"),
        alt.Tooltip("mean:Q", title="Mean", format=".4f"),
        alt.Tooltip("std:Q", title="Std", format=".4f"),
        alt.Tooltip("n_runs:Q", title="Runs"),
    ]
    layers = []
    for kind, (title, scheme, reverse) in HEAT_KINDS.items():
        if kind not in domains or not (data["kind"] == kind).any():
            continue
        # The view's name names its colour scale (``<name>_color``), which the labels read to pick black or white.
        base = alt.Chart(data).transform_filter(alt.datum.kind == kind).encode(x=x, y=y)
        rect = base.mark_rect().encode(
            color=alt.Color(
                "mean:Q",
                title=[title, "same scale for every family"],
                scale=alt.Scale(scheme=scheme, domain=domains[kind], reverse=reverse),
                legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160, titleLimit=300),
            ),
            tooltip=tooltip,
        )
        text = base.mark_text(fontSize=10).encode(
            text=alt.Text("mean:Q", format=".3f"),
            color=text_color(f"{kind}_color", "mean"),
        )
        layers.append(alt.layer(rect, text).properties(name=kind))
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(width=WIDTH, height=40 * max(1, data["strategy"].nunique()))
    )
    kinds = " and ".join(HEAT_KINDS[k][0].lower() for k in HEAT_KINDS if k in domains)
    description = (
        f"Heatmap of the mean score per task and strategy for the {family_label or family} family; colours use one "
        f"scale per kind of metric ({kinds}), the same on every family's heatmap."
    )
    return finish(f"accuracy-heatmap-{slug(family)}", f"Task scores — {family_label or family}", description, chart)


# Dots drawn per chart at most: beyond this a strip plot is ink, not information (and Altair inlines 5,000 rows).
MAX_DOTS = 4000
_CELL = ["family", "strategy", "column"]


def thinned(scores: pd.DataFrame, limit: int = MAX_DOTS) -> pd.DataFrame:
    """At most about ``limit`` runs, the same number kept per (family, strategy, column) cell: evenly spaced by
    score, lowest and highest included, so each cell's spread still shows. Unchanged when under the limit."""
    if len(scores) <= limit:
        return scores
    per_cell = max(2, limit // max(1, scores.groupby(_CELL, sort=False).ngroups))
    kept = []
    for _, cell in scores.sort_values([*_CELL, "score", "run_id"]).groupby(_CELL, sort=False):
        picks = np.unique(np.linspace(0, len(cell) - 1, min(per_cell, len(cell))).round().astype(int))
        kept.append(cell.iloc[picks])
    return pd.concat(kept).sort_index()


def _thinning_note(scores: pd.DataFrame, drawn: pd.DataFrame) -> str:
    if len(drawn) == len(scores):
        return ""
    return (
        f" {len(drawn):,} of {len(scores):,} runs drawn: in each cell, runs evenly spaced by score with the lowest "
        "and highest kept; every run is in runs.csv."
    )


@reused
def run_scores(
    scores: pd.DataFrame, strategies: list[str], labels: dict[str, str], families: list[str] | None = None
) -> Chart:
    """Every run's score as a dot, per task and strategy, a panel per family: the spread behind each mean."""
    drawn = with_health(thinned(scores))
    data = records(
        drawn[["family", "strategy", "model", "column", "seed", "run_id", "score", "verdict", "health_reason"]].assign(
            task_label=lambda f: f["column"].map(labels)
        )
    )
    order = in_order(families, data["family"])
    panels = max(1, data["family"].nunique())
    chart = (
        alt.Chart(data)
        .mark_point(size=36, filled=True, opacity=0.75)
        .encode(
            x=alt.X("score:Q", title="Score", scale=alt.Scale(zero=False)),
            y=alt.Y("task_label:N", title=None, sort=list(dict.fromkeys(labels.values()))),
            yOffset=alt.YOffset("strategy:N", sort=strategies),
            color=strategy_color(strategies),
            shape=health_shape(),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("task_label:N", title="Task"),
                alt.Tooltip("seed:N", title="Seed"),
                alt.Tooltip("score:Q", title="Score", format=".4f"),
                *health_tooltips(),
                alt.Tooltip("run_id:N", title="Run"),
            ],
        )
        .properties(width=WIDTH // panels + 60, height=HEIGHT)
        .facet(facet=alt.Facet("family:N", title=None, sort=order), columns=facet_columns(panels))
    )
    description = (
        "Strip plot of every run's score per task and strategy, one panel per model family; the shape says whether "
        "a run is healthy, collapsed, an outlier or a duplicate."
    )
    return finish("run-scores", "Every run's score", description + _thinning_note(scores, drawn), chart)


@reused
def seed_intervals(
    scores: pd.DataFrame,
    cells: pd.DataFrame,
    strategies: list[str],
    labels: dict[str, str],
    families: list[str] | None = None,
) -> Chart:
    """Every run as a dot, with each cell's mean and 95% interval, per task and strategy, a panel per family."""
    drawn = with_health(thinned(scores))
    dots = records(
        drawn[["family", "strategy", "column", "seed", "score", "verdict", "health_reason"]].assign(
            task=lambda f: f["column"].map(labels)
        )
    )
    intervals = records(
        cells[["family", "strategy", "column", "n_runs", "mean", "ci_low", "ci_high"]].assign(
            task=lambda f: f["column"].map(labels)
        )
    )
    order = list(dict.fromkeys(labels.values()))
    y = alt.Y("task:N", title=None, sort=order)
    offset = alt.YOffset("strategy:N", sort=strategies)
    points = (
        alt.Chart(dots)
        .mark_point(size=24, filled=True, opacity=0.6)
        .encode(
            x=alt.X("score:Q", title="Score", scale=alt.Scale(zero=False)),
            y=y,
            yOffset=offset,
            color=strategy_color(strategies),
            shape=health_shape(),
            tooltip=[
                alt.Tooltip("strategy:N"),
                alt.Tooltip("task:N"),
                alt.Tooltip("seed:N"),
                alt.Tooltip("score:Q", format=".4f"),
                *health_tooltips(),
            ],
        )
    )
    bars = (
        alt.Chart(intervals.dropna(subset=["ci_low"]))
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("ci_low:Q"), x2=alt.X2("ci_high:Q"), y=y, yOffset=offset, color=strategy_color(strategies))
    )
    means = (
        alt.Chart(intervals)
        .mark_tick(thickness=2, size=10)
        .encode(
            x=alt.X("mean:Q"),
            y=y,
            yOffset=offset,
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("strategy:N"),
                alt.Tooltip("task:N"),
                alt.Tooltip("n_runs:Q", title="Runs"),
                alt.Tooltip("mean:Q", format=".4f"),
                alt.Tooltip("ci_low:Q", format=".4f"),
                alt.Tooltip("ci_high:Q", format=".4f"),
            ],
        )
    )
    present = [f for f in in_order(families, cells["family"]) if (cells["family"] == f).any()]
    # Cells with one run have no interval: without any, the interval layer is left out (it would have no extent).
    with_intervals = bool(cells["ci_low"].notna().any())
    panels = [
        alt.layer(
            points.transform_filter(alt.datum.family == family),
            *([bars.transform_filter(alt.datum.family == family)] if with_intervals else []),
            means.transform_filter(alt.datum.family == family),
        ).properties(title=family, width=WIDTH, height=28 * len(order) + 40)
        for family in present
    ]
    description = (
        "Dot plot of every run's score per task and strategy, with the mean and its 95% t interval; the shape "
        "says whether a run is healthy, collapsed, an outlier or a duplicate."
    )
    description += _thinning_note(scores, drawn)
    return finish("seed-intervals", "Every run, mean and 95% interval", description, alt.vconcat(*panels))


@reused
def reproduction_chart(
    cells: pd.DataFrame, strategies: list[str], labels: dict[str, str], families: list[str] | None = None
) -> Chart:
    """Our mean minus the published figure per task, with our 95% interval around it, a panel per family."""
    data = records(
        cells.assign(
            task=cells["column"].map(labels),
            low=100 * (cells["ci_low"] - cells["published"]),
            high=100 * (cells["ci_high"] - cells["published"]),
        )
    )
    order = list(dict.fromkeys(labels.values()))
    y = alt.Y("task:N", title=None, sort=order)
    offset = alt.YOffset("strategy:N", sort=strategies)
    # Layers take their rows from the faceted parent, so each family's panel shows only its own.
    rules = (
        alt.Chart()
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("low:Q", title="Ours − published (points)"),
            x2=alt.X2("high:Q"),
            y=y,
            yOffset=offset,
            color=strategy_color(strategies),
        )
    )
    dots = (
        alt.Chart()
        .mark_point(filled=True, size=40)
        .encode(
            x=alt.X("delta_points:Q"),
            y=y,
            yOffset=offset,
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("family:N"),
                alt.Tooltip("strategy:N"),
                alt.Tooltip("task:N"),
                alt.Tooltip("published:Q", format=".4f"),
                alt.Tooltip("mean:Q", format=".4f", title="Ours"),
                alt.Tooltip("delta_points:Q", format=".2f", title="Delta (points)"),
                alt.Tooltip("n_runs:Q", title="Runs"),
            ],
        )
    )
    # A reference line, not data: hidden from screen readers (it has nothing to describe).
    zero = alt.Chart().mark_rule(color=NEUTRAL, strokeDash=[4, 3], aria=False).encode(x=alt.datum(0))
    panels = data["family"].nunique() if len(data) else 1
    chart = (
        alt.layer(zero, rules, dots, data=data)
        .properties(width=WIDTH // max(1, panels), height=24 * len(order) + 40)
        .facet(
            facet=alt.Facet("family:N", title=None, sort=in_order(families, data["family"])),
            columns=facet_columns(panels),
        )
    )
    description = "Dot plot of our mean minus the published figure per task and strategy, with our 95% interval."
    return finish("reproduction-deltas", "Reproduced minus published", description, chart)
