"""Altair chart specs (Vega-Lite dicts) from analysis frames, and their static SVG/PNG renderings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WIDTH = 560
HEIGHT = 320


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


def _chart(name: str, title: str, description: str, chart: alt.TopLevelMixin) -> Chart:
    spec = chart.properties(title=title, description=description).to_dict()
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
        color=alt.condition("datum.normalised > 0.6", alt.value("black"), alt.value("white")),
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
        color=alt.value("white"),
    )
    chart = (rect + text).properties(width=WIDTH, height=40 * max(1, data["strategy"].nunique()))
    description = f"Heatmap of the mean score per task and strategy for the {family} family."
    return _chart(f"accuracy-heatmap-{slug(family)}", f"Task scores — {family}", description, chart)


def run_scores(scores: pd.DataFrame, strategies: list[str], labels: dict[str, str]) -> Chart:
    """Every run's score as a dot, per task and strategy, faceted by family: the spread behind each mean."""
    data = _records(
        scores[["family", "strategy", "model", "column", "seed", "run_id", "score"]].assign(
            task_label=lambda f: f["column"].map(labels)
        )
    )
    chart = (
        alt.Chart(data)
        .mark_tick(thickness=2)
        .encode(
            x=alt.X("score:Q", title="Score", scale=alt.Scale(zero=False)),
            y=alt.Y("task_label:N", title=None, sort=list(dict.fromkeys(labels.values()))),
            yOffset=alt.YOffset("strategy:N", sort=strategies),
            color=strategy_color(strategies),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("task_label:N", title="Task"),
                alt.Tooltip("seed:N", title="Seed"),
                alt.Tooltip("score:Q", title="Score", format=".4f"),
                alt.Tooltip("run_id:N", title="Run"),
            ],
        )
        .properties(width=WIDTH // max(1, data["family"].nunique()) + 60, height=HEIGHT)
        .facet(column=alt.Column("family:N", title=None, sort=list(dict.fromkeys(data["family"]))))
    )
    description = "Strip plot of every run's score per task and strategy, one panel per model family."
    return _chart("run-scores", "Every run's score", description, chart)


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


_GRADIENT_ID = re.compile(r"gradient_\d+")


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as static SVG (vl-convert, no browser)."""
    svg = str(vlc.vegalite_to_svg(spec))
    # Vega numbers gradients from a counter that lives as long as the process (e.g. `mkdocs serve`), so the same
    # chart would differ between rebuilds: renumber them per SVG, in order of appearance.
    numbers: dict[str, str] = {}
    return _GRADIENT_ID.sub(lambda m: numbers.setdefault(m.group(0), f"gradient_{len(numbers)}"), svg)


def render_png(spec: dict[str, Any]) -> bytes:
    """The chart as a 2× PNG for slides and papers."""
    return bytes(vlc.vegalite_to_png(spec, scale=2))


def spec_json(spec: dict[str, Any]) -> str:
    """Canonical JSON of a spec: sorted keys, so equal specs are equal bytes."""
    return json.dumps(spec, sort_keys=True, indent=1, ensure_ascii=False)


@cache
def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, served from the site itself (no CDN)."""
    # None selects the default snippet (window.vegaEmbed etc.); the type stub omits that default.
    return str(vlc.javascript_bundle(None))  # type: ignore[arg-type]
