"""Altair chart specs (Vega-Lite dicts) from analysis frames, and their static SVG/PNG renderings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from gen.images import spec_json

# Okabe–Ito: distinguishable with the common colour-vision deficiencies. Ordered so that the first four (the
# strategies most reports have) keep 3:1 contrast against both the light and the dark page background.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
WIDTH = 560
HEIGHT = 320
# Charts with more data rows than this keep their data in charts/<name>.data.json, fetched only when drawn.
INLINE_ROWS = 2000
# Heatmap labels: black on light cells, white on dark ones. 0.18 is the relative luminance where black and white
# text have equal contrast with the cell, so the better of the two is always chosen.
_DARK_TEXT = "luminance(scale('color', datum.{field})) > 0.18"
# Legend symbols that stand for a shape, not a colour (Vega-Lite draws them black, invisible in the dark scheme):
# a grey with 3:1 contrast on both the light and the dark page.
NEUTRAL = "#8c8c8c"


@dataclass(frozen=True)
class Chart:
    """A named chart: its stable name (used in file names and references), title, text description, spec."""

    name: str
    title: str
    description: str
    spec: dict[str, Any]


def slug(text: str) -> str:
    """A file-name-safe stable name for a data value; a short hash keeps distinct values distinct."""
    simple = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    if simple == text:
        return simple
    return f"{simple or 'x'}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def strategy_color(strategies: list[str]) -> alt.Color:
    """The same colour for a strategy on every chart."""
    return alt.Color(
        "strategy:N",
        title="Strategy",
        scale=alt.Scale(domain=strategies, range=PALETTE[: len(strategies)]),
        sort=strategies,
    )


# Run health drawn as shape (colour stays the strategy): a filled circle for a healthy run, open marks otherwise.
HEALTH_SHAPES = {"healthy": "circle", "collapsed": "cross", "outlier": "triangle-down", "duplicate": "square"}


def health_shape() -> alt.Shape:
    """Every run's health verdict as its mark's shape, with the legend that names them."""
    return alt.Shape(
        "verdict:N",
        title="Run health",
        scale=alt.Scale(domain=list(HEALTH_SHAPES), range=list(HEALTH_SHAPES.values())),
    )


def health_tooltips() -> list[alt.Tooltip]:
    """The verdict and its reason, for the tooltip of a run."""
    return [alt.Tooltip("verdict:N", title="Run health"), alt.Tooltip("health_reason:N", title="Why")]


def _with_health(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs with a verdict and reason column (healthy when the analysis gave none)."""
    verdict = frame["verdict"] if "verdict" in frame else pd.Series("healthy", index=frame.index)
    reason = frame["health_reason"] if "health_reason" in frame else pd.Series("", index=frame.index)
    return frame.assign(verdict=verdict.fillna("healthy"), health_reason=reason.fillna(""))


def _chart(name: str, title: str, description: str, chart: alt.TopLevelMixin) -> Chart:
    # Altair's schema validation is a third of the spec time; the tests validate every spec a site ships instead.
    spec = chart.properties(title=title, description=description).to_dict(validate=False)
    spec.setdefault("config", {}).setdefault("legend", {})["symbolBaseFillColor"] = NEUTRAL
    if isinstance(spec.get("width"), int):
        # Single and layered views fill their container in the browser (any screen width); static renderings
        # get the fixed width back (see static_spec). Faceted charts keep fixed panels and scroll inside their box.
        spec["width"] = "container"
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return Chart(name, title, description, spec)


def _records(frame: pd.DataFrame) -> pd.DataFrame:
    # Altair cannot serialise pandas' nullable dtypes or categoricals reliably; plain objects/floats can.
    return pd.DataFrame({c: frame[c].astype(object) if frame[c].dtype != float else frame[c] for c in frame})


def score_vs_cost(combined: pd.DataFrame, strategies: list[str], cost: str, label: str, log: bool) -> Chart:
    """GLUE score against one cost, a point per (family, strategy)."""
    data = _records(combined.dropna(subset=[cost, "glue_score"]))
    chart = (
        alt.Chart(data)
        .mark_point(size=120, filled=True)
        .encode(
            x=alt.X(f"{cost}:Q", title=label, scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
            y=alt.Y("glue_score:Q", title="GLUE score", scale=alt.Scale(zero=False)),
            color=strategy_color(strategies),
            shape=alt.Shape("family:N", title="Family"),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("glue_score:Q", title="GLUE score", format=".4f"),
                alt.Tooltip(f"{cost}:Q", title=label, format=",.4~g"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )
    axis = "log scale" if log else "linear scale"
    description = f"Scatter plot of GLUE score against {label} ({axis}), one point per model family and strategy."
    return _chart(f"score-vs-{cost.replace('_', '-')}", f"GLUE score vs {label}", description, chart)


def score_per_param(combined: pd.DataFrame, strategies: list[str]) -> Chart:
    """Bar chart of GLUE score per million trainable parameters."""
    data = _records(combined.dropna(subset=["score_per_param_m"]))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("model:N", title="Model", sort=None),
            xOffset=alt.XOffset("strategy:N", sort=strategies),
            y=alt.Y("score_per_param_m:Q", title="GLUE score per M parameters"),
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("score_per_param_m:Q", title="Score per M params", format=".4g"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )
    description = "Bar chart of GLUE score per million trainable parameters for each model and strategy."
    return _chart("score-per-param", "GLUE score per million parameters", description, chart)


def normalised_heatmap(normalised: pd.DataFrame, labels: dict[str, str]) -> Chart:
    """Heatmap of min–max normalised metrics, a row per (model, strategy); ``labels`` names the metrics."""
    data = _records(
        normalised.assign(
            row=normalised["model"] + " · " + normalised["strategy"], metric=normalised["metric"].map(labels)
        )
    )
    base = alt.Chart(data).encode(
        x=alt.X("metric:N", title=None, sort=None),
        y=alt.Y("row:N", title=None, sort=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("normalised:Q", title="Normalised", scale=alt.Scale(scheme="viridis", domain=[0, 1])),
        tooltip=[
            alt.Tooltip("row:N", title="Row"),
            alt.Tooltip("metric:N", title="Metric"),
            alt.Tooltip("value:Q", title="Value", format=",.4~g"),
            alt.Tooltip("normalised:Q", title="Normalised", format=".2f"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("normalised:Q", format=".2f"),
        color=alt.condition(_DARK_TEXT.format(field="normalised"), alt.value("black"), alt.value("white")),
    )
    chart = (rect + text).properties(width=WIDTH, height=max(HEIGHT, 26 * data["row"].nunique()))
    description = (
        "Heatmap of each metric scaled to 0–1 across the rows (0 = lowest, 1 = highest), "
        "one row per model family and strategy."
    )
    return _chart("normalised-heatmap", "Normalised metrics", description, chart)


def accuracy_heatmap(cells: pd.DataFrame, family: str, strategies: list[str], labels: dict[str, str]) -> Chart:
    """Heatmap of mean task score, task × strategy, for one family."""
    data = _records(cells[cells["family"] == family].assign(task_label=lambda f: f["column"].map(labels)))
    base = alt.Chart(data).encode(
        x=alt.X("task_label:N", title="Task", sort=list(dict.fromkeys(data["task_label"]))),
        y=alt.Y("strategy:N", title="Strategy", sort=strategies),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("mean:Q", title="Mean score", scale=alt.Scale(scheme="viridis")),
        tooltip=[
            alt.Tooltip("model:N", title="Model"),
            alt.Tooltip("strategy:N", title="Strategy"),
            alt.Tooltip("task_label:N", title="Task"),
            alt.Tooltip("mean:Q", title="Mean", format=".4f"),
            alt.Tooltip("std:Q", title="Std", format=".4f"),
            alt.Tooltip("n_runs:Q", title="Runs"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("mean:Q", format=".3f"),
        color=alt.condition(_DARK_TEXT.format(field="mean"), alt.value("black"), alt.value("white")),
    )
    chart = (rect + text).properties(width=WIDTH, height=40 * max(1, data["strategy"].nunique()))
    description = f"Heatmap of the mean score per task and strategy for the {family} family."
    return _chart(f"accuracy-heatmap-{slug(family)}", f"Task scores — {family}", description, chart)


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


def run_scores(scores: pd.DataFrame, strategies: list[str], labels: dict[str, str]) -> Chart:
    """Every run's score as a dot, per task and strategy, faceted by family: the spread behind each mean."""
    drawn = _with_health(thinned(scores))
    data = _records(
        drawn[["family", "strategy", "model", "column", "seed", "run_id", "score", "verdict", "health_reason"]].assign(
            task_label=lambda f: f["column"].map(labels)
        )
    )
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
        .properties(width=WIDTH // max(1, data["family"].nunique()) + 60, height=HEIGHT)
        .facet(column=alt.Column("family:N", title=None, sort=list(dict.fromkeys(data["family"]))))
    )
    description = (
        "Strip plot of every run's score per task and strategy, one panel per model family; the shape says whether "
        "a run is healthy, collapsed, an outlier or a duplicate."
    )
    return _chart("run-scores", "Every run's score", description + _thinning_note(scores, drawn), chart)


def cost_bars(costs: pd.DataFrame, strategies: list[str], metric: str, label: str, origin: str = "measured") -> Chart:
    """Grouped bars of one cost per model family and strategy; ``origin`` says where it comes from."""
    data = _records(costs.dropna(subset=[metric]))
    runs = [alt.Tooltip("n_runs:Q", title="Runs")] if "n_runs" in data else []
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("family:N", title="Family", sort=list(dict.fromkeys(data["family"]))),
            xOffset=alt.XOffset("strategy:N", sort=strategies),
            y=alt.Y(f"{metric}:Q", title=label),
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip(f"{metric}:Q", title=label, format=",.4~g"),
                *runs,
            ],
        )
        .properties(width=WIDTH, height=HEIGHT // 1.3)
    )
    description = f"Bar chart of {origin} {label} per model family and strategy."
    return _chart(f"{origin}-{metric.replace('_', '-')}", f"{origin.capitalize()} {label}", description, chart)


def seed_intervals(scores: pd.DataFrame, cells: pd.DataFrame, strategies: list[str], labels: dict[str, str]) -> Chart:
    """Every seed as a dot, with each cell's mean and 95% interval, per task and strategy, a panel per family."""
    drawn = _with_health(thinned(scores))
    dots = _records(
        drawn[["family", "strategy", "column", "seed", "score", "verdict", "health_reason"]].assign(
            task=lambda f: f["column"].map(labels)
        )
    )
    intervals = _records(
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
        .encode(x="ci_low:Q", x2="ci_high:Q", y=y, yOffset=offset, color=strategy_color(strategies))
    )
    means = (
        alt.Chart(intervals)
        .mark_tick(thickness=2, size=10)
        .encode(
            x="mean:Q",
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
    families = list(dict.fromkeys(cells["family"]))
    # Cells with one run have no interval: without any, the interval layer is left out (it would have no extent).
    with_intervals = bool(cells["ci_low"].notna().any())
    panels = [
        alt.layer(
            points.transform_filter(alt.datum.family == family),
            *([bars.transform_filter(alt.datum.family == family)] if with_intervals else []),
            means.transform_filter(alt.datum.family == family),
        ).properties(title=family, width=WIDTH, height=28 * len(order) + 40)
        for family in families
    ]
    description = (
        "Dot plot of every seed's score per task and strategy, with the mean and its 95% t interval; the shape "
        "says whether a run is healthy, collapsed, an outlier or a duplicate."
    )
    description += _thinning_note(scores, drawn)
    return _chart("seed-intervals", "Every seed, mean and 95% interval", description, alt.vconcat(*panels))


def method_shares(ranking: pd.DataFrame, group: str) -> Chart:
    """Bar chart of each method's average share of full fine-tuning's score within one group."""
    data = _records(ranking[ranking["group"] == group])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("average_pct_of_baseline:Q", title="Share of FFT's score", axis=alt.Axis(format="%")),
            y=alt.Y("method:N", title="Method", sort="-x"),
            color=alt.value(PALETTE[0]),
            tooltip=[
                alt.Tooltip("method:N"),
                alt.Tooltip("average:Q", format=".4f", title="Average score"),
                alt.Tooltip("average_pct_of_baseline:Q", format=".1%", title="Share of FFT"),
            ],
        )
        .properties(width=WIDTH, height=30 * max(1, len(data)))
    )
    description = f"Bar chart of each PEFT method's average score as a share of full fine-tuning, {group}."
    return _chart(f"method-shares-{slug(group)}", f"Share of FFT by method — {group}", description, chart)


def rank_sweep_chart(sweep: pd.DataFrame, group: str) -> Chart:
    """Score against trainable parameters across LoRA ranks, a line per method, a panel per family."""
    data = _records(sweep[(sweep["group"] == group) & sweep["complete"].astype(bool)])
    methods = sorted(data["method"].unique()) if len(data) else []
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("params_m:Q", title="Trainable parameters (M)", scale=alt.Scale(type="log")),
            y=alt.Y("score:Q", title="Score", scale=alt.Scale(zero=False)),
            color=alt.Color("method:N", title="Method", scale=alt.Scale(domain=methods, range=PALETTE[: len(methods)])),
            tooltip=[
                alt.Tooltip("method:N"),
                alt.Tooltip("family:N"),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("score:Q", format=".4f"),
                alt.Tooltip("params_m:Q", format=".3f"),
            ],
        )
        .properties(width=WIDTH // max(1, data["family"].nunique() if len(data) else 1), height=HEIGHT)
        .facet(column=alt.Column("family:N", title=None))
    )
    description = f"Line chart of score against trainable parameters as the LoRA rank grows, per method, {group}."
    return _chart(f"rank-sweep-{slug(group)}", f"Rank sweep — {group}", description, chart)


def tradeoff_chart(points: pd.DataFrame, cost: str, label: str) -> Chart:
    """Score against one cost, a point per (family, method), the Pareto frontier drawn as a step line."""
    data = _records(points.dropna(subset=[cost]).assign(on_front=points[f"on_front_{cost}"]))
    base = alt.Chart(data).encode(
        x=alt.X(f"{cost}:Q", title=label, scale=alt.Scale(type="log")),
        y=alt.Y("score:Q", title="Score", scale=alt.Scale(zero=False)),
    )
    dots = base.mark_point(size=70, filled=True).encode(
        color=alt.Color("family:N", title="Family", scale=alt.Scale(range=PALETTE)),
        shape=alt.Shape("on_front:N", title="On the frontier", sort=[True, False]),
        tooltip=[
            alt.Tooltip("family:N"),
            alt.Tooltip("label:N", title="Method"),
            alt.Tooltip("score:Q", format=".4f"),
            alt.Tooltip(f"{cost}:Q", format=",.4~g", title=label),
            alt.Tooltip("on_front:N", title="Frontier"),
        ],
    )
    front = base.transform_filter(alt.datum.on_front).mark_line(
        interpolate="step-after", color=NEUTRAL, strokeDash=[4, 3]
    )
    chart = (front + dots).properties(width=WIDTH, height=HEIGHT)
    description = f"Scatter plot of score against {label} (log scale) with the Pareto frontier as a dashed line."
    return _chart(f"tradeoff-{cost.replace('_', '-')}", f"Score vs {label}", description, chart)


def coverage_heatmap(cells: pd.DataFrame) -> Chart:
    """Share of expected seeds present per configuration and (family, task)."""
    data = _records(cells.assign(column=cells["family"] + " · " + cells["task"]))
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
    return _chart("coverage-heatmap", "Completion of the experiment grid", description, chart)


def training_curves(drawn: pd.DataFrame, task: str, series: str, strategies: list[str], label: str) -> Chart:
    """One curve per strategy (mean over runs) with its band, against step, a panel per family, for one task."""
    data = _records(drawn[(drawn["task"] == task) & (drawn["series"] == series)])
    x = alt.X("step:Q", title="Step")
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2)
        .encode(
            x=x,
            y=alt.Y("low:Q", title=label, scale=alt.Scale(zero=False)),
            y2="high:Q",
            color=strategy_color(strategies),
        )
    )
    line = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=x,
            y="mean:Q",
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
    families = data["family"].nunique() if len(data) else 1
    chart = (
        (band + line)
        .properties(width=WIDTH // max(1, families), height=HEIGHT // 1.3)
        .facet(column=alt.Column("family:N", title=None))
    )
    description = (
        f"Line chart of {label} against training step for {task}, mean over runs with a band (lowest to highest "
        "run), per family. A curve stops where fewer than half of its runs still log a value; the tooltip gives "
        "the runs behind each point."
    )
    return _chart(
        f"training-{slug(task)}-{slug(series.replace('_', '-'))}",
        f"{label} during training — {task}",
        description,
        chart,
    )


def reproduction_chart(cells: pd.DataFrame, strategies: list[str], labels: dict[str, str]) -> Chart:
    """Our mean minus the published figure per task, with our 95% interval around it, a panel per family."""
    data = _records(
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
            x2="high:Q",
            y=y,
            yOffset=offset,
            color=strategy_color(strategies),
        )
    )
    dots = (
        alt.Chart()
        .mark_point(filled=True, size=40)
        .encode(
            x="delta_points:Q",
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
    families = data["family"].nunique() if len(data) else 1
    chart = (
        alt.layer(zero, rules, dots, data=data)
        .properties(width=WIDTH // max(1, families), height=24 * len(order) + 40)
        .facet(column=alt.Column("family:N", title=None))
    )
    description = "Dot plot of our mean minus the published figure per task and strategy, with our 95% interval."
    return _chart("reproduction-deltas", "Reproduced minus published", description, chart)


def static_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec at its fixed width: a static rendering has no container to fit."""
    if spec.get("width") != "container":
        return spec
    return {key: value for key, value in spec.items() if key != "autosize"} | {"width": WIDTH}


def _rows(chart: Chart) -> list[dict[str, Any]]:
    """The rows of the chart's top-level dataset (every chart here draws one inline dataset)."""
    data = chart.spec.get("data")
    name = data.get("name") if isinstance(data, dict) else None
    rows: list[dict[str, Any]] = chart.spec.get("datasets", {}).get(name, [])
    return rows


def chart_data(chart: Chart) -> pd.DataFrame:
    """The rows a chart draws, as a table (offered as charts/<name>.csv beside the chart).

    A chart whose views draw different datasets (e.g. dots and intervals) gets all of them, one after the other,
    each row with the columns it has.
    """
    rows = _rows(chart)
    if not rows:
        rows = [row for dataset in chart.spec.get("datasets", {}).values() for row in dataset]
    return pd.DataFrame.from_records(rows)


def data_path(chart: Chart) -> str:
    """Where a chart's data lives when it is too large to sit in the spec (relative to the spec's folder)."""
    return f"{chart.name}.data.json"


def served_spec(chart: Chart) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The spec the browser fetches, and the rows it loads from a separate file when there are many (else None).

    The spec names the data file by a URL relative to the spec file; the chart script makes that the base URL of
    vega's loader, so the spec works from any page.
    """
    rows = _rows(chart)
    if len(rows) <= INLINE_ROWS:
        return chart.spec, None
    spec = {key: value for key, value in chart.spec.items() if key != "datasets"}
    spec["data"] = {"url": data_path(chart), "format": {"type": "json"}}
    return spec, rows


def spec_files(chart: Chart) -> dict[str, str]:
    """The browser's files of a chart under charts/: its spec, and its data file when the data is large.

    The static SVG and PNG come from gen.images, rendered from static_spec(chart.spec).
    """
    spec, rows = served_spec(chart)
    files = {f"charts/{chart.name}.vl.json": spec_json(spec) + "\n"}
    if rows is not None:
        files[f"charts/{data_path(chart)}"] = json.dumps(rows, sort_keys=True, ensure_ascii=False) + "\n"
    return files
