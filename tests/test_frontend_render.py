"""Front-end building blocks without a browser: sortable, marked tables; chart figures with their data link and
static fallback; responsive specs, large data split off, readable heatmap labels, a colour-blind-safe palette."""

from __future__ import annotations

import html
import itertools
import json
import re

import pandas as pd
import pytest

from gen import charts, images
from gen.charts import PALETTE, Chart
from gen.pages.render import Col, chart_block, html_table, num, raw

# Machado, Oliveira & Fernandes (2009), severity 1.0: linear-RGB simulation of the three dichromacies.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
# CIE76 colour difference below which two marks are easily confused at a glance.
MIN_DELTA_E = 10


def linear(hex_colour: str) -> list[float]:
    """sRGB hex to linear RGB."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def luminance(rgb: list[float]) -> float:
    """WCAG relative luminance of linear RGB."""
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG contrast ratio of two linear RGB colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lab(rgb: list[float]) -> tuple[float, float, float]:
    """Linear RGB (clipped) to CIELAB, D65."""
    r, g, b = (min(1.0, max(0.0, v)) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def simulate(rgb: list[float], matrix: list[list[float]]) -> list[float]:
    return [sum(matrix[i][j] * rgb[j] for j in range(3)) for i in range(3)]


def delta_e(a: list[float], b: list[float]) -> float:
    return float(sum((p - q) ** 2 for p, q in zip(lab(a), lab(b), strict=True)) ** 0.5)


# --- tables -------------------------------------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "name": ["a", "b", "c", "d"],
        "score": [0.81, 0.86, float("nan"), 0.86],
        "cost": [1332.0, 296.6, 500.0, 1000.0],
        "display": ["0.8100", "0.8600†", "—", "0.8600"],
    }
)


def cells(table: str, column: int) -> list[str]:
    """The opening tag and content of every body cell in one column."""
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"(<td[^>]*>.*?</td>)", row)[column] for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_numeric_cells_carry_their_exact_value_for_sorting() -> None:
    table = html_table(FRAME, [Col("name", "Name"), Col("cost", "Cost", num(1), numeric=True)], "Costs")
    assert '<th scope="col" class="num" data-sort-method="value">Cost</th>' in table
    assert '<th scope="col">Name</th>' in table  # text columns sort as text
    assert cells(table, 1)[0] == '<td class="num" data-sort="1332.0">1,332.0</td>'
    assert cells(table, 0)[0] == "<td>a</td>"


def test_missing_values_have_no_sort_value() -> None:
    table = html_table(FRAME, [Col("score", "Score", num(2), numeric=True)], "Scores")
    assert cells(table, 0)[2] == '<td class="num">—</td>'


def test_best_value_per_column_is_marked_both_ways_ties_included() -> None:
    table = html_table(
        FRAME,
        [
            Col("score", "Score", num(2), numeric=True, best="max"),
            Col("cost", "Cost", num(1), numeric=True, best="min"),
            Col("name", "Name"),
        ],
        "Both",
    )
    scores, costs = cells(table, 0), cells(table, 1)
    assert ["best" in c for c in scores] == [False, True, False, True]
    assert ["best" in c for c in costs] == [False, True, False, False]
    assert costs[1] == (
        '<td class="num best" data-sort="296.6"><strong>296.6</strong><span class="visually-hidden"> (best)</span></td>'
    )
    assert 'data-best="max" title="Bold: the highest value is best."' in table
    assert 'data-best="min" title="Bold: the lowest value is best."' in table
    assert '<caption>Both <span class="best-note">Bold: best in its column.</span></caption>' in table


def test_best_and_sorting_use_the_value_behind_a_display_column() -> None:
    column = Col("display", "Score", raw, numeric=True, best="max", value="score")
    shown = cells(html_table(FRAME, [column], "Scores"), 0)
    assert shown[1] == (
        '<td class="num best" data-sort="0.86"><strong>0.8600†</strong>'
        '<span class="visually-hidden"> (best)</span></td>'
    )
    assert shown[0] == '<td class="num" data-sort="0.81">0.8100</td>'


def test_nothing_is_marked_without_a_best_direction_or_a_difference() -> None:
    same = pd.DataFrame({"x": [1.0, 1.0, float("nan")]})
    for table in (
        html_table(same, [Col("x", "X", num(1), numeric=True, best="max")], "Equal"),
        html_table(FRAME, [Col("cost", "Cost", num(1), numeric=True)], "No direction"),
    ):
        assert "best" not in table.split("<tbody>", 1)[1]
        assert "best-note" not in table


def test_tables_have_a_caption_and_header_cells_and_escape_them() -> None:
    table = html_table(FRAME, [Col("name", "<b>Name</b>")], "<i>caption</i>")
    assert table.startswith('<table><caption>&lt;i&gt;caption&lt;/i&gt;</caption><thead><tr><th scope="col">')
    assert "&lt;b&gt;Name&lt;/b&gt;" in table


# --- chart figures ------------------------------------------------------------------------------------------------

CHART = Chart("score-vs-params-m", "GLUE score vs <params>", 'A "scatter" plot', {"mark": "point"})


def test_chart_block_links_its_data_table_and_keeps_a_static_fallback() -> None:
    block = chart_block(CHART, "tasks/cola.md")
    assert '<a href="../charts/score-vs-params-m.csv" download>CSV table</a>' in block
    assert 'data-static="../charts/score-vs-params-m.svg"' in block
    # Without scripts the browser renders the <noscript> image; with scripts it is inert text.
    noscript = re.search(r"<noscript>(.*?)</noscript>", block)
    assert noscript is not None
    assert noscript.group(1) == (
        '<img class="vl-static" src="../charts/score-vs-params-m.svg" alt="A &quot;scatter&quot; plot">'
    )
    assert html.unescape(re.search(r"<figcaption>(.*?) · ", block).group(1)) == CHART.title  # type: ignore[union-attr]
    assert 'role="img" aria-label="A &quot;scatter&quot; plot"' in block


# --- chart specs --------------------------------------------------------------------------------------------------


def combined(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": [f"f{i % 3}" for i in range(rows)],
            "strategy": [["FFT", "LoRA", "KD-LoRA"][i % 3] for i in range(rows)],
            "model": [f"m{i}" for i in range(rows)],
            "glue_score": [0.7 + (i % 100) / 1000 for i in range(rows)],
            "params_m": [1.0 + i for i in range(rows)],
        }
    )


STRATEGIES = ["FFT", "LoRA", "KD-LoRA"]


def test_single_view_charts_fill_their_container_but_render_statically_at_fixed_width() -> None:
    chart = charts.score_vs_cost(combined(9), STRATEGIES, "params_m", "parameters (M)", log=True)
    assert chart.spec["width"] == "container"
    assert chart.spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert chart.spec["title"] == chart.title and chart.spec["description"] == chart.description
    svg = images.render_svg(charts.static_spec(chart.spec))
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert width > charts.WIDTH  # the plot is WIDTH wide, plus axes and legend


def test_faceted_charts_keep_fixed_panels() -> None:
    scores = pd.DataFrame(
        {
            "family": ["bert", "roberta"],
            "strategy": ["FFT", "LoRA"],
            "model": ["BERT", "RoBERTa"],
            "column": ["cola", "cola"],
            "seed": ["1", "2"],
            "run_id": ["r1", "r2"],
            "score": [0.5, 0.6],
        }
    )
    spec = charts.run_scores(scores, STRATEGIES, {"cola": "CoLA"}).spec
    assert "facet" in spec and isinstance(spec["spec"]["width"], int) and "autosize" not in spec


def test_small_charts_keep_their_data_in_the_spec() -> None:
    chart = charts.score_vs_cost(combined(charts.INLINE_ROWS), STRATEGIES, "params_m", "parameters (M)", log=True)
    files = charts.spec_files(chart)
    assert sorted(files) == [f"charts/{chart.name}.vl.json"]
    assert json.loads(files[f"charts/{chart.name}.vl.json"]) == json.loads(charts.spec_json(chart.spec))


def test_large_charts_load_their_data_from_a_separate_file() -> None:
    chart = charts.score_vs_cost(combined(charts.INLINE_ROWS + 1), STRATEGIES, "params_m", "parameters (M)", log=True)
    files = charts.spec_files(chart)
    spec = json.loads(files[f"charts/{chart.name}.vl.json"])
    assert "datasets" not in spec
    assert spec["data"] == {"url": f"{chart.name}.data.json", "format": {"type": "json"}}
    rows = json.loads(files[f"charts/{chart.name}.data.json"])
    assert len(rows) == charts.INLINE_ROWS + 1
    assert rows == charts.chart_data(chart).to_dict("records")
    # The static renderings still draw every point: they are rendered from the full spec.
    assert len(re.findall(r"<path", images.render_svg(charts.static_spec(chart.spec)))) > charts.INLINE_ROWS
    assert len(files[f"charts/{chart.name}.vl.json"]) < len(charts.spec_json(chart.spec)) / 10


def test_chart_data_is_the_rows_the_chart_draws() -> None:
    frame = combined(4)
    data = charts.chart_data(charts.score_vs_cost(frame, STRATEGIES, "params_m", "parameters (M)", log=True))
    assert data[["model", "glue_score", "params_m"]].to_dict("records") == frame[
        ["model", "glue_score", "params_m"]
    ].to_dict("records")


def label_contrasts(svg: str) -> list[float]:
    """Contrast of every heatmap label with the cell under it (rect marks: paths M x,y h w v h; labels: text)."""
    rects = [
        (float(x), float(y), float(w), float(h), tuple(int(c) for c in fill.split(",")))
        for x, y, w, h, fill in re.findall(
            r'<path[^>]*d="M(-?[\d.]+),(-?[\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+Z" fill="rgb\(([\d, ]+)\)"', svg
        )
    ]
    labels = re.findall(r'<text[^>]*transform="translate\(([\d.]+),([\d.]+)\)"[^>]*fill="(black|white)">', svg)
    assert rects and labels
    ratios = []
    for x, y, colour in labels:
        px, py = float(x), float(y)
        (fill,) = [f for rx, ry, rw, rh, f in rects if rx <= px <= rx + rw and ry <= py <= ry + rh]
        cell = linear("#" + "".join(f"{c:02x}" for c in fill))
        ratios.append(contrast(cell, [0.0] * 3 if colour == "black" else [1.0] * 3))
    return ratios


def test_heatmap_labels_are_readable_on_every_cell_colour() -> None:
    steps = [i / 20 for i in range(21)]
    normalised = pd.DataFrame(
        {
            "model": [f"m{i}" for i in range(21)],
            "strategy": "FFT",
            "metric": "glue_score",
            "value": steps,
            "normalised": steps,
        }
    )
    cells_frame = pd.DataFrame(
        {
            "family": "bert",
            "model": "BERT",
            "strategy": [STRATEGIES[i % 3] for i in range(21)],
            "column": [f"t{i // 3}" for i in range(21)],
            "mean": steps,
            "std": 0.01,
            "n_runs": 3,
        }
    )
    for chart in (
        charts.normalised_heatmap(normalised, {"glue_score": "GLUE score"}),
        charts.accuracy_heatmap(cells_frame, "bert", STRATEGIES, {f"t{i}": f"T{i}" for i in range(7)}),
    ):
        ratios = label_contrasts(images.render_svg(charts.static_spec(chart.spec)))
        assert len(ratios) == 21
        assert min(ratios) >= 4.5, chart.name


@pytest.mark.parametrize("deficiency", sorted(CVD))
def test_strategy_palette_stays_distinguishable_with_colour_blindness(deficiency: str) -> None:
    seen = [simulate(linear(c), CVD[deficiency]) for c in PALETTE]
    closest = min(delta_e(a, b) for a, b in itertools.combinations(seen, 2))
    assert closest >= MIN_DELTA_E


def test_first_strategy_colours_stand_out_from_a_white_chart() -> None:
    # The dark scheme is checked in the browser against the page's real background (test_frontend_theme).
    white = [1.0, 1.0, 1.0]
    assert [round(contrast(linear(c), white), 2) for c in PALETTE[:4]] == [5.19, 3.87, 3.42, 3.06]
