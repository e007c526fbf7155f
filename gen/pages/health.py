"""The Run health section of Data quality: verdict counts per cell, the runs that are not healthy and why, how
each verdict is decided, what the policy excluded, seeds counted twice and cells whose settings vary."""

from __future__ import annotations

import pandas as pd

from gen.analysis.health import (
    COLLAPSE_TOLERANCE,
    OUTLIER_MIN_GAP,
    OUTLIER_MIN_RUNS,
    OUTLIER_Z,
    VERDICTS,
)
from gen.benchmarks import Suite
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, download_links, html_table, listed, num, text
from gen.report import Report

PATH = "data-quality.md"
# The section's heading id (Markdown's toc slug of "Run health"): other pages link to it.
ANCHOR = "run-health"
# The run health section, as a markdown link target from another page.
LINK = f"{PATH}#{ANCHOR}"
# A run_health policy as done to runs.
DONE = {"keep": "kept", "exclude": "excluded"}


def rules(suite: Suite) -> list[str]:
    """How each verdict is decided, with the constants the analysis uses and the suite's trivial levels."""
    return [
        "Every valid run gets one verdict, decided in this order:",
        "",
        f"- **collapsed**: its final score is at most {COLLAPSE_TOLERANCE:g} above its task's trivial level (or "
        "below it): the score of a model that learned nothing. For classification the trivial level is the "
        "majority-class rate of the evaluation split (a run that always predicts one class scores that class's "
        "rate, so anything at or below the majority rate is no better); for correlations it is 0.",
        "- **duplicate**: another run of the same task, family, strategy and seed has the same settings (a "
        "setting given on one side only is ignored) and identical result metrics (accuracy, F1, correlations, "
        "eval loss). The run with more settings given is kept as the original; the other is the duplicate.",
        f"- **outlier**: not collapsed, and far below the other runs of its cell (family, strategy, task): a "
        f"robust z-score 0.6745 · (score − median) / MAD below {OUTLIER_Z:g} (Iglewicz and Hoaglin's rule), at "
        f"least {100 * OUTLIER_MIN_GAP:g} points under the cell's median, in a cell of at least "
        f"{OUTLIER_MIN_RUNS} runs that did not collapse.",
        "- **healthy**: none of these.",
        "",
        f"The trivial levels of {suite.name}'s tasks, with where each comes from (a task without one is never "
        "called collapsed; a declared suite gives them as `trivial:`):",
        "",
        html_table(
            trivial_levels(suite),
            [
                Col("task", "Task"),
                Col("metric", "Metric"),
                Col("level", "Trivial level", num(4), numeric=True),
                Col("basis", "Basis", text),
            ],
            "The score of a model that learned nothing, per task",
        ),
    ]


def trivial_levels(suite: Suite) -> pd.DataFrame:
    """The suite's trivial level of every task that has one, with where it comes from."""
    return pd.DataFrame(
        [
            {"task": task.label, "metric": trivial.metric, "level": trivial.level, "basis": trivial.basis}
            for task in suite.tasks
            for trivial in task.trivial
        ]
    )


def verdict_counts(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, task): how many runs got each verdict, cells with an unhealthy run first."""
    counts = verdicts.groupby(["family", "strategy", "task", "verdict"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(VERDICTS), fill_value=0)
    counts["unhealthy"] = counts[list(VERDICTS[1:])].sum(axis=1)
    return counts.reset_index().sort_values("unhealthy", ascending=False, kind="stable")


def section(report: Report) -> list[str]:
    """The Run health section."""
    health = report.health.health
    verdicts = health.runs
    if verdicts.empty:
        return ["No run to judge."]
    matched = verdicts[verdicts["strategy"] != ""]
    unhealthy = matched[matched["verdict"] != "healthy"]
    policy = report.config.run_health
    excluded = report.health.excluded
    lines = [
        f"Of the {len(matched):,} runs assigned a strategy, **{len(unhealthy):,} are not healthy**: "
        + ", ".join(f"{int((matched['verdict'] == v).sum()):,} {v}" for v in VERDICTS[1:])
        + f". Policy (`run_health` in the config): collapsed runs are {DONE[policy.collapsed]}, outliers "
        f"{DONE[policy.outliers]}, duplicates {DONE[policy.duplicates]}; {len(excluded):,} runs are excluded from "
        "every analysis. Kept runs that are not healthy are drawn with their own shape on every chart of single runs, "
        "and cells holding them are marked ⚠ in the tables.",
        "",
    ]
    unmatched = verdicts[verdicts["strategy"] == ""]
    if not unmatched.empty:
        lines += [
            f"The {len(unmatched):,} unmatched runs (used by PEFT variants) are judged by the same rules: "
            f"{int((unmatched['verdict'] != 'healthy').sum()):,} are not healthy; they are listed in run_health.csv.",
            "",
        ]
    lines += ["### How a verdict is decided", "", *rules(report.config.suite), "", "### Verdicts per cell", ""]
    counts = verdict_counts(matched)
    lines += [
        html_table(
            counts,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                *(Col(v, v.capitalize(), num(0), numeric=True) for v in VERDICTS),
            ],
            "Runs per verdict in each (family, strategy, task) cell, cells with unhealthy runs first",
        ),
        download_links(PATH, ["run_health.csv"]),
        "",
        "### Runs that are not healthy",
        "",
    ]
    if unhealthy.empty:
        lines.append("Every run assigned a strategy is healthy.")
    else:
        shown, rest = listed(unhealthy, "run_health.csv")
        lines += rest
        lines.append(
            html_table(
                shown.assign(excluded=shown["run_id"].isin(excluded["run_id"]).map({True: "excluded", False: "kept"})),
                [
                    Col("run_id", "Run"),
                    Col("family", "Family", family_link(report, PATH)),
                    Col("strategy", "Strategy"),
                    Col("task", "Task", task_link(report, PATH)),
                    Col("seed", "Seed"),
                    Col("verdict", "Verdict"),
                    Col("reason", "Reason"),
                    Col("excluded", "Policy"),
                ],
                "Every run that is not healthy, with its reason and whether the policy kept it",
            )
        )
    lines += ["", "### Seeds counted twice in one cell", "", *seed_repeat_lines(report)]
    lines += ["", "### Cells whose runs differ in more than the seed", "", *varying_lines(report)]
    return lines


def seed_repeat_lines(report: Report) -> list[str]:
    """Cells where one seed has several runs (duplicates, or several configurations of that seed)."""
    repeats = report.health.health.seed_repeats
    repeats = repeats[repeats["strategy"] != ""]
    if repeats.empty:
        return ["No seed has more than one run in any cell."]
    shown, rest = listed(repeats, "seed_repeats.csv")
    return [
        f"In {len(repeats):,} (cell, seed) pairs one seed has several runs, so the cell's mean weighs that seed "
        "more than the others: a duplicate, or runs of that seed under several configurations (see below). The "
        "paired tests on Statistics average the runs of one seed first.",
        "",
        *rest,
        html_table(
            shown,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                Col("seed", "Seed"),
                Col("n_runs", "Runs", num(0), numeric=True),
                Col("runs", "Run ids"),
            ],
            "Seeds with more than one run in a cell",
        ),
        download_links(PATH, ["seed_repeats.csv"]),
    ]


def varying_lines(report: Report) -> list[str]:
    """Cells whose runs differ in a setting other than the seed, and over which values."""
    varying = report.health.health.varying
    varying = varying[varying["strategy"] != ""]
    if varying.empty:
        return ["Within every cell, the runs differ only in their seed."]
    shown, rest = listed(varying, "varying_settings.csv")
    return [
        "These cells average runs that differ in more than their seed, so their mean mixes configurations and their "
        "spread is not seed variability alone. Seed variability on Statistics is computed within one configuration. "
        "To report one configuration, pin it in the strategy rule (e.g. `match: {variant: lora, peft: lora, rank: "
        "8}`; see the README).",
        "",
        *rest,
        html_table(
            shown,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("task", "Task", task_link(report, PATH)),
                Col("n_runs", "Runs", num(0), numeric=True),
                Col("setting", "Setting"),
                Col("values", "Values"),
            ],
            "Settings other than the seed that vary within a cell",
        ),
        download_links(PATH, ["varying_settings.csv"]),
    ]
