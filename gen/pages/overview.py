"""Overview: the seed report done properly — combined table, key observations, headline cards, four charts."""

from __future__ import annotations

from gen import charts
from gen.benchmarks import score_columns
from gen.pages.links import family_link
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
from gen.report import Report

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


def _listing(rows: list[dict[str, object]], labels: dict[str, str]) -> str:
    """'bert CoLA (3.1)' items from (family column, value) findings, largest first."""
    items = []
    for row in rows:
        family, _, column = str(row["subject"]).partition(" ")
        items.append(f"{family} {labels.get(column, column)} ({100 * float(str(row['value'])):.1f})")
    return ", ".join(items)


def finding_lines(report: Report) -> list[str]:
    """The findings as sentences, each linked to the table that shows it."""
    labels = {c.column: c.label for c in score_columns(report.config.score)}
    rows: list[dict[str, object]] = [{str(k): v for k, v in r.items()} for r in report.findings.to_dict("records")]
    by_kind: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_kind.setdefault(str(row["finding"]), []).append(row)
    evidence = " [evidence](accuracy.md#per-task-scores)"
    drops = " [evidence](accuracy.md#drops-between-strategies)"
    lines = []
    if best := by_kind.get("best"):
        lines.append(f"- Best GLUE score: {esc(best[0]['subject'])}, **{float(str(best[0]['value'])):.4f}**.{evidence}")
    strategies = report.strategies
    if len(strategies) >= 3:
        first, second, last = strategies[0], strategies[1], strategies[-1]
        if (most := by_kind.get("most_robust")) and (least := by_kind.get("least_robust")):
            lines.append(
                f"- From {esc(second)} to {esc(last)}, the most robust task is "
                f"**{esc(labels.get(str(most[0]['subject']), most[0]['subject']))}** "
                f"({100 * float(str(most[0]['value'])):.2f} points lost on average over families) and the least "
                f"robust **{esc(labels.get(str(least[0]['subject']), least[0]['subject']))}** "
                f"({100 * float(str(least[0]['value'])):.2f} points).{drops}"
            )
        trails = by_kind.get("trails", [])
        lines.append(
            f"- {esc(second)} trails {esc(first)} by more than 2 points on "
            f"{len(trails)} family–task cells{': ' + esc(_listing(trails, labels)) if trails else ''}.{evidence}"
        )
        for name in (second, first):
            wins = [r for r in by_kind.get("surprise", []) if r["detail"] == f"{last} beats {name}"]
            lines.append(
                f"- {esc(last)} beats {esc(name)} on {len(wins)} family–task cells"
                f"{': ' + esc(_listing(wins, labels)) if wins else ''}.{evidence}"
            )
        if retained := by_kind.get("retained"):
            families = ", ".join(
                f"{r['subject']} {float(str(r['value'])):.1%}" for r in by_kind.get("retained_family", [])
            )
            lines.append(
                f"- {esc(last)} retains **{float(str(retained[0]['value'])):.1%}** of {esc(second)}'s score on "
                f"average over families ({esc(families)}).{evidence}"
            )
    return lines


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


def combined_table(report: Report) -> str:
    """The combined accuracy–efficiency table, with the coverage note when a row is partial."""
    combined = report.combined.copy()
    labels = {c.column: c.label for c in score_columns(report.config.score)}
    combined["glue_display"], coverage_note = covered_score(combined, labels)
    source = "reference table" if report.config.efficiency.source == "reference" else "measured runs"
    columns = [
        Col("family", "Model family", family_link(report, PATH)),
        Col("strategy", "Strategy"),
        Col("model", "Model"),
        Col("glue_display", METRIC_LABELS["glue_score"], raw, numeric=True, best="max", value="glue_score"),
        Col("params_m", METRIC_LABELS["params_m"], sig, numeric=True, best="min"),
        Col("memory_mb", METRIC_LABELS["memory_mb"], num(1), numeric=True, best="min"),
        Col("inference_s", METRIC_LABELS["inference_s"], num(2), numeric=True, best="min"),
        Col("score_per_param_m", METRIC_LABELS["score_per_param_m"], sig, numeric=True, best="max"),
        Col("score_per_gb", METRIC_LABELS["score_per_gb"], num(4), numeric=True, best="max"),
        Col("score_per_s", METRIC_LABELS["score_per_s"], num(4), numeric=True, best="max"),
    ]
    caption = f"Accuracy and efficiency per model family and strategy (costs from the {source})"
    return html_table(combined, columns, caption) + coverage_note


def page(report: Report) -> Page:
    """The Overview page."""
    strategies = report.strategies
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
            "## Findings",
            "",
            *finding_lines(report),
            "",
            "## Combined accuracy and efficiency",
            "",
            combined_table(report),
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
