"""Overview: the seed report done properly — combined table, key observations, headline cards, four charts."""

from __future__ import annotations

from gen import charts
from gen.analysis.findings import LOWER_POINTS
from gen.pages.accuracy import varying_note
from gen.pages.display import chart_families, for_charts
from gen.pages.health import LINK as HEALTH_LINK
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
from gen.pages.sensitivity import healthy_observations, sensitivity_table
from gen.pages.verdicts import tests_by_key, verdict
from gen.report import Report

PATH = "index.md"
METRIC_LABELS = {
    "glue_score": "{suite} score",
    "params_m": "Trainable params (M)",
    "memory_mb": "Memory (MB)",
    "inference_s": "Inference time (s)",
    "score_per_param_m": "Score per M trainable params",
    "score_per_gb": "Score per GB",
    "score_per_s": "Score per second",
}
OBSERVATION_TEXT = {
    "glue_difference": "{suite} score difference {source} → {to}, mean over families",
    "param_reduction": "Trainable-parameter reduction {to} vs {source}",
    "memory_reduction": "Memory reduction {to} vs {source}",
    "inference_speedup": "Inference speedup {to} vs {source}",
}


def metric_labels(report: Report) -> dict[str, str]:
    """The combined table's column labels, the score named after the report's suite."""
    return {key: label.format(suite=report.config.suite.name) for key, label in METRIC_LABELS.items()}


def observation_value(observation: str, value: float) -> str:
    """An observation's value in the site's one convention: differences in points (to − from, signed),
    reductions in %, speed-ups ×."""
    if observation == "glue_difference":
        return f"{value:+.1f} points"
    if observation == "inference_speedup":
        return f"{value:.2f}×"
    return f"{100 * value:.1f}%"


def observation_lines(report: Report) -> list[str]:
    """The key observations as list items; a score difference says what its test over families found."""
    tests = tests_by_key(report)
    healthy = healthy_observations(report)
    lines = []
    for o in report.observations.to_dict("records"):
        kind, source, target = str(o["observation"]), str(o["from"]), str(o["to"])
        line = (
            f"- {esc(OBSERVATION_TEXT[kind].format(source=source, to=target, suite=report.config.suite.name))}: "
            f"**{observation_value(kind, float(o['value']))}**"
        )
        if kind == "glue_difference":
            line += f" ({verdict(tests.get(('all families', source, target, report.config.suite.name)))})"
        other = healthy.get((kind, source, target))
        # Shown where it reads differently at the precision shown, or leaves out a task.
        shown = observation_value(kind, float(o["value"]))
        if other is not None and (observation_value(kind, other[0]) != shown or other[1]):
            line += f"; healthy runs only: {observation_value(kind, other[0])}{esc(other[1])}"
        lines.append(line)
    return lines


# Cells listed per finding before "and N more" (every cell is in the tables the finding links to).
LISTED = 6


def _listing(rows: list[dict[str, object]], labels: dict[str, str], report: Report) -> str:
    """'BERT-base CoLA (−3.1 points, significant, n = 5 seeds)' items from (family column, value) findings. A column
    that is one of its task's several (MNLI-m) is tested with the whole task: the verdict says so."""
    tests = tests_by_key(report)
    items = []
    for row in rows[:LISTED]:
        family, _, column = str(row["subject"]).partition(" ")
        key = (str(row["test_family"]), str(row["test_from"]), str(row["test_to"]), str(row["test_task"]))
        task = report.config.suite.task_label(str(row["test_task"]))
        tested = "" if task == labels.get(column, column) else f"{task} test: "
        items.append(
            f"{report.config.family_label(family)} {labels.get(column, column)} "
            f"({float(str(row['value'])):+.1f} points, {tested}{verdict(tests.get(key))})"
        )
    more = f" and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
    return "; ".join(items) + more


def caveat(rows: list[dict[str, object]]) -> str:
    """What a finding must say when the cells it rests on hold runs that are not healthy (empty when none). The rows
    of one finding rest on nested cells (a pair's difference on all of them), so the largest count is theirs."""
    unhealthy = max((int(str(r.get("unhealthy_runs", 0) or 0)) for r in rows), default=0)
    if not unhealthy:
        return ""
    return (
        f" ⚠ Rests on cells holding {unhealthy} {'run' if unhealthy == 1 else 'runs'} that are not healthy "
        f"([run health]({HEALTH_LINK}); "
        "[healthy runs only](#sensitivity-to-unhealthy-runs))."
    )


def best_named(report: Report, row: dict[str, object]) -> str:
    """The best result as "model (strategy)", or "model (family, strategy)" with the family by its display name when
    that differs from the model's name (the subject is "model (family, strategy)")."""
    family, subject = str(row["family"]), str(row["subject"])
    for strategy in report.strategies:
        suffix = f" ({family}, {strategy})"
        if subject.endswith(suffix):
            model, label = subject.removesuffix(suffix), report.config.family_label(family)
            return f"{model} ({strategy})" if model == label else f"{model} ({label}, {strategy})"
    return subject


def finding_lines(report: Report) -> list[str]:
    """The findings as sentences: the best result, then one item per pair of strategies (each against the baseline,
    each against the one before it), every difference with its test, flagged when it rests on unhealthy runs."""
    labels = {c.column: c.label for c in report.config.suite.columns()}
    rows: list[dict[str, object]] = [{str(k): v for k, v in r.items()} for r in report.findings.to_dict("records")]
    tests = tests_by_key(report)
    evidence = " [evidence](accuracy.md#per-task-scores)"
    tested = " [tests](statistics.md#comparisons-between-strategies-and-between-methods)"
    lines = []
    if best := [r for r in rows if r["finding"] == "best"]:
        lines.append(
            f"- Best {report.config.suite.name} score: {esc(best_named(report, best[0]))}, "
            f"**{float(str(best[0]['value'])):.4f}**.{evidence}" + caveat(best)
        )
    pairs = list(dict.fromkeys((str(r["from"]), str(r["to"])) for r in rows if r["finding"] != "best"))
    for source, target in pairs:
        mine = [r for r in rows if (r["from"], r["to"]) == (source, target)]
        kind = {str(r["finding"]): r for r in mine}
        lower = [r for r in mine if r["finding"] == "lower"]
        higher = [r for r in mine if r["finding"] == "higher"]
        parts = []
        if difference := kind.get("difference"):
            key = tuple(str(difference[k]) for k in ("test_family", "test_from", "test_to", "test_task"))
            parts.append(
                f"{report.config.suite.name} **{float(str(difference['value'])):+.1f} points** "
                f"({verdict(tests.get(key))})"  # type: ignore[arg-type]
            )
        if retained := kind.get("retained"):
            parts.append(f"keeps {float(str(retained['value'])):.1%} of {esc(source)}'s score")
        parts.append(
            f"more than {LOWER_POINTS:g} points lower on {len(lower) or 'no'} family–task cells"
            + (f" ({esc(_listing(lower, labels, report))})" if lower else "")
        )
        parts.append(
            f"higher on {len(higher) or 'none'}" + (f" ({esc(_listing(higher, labels, report))})" if higher else "")
        )
        if (least := kind.get("least_changed")) and (most := kind.get("most_changed")):
            parts.append(
                f"changes least on {esc(labels.get(str(least['subject']), least['subject']))} "
                f"({float(str(least['value'])):.1f} points) and most on "
                f"{esc(labels.get(str(most['subject']), most['subject']))} ({float(str(most['value'])):.1f} points) "
                "(mean absolute change over families; not tested)"
            )
        lines.append(
            f"- **{esc(source)} → {esc(target)}**: " + "; ".join(parts) + f".{evidence}{tested}" + caveat(mine)
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
    verdicts = report.health.health.runs
    matched = verdicts[verdicts["strategy"] != ""]
    unhealthy = matched[matched["verdict"] != "healthy"]
    if not unhealthy.empty:
        kinds = ", ".join(f"{n} {verdict}" for verdict, n in unhealthy["verdict"].value_counts().sort_index().items())
        excluded = len(report.health.excluded)
        policy = f"{excluded:,} excluded by the policy" if excluded else "all kept and flagged"
        items.append(
            f'<li><strong><a href="data-quality.html#run-health">{len(unhealthy):,} runs not healthy</a></strong>'
            f"<br>{esc(kinds)}; {policy}</li>"
        )
    baseline = report.strategies[0]
    healthy_only = healthy_observations(report)
    by_target: dict[str, dict[str, float]] = {}
    for o in report.observations.to_dict("records"):
        if o["from"] == baseline:
            by_target.setdefault(o["to"], {})[o["observation"]] = o["value"]
    for target, values in by_target.items():
        parts = []
        if "glue_difference" in values:
            difference = values["glue_difference"]
            test = verdict(tests_by_key(report).get(("all families", baseline, target, report.config.suite.name)))
            part = f"{report.config.suite.name} {difference:+.1f} points ({test})"
            healthy = healthy_only.get(("glue_difference", baseline, target))
            if healthy is not None and (abs(healthy[0] - difference) >= 0.05 or healthy[1]):
                part += f"; {healthy[0]:+.1f} with healthy runs only{healthy[1]}"
            parts.append(part)
        if "param_reduction" in values:
            parts.append(f"{100 * values['param_reduction']:.1f}% fewer trainable parameters")
        if "inference_speedup" in values:
            parts.append(f"{values['inference_speedup']:.2f}× inference speed")
        items.append(f"<li><strong>{esc(target)} vs {esc(baseline)}</strong><br>{esc(', '.join(parts))}</li>")
    return f'<div class="grid cards headline"><ul>{"".join(items)}</ul></div>'


def combined_table(report: Report) -> str:
    """The combined accuracy–efficiency table, with the coverage note when a row is partial."""
    combined = report.combined.copy()
    labels = {c.column: c.label for c in report.config.suite.columns()}
    combined["glue_display"], coverage_note = covered_score(combined, labels)
    source = "reference table" if report.config.efficiency.source == "reference" else "measured runs"
    columns = [
        Col("family", "Model family", family_link(report, PATH)),
        Col("strategy", "Strategy"),
        Col("model", "Model"),
        Col("glue_display", metric_labels(report)["glue_score"], raw, numeric=True, best="max", value="glue_score"),
        Col("params_m", METRIC_LABELS["params_m"], sig, numeric=True, best="min"),
        Col("memory_mb", METRIC_LABELS["memory_mb"], num(1), numeric=True, best="min"),
        Col("inference_s", METRIC_LABELS["inference_s"], num(2), numeric=True, best="min"),
        Col("score_per_param_m", METRIC_LABELS["score_per_param_m"], sig, numeric=True, best="max"),
        Col("score_per_gb", METRIC_LABELS["score_per_gb"], num(4), numeric=True, best="max"),
        Col("score_per_s", METRIC_LABELS["score_per_s"], num(4), numeric=True, best="max"),
    ]
    caption = f"Accuracy and efficiency per model family and strategy (costs from the {source})"
    notes = [
        f"{esc(r['model'])} {esc(r['strategy'])}: {esc(r['ratio_note'])}"
        for r in combined.to_dict("records")
        if r.get("ratio_note")
    ]
    ratio_note = (
        f'<p class="ratio-note">Blank ratios (—) have no usable cost to divide by: {"; ".join(notes)}.</p>'
        if notes
        else ""
    )
    return html_table(combined, columns, caption) + coverage_note + ratio_note + varying_note(report, report.cells)


def page(report: Report) -> Page:
    """The Overview page."""
    strategies = report.strategies
    chart_list = [
        charts.score_vs_cost(
            for_charts(report, report.combined),
            strategies,
            "params_m",
            "trainable parameters (M)",
            True,
            chart_families(report),
            suite=report.config.suite.name,
        ),
        charts.score_vs_cost(
            for_charts(report, report.combined),
            strategies,
            "inference_s",
            "inference time (s)",
            False,
            chart_families(report),
            charts.INFERENCE_DEFINITION if report.config.efficiency.source == "measured" else None,
            report.config.suite.name,
        ),
        charts.score_per_param(
            for_charts(report, report.combined), strategies, chart_families(report), report.config.suite.name
        ),
        charts.normalised_heatmap(report.normalised, metric_labels(report)),
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
            "## Sensitivity to unhealthy runs",
            "",
            "Runs that collapsed to chance level, fell far below their cell or repeat another run's result can "
            "move a headline. The key observations above give their value with healthy runs only where it differs or "
            "leaves out a task; "
            f"here is each suite score both ways ([run health]({HEALTH_LINK}) says which runs are not healthy and "
            "why; `run_health` in the config can exclude them):",
            "",
            sensitivity_table(report, PATH),
            download_links(PATH, ["sensitivity.csv"]),
            "",
            "How each number is formed is defined under [Methodology](data.md#methodology).",
            "",
            "## Charts",
            "",
            *(chart_block(c, PATH) + "\n" for c in chart_list),
        ]
    )
    return Page(PATH, markdown, chart_list)
