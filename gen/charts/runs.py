"""Charts of the experiment itself: completion of the grid, and training curves."""

from __future__ import annotations

import altair as alt
import pandas as pd

from gen.charts.base import (
    HEIGHT,
    WIDTH,
    Chart,
    facet_columns,
    finish,
    in_order,
    records,
    reused,
    slug,
    strategy_color,
)


@reused
def coverage_heatmap(cells: pd.DataFrame) -> Chart:
    """Share of expected seeds present per configuration and (family, task)."""
    data = records(cells.assign(column=cells["family"] + " · " + cells["task"]))
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("column:N", title="Family · task", sort=None),
            y=alt.Y("configuration:N", title=None, sort=None),
            color=alt.Color("share:Q", title="Complete", scale=alt.Scale(scheme="viridis", domain=[0, 1])),
            tooltip=[
                alt.Tooltip("configuration:N"),
                alt.Tooltip("family:N"),
                alt.Tooltip("task:N"),
                alt.Tooltip("present:Q", title="Seeds present"),
                alt.Tooltip("expected:Q", title="Expected"),
            ],
        )
        .properties(
            width=max(WIDTH, 14 * data["column"].nunique()), height=18 * max(1, data["configuration"].nunique())
        )
    )
    description = "Heatmap of the share of expected seeds present for each configuration, family and task."
    return finish("coverage-heatmap", "Completion of the experiment grid", description, chart)


@reused
def training_curves(
    drawn: pd.DataFrame,
    task: str,
    series: str,
    strategies: list[str],
    label: str,
    families: list[str] | None = None,
    task_label: str | None = None,
) -> Chart:
    """One curve per strategy (mean over runs) with its band, against step, a panel per family, for one task
    (``task_label``: its display name)."""
    data = records(drawn[(drawn["task"] == task) & (drawn["series"] == series)])
    x = alt.X("step:Q", title="Step")
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2)
        .encode(
            x=x,
            y=alt.Y("low:Q", title=label, scale=alt.Scale(zero=False)),
            y2=alt.Y2("high:Q"),
            color=strategy_color(strategies),
        )
    )
    line = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("mean:Q"),
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("strategy:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("mean:Q", format=".4f"),
                alt.Tooltip("low:Q", format=".4f"),
                alt.Tooltip("high:Q", format=".4f"),
                alt.Tooltip("n_runs:Q", title="Runs at this step"),
                alt.Tooltip("n_curve_runs:Q", title="Runs in the curve"),
            ],
        )
    )
    panels = data["family"].nunique() if len(data) else 1
    chart = (
        (band + line)
        .properties(width=WIDTH // max(1, panels), height=HEIGHT // 1.3)
        .facet(
            facet=alt.Facet("family:N", title=None, sort=in_order(families, data["family"] if len(data) else [])),
            columns=facet_columns(panels),
        )
    )
    description = (
        f"Line chart of {label} against training step for {task_label or task}, mean over runs with a band (lowest "
        "to highest run), per family. A curve stops where fewer than half of its runs still log a value; the "
        "tooltip gives the runs behind each point."
    )
    return finish(
        f"training-{slug(task)}-{slug(series.replace('_', '-'))}",
        f"{label[:1].upper() + label[1:]} during training — {task_label or task}",
        description,
        chart,
    )
