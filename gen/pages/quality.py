"""Data quality: every input file accounted for, every rejection with its reason, every unmatched run."""

from __future__ import annotations

import pandas as pd

from gen.pages import health
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, download_links, html_table, listed, num
from gen.report import Report

PATH = "data-quality.md"
# Fields that say what a run is; other fields (paths, learning rates) rarely explain a missing rule.
GROUP_FIELDS = ["variant", "peft", "family", "task"]


def counts_table(files: pd.DataFrame) -> str:
    """Files and runs per source and outcome."""
    counts = (
        files.groupby(["source", "outcome"], sort=True)
        .agg(files=("source_file", "size"), runs=("runs", "sum"))
        .reset_index()
    )
    return html_table(
        counts,
        [
            Col("source", "Source"),
            Col("outcome", "Outcome"),
            Col("files", "Files", num(0), numeric=True),
            Col("runs", "Runs", num(0), numeric=True),
        ],
        "Every file found under a source is ingested, rejected or ignored",
    )


def unmatched_table(unmatched: pd.DataFrame) -> str:
    """Runs no strategy rule matched, grouped by the fields that usually explain why."""
    fields = [f for f in GROUP_FIELDS if f in unmatched.columns]
    grouped = unmatched.fillna("").groupby(fields, sort=True).size().rename("runs").reset_index()
    return html_table(
        grouped,
        [*(Col(f, f) for f in fields), Col("runs", "Runs", num(0), numeric=True)],
        "Runs that no strategy rule matched, by their fields",
    )


def page(report: Report) -> Page:
    """The Data quality page."""
    runs = report.runs
    files = runs.files
    rejected = files[files["outcome"] == "rejected"]
    lines = [
        "# Data quality",
        "",
        f"{len(files):,} files found: {int((files['outcome'] == 'ingested').sum()):,} ingested, "
        f"{len(rejected):,} rejected, {int((files['outcome'] == 'ignored').sum()):,} ignored. "
        f"{runs.table['run_id'].nunique():,} runs are assigned a strategy, {len(runs.unmatched):,} are unmatched "
        f"and {len(runs.rejected_runs):,} rejected; {len(report.warnings):,} warnings.",
        "",
        counts_table(files),
        download_links(PATH, ["files.csv"]),
        "",
        "## Rejected files",
        "",
    ]
    if rejected.empty:
        lines.append("No file was rejected.")
    else:
        lines.append(
            html_table(
                rejected,
                [Col("source", "Source"), Col("source_file", "File"), Col("reason", "Reason")],
                "Files that could not be used, with the reason",
            )
        )
    lines += ["", "## Rejected runs", ""]
    if runs.rejected_runs.empty:
        lines.append("No run was rejected.")
    else:
        lines.append(
            html_table(
                runs.rejected_runs,
                [Col("source", "Source"), Col("run_id", "Run"), Col("reason", "Reason")],
                "Runs that could not be scored, with the reason",
            )
        )
    lines += ["", "## Warnings", "", *warnings_section(report.warnings)]
    lines += ["", "## Unmatched runs", ""]
    if runs.unmatched.empty:
        lines.append("Every run matched a strategy rule.")
    else:
        used = (
            "They are in no strategy's scores, costs or tests; PEFT variants compares them by method against the "
            "baseline (the `variants:` section of the config), and Coverage counts them there."
            if report.config.variants is not None
            else "No page uses them."
        )
        lines += [
            "These runs were read but no rule under `strategies:` in the config matched them. "
            f"{used} Add a strategy rule if they belong with the strategies.",
            "",
            unmatched_table(runs.unmatched),
            download_links(PATH, ["unmatched.csv"]),
        ]
    lines += ["", "## Run health", "", *health.section(report)]
    lines += ["", "## Duplicate runs", "", *duplicates_section(report)]
    lines += ["", "## Cells with few runs", "", *thin_cells_section(report)]
    return Page(PATH, "\n".join(lines))


def warnings_section(warnings: pd.DataFrame) -> list[str]:
    """What was read but is odd, without costing any run (never fails a strict build)."""
    if warnings.empty:
        return ["Nothing odd was read: no NaN or Infinity in a training log, no folder name contradicting its file."]
    shown, rest = listed(warnings, "warnings.csv")
    return [
        f"{warnings['run_id'].nunique():,} ingested runs carry {len(warnings):,} warnings. Each run is used; the "
        "warning says what was left out of it (a NaN step is a gap in its curve) or which value was taken. "
        "Warnings never fail a strict build.",
        "",
        *rest,
        html_table(
            shown,
            [Col("source", "Source"), Col("run_id", "Run"), Col("field", "Field"), Col("reason", "Warning")],
            "Warnings on ingested runs: file, field and what was done",
        ),
        download_links(PATH, ["warnings.csv"]),
    ]


def duplicates_section(report: Report) -> list[str]:
    """Groups of runs with identical fields and seed, and which were kept."""
    duplicates = report.runs.duplicates
    repeats = int((report.health.health.runs["verdict"] == "duplicate").sum())
    # Run health's duplicates are another kind: a setting given on one side only, the same result.
    also = (
        f"{repeats:,} runs repeat another run's result with a setting given on one side only: "
        f"[run health](#{health.ANCHOR}) flags them as duplicates."
        if repeats
        else ""
    )
    if duplicates.empty:
        return [f"No two runs share every field and seed. {also}".strip()]
    keep = report.config.duplicates.keep
    policy = {
        "all": "All of them are kept and counted (duplicates.keep: all); check they are true reruns.",
        "latest": "Only the most recently modified run of each group is kept (duplicates.keep: latest).",
    }[keep]
    table = html_table(
        duplicates.assign(kept=duplicates["kept"].map({True: "kept", False: "dropped"})),
        [
            Col("group", "Group", num(0), numeric=True),
            Col("run_id", "Run"),
            Col("strategy", "Strategy"),
            Col("family", "Family", family_link(report, PATH)),
            Col("task", "Task", task_link(report, PATH)),
            Col("seed", "Seed"),
            Col("kept", "Kept"),
        ],
        "Runs with identical fields (seed included), grouped",
    )
    return [
        f"{duplicates['group'].nunique():,} groups of runs share every field and seed. {policy}"
        + (f" Apart from these, {also}" if also else ""),
        "",
        table,
        download_links(PATH, ["duplicates.csv"]),
    ]


def thin_cells_section(report: Report) -> list[str]:
    """Cells resting on fewer runs than ``min_runs``."""
    minimum = report.config.min_runs
    if report.thin_cells.empty:
        runs = "run" if minimum == 1 else "runs"
        return [f"Every (family, strategy, task) cell has at least {minimum} {runs} (min_runs: {minimum})."]
    return [
        f"These cells rest on fewer than {minimum} runs (min_runs in the config); their means are less certain.",
        "",
        html_table(
            report.thin_cells,
            [
                Col("family", "Family", family_link(report, PATH)),
                Col("strategy", "Strategy"),
                Col("column", "Task column"),
                Col("n_runs", "Runs", num(0), numeric=True),
            ],
            f"Cells with fewer than {minimum} runs",
        ),
    ]
