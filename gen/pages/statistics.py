"""Statistics: every cell's interval, the seeds' spread, and paired tests between strategies."""

from __future__ import annotations

import pandas as pd

from gen import charts
from gen.analysis.stats import ALPHA, CONFIDENCE, WILCOXON_MIN_PAIRS
from gen.pages.accuracy import health_note
from gen.pages.display import chart_families, for_charts
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, html_table, missing, num, pct
from gen.pages.verdicts import verdict
from gen.report import Report

PATH = "statistics.md"
METHOD = (
    f"Intervals are {CONFIDENCE:.0%} confidence intervals of the mean from Student's t with n − 1 degrees of "
    "freedom, n the cell's runs (suited to a handful of seeds); a cell with one run has none. Where a cell's runs "
    "differ in more than the seed (several configurations, such as LoRA ranks, or a seed run twice), they are not "
    "draws of one setup: the interval then spans the mix, not seed noise alone ([Accuracy](accuracy.md) names "
    "such cells). A difference is always to − from, in "
    "points (100 × the score difference), between the means the tables show. Each test pairs independent units "
    "and says which: **per task**, seeds (the runs of one seed are averaged first; a task scored in two columns, "
    "MNLI-m and MNLI-mm, counts once), so n is at most the number of seeds; **per family over the suite**, each "
    "seed's suite score over the tasks both strategies have, for seeds that ran every one of them; **over "
    "families**, the families' suite differences (n = families). Rows of different tasks or families are never "
    f"pooled as pairs. With at least {WILCOXON_MIN_PAIRS} pairs the test is Wilcoxon's signed-rank test, with fewer "
    "(but at least two) the paired t-test; both two-sided. Effect size is Cohen's d_z, the mean paired difference "
    "over the standard deviation of the differences (the mean paired difference can differ slightly from the "
    "difference of the means when cells have unequal runs). p-values are Holm-corrected across every test on this "
    f"page, and a difference is called significant only when the corrected p < {ALPHA}. Runs without seeds (one "
    'published figure per cell) are not tested ("no seeds"); fewer than two pairs: "too few pairs".'
)


def holm_family(report: Report) -> int:
    """How many tests Holm's correction counts: every test of this page with a p-value."""
    return int(report.comparisons["p"].notna().sum())


def p_text(value: object) -> str:
    """p-values to four decimals, the tiny ones as "< 0.0001" (one precision per column)."""
    if not isinstance(value, float) or value != value:
        return "—"
    return f"{value:.4f}" if value >= 0.0001 else "< 0.0001"


def comparison_table(report: Report, comparisons: pd.DataFrame, page_path: str, caption: str) -> str:
    """Paired comparisons with the columns a reader comes for first: difference, Holm p and verdict."""
    labels = {c.task: report.config.suite.task_label(c.task) for c in report.config.suite.columns()}
    shown = comparisons.assign(
        pair=comparisons["from"].astype(str) + " → " + comparisons["to"].astype(str),
        task_label=comparisons["task"].map(lambda t: labels.get(t, t)),
        verdict=[verdict(row) for _, row in comparisons.iterrows()],
    )
    return html_table(
        shown,
        [
            Col("family", "Family", family_link(report, page_path)),
            Col("pair", "From → to"),
            Col("task_label", "Task", task_link(report, page_path)),
            Col("difference_points", "Difference (points)", num(2), numeric=True),
            Col("p_holm", "p (Holm)", p_text, numeric=True),
            Col("verdict", "Verdict"),
            Col("n", "n", num(0), numeric=True),
            Col("unit", "Unit"),
            Col("test", "Test"),
            Col("effect_size_dz", "d_z", num(2), numeric=True),
            Col("p", "p", p_text, numeric=True),
        ],
        caption,
    )


def method_rows_named(report: Report, comparisons: pd.DataFrame) -> pd.DataFrame:
    """Comparisons with the PEFT-method rows named for reading: "LoRA methods · BERT-base", "AdaLoRA → DoRA"."""
    config = report.config
    methods = comparisons["compared"] != "strategies"
    named = comparisons.copy()
    named.loc[methods, "family"] = [
        f"{config.group_label(str(g))} methods · {config.family_label(str(f))}"
        for g, f in zip(named.loc[methods, "compared"], named.loc[methods, "family"], strict=True)
    ]
    for side in ("from", "to"):
        named.loc[methods, side] = named.loc[methods, side].map(lambda m: config.method_label(str(m)))
    return named


def unhealthy_text(value: object) -> str:
    """A cell's count of runs that are not healthy, flagged; blank when all are healthy."""
    count = 0 if missing(value) else int(str(value))
    return f"⚠ {count}" if count else ""


def page(report: Report) -> Page:
    """The Statistics page."""
    labels = {c.column: c.label for c in report.config.suite.columns()}
    cells = report.cell_stats.assign(task=lambda f: f["column"].map(lambda c: labels.get(c, c)))
    variability = report.variability.assign(task=lambda f: f["column"].map(lambda c: labels.get(c, c)))
    comparisons = report.comparisons
    suite = comparisons[comparisons["task"] == report.config.suite.name]
    per_task = comparisons[comparisons["task"] != report.config.suite.name]
    seeds = charts.seed_intervals(
        for_charts(report, report.scores),
        for_charts(report, report.cell_stats),
        report.strategies,
        labels,
        chart_families(report),
    )
    lines = [
        "# Statistics",
        "",
        METHOD,
        "",
        "## Comparisons between strategies and between methods",
        "",
        comparison_table(
            report,
            method_rows_named(report, suite),
            PATH,
            f"{report.config.suite.name} score differences per family and over families, Holm-corrected over the "
            f"{holm_family(report)} tests on this page",
        )
        if not suite.empty
        else "No two strategies share a family and task.",
        "",
        "### Per task",
        "",
        comparison_table(
            report,
            per_task,
            PATH,
            f"Per-task differences, paired by seed, Holm-corrected over the {holm_family(report)} tests on this page",
        )
        if not per_task.empty
        else "No two strategies share a task.",
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
                Col("n_runs", "Runs", num(0), numeric=True),
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
            "(one family, strategy and configuration: never across ranks or learning rates); runs that collapsed "
            "are included, so a task where runs collapse shows their spread, not seed noise alone",
        )
        if not variability.empty
        else "No cell has two runs: the seeds' spread cannot be estimated.",
    ]
    return Page(PATH, "\n".join(lines), [seeds] if not cells.empty else [])
