"""Charts that mean what they show: one colour scale per kind of metric across families, normalised metrics that
read "1 = best" on every column, log axes for costs spanning orders of magnitude, colour = strategy and shape =
family on the trade-offs, and families and strategies in config order on every chart."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd
import pytest

from gen import charts, images
from gen.analysis.efficiency import normalised_metrics
from tests.test_frontend_render import linear, luminance

FAMILIES = ["bert", "roberta", "deberta"]  # config order: not alphabetical
STRATEGIES = ["FFT", "LoRA", "KD-LoRA"]
LABELS = {"cola": "CoLA", "sst2": "SST-2", "rte": "RTE"}


# --- helpers: read a spec, and the cells of a rendered heatmap ---------------------------------------------------


def nodes(spec: Any) -> list[dict[str, Any]]:
    """Every dict in a spec, depth first."""
    found = []
    stack = [spec]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def channels(spec: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    """Every field definition of one encoding channel anywhere in a spec."""
    return [
        n["encoding"][channel] for n in nodes(spec) if isinstance(n.get("encoding"), dict) and channel in n["encoding"]
    ]


def titles(spec: dict[str, Any]) -> list[str]:
    """Every title line in a spec (axis, legend, chart), one string per line."""
    lines: list[str] = []
    for node in nodes(spec):
        title = node.get("title")
        lines.extend([title] if isinstance(title, str) else [t for t in title or [] if isinstance(t, str)])
    return lines


def cells_drawn(svg: str) -> list[tuple[str, tuple[int, int, int]]]:
    """Each text label of a rendered heatmap with the fill of the cell under it: (label text, (r, g, b))."""
    rects = [
        (float(x), float(y), float(w), float(h), tuple(int(c) for c in fill.split(",")))
        for x, y, w, h, fill in re.findall(
            r'<path[^>]*d="M(-?[\d.]+),(-?[\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+Z" fill="rgb\(([\d, ]+)\)"', svg
        )
    ]
    fills = []
    for x, y, text in re.findall(
        r'<text[^>]*transform="translate\(([\d.]+),([\d.]+)\)"[^>]*fill="(?:black|white)">([^<]+)</text>', svg
    ):
        px, py = float(x), float(y)
        under = [f for rx, ry, rw, rh, f in rects if rx <= px <= rx + rw and ry <= py <= ry + rh]
        assert len(under) == 1, text
        fills.append((text, under[0]))
    return fills


def cell_fills(svg: str) -> dict[str, tuple[int, int, int]]:
    """Label text → fill of its cell, for heatmaps whose labels are all different."""
    drawn = cells_drawn(svg)
    fills = dict(drawn)
    assert len(fills) == len(drawn), "labels repeat"
    return fills


def brightness(fill: tuple[int, int, int]) -> float:
    return luminance(linear("#" + "".join(f"{c:02x}" for c in fill)))


def rendered(chart: charts.Chart) -> str:
    return images.render_svg(charts.static_spec(chart.spec))


# --- accuracy heatmaps: one colour scale per kind of metric, shared by every family -----------------------------


def heat_cells() -> pd.DataFrame:
    """Two families on different ranges; CoLA (a correlation) lower than any accuracy, as in real runs."""
    means = {
        # family: (SST-2, RTE, CoLA)
        "bert": (0.900, 0.610, 0.520),
        "deberta": (0.960, 0.900, 0.640),
    }
    rows = [
        {
            "family": family,
            "strategy": "FFT",
            "model": family.upper(),
            "column": column,
            "mean": value,
            "std": 0.01,
            "n_runs": 5,
        }
        for family, values in means.items()
        for column, value in zip(["sst2", "rte", "cola"], values, strict=True)
    ]
    return pd.DataFrame(rows)


def test_family_heatmaps_share_one_colour_domain_per_kind_of_metric() -> None:
    cells = heat_cells()
    specs = [charts.accuracy_heatmap(cells, f, STRATEGIES, LABELS).spec for f in ("bert", "deberta")]
    domains = []
    for spec in specs:
        scales = {json.dumps(c["scale"]["domain"]) for c in channels(spec, "color") if c.get("field") == "mean"}
        assert len(scales) == 2, "accuracy and correlation columns each need their own colour scale"
        domains.append(scales)
    assert domains[0] == domains[1]
    accuracy, correlation = sorted((json.loads(d) for d in domains[0]), key=lambda d: d[1], reverse=True)
    # Each domain covers its kind's values in every family, and only them.
    assert accuracy[0] <= 0.61 and accuracy[1] >= 0.96 and accuracy[0] > 0.52
    assert correlation[0] <= 0.52 and correlation[1] >= 0.64 and correlation[1] < 0.9


def test_equal_scores_get_equal_colours_on_every_family_heatmap() -> None:
    cells = heat_cells()
    bert = cell_fills(rendered(charts.accuracy_heatmap(cells, "bert", STRATEGIES, LABELS)))
    deberta = cell_fills(rendered(charts.accuracy_heatmap(cells, "deberta", STRATEGIES, LABELS)))
    # BERT's SST-2 and DeBERTa's RTE are both 0.900: the same colour, though each is a different family's best.
    assert bert["0.900"] == deberta["0.900"]
    # The highest accuracy of all families is brighter than BERT's best.
    assert brightness(deberta["0.960"]) > brightness(bert["0.900"])


def test_correlations_are_not_read_on_the_accuracy_scale() -> None:
    cells = heat_cells()
    deberta = cell_fills(rendered(charts.accuracy_heatmap(cells, "deberta", STRATEGIES, LABELS)))
    bert = cell_fills(rendered(charts.accuracy_heatmap(cells, "bert", STRATEGIES, LABELS)))
    # The best CoLA of all families is bright on its own scale (on the accuracy scale 0.64 would be near-black),
    # and the worst is dark.
    assert brightness(deberta["0.640"]) > 0.4
    assert brightness(bert["0.520"]) < 0.1
    assert charts.column_kind("cola") == "correlations" and charts.column_kind("stsb") == "correlations"
    assert charts.column_kind("mrpc") == "scores" and charts.column_kind("mnli_m") == "scores"


# --- normalised metrics: 1 = best on every column ----------------------------------------------------------------


def combined() -> pd.DataFrame:
    """FFT scores best but costs most; LoRA and KD-LoRA are cheap. Ratios: score / cost."""
    frame = pd.DataFrame(
        {
            "family": ["bert"] * 3,
            "strategy": STRATEGIES,
            "model": ["BERT", "BERT", "DistilBERT"],
            "glue_score": [0.82, 0.79, 0.74],
            "params_m": [110.0, 0.3, 0.8],
            "memory_mb": [1800.0, 460.0, 300.0],
            "inference_s": [1.0, 1.6, 0.9],
        }
    )
    return frame.assign(
        score_per_param_m=frame["glue_score"] / frame["params_m"],
        score_per_gb=frame["glue_score"] / (frame["memory_mb"] / 1024),
        score_per_s=frame["glue_score"] / frame["inference_s"],
    )


# Which way is better, by what each metric is: written here, not read from the code under test.
HIGHER_IS_BETTER = {"glue_score", "score_per_param_m", "score_per_gb", "score_per_s"}
LOWER_IS_BETTER = {"params_m", "memory_mb", "inference_s"}


def test_normalised_metrics_give_the_best_row_one_on_every_metric() -> None:
    frame = combined()
    normalised = normalised_metrics(frame)
    assert set(normalised["metric"]) == HIGHER_IS_BETTER | LOWER_IS_BETTER
    for metric, rows in normalised.groupby("metric"):
        raw = frame.set_index("strategy")[metric]
        best = raw.idxmax() if metric in HIGHER_IS_BETTER else raw.idxmin()
        worst = raw.idxmin() if metric in HIGHER_IS_BETTER else raw.idxmax()
        standing = rows.set_index("strategy")["standing"]
        assert standing[best] == pytest.approx(1.0), metric
        assert standing[worst] == pytest.approx(0.0), metric
        assert set(rows["direction"]) == {"higher" if metric in HIGHER_IS_BETTER else "lower"}, metric
        # Min–max without orientation stays available.
        assert rows.set_index("strategy")["normalised"][raw.idxmax()] == pytest.approx(1.0)


def test_metrics_spanning_orders_of_magnitude_are_normalised_on_a_log_scale() -> None:
    normalised = normalised_metrics(combined()).set_index(["metric", "strategy"])
    # Parameters span 0.3 to 110 M: KD-LoRA's 0.8 M sits where its logarithm puts it, not at 1.00 beside LoRA.
    expected = (math.log(110) - math.log(0.8)) / (math.log(110) - math.log(0.3))
    assert normalised.loc[("params_m", "KD-LoRA"), "standing"] == pytest.approx(expected)
    assert normalised.loc[("params_m", "KD-LoRA"), "scale"] == "log"
    # Inference times span less than 2×: linear.
    assert normalised.loc[("inference_s", "FFT"), "standing"] == pytest.approx((1.6 - 1.0) / (1.6 - 0.9))
    assert normalised.loc[("inference_s", "FFT"), "scale"] == "linear"


def test_normalised_heatmap_colours_the_best_cell_alike_on_every_column_and_says_which_way_is_better() -> None:
    labels = {"glue_score": "GLUE score", "params_m": "Parameters (M)", "memory_mb": "Memory (MB)"}
    normalised = normalised_metrics(combined())
    chart = charts.normalised_heatmap(normalised[normalised["metric"].isin(labels)], labels)
    (colour,) = [c for c in channels(chart.spec, "color") if c.get("field")]
    assert colour["field"] == "standing"
    # Each column's label says which way is better.
    shown = {row["metric"]: row["metric_label"] for row in charts.chart_data(chart).to_dict("records")}
    assert "↑" in shown["glue_score"] and "higher is better" in shown["glue_score"]
    assert "↓" in shown["params_m"] and "lower is better" in shown["params_m"]
    assert "↓" in shown["memory_mb"]
    # FFT's top score and LoRA's smallest parameter count are both the best of their column: the same colour.
    fills = cells_drawn(rendered(chart))
    assert [text for text, _ in fills].count("1.00") == 3  # best GLUE, best parameters, best memory
    best = {fill for text, fill in fills if text == "1.00"}
    assert len(best) == 1


# --- log scales where values span orders of magnitude ------------------------------------------------------------


def costs() -> pd.DataFrame:
    rows = []
    for family in ["deberta", "bert", "roberta"]:  # data order differs from config order
        for strategy, params, runtime in [("FFT", 110.0, 1.0), ("LoRA", 0.3, 1.5), ("KD-LoRA", 0.8, 0.9)]:
            rows.append(
                {
                    "family": family,
                    "strategy": strategy,
                    "model": f"{family}-{strategy}",
                    "params_m": params,
                    "eval_runtime_s": runtime,
                    "n_runs": 5,
                }
            )
    return pd.DataFrame(rows)


def y_scale(chart: charts.Chart) -> dict[str, Any]:
    (y,) = channels(chart.spec, "y")
    scale: dict[str, Any] = y.get("scale", {})
    return scale


def test_cost_charts_use_a_log_axis_when_values_span_orders_of_magnitude() -> None:
    params = charts.cost_bars(costs(), STRATEGIES, "params_m", "trainable parameters (M)", families=FAMILIES)
    assert y_scale(params).get("type") == "log"
    # Bars need a zero a log axis does not have: the values are drawn as dots.
    assert params.spec["mark"]["type"] != "bar"
    runtime = charts.cost_bars(costs(), STRATEGIES, "eval_runtime_s", "eval runtime (s)", families=FAMILIES)
    assert y_scale(runtime).get("type", "linear") == "linear"
    assert runtime.spec["mark"]["type"] == "bar"


def test_score_per_parameter_is_on_a_log_axis() -> None:
    frame = combined()
    chart = charts.score_per_param(frame, STRATEGIES, FAMILIES)
    (x,) = channels(chart.spec, "x")
    assert x["field"] == "score_per_param_m" and x["scale"]["type"] == "log"
    # FFT's tiny ratio is drawn: every row is in the chart's data.
    assert sorted(charts.chart_data(chart)["strategy"]) == sorted(STRATEGIES)


# --- trade-offs: colour = strategy, shape = family, the method named ---------------------------------------------


def tradeoff_points() -> pd.DataFrame:
    rows = []
    for family in ["deberta", "bert", "roberta"]:
        for label, params, score in [
            ("baseline", 110.0, 0.85),
            ("teacher · lora", 0.3, 0.80),
            ("teacher · dora", 0.32, 0.81),
            ("student · lora", 0.8, 0.74),
        ]:
            rows.append({"family": family, "label": label, "score": score, "params_m": params, "complete": True})
    frame = pd.DataFrame(rows)
    return frame.assign(
        on_front_params_m=frame["label"].isin(["baseline", "teacher · dora"]) & (frame["family"] == "bert")
    )


def test_group_strategies_names_the_strategy_most_of_a_groups_runs_have() -> None:
    variant_scores = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "e", "e"],
            "group": ["baseline", "teacher", "teacher", "teacher", "student", "student"],
            "method": ["", "lora", "dora", "lora", "lora", "lora"],
        }
    )
    # Run c (a DoRA teacher) matched no strategy; run d matched LoRA.
    scores = pd.DataFrame({"run_id": ["a", "b", "d", "e"], "strategy": ["FFT", "LoRA", "LoRA", "KD-LoRA"]})
    assert charts.group_strategies(variant_scores, scores, STRATEGIES) == {
        "baseline": "FFT",
        "teacher": "LoRA",
        "student": "KD-LoRA",
    }
    assert charts.group_strategies(None, scores, STRATEGIES) == {}


def test_tradeoffs_colour_by_strategy_shape_by_family_and_name_the_method() -> None:
    groups = {"baseline": "FFT", "teacher": "LoRA", "student": "KD-LoRA"}
    chart = charts.tradeoff_chart(
        tradeoff_points(), "params_m", "trainable parameters (M)", STRATEGIES, FAMILIES, groups
    )
    spec = chart.spec
    colours = [c for c in channels(spec, "color") if c.get("field")]
    shapes = [c for c in channels(spec, "shape") if c.get("field")]
    assert colours and {c["field"] for c in colours} == {"strategy"}
    assert all(c["scale"]["domain"] == STRATEGIES for c in colours)
    assert all(c["scale"]["range"] == charts.PALETTE[:3] for c in colours)
    assert shapes and {s["field"] for s in shapes} == {"family"}
    assert all(s["scale"]["domain"] == FAMILIES for s in shapes)
    # The method is visible without hovering: a panel per method, named in its header.
    assert spec["facet"]["field"] == "panel"
    drawn = charts.chart_data(chart)
    points = drawn[drawn["role"] == "point"]
    assert sorted(set(points["panel"])) == ["baseline", "dora", "lora"]
    # A DoRA teacher is coloured as its group's strategy (LoRA), a student as KD-LoRA.
    by_label = points.drop_duplicates("label").set_index("label")["strategy"]
    assert by_label.to_dict() == {
        "baseline": "FFT",
        "teacher · lora": "LoRA",
        "teacher · dora": "LoRA",
        "student · lora": "KD-LoRA",
    }
    # The x axis is logarithmic (0.3 to 110 M) and says so, with its unit in capitals.
    (x,) = {json.dumps(c) for c in channels(spec, "x")}
    x_def = json.loads(x)
    assert x_def["scale"]["type"] == "log"
    assert x_def["title"][0] == "Trainable parameters (M)" and "log scale" in x_def["title"][1]


def test_tradeoffs_without_variants_colour_each_strategy() -> None:
    points = (
        tradeoff_points()
        .assign(
            label=lambda f: f["label"].map(
                {"baseline": "FFT", "teacher · lora": "LoRA", "teacher · dora": "LoRA", "student · lora": "KD-LoRA"}
            )
        )
        .drop_duplicates(["family", "label"])
    )
    chart = charts.tradeoff_chart(points, "params_m", "trainable parameters (M)", STRATEGIES, FAMILIES)
    drawn = charts.chart_data(chart)
    points_drawn = drawn[drawn["role"] == "point"]
    assert (points_drawn["strategy"] == points_drawn["label"]).all()


@pytest.mark.parametrize(
    ("cost", "label", "unit"),
    [
        ("memory_allocated_mb", "GPU memory allocated (MB)", "(MB)"),
        ("params_m", "trainable parameters (M)", "(M)"),
        ("eval_runtime_s", "inference time (s)", "(s)"),
    ],
)
def test_cost_axes_keep_their_units_and_define_inference_time(cost: str, label: str, unit: str) -> None:
    points = tradeoff_points().assign(memory_allocated_mb=500.0, eval_runtime_s=1.2)
    points[f"on_front_{cost}"] = points["on_front_params_m"]
    chart = charts.tradeoff_chart(points, cost, label, STRATEGIES, FAMILIES)
    lines = titles(chart.spec)
    assert any(unit in line for line in lines)
    assert not any(re.search(r"\((mb|m)\)", line) for line in lines)
    if cost == "eval_runtime_s":
        assert any("validation split" in line for line in lines)
        assert "one evaluation pass over the task's validation split" in chart.description


# --- families and strategies in config order ---------------------------------------------------------------------


def scores_frame() -> pd.DataFrame:
    rows = []
    for family in ["deberta", "bert", "roberta"]:
        for strategy in ["KD-LoRA", "FFT", "LoRA"]:
            for seed in (1, 2):
                rows.append(
                    {
                        "family": family,
                        "strategy": strategy,
                        "model": family,
                        "column": "rte",
                        "seed": str(seed),
                        "run_id": f"{family}-{strategy}-{seed}",
                        "score": 0.7 + seed / 100,
                    }
                )
    return pd.DataFrame(rows)


def test_facets_and_legends_follow_the_config_order_never_the_alphabet() -> None:
    scores = scores_frame()
    cells = (
        scores.groupby(["family", "strategy", "column"], sort=False)["score"]
        .agg(["mean", "count"])
        .reset_index()
        .rename(columns={"count": "n_runs"})
        .assign(ci_low=0.6, ci_high=0.8, published=0.7, delta_points=1.0)
    )
    curves = scores.assign(task="rte", series="loss", step=1, mean=0.5, low=0.4, high=0.6, n_curve_runs=2)
    sweep = scores.assign(group="teacher", method="lora", rank=8, params_m=0.3, complete=True)
    faceted = [
        charts.run_scores(scores, STRATEGIES, {"rte": "RTE"}, FAMILIES),
        charts.reproduction_chart(cells, STRATEGIES, {"rte": "RTE"}, FAMILIES),
        charts.training_curves(curves, "rte", "loss", STRATEGIES, "Loss", FAMILIES),
        charts.rank_sweep_chart(sweep, "teacher", FAMILIES),
    ]
    for chart in faceted:
        assert chart.spec["facet"]["sort"] == FAMILIES, chart.name
    seeds = charts.seed_intervals(scores, cells, STRATEGIES, {"rte": "RTE"}, FAMILIES)
    assert [panel["title"] for panel in seeds.spec["vconcat"]] == FAMILIES
    bars = charts.cost_bars(costs(), STRATEGIES, "params_m", "trainable parameters (M)", families=FAMILIES)
    (x,) = channels(bars.spec, "x")
    assert x["sort"] == FAMILIES
    frame = pd.concat([combined().assign(family=f) for f in ["deberta", "bert", "roberta"]], ignore_index=True)
    scatter = charts.score_vs_cost(frame, STRATEGIES, "params_m", "trainable parameters (M)", True, FAMILIES)
    (shape,) = channels(scatter.spec, "shape")
    assert shape["scale"]["domain"] == FAMILIES
    # Strategies: every colour legend and offset in config order.
    for chart in [*faceted, seeds, bars, scatter]:
        for colour in channels(chart.spec, "color"):
            if colour.get("field") == "strategy":
                assert colour["scale"]["domain"] == STRATEGIES and colour["sort"] == STRATEGIES, chart.name
        for offset in [*channels(chart.spec, "xOffset"), *channels(chart.spec, "yOffset")]:
            assert offset["sort"] == STRATEGIES, chart.name


def test_legend_symbols_are_opaque_so_band_colours_stay_visible() -> None:
    curves = scores_frame().assign(task="rte", series="loss", step=1, mean=0.5, low=0.4, high=0.6, n_curve_runs=2)
    chart = charts.training_curves(curves, "rte", "loss", STRATEGIES, "Loss", FAMILIES)
    assert chart.spec["config"]["legend"]["symbolOpacity"] == 1


def test_a_lower_is_better_column_gets_its_own_scale_brightest_at_its_lowest() -> None:
    from gen.benchmarks import declared_task

    latency = declared_task("latency", "Latency", ("latency_ms",), None, False).primary[0]
    accuracy = declared_task("acc", "Acc", ("accuracy",), None, True).primary[0]
    cells = pd.DataFrame(
        {
            "family": ["bert", "bert", "deberta", "deberta"],
            "strategy": "FFT",
            "model": "M",
            "column": ["latency", "acc", "latency", "acc"],
            "mean": [12.0, 0.81, 30.0, 0.92],
            "std": 0.1,
            "n_runs": 3,
        }
    )
    labels = {"latency": "Latency", "acc": "Acc"}
    assert charts.column_kind("latency", [latency, accuracy]) == "lower"
    fast = cell_fills(rendered(charts.accuracy_heatmap(cells, "bert", STRATEGIES, labels, [latency, accuracy])))
    slow = cell_fills(rendered(charts.accuracy_heatmap(cells, "deberta", STRATEGIES, labels, [latency, accuracy])))
    # 12 ms (the best) is bright, 30 ms dark; neither is read on the accuracy scale, whose values are fractions.
    assert brightness(fast["12.000"]) > brightness(slow["30.000"])
    assert brightness(fast["12.000"]) > 0.4


def test_overview_charts_name_the_reports_suite() -> None:
    frame = combined()
    scatter = charts.score_vs_cost(frame, STRATEGIES, "params_m", "trainable parameters (M)", True, suite="SuperGLUE")
    ratio = charts.score_per_param(frame, STRATEGIES, suite="SuperGLUE")
    for chart in (scatter, ratio):
        assert chart.title.startswith("SuperGLUE score")
        assert not any("GLUE score" in line and "SuperGLUE" not in line for line in titles(chart.spec)), chart.name
