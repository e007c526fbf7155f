"""Reproduction: published figures against our runs, per task and on average."""

from __future__ import annotations

from gen import charts
from gen.pages.accuracy import varying_note
from gen.pages.display import chart_families, for_charts, metric_name
from gen.pages.health import LINK as HEALTH_LINK
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, esc, html_table, num
from gen.pages.statistics import unhealthy_text
from gen.report import Report

PATH = "reproduction.md"


def caveats(report: Report) -> list[str]:
    """What a reader must know before reading a delta: cells holding runs that are not healthy, and task columns
    whose published figures look like another metric than the one compared."""
    reproduction = report.reproduction
    if reproduction is None:
        return []
    lines = []
    cells = reproduction.cells
    flagged = int((cells["n_unhealthy"].fillna(0) > 0).sum()) if "n_unhealthy" in cells else 0
    if flagged:
        lines.append(
            f"- ⚠ {flagged} of {len(cells)} cells hold runs that are not healthy (collapsed to chance level, outliers "
            f"or duplicates), counted in our mean: their deltas say as much about those runs as about the method "
            f"([run health]({HEALTH_LINK}))."
        )
    labels = {c.column: c.label for c in report.config.suite.columns()}
    for row in reproduction.nearer.to_dict("records"):
        lines.append(
            f"- ⚠ {esc(labels.get(str(row['column']), row['column']))}: the published figures are nearer our "
            f"{esc(metric_name(str(row['nearer_metric'])))} (median {float(row['nearer_points']):.1f} points off over "
            f"{int(row['n_cells'])} cells) than our {esc(metric_name(str(row['metric'])))}, the metric compared here "
            f"({float(row['points']):.1f} points off): check which metric the publication reports."
        )
    return [*lines, ""] if lines else []


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
        *caveats(report),
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
                Col("n_unhealthy", "Not healthy", unhealthy_text, numeric=True),
            ],
            "Published figure against our mean and its t interval",
        ),
        download_links(PATH, ["reproduction.csv"]),
        varying_note(report, reproduction.cells),
    ]
    return Page(PATH, "\n".join(lines), [chart])
