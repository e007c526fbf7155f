"""Drill-down pages: one per model family and one per task, reached from every table cell that names them."""

from __future__ import annotations

from gen import charts
from gen.benchmarks import Suite
from gen.pages import accuracy
from gen.pages.accuracy import health_note
from gen.pages.display import metric_name
from gen.pages.links import family_link, family_page, task_page
from gen.pages.render import Col, Page, chart_block, esc, html_table, num, pct, raw, rel, runs_flagged, sig
from gen.pages.statistics import comparison_table, holm_family, unhealthy_text
from gen.report import Report


def family_pages(report: Report) -> list[Page]:
    """A page per scored family: its task scores, heatmap, measured costs and paired comparisons."""
    labels = {c.column: c.label for c in report.config.suite.columns()}
    built = []
    for family in dict.fromkeys(report.glue["family"]):
        path = family_page(family)
        models = ", ".join(dict.fromkeys(report.glue.loc[report.glue["family"] == family, "model"]))
        heatmap = charts.accuracy_heatmap(
            report.cells,
            family,
            report.strategies,
            labels,
            report.config.suite.columns(),
            report.config.family_label(family),
        )
        measured = report.costs[report.costs["family"] == family]
        comparisons = report.comparisons[
            (report.comparisons["family"] == family) & (report.comparisons["compared"] == "strategies")
        ]
        lines = [
            f"# {esc(report.config.family_label(family))}",
            "",
            f"Model family `{esc(family)}`; models: {esc(models)}.",
            "",
            "## Task scores",
            "",
            accuracy.task_table(report, labels, path, family),
            "",
            chart_block(heatmap, path),
            "",
        ]
        if not measured.empty:
            lines += [
                "## Measured costs",
                "",
                html_table(
                    measured.assign(runs_display=runs_flagged(measured)),
                    [
                        Col("strategy", "Strategy"),
                        Col("model", "Model"),
                        Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
                        Col("params_m", "Params (M)", sig, numeric=True),
                        Col("memory_allocated_mb", "Alloc. memory (MB)", num(1), numeric=True),
                        Col("train_time_s", "Train time (s)", num(1), numeric=True),
                        Col("eval_runtime_s", "Eval runtime (s)", num(2), numeric=True),
                    ],
                    f"Measured costs of {report.config.family_label(family)}",
                ),
                "",
            ]
        if not comparisons.empty:
            lines += [
                "## Paired comparisons",
                "",
                comparison_table(
                    report,
                    comparisons,
                    path,
                    f"Strategies compared on {report.config.family_label(family)}, Holm-corrected over the "
                    f"{holm_family(report)} tests of the Statistics page",
                ),
            ]
        built.append(Page(path, "\n".join(lines), [heatmap]))
    return built


def metric_text(suite: Suite, task: str) -> str:
    """The metric(s) that score a task in a suite, in words ("MNLI-m: matched accuracy; ...")."""
    spec = suite.task(task)
    if spec is None:
        return "its metrics"
    columns = spec.columns(suite.scheme)
    parts = [
        " and ".join(metric_name(m) for m in c.metrics) + (" (their mean)" if len(c.metrics) > 1 else "")
        for c in columns
    ]
    if len(columns) == 1:
        return parts[0]
    return "; ".join(f"{c.label}: {part}" for c, part in zip(columns, parts, strict=True))


def task_pages(report: Report) -> list[Page]:
    """A page per scored task: every (family, strategy) cell with its interval, and the methods when configured."""
    columns = {c.column: c for c in report.config.suite.columns()}
    built = []
    for task in dict.fromkeys(report.cells["column"].map(lambda c: columns[c].task)):
        path = task_page(task)
        cells = report.cell_stats[report.cell_stats["column"].map(lambda c: columns[c].task) == task]
        cells = cells.assign(task_column=cells["column"].map(lambda c: columns[c].label))
        lines = [
            f"# {esc(report.config.suite.task_label(task))}",
            "",
            f"Scored by {esc(metric_text(report.config.suite, task))} on the validation split (see "
            f'<a href="{rel(path, "data.md").removesuffix(".md")}.html#methodology">Methodology</a>).',
            "",
            "## Every family and strategy",
            "",
            html_table(
                cells,
                [
                    Col("family", "Family", family_link(report, path)),
                    Col("strategy", "Strategy"),
                    Col("task_column", "Column"),
                    Col("n_runs", "n", num(0), numeric=True),
                    Col("mean", "Mean", num(4), numeric=True),
                    Col("std", "Std", num(4), numeric=True),
                    Col("ci_low", "95% CI low", num(4), numeric=True),
                    Col("ci_high", "95% CI high", num(4), numeric=True),
                    Col("n_unhealthy", "Not healthy", unhealthy_text, numeric=True),
                ],
                f"{report.config.suite.task_label(task)}: mean score per family and strategy with its t interval; "
                "⚠ runs that are not healthy",
            ),
            health_note(report, cells, path),
            "",
        ]
        if report.variants is not None:
            methods = report.variants.cells[report.variants.cells["column"].map(lambda c: columns[c].task) == task]
            lines += [
                "## PEFT methods",
                "",
                html_table(
                    methods.assign(
                        task_column=methods["column"].map(lambda c: columns[c].label),
                        runs_display=runs_flagged(methods),
                    ),
                    [
                        Col("group", "Group", lambda g: esc(report.config.group_label(str(g)))),
                        Col("method", "Method", lambda m: esc(report.config.method_label(str(m)))),
                        Col("family", "Family", family_link(report, path)),
                        Col("task_column", "Column"),
                        Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
                        Col("mean", "Mean", num(4), numeric=True),
                        Col(
                            "pct_of_baseline", f"Share of {report.config.group_label('baseline')}", pct(1), numeric=True
                        ),
                    ],
                    f"{report.config.suite.task_label(task)}: each method against full fine-tuning",
                ),
                "",
            ]
        built.append(Page(path, "\n".join(lines)))
    return built
