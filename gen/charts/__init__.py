"""Altair chart specs (Vega-Lite dicts) from analysis frames: pure, data in and Vega-Lite out, one module per
concern. Every spec is finished by ``finish`` in gen.charts.base; the chart files are in gen.charts.files."""

from __future__ import annotations

from gen.charts.accuracy import (
    MAX_DOTS,
    accuracy_heatmap,
    column_kind,
    heat_domains,
    reproduction_chart,
    run_scores,
    seed_intervals,
    thinned,
)
from gen.charts.base import (
    COST_TITLES,
    FAMILY_SHAPES,
    HEALTH_SHAPES,
    HEIGHT,
    INFERENCE_DEFINITION,
    INLINE_ROWS,
    NEUTRAL,
    PALETTE,
    WIDTH,
    Chart,
    family_shape,
    health_shape,
    health_tooltips,
    in_order,
    slug,
    strategy_color,
)
from gen.charts.costs import cost_bars, group_strategies, tradeoff_chart
from gen.charts.files import chart_data, data_path, served_spec, spec_files, static_spec
from gen.charts.overview import normalised_heatmap, score_per_param, score_vs_cost
from gen.charts.runs import coverage_heatmap, training_curves
from gen.charts.variants import method_shares, rank_sweep_chart
from gen.images import spec_json

__all__ = [
    "COST_TITLES",
    "FAMILY_SHAPES",
    "HEALTH_SHAPES",
    "HEIGHT",
    "INFERENCE_DEFINITION",
    "INLINE_ROWS",
    "MAX_DOTS",
    "NEUTRAL",
    "PALETTE",
    "WIDTH",
    "Chart",
    "accuracy_heatmap",
    "chart_data",
    "column_kind",
    "cost_bars",
    "coverage_heatmap",
    "data_path",
    "family_shape",
    "group_strategies",
    "health_shape",
    "health_tooltips",
    "heat_domains",
    "in_order",
    "method_shares",
    "normalised_heatmap",
    "rank_sweep_chart",
    "reproduction_chart",
    "run_scores",
    "score_per_param",
    "score_vs_cost",
    "seed_intervals",
    "served_spec",
    "slug",
    "spec_files",
    "spec_json",
    "static_spec",
    "strategy_color",
    "thinned",
    "tradeoff_chart",
    "training_curves",
]
