"""The Overview's charts: the suite score (GLUE unless the report names another) against each cost, score per
million parameters, normalised metrics."""

from __future__ import annotations

import altair as alt
import pandas as pd

from gen.charts.base import (
    HEIGHT,
    WIDTH,
    Chart,
    cost_scale,
    cost_title,
    family_shape,
    finish,
    in_order,
    records,
    reused,
    strategy_color,
    text_color,
)


@reused
def score_vs_cost(
    combined: pd.DataFrame,
    strategies: list[str],
    cost: str,
    label: str,
    log: bool,
    families: list[str] | None = None,
    definition: str | None = None,
    suite: str = "GLUE",
) -> Chart:
    """The suite score against one cost, a point per (family, strategy): colour = strategy, shape = family."""
    data = records(combined.dropna(subset=[cost, "glue_score"]))
    order = in_order(families, data["family"])
    title = cost_title(cost, label, log, definition)
    chart = (
        alt.Chart(data)
        .mark_point(size=120, filled=True, opacity=1)
        .encode(
            x=alt.X(f"{cost}:Q", title=title, scale=cost_scale(log)),
            y=alt.Y("glue_score:Q", title=f"{suite} score", scale=alt.Scale(zero=False)),
            color=strategy_color(strategies),
            shape=family_shape(order),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("glue_score:Q", title=f"{suite} score", format=".4f"),
                alt.Tooltip(f"{cost}:Q", title=title[0], format=",.4~g"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )
    axis = "log scale" if log else "linear scale"
    defined = f" ({definition})" if definition else ""
    description = (
        f"Scatter plot of {suite} score against {label}{defined} on a {axis}, one point per model family (shape) and "
        "strategy (colour)."
    )
    return finish(f"score-vs-{cost.replace('_', '-')}", f"{suite} score vs {label}", description, chart)


@reused
def score_per_param(
    combined: pd.DataFrame, strategies: list[str], families: list[str] | None = None, suite: str = "GLUE"
) -> Chart:
    """The suite score per million trainable parameters as dots on a log axis, a row per model family.

    The ratio divides by parameter counts that differ a thousandfold between strategies: on a linear axis full
    fine-tuning's values are invisible next to LoRA's, on a log axis every one shows.
    """
    data = records(combined.dropna(subset=["score_per_param_m"]))
    order = in_order(families, data["family"])
    chart = (
        alt.Chart(data)
        .mark_point(size=110, filled=True, opacity=1)
        .encode(
            x=alt.X(
                "score_per_param_m:Q",
                title=[f"{suite} score per million trainable parameters", "higher is better · log scale"],
                scale=alt.Scale(type="log"),
            ),
            y=alt.Y("family:N", title="Model family", sort=order),
            yOffset=alt.YOffset("strategy:N", sort=strategies),
            color=strategy_color(strategies),
            shape=family_shape(order),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("score_per_param_m:Q", title="Score per M trainable params", format=".4g"),
                alt.Tooltip("glue_score:Q", title=f"{suite} score", format=".4f"),
                alt.Tooltip("params_m:Q", title="Trainable parameters (M)", format=",.4~g"),
            ],
        )
        .properties(width=WIDTH, height=max(120, 48 * len(order)))
    )
    description = (
        f"Dot plot of {suite} score per million trainable parameters (log scale) for each model family and strategy; "
        "the ratio mostly reflects the parameter count, which Score vs trainable parameters shows with the score."
    )
    return finish("score-per-param", f"{suite} score per million parameters", description, chart)


def _metric_label(name: str, direction: str, scale: str) -> str:
    arrow = "↓ lower is better" if direction == "lower" else "↑ higher is better"
    return f"{name} {arrow}" + (" (log)" if scale == "log" else "")


@reused
def normalised_heatmap(normalised: pd.DataFrame, labels: dict[str, str]) -> Chart:
    """Heatmap of each metric's standing among the rows, 1 = best, a row per (model, strategy).

    ``labels`` names the metrics; each column's label says which way is better and whether it is log-scaled.
    Frames without ``standing`` (higher is better on every metric) draw ``normalised``.
    """
    frame = normalised.copy()
    if "direction" not in frame:
        frame["direction"] = "higher"
    if "scale" not in frame:
        frame["scale"] = "linear"
    if "standing" not in frame:
        frame["standing"] = frame["normalised"]
    frame["metric_label"] = [
        _metric_label(labels.get(m, m), d, s)
        for m, d, s in zip(frame["metric"], frame["direction"], frame["scale"], strict=True)
    ]
    data = records(frame.assign(row=frame["model"] + " · " + frame["strategy"]))
    base = alt.Chart(data).encode(
        x=alt.X(
            "metric_label:N",
            title=None,
            sort=list(dict.fromkeys(data["metric_label"])),
            axis=alt.Axis(labelAngle=-90, labelLimit=260),
        ),
        y=alt.Y("row:N", title=None, sort=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "standing:Q",
            title=["Standing", "1 = best"],
            scale=alt.Scale(scheme="viridis", domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("row:N", title="Row"),
            alt.Tooltip("metric_label:N", title="Metric"),
            alt.Tooltip("value:Q", title="Value", format=",.4~g"),
            alt.Tooltip("direction:N", title="Better when"),
            alt.Tooltip("scale:N", title="Scaled"),
            alt.Tooltip("standing:Q", title="Standing (1 = best)", format=".2f"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("standing:Q", format=".2f"),
        color=text_color("color", "standing"),
    )
    chart = (rect + text).properties(width=WIDTH, height=max(HEIGHT, 26 * data["row"].nunique()))
    description = (
        "Heatmap of each metric's standing among the rows, one row per model family and strategy: 1 = the best "
        "row, 0 = the worst, whichever way the metric is better (lowest cost, highest score or ratio); metrics "
        "whose values span ten times or more are placed on a log scale. Hover a cell for its value."
    )
    return finish("normalised-heatmap", "Normalised metrics (1 = best)", description, chart)
