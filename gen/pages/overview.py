"""Overview: the seed report done properly — combined table, key observations, headline cards, four charts."""

from __future__ import annotations

from gen import charts
from gen.benchmarks import score_columns
from gen.build import Report
from gen.pages.render import (
    Col,
    Page,
    chart_block,
    covered_score,
    download_links,
    esc,
    html_table,
    num,
    raw,
    sig,
)

PATH = "index.md"
METRIC_LABELS = {
    "glue_score": "GLUE score",
    "params_m": "Parameters (M)",
    "memory_mb": "Memory (MB)",
    "inference_s": "Inference time (s)",
    "score_per_param_m": "Score per M params",
    "score_per_gb": "Score per GB",
    "score_per_s": "Score per second",
}
OBSERVATION_TEXT = {
    "glue_drop": "Average GLUE score drop {source} → {to}",
    "param_reduction": "Parameter reduction {to} vs {source}",
    "memory_reduction": "Memory reduction {to} vs {source}",
    "inference_speedup": "Inference speedup {to} vs {source}",
}


def observation_value(observation: str, value: float) -> str:
    """An observation's value as the seed printed it (drops in score units, reductions in %, speed-ups ×)."""
    if observation == "glue_drop":
        return f"{value:.3f} ({100 * value:.1f} points)"
    if observation == "inference_speedup":
        return f"{value:.2f}×"
    return f"{100 * value:.1f}%"


def observation_lines(report: Report) -> list[str]:
    """The key observations as list items."""
    return [
        f"- {esc(OBSERVATION_TEXT[str(o['observation'])].format(source=o['from'], to=o['to']))}: "
        f"**{observation_value(str(o['observation']), float(o['value']))}**"
        for o in report.observations.to_dict("records")
    ]


def cards(report: Report) -> str:
    """Headline cards: one per strategy compared with the baseline, plus what the report rests on."""
    runs = report.runs
    items = [
        f"<li><strong>{runs.table['run_id'].nunique():,} runs</strong><br>"
        f"from {int((runs.files['outcome'] == 'ingested').sum()):,} files, "
        f"{len(report.strategies)} strategies, {report.glue['family'].nunique()} model families</li>"
    ]
    baseline = report.strategies[0]
    by_target: dict[str, dict[str, float]] = {}
    for o in report.observations.to_dict("records"):
        if o["from"] == baseline:
            by_target.setdefault(o["to"], {})[o["observation"]] = o["value"]
    for target, values in by_target.items():
        parts = []
        if "glue_drop" in values:
            drop = values["glue_drop"]
            parts.append(f"GLUE {abs(100 * drop):.1f} points {'lower' if drop >= 0 else 'higher'}")
        if "param_reduction" in values:
            parts.append(f"{100 * values['param_reduction']:.1f}% fewer parameters")
        if "inference_speedup" in values:
            parts.append(f"{values['inference_speedup']:.2f}× inference speed")
        items.append(f"<li><strong>{esc(target)} vs {esc(baseline)}</strong><br>{esc(', '.join(parts))}</li>")
    return f'<div class="grid cards headline"><ul>{"".join(items)}</ul></div>'


def page(report: Report) -> Page:
    """The Overview page."""
    strategies = report.strategies
    combined = report.combined.copy()
    labels = {c.column: c.label for c in score_columns(report.config.score)}
    combined["glue_display"], coverage_note = covered_score(combined, labels)
    source = "reference table" if report.config.efficiency.source == "reference" else "measured runs"
    columns = [
        Col("family", "Model family"),
        Col("strategy", "Strategy"),
        Col("model", "Model"),
        Col("glue_display", METRIC_LABELS["glue_score"], raw, numeric=True),
        Col("params_m", METRIC_LABELS["params_m"], sig, numeric=True),
        Col("memory_mb", METRIC_LABELS["memory_mb"], num(1), numeric=True),
        Col("inference_s", METRIC_LABELS["inference_s"], num(2), numeric=True),
        Col("score_per_param_m", METRIC_LABELS["score_per_param_m"], sig, numeric=True),
        Col("score_per_gb", METRIC_LABELS["score_per_gb"], num(4), numeric=True),
        Col("score_per_s", METRIC_LABELS["score_per_s"], num(4), numeric=True),
    ]
    table = html_table(
        combined,
        columns,
        f"Accuracy and efficiency per model family and strategy (costs from the {source})",
    )
    chart_list = [
        charts.score_vs_cost(report.combined, strategies, "params_m", "trainable parameters (M)", log=True),
        charts.score_vs_cost(report.combined, strategies, "inference_s", "inference time (s)", log=False),
        charts.score_per_param(report.combined, strategies),
        charts.normalised_heatmap(report.normalised, METRIC_LABELS),
    ]
    description = f"\n{esc(report.config.description)}\n" if report.config.description else ""
    markdown = "\n".join(
        [
            f"# {esc(report.config.title)}",
            description,
            cards(report),
            "",
            "## Combined accuracy and efficiency",
            "",
            table,
            coverage_note,
            download_links(PATH, ["combined.csv", "observations.csv"]),
            "",
            "## Key observations",
            "",
            *observation_lines(report),
            "",
            "How each number is formed is defined under [Methodology](data.md#methodology).",
            "",
            "## Charts",
            "",
            *(chart_block(c, PATH) + "\n" for c in chart_list),
        ]
    )
    return Page(PATH, markdown, chart_list)
