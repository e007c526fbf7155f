"""Charts of costs: bars (or dots on a log axis) per family and strategy, and score-against-cost trade-offs."""

from __future__ import annotations

import altair as alt
import pandas as pd

from gen.charts.base import (
    COST_NOTES,
    HEIGHT,
    NEUTRAL,
    WIDTH,
    Chart,
    cost_scale,
    cost_title,
    facet_columns,
    family_shape,
    finish,
    in_order,
    records,
    reused,
    spans_orders,
    strategy_color,
)

FRONTIER = "on the Pareto frontier"
# Trade-off panels (one per PEFT method): small enough for three in a row, reflowed to one on a phone.
PANEL = 200


@reused
def cost_bars(
    costs: pd.DataFrame,
    strategies: list[str],
    metric: str,
    label: str,
    origin: str = "measured",
    families: list[str] | None = None,
) -> Chart:
    """One cost per model family and strategy; ``origin`` says where it comes from.

    Bars from zero on a linear axis; dots on a log axis when the values span ten times or more (parameters:
    LoRA's fraction of a million next to full fine-tuning's hundred millions), where bars would have no zero.
    """
    data = records(costs.dropna(subset=[metric]))
    log = spans_orders(data[metric])
    title = cost_title(metric, label, log)
    runs = [alt.Tooltip("n_runs:Q", title="Runs")] if "n_runs" in data else []
    encoding = {
        "x": alt.X(
            "family:N", title="Model family", sort=in_order(families, data["family"]), axis=alt.Axis(labelAngle=0)
        ),
        "xOffset": alt.XOffset("strategy:N", sort=strategies),
        "y": alt.Y(f"{metric}:Q", title=title, scale=alt.Scale(type="log") if log else alt.Scale()),
        "color": strategy_color(strategies),
        "tooltip": [
            alt.Tooltip("model:N", title="Model"),
            alt.Tooltip("strategy:N", title="Strategy"),
            alt.Tooltip(f"{metric}:Q", title=title[0], format=",.4~g"),
            *runs,
        ],
    }
    marks = alt.Chart(data).mark_point(filled=True, size=110, opacity=1) if log else alt.Chart(data).mark_bar()
    chart = marks.encode(**encoding).properties(width=WIDTH, height=HEIGHT // 1.3)
    kind = "Dot plot (log scale: the values span ten times or more)" if log else "Bar chart"
    description = f"{kind} of {origin} {label} per model family and strategy."
    if metric in COST_NOTES:
        description += " " + COST_NOTES[metric]
    return finish(f"{origin}-{metric.replace('_', '-')}", f"{origin.capitalize()} {label}", description, chart)


def group_strategies(
    variant_scores: pd.DataFrame | None, scores: pd.DataFrame, strategies: list[str]
) -> dict[str, str]:
    """The strategy each PEFT-variants group stands for: the one most of the group's runs are assigned to (ties
    in config order), e.g. baseline → FFT, teacher → LoRA, student → KD-LoRA. Empty without variants."""
    if variant_scores is None or variant_scores.empty or "group" not in variant_scores:
        return {}
    strategy_of_run = scores.drop_duplicates("run_id").set_index("run_id")["strategy"]
    runs = variant_scores.drop_duplicates("run_id")
    named = runs["run_id"].map(strategy_of_run)
    rank = {name: i for i, name in enumerate(strategies)}
    mapping = {}
    for group in dict.fromkeys(runs["group"]):
        counts = named[runs["group"] == group].value_counts()
        if not counts.empty:
            mapping[str(group)] = min(
                (str(s) for s in counts.index), key=lambda s: (-counts[s], rank.get(s, len(rank)), s)
            )
    return mapping


def _tradeoff_rows(points: pd.DataFrame, cost: str, groups: dict[str, str]) -> pd.DataFrame:
    """Points with their strategy and panel, plus the frontier's points repeated in every panel (role "front")."""
    frame = points.dropna(subset=[cost])
    frame = frame.assign(on_front=frame[f"on_front_{cost}"].astype(bool), role="point")
    parts = frame["label"].astype(str).str.split(" · ", n=1)
    group = parts.str[0]
    if groups:
        # Variants: "group · method" labels (the baseline is its own group); a panel per method.
        frame = frame.assign(strategy=[groups.get(g, g) for g in group], panel=parts.str[-1], group=group)
    else:
        frame = frame.assign(strategy=frame["label"], panel="", group=frame["label"])
    frame = frame.assign(frontier=frame["on_front"].map({True: FRONTIER, False: ""}))
    front = frame[frame["on_front"]].sort_values(cost, kind="stable")
    panels = list(dict.fromkeys(frame["panel"]))
    repeated = [front.assign(panel=panel, role="front") for panel in panels]
    return pd.concat([frame, *repeated], ignore_index=True)


@reused
def tradeoff_chart(
    points: pd.DataFrame,
    cost: str,
    label: str,
    strategies: list[str] | None = None,
    families: list[str] | None = None,
    groups: dict[str, str] | None = None,
) -> Chart:
    """Score against one cost, a point per (family, method): colour = strategy, shape = family, the Pareto frontier
    as a dashed step line with its points ringed.

    With PEFT variants (``groups`` maps each group to its strategy, see group_strategies) there is a panel per
    method, named in its header, each with the frontier over every method; otherwise one panel.
    """
    groups = groups or {}
    rows = _tradeoff_rows(points, cost, groups)
    data = records(rows)
    order = in_order(strategies, data["strategy"])
    log = spans_orders(data[cost])
    title = cost_title(cost, label, log)
    x = alt.X(f"{cost}:Q", title=title, scale=cost_scale(log))
    y = alt.Y("score:Q", title="Score (mean over task columns)", scale=alt.Scale(zero=False))
    base = alt.Chart().encode(x=x, y=y)
    front = (
        base.transform_filter(alt.datum.role == "front")
        .mark_line(interpolate="step-after", color=NEUTRAL, strokeDash=[4, 3])
        .encode(order=alt.Order(f"{cost}:Q"))
    )
    own = base.transform_filter(alt.datum.role == "point")
    dots = own.mark_point(size=80, filled=True, opacity=1).encode(
        color=strategy_color(order),
        shape=family_shape(in_order(families, data["family"])),
        tooltip=[
            alt.Tooltip("family:N", title="Family"),
            alt.Tooltip("label:N", title="Method"),
            alt.Tooltip("strategy:N", title="Strategy"),
            alt.Tooltip("score:Q", format=".4f", title="Score"),
            alt.Tooltip(f"{cost}:Q", format=",.4~g", title=title[0]),
            alt.Tooltip("on_front:N", title="On the frontier"),
        ],
    )
    ring = (
        own.transform_filter(alt.datum.on_front)
        .mark_point(shape="circle", filled=False, size=300, strokeWidth=1.5)
        .encode(
            stroke=alt.Stroke(
                "frontier:N", title=None, scale=alt.Scale(domain=[FRONTIER], range=[NEUTRAL]), legend=alt.Legend()
            )
        )
    )
    panels = list(dict.fromkeys(data["panel"]))
    layered = alt.layer(front, dots, ring, data=data)
    if groups:
        chart = layered.properties(width=PANEL, height=PANEL).facet(
            facet=alt.Facet("panel:N", title=None, sort=panels), columns=facet_columns(len(panels))
        )
        mapping = ", ".join(f"{g} → {s}" for g, s in groups.items())
        layout = (
            f"one panel per method, each with the Pareto frontier over every method as a dashed line; colour is the "
            f"strategy of the point's group ({mapping})"
        )
    else:
        chart = layered.properties(width=WIDTH, height=HEIGHT)
        layout = "colour is the strategy, with the Pareto frontier as a dashed line"
    scale = "log" if log else "linear"
    description = (
        f"Scatter plot of score against {label} ({scale} scale), one point per model family (shape) and method; "
        f"{layout}; ringed points are on the frontier."
    )
    if cost in COST_NOTES:
        description += " " + COST_NOTES[cost]
    return finish(f"tradeoff-{cost.replace('_', '-')}", f"Score vs {label}", description, chart)
