"""Trade-offs: score against each cost, one point per (family, method), with the Pareto frontier listed."""

from __future__ import annotations

from gen import charts
from gen.analysis.tradeoffs import COSTS
from gen.pages.display import chart_families, for_charts
from gen.pages.health import LINK as HEALTH_LINK
from gen.pages.links import family_link
from gen.pages.render import Col, Page, chart_block, download_links, esc, html_table, num, raw, runs_flagged, sig
from gen.report import Report

PATH = "tradeoffs.md"
COST_LABELS = {
    "params_m": "trainable parameters (M)",
    "memory_allocated_mb": "GPU memory allocated (MB)",
    "train_time_s": "train time (s)",
    "eval_runtime_s": "inference time (s)",
}


def chart_label(report: Report, label: str) -> str:
    """A point's "group · method" label with the method as people write it, the group id kept."""
    group, _, method = str(label).partition(" · ")
    return f"{group} · {report.config.method_label(method)}" if method else group


def method_named(report: Report, label: str) -> str:
    """A point's "group · method" label as readers know them: the group by the strategy holding its runs
    (teacher → LoRA), the method as people write it."""
    group, _, method = str(label).partition(" · ")
    config = report.config
    return f"{config.group_label(group)} · {config.method_label(method)}" if method else config.group_label(group)


def page(report: Report) -> Page:
    """The Trade-offs page."""
    points = report.tradeoffs
    lines = [
        "# Trade-offs",
        "",
        "One point per model family and method: the score is the mean over task columns of the mean over runs, each "
        "cost the mean over tasks of the mean over runs. A point is on the **Pareto frontier** (★) when no other "
        "point scores at least as high for at most the same cost, better on one of the two. Points covering fewer "
        "task columns than the others (†) are shown but never on the frontier. ⚠ counts a point's runs that are not "
        "healthy: they are in its score and costs, and a run that collapsed may also have stopped early, so such a "
        f"point can look both worse and cheaper than its healthy runs ([run health]({HEALTH_LINK})).",
        "",
    ]
    chart_list = []
    # The chart keeps the group ids (they pick the strategy colour); only the method part is renamed there.
    named = for_charts(report, points).assign(label=points["label"].map(lambda text: chart_label(report, text)))
    # The same for every cost's chart: read from the runs once, not once per chart.
    groups = charts.group_strategies(
        report.variants.scores if report.variants else None, report.scores, report.strategies
    )
    for cost in COSTS:
        measured = points[points[cost].notna()].sort_values(cost, kind="stable")
        lines += [f"## Score vs {COST_LABELS[cost]}", ""]
        if measured.empty:
            lines += ["Not measured in these runs.", ""]
            continue
        shown = measured.assign(
            front=measured[f"on_front_{cost}"].map({True: "★", False: ""}),
            score_display=[
                f"{s:.4f}" if c else f"{s:.4f}<sup>†</sup>"
                for s, c in zip(measured["score"], measured["complete"], strict=True)
            ],
            runs_display=runs_flagged(measured),
        )
        chart = charts.tradeoff_chart(
            named,
            cost,
            COST_LABELS[cost],
            report.strategies,
            chart_families(report),
            groups,
        )
        chart_list.append(chart)
        frontier = shown[shown[f"on_front_{cost}"]]
        names = ", ".join(
            f"{report.config.family_label(str(f))} {method_named(report, label)}"
            for f, label in zip(frontier["family"], frontier["label"], strict=True)
        )
        lines += [
            f"Frontier: {esc(names) or 'none'}.",
            "",
            chart_block(chart, PATH),
            "",
            html_table(
                shown,
                [
                    Col("front", "Frontier"),
                    Col("family", "Family", family_link(report, PATH)),
                    Col("label", "Method", lambda text: esc(method_named(report, str(text)))),
                    Col("score_display", "Score", raw, numeric=True),
                    Col(cost, COST_LABELS[cost][:1].upper() + COST_LABELS[cost][1:], sig, numeric=True),
                    Col("n_columns", "Task columns", num(0), numeric=True),
                    Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
                ],
                f"Score against {COST_LABELS[cost]}, cheapest first",
            ),
            "",
        ]
    lines.append(download_links(PATH, ["tradeoffs.csv"]))
    return Page(PATH, "\n".join(lines), chart_list)
