"""Coverage: how complete the experiment grid is, which runs are missing, which are duplicated."""

from __future__ import annotations

from gen import charts
from gen.analysis.coverage import completion_matrix
from gen.charts.base import in_order
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, esc, html_table, missing, pct
from gen.report import Report

PATH = "coverage.md"
SHOWN_MISSING = 200


def configuration_label(report: Report, configuration: object) -> str:
    """A grid configuration ("teacher · dora · r8", "baseline") as readers know it: the group by its strategy's
    name, the method as people write it (tradeoffs.method_named); a strategy stays as it is."""
    group, *rest = str(configuration).split(" · ")
    if report.config.variants is None:
        return str(configuration)
    method = [report.config.method_label(rest[0])] if rest else []
    return " · ".join([report.config.group_label(group), *method, *rest[1:]])


def completion_table(report: Report) -> str:
    """Seeds present of those expected: one row per configuration and family, one column per task (the heatmap's
    numbers, a row per line of it rather than a row per cell)."""
    matrix = completion_matrix(report.coverage.cells)
    tasks = in_order([t.name for t in report.config.suite.tasks], report.coverage.cells["task"])
    tasks = [t for t in tasks if f"present:{t}" in matrix]
    columns = [
        Col("configuration", "Configuration", lambda c: esc(configuration_label(report, c))),
        Col("family", "Family", family_link(report, PATH)),
    ]
    for task in tasks:
        present, expected = matrix[f"present:{task}"], matrix[f"expected:{task}"]
        matrix[f"seeds:{task}"] = [
            "—" if missing(p) else f"{int(p)}/{int(e)}" for p, e in zip(present, expected, strict=True)
        ]
        found = report.config.suite.task(task)
        label = found.label if found is not None else task
        columns.append(Col(f"seeds:{task}", label, numeric=True, title="Seeds present/expected", value=f"share:{task}"))
    columns.append(Col("share", "Complete", pct(0), numeric=True))
    caption = "Seeds present/expected per configuration, family and task"
    return html_table(matrix, columns, caption)


def page(report: Report) -> Page:
    """The Coverage page."""
    coverage = report.coverage
    cells, missing = coverage.cells, coverage.missing
    lines = [
        "# Coverage",
        "",
        "The grid: every configuration that was run at all (a strategy, or a group · method · rank) is expected for "
        "every model family, task and seed that appears anywhere in the runs.",
        "",
    ]
    if cells.empty:
        lines.append("No scored runs.")
        return Page(PATH, "\n".join(lines))
    heatmap = charts.coverage_heatmap(
        cells.assign(configuration=[configuration_label(report, c) for c in cells["configuration"]])
    )
    lines += [
        f"Completion: **{coverage.rate:.1%}** — {int(cells['present'].sum()):,} of {int(cells['expected'].sum()):,} "
        f"expected (configuration, family, task, seed) slots hold a run; {len(missing):,} are empty. A slot with "
        "several runs counts once; runs sharing every field and seed are listed on "
        "[Data quality](data-quality.md#duplicate-runs).",
        "",
        "## Completion by configuration, family and task",
        "",
        chart_block(heatmap, PATH),
        "",
        completion_table(report),
        download_links(PATH, ["coverage.csv"]),
        "",
        "## Missing runs",
        "",
    ]
    if missing.empty:
        lines.append("None: the grid is complete.")
    else:
        shown = missing.head(SHOWN_MISSING)
        note = f" (the first {SHOWN_MISSING}; all in missing_runs.csv)" if len(missing) > SHOWN_MISSING else ""
        lines += [
            html_table(
                shown,
                [
                    Col("configuration", "Configuration", lambda c: esc(configuration_label(report, c))),
                    Col("family", "Family", family_link(report, PATH)),
                    Col("task", "Task", task_link(report, PATH)),
                    Col("seed", "Seed"),
                ],
                f"Runs the grid expects but the results lack{note}",
            ),
            download_links(PATH, ["missing_runs.csv"]),
        ]
    return Page(PATH, "\n".join(lines), [heatmap])
