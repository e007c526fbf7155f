"""Reproduction: published figures against our runs, per task and on average."""

from __future__ import annotations

from gen import charts
from gen.pages.display import chart_families, for_charts
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, esc, html_table, num
from gen.report import Report

PATH = "reproduction.md"


def page(report: Report) -> Page:
    """The Reproduction page."""
    reproduction = report.reproduction
    lines = ["# Reproduction", ""]
    if reproduction is None:
        lines.append("Add `published: {path: ..., label: ...}` to the report config to compare with published figures.")
        return Page(PATH, "\n".join(lines))
    labels = {c.column: c.label for c in report.config.suite.columns()}
    cells = reproduction.cells.assign(
        task=lambda f: f["column"].map(lambda c: labels.get(c, c)),
        inside=lambda f: f["inside_ci"].map({True: "yes", False: "no"}).where(f["ci_low"].notna(), "no interval"),
    )
    inside = int(reproduction.cells["inside_ci"].sum())
    chart = charts.reproduction_chart(
        for_charts(report, reproduction.cells), report.strategies, labels, chart_families(report)
    )
    lines += [
        f"Compared with {esc(reproduction.label)}: the published figure lies inside our 95% confidence interval in "
        f"{inside} of {len(cells)} cells. Delta = ours − published, in points (100 × score).",
        "",
        "## On average",
        "",
        html_table(
            reproduction.averages,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("published", "Published", num(4), numeric=True),
                Col("reproduced", "Reproduced", num(4), numeric=True),
                Col("delta_points", "Delta (points)", num(2), numeric=True),
                Col("n_columns", "Task columns", num(0), numeric=True),
                Col("inside", "Inside CI", num(0), numeric=True),
            ],
            "Averages over the task columns both have",
        ),
        "",
        "## Per task",
        "",
        chart_block(chart, PATH),
        "",
        html_table(
            cells,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                Col("published", "Published", num(4), numeric=True),
                Col("mean", "Reproduced", num(4), numeric=True),
                Col("ci_low", "95% CI low", num(4), numeric=True),
                Col("ci_high", "95% CI high", num(4), numeric=True),
                Col("n_runs", "Runs", num(0), numeric=True),
                Col("delta_points", "Delta (points)", num(2), numeric=True),
                Col("inside", "Published inside CI"),
            ],
            "Published figure against our mean and its t interval",
        ),
        download_links(PATH, ["reproduction.csv"]),
    ]
    return Page(PATH, "\n".join(lines), [chart])
