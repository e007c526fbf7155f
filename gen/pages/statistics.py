"""Statistics: every cell's interval, the seeds' spread, and paired tests between strategies."""

from __future__ import annotations

import pandas as pd

from gen import charts
from gen.analysis.stats import ALPHA, CONFIDENCE, WILCOXON_MIN_PAIRS
from gen.benchmarks import score_columns
from gen.pages.accuracy import health_note
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, html_table, missing, num, pct
from gen.report import Report

PATH = "statistics.md"
METHOD = (
    f"Intervals are {CONFIDENCE:.0%} confidence intervals of the mean from Student's t with n − 1 degrees of "
    "freedom (suited to a handful of seeds); a cell with one run has none. Comparisons pair runs of two strategies "
    "on the same family, task and seed (several runs of one seed are averaged first). With at least "
    f"{WILCOXON_MIN_PAIRS} pairs the test is Wilcoxon's signed-rank test, with fewer (but at least two) the paired "
    "t-test; both two-sided. Effect size is Cohen's d_z, the mean difference over the standard deviation of the "
    "differences. p-values are Holm-corrected across every comparison on this page, and a difference is called "
    f'significant only when the corrected p < {ALPHA}. Fewer than two pairs: no test, shown as "too few runs".'
)


def p_text(value: object) -> str:
    """p-values to four decimals, the tiny ones as "< 0.0001" (one precision per column)."""
    if not isinstance(value, float) or value != value:
        return "—"
    return f"{value:.4f}" if value >= 0.0001 else "< 0.0001"


def _verdict(row: pd.Series) -> str:
    if row["test"] == "too few runs":
        return "too few runs"
    if pd.isna(row["p_holm"]):
        return "no spread to test"
    return "significant" if row["significant"] else "not significant"


def unhealthy_text(value: object) -> str:
    """A cell's count of runs that are not healthy, flagged; blank when all are healthy."""
    count = 0 if missing(value) else int(str(value))
    return f"⚠ {count}" if count else ""


def page(report: Report) -> Page:
    """The Statistics page."""
    labels = {c.column: c.label for c in score_columns(report.config.score)}
    cells = report.cell_stats.assign(task=lambda f: f["column"].map(lambda c: labels.get(c, c)))
    variability = report.variability.assign(task=lambda f: f["column"].map(lambda c: labels.get(c, c)))
    comparisons = report.comparisons
    if not comparisons.empty:
        comparisons = comparisons.assign(
            difference_points=100 * comparisons["mean_difference"],
            verdict=comparisons.apply(_verdict, axis=1),
        )
    seeds = charts.seed_intervals(report.scores, report.cell_stats, report.strategies, labels)
    lines = [
        "# Statistics",
        "",
        METHOD,
        "",
        "## Comparisons between strategies and between methods",
        "",
        html_table(
            comparisons,
            [
                Col("compared", "Compared"),
                Col("family", "Family", family_link(report, PATH)),
                Col("from", "From"),
                Col("to", "To"),
                Col("n_pairs", "Pairs", num(0), numeric=True),
                Col("difference_points", "Mean difference to − from (points)", num(2), numeric=True),
                Col("effect_size_dz", "Effect size d_z", num(2), numeric=True),
                Col("test", "Test"),
                Col("p_value", "p", p_text, numeric=True),
                Col("p_holm", "p (Holm)", p_text, numeric=True),
                Col("verdict", "Verdict"),
            ],
            "Paired comparisons, Holm-corrected across all rows",
        )
        if not comparisons.empty
        else "No two strategies share a family, task and seed.",
        download_links(PATH, ["comparisons.csv"]),
        "",
        "## Every cell with its interval",
        "",
        chart_block(seeds, PATH) if not cells.empty else "",
        "",
        html_table(
            cells,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                Col("n_runs", "n", num(0), numeric=True),
                Col("mean", "Mean", num(4), numeric=True),
                Col("std", "Std", num(4), numeric=True),
                Col("ci_low", f"{CONFIDENCE:.0%} CI low", num(4), numeric=True),
                Col("ci_high", f"{CONFIDENCE:.0%} CI high", num(4), numeric=True),
                Col("n_unhealthy", "Not healthy", unhealthy_text, numeric=True),
            ],
            f"Mean score per cell with its {CONFIDENCE:.0%} t confidence interval; ⚠ runs that are not healthy",
        ),
        health_note(report, cells, PATH),
        download_links(PATH, ["cell_stats.csv"]),
        "",
        "## Seed variability by task",
        "",
        html_table(
            variability,
            [
                Col("task", "Task", task_link(report, PATH)),
                Col("cells", "Groups with ≥ 2 runs", num(0), numeric=True),
                Col("mean_std", "Mean std", num(4), numeric=True),
                Col("max_std", "Largest std", num(4), numeric=True),
                Col("mean_cv", "Mean coefficient of variation", pct(2), numeric=True),
            ],
            "How much a task's score moves between seeds, within groups of runs that differ only in their seed "
            "(one family, strategy and configuration: never across ranks or learning rates)",
        )
        if not variability.empty
        else "No cell has two runs: the seeds' spread cannot be estimated.",
    ]
    return Page(PATH, "\n".join(lines), [seeds] if not cells.empty else [])
