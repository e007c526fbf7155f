"""Training dynamics: how the eval metric and the training loss evolve, when the best step comes, epoch times."""

from __future__ import annotations

from gen import charts
from gen.analysis.training import curve_series
from gen.pages.display import chart_families, for_charts, metric_name
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, chart_block, download_links, esc, html_table, num
from gen.report import Report

PATH = "training.md"


def checkpoint_section(report: Report) -> list[str]:
    """Which checkpoint the runs report, where their logs can tell: the best evaluation (chosen on the split the
    score is reported on) or the last."""
    choice = report.training.checkpoints
    if choice.empty:
        return []
    runs, best = int(choice["n_runs"].sum()), int(choice["final_is_best"].sum())
    table = html_table(
        choice,
        [
            Col("task", "Task", task_link(report, PATH)),
            Col("n_runs", "Runs that can tell", num(0), numeric=True),
            Col("final_is_best", "Report the best evaluation", num(0), numeric=True),
            Col("final_is_last", "Report the last", num(0), numeric=True),
            Col("neither", "Neither", num(0), numeric=True),
        ],
        "Which checkpoint the runs report, per task",
    )
    return [
        "## Which checkpoint a score comes from",
        "",
        f"Of the {runs:,} runs whose last periodic evaluation scored below their best, **{best:,} report the "
        "best as their final score**: their checkpoint was chosen on the validation split the score is reported "
        "on (the Trainer's `load_best_model_at_end`), which makes those scores optimistic, by how much the data "
        "cannot say. Runs whose last evaluation scored as well as their best cannot tell and are not counted; "
        '"neither" means '
        "another metric chose the checkpoint, or the final evaluation differs from every logged one.",
        "",
        table,
        download_links(PATH, ["checkpoints.csv"]),
        "",
    ]


def page(report: Report) -> Page:
    """The Training page."""
    best = report.training.best
    lines = [
        "# Training dynamics",
        "",
        "From each run's Trainer log (`log_history`): the eval metric that tracks the task's score and the training "
        "loss, by step. Curves are the mean over runs with a band from the lowest to the highest run; for drawing, "
        "long curves are averaged into at most 40 steps — the CSV keeps every logged step. Runs stop at different "
        "steps (early stopping; collapsed runs stop early), so a curve is drawn only while at least half of its "
        "runs still log a value: further on, its mean would be the few longest runs, not the cell. The tooltip "
        "gives the runs behind each point; runs that are not healthy are in the curves unless the `run_health` "
        "policy excludes them.",
        "",
    ]
    if best.empty:
        lines.append("The runs carry no training logs.")
        return Page(PATH, "\n".join(lines))
    lines += [
        "## Best step and time per epoch",
        "",
        html_table(
            best,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                Col("n_runs", "Runs", num(0), numeric=True),
                Col("best_step", "Mean step of best eval", num(0), numeric=True),
                Col("best_value", "Mean best eval metric", num(4), numeric=True),
                Col("seconds_per_epoch", "Seconds per epoch", num(1), numeric=True),
            ],
            "When each run's tracking eval metric peaked, and its training time per epoch",
        ),
        download_links(PATH, ["best_steps.csv", "training_curves.csv"]),
        "",
        *checkpoint_section(report),
    ]
    chart_list = []
    drawn = report.training.drawn
    named = for_charts(report, drawn)
    for task in dict.fromkeys(best["task"]):
        label = report.config.suite.task_label(task)
        lines += [f"## {esc(label)}", ""]
        tracked = curve_series(report.config.suite, task)
        for series, name in ((tracked, metric_name(tracked.removeprefix("eval_"))), ("loss", "training loss")):
            # Each chart gets its own rows: a chart whose curves did not change is then reused (gen.charts.reused).
            shown = named[(named["task"] == task) & (named["series"] == series)].reset_index(drop=True)
            if shown.empty:
                continue
            chart = charts.training_curves(shown, task, series, report.strategies, name, chart_families(report), label)
            chart_list.append(chart)
            lines += [chart_block(chart, PATH), ""]
    return Page(PATH, "\n".join(lines), chart_list)
