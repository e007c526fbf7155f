"""Changes: this build against the previous published version — runs added, removed or re-scored, cell deltas."""

from __future__ import annotations

import os

from gen.analysis.changes import ALPHA
from gen.fingerprint import MIKE_VERSION
from gen.pages.links import family_link, task_link
from gen.pages.render import Col, Page, esc, html_table, num
from gen.report import Report

PATH = "changes.md"
INTRO = (
    "Each (family, strategy, task) mean is compared with the previous version's. A change is called an "
    f"**improvement** or a **regression** only when Welch's t-test on the two sets of runs gives p < {ALPHA} "
    "(unequal variances, two-sided); otherwise it is *within noise*. Cells with fewer than two runs on a side "
    "have no spread to test against and say so."
)


def page(report: Report) -> Page:
    """The Changes page."""
    changes = report.changes
    lines = ["# Changes", ""]
    if changes is None:
        # While mike builds a version, Changes looks only at versions before it (gen.sources.previous).
        if building := os.environ.get(MIKE_VERSION):
            wanted = f"a version before `{esc(building)}` (in mike's version order)"
        else:
            wanted = f"version `{esc(report.config.changes.version)}`"
        lines.append(
            f"No previous version to compare with: neither `changes.previous` in the config nor {wanted} on the "
            "`gh-pages` branch (published with `make deploy`) was found."
        )
        return Page(PATH, "\n".join(lines))
    labels = {c.column: c.label for c in report.config.suite.columns()}
    runs, cells = changes.runs, changes.cells
    counts = runs["change"].value_counts()
    moved = cells[cells["verdict"].isin(["improvement", "regression"])]
    lines += [
        f"Compared with {esc(changes.previous)}: {counts.get('new', 0):,} new runs, {counts.get('removed', 0):,} "
        f"removed, {counts.get('changed', 0):,} with changed scores; {len(moved):,} cells moved beyond the seeds' "
        "spread.",
        "",
        "## Score changes per cell",
        "",
        INTRO,
        "",
    ]
    shown = cells[(cells["delta"].abs() > 1e-12) | cells["delta"].isna()].assign(
        task=lambda f: f["column"].map(lambda c: labels.get(c, c))
    )
    if shown.empty:
        lines.append("No cell mean changed.")
    else:
        lines.append(
            html_table(
                shown,
                [
                    Col("family", "Family", family_link(report, PATH)),
                    Col("strategy", "Strategy"),
                    Col("task", "Task", task_link(report, PATH)),
                    Col("n_before", "Runs before", num(0), numeric=True),
                    Col("mean_before", "Before", num(4), numeric=True),
                    Col("n_after", "Runs now", num(0), numeric=True),
                    Col("mean_after", "Now", num(4), numeric=True),
                    Col("delta", "Delta", num(4), numeric=True),
                    Col("p_value", "p (Welch)", num(3), numeric=True),
                    Col("verdict", "Verdict"),
                ],
                "Cells whose mean changed since the previous version",
            )
        )
    lines += ["", "## Runs that differ", ""]
    if runs.empty:
        lines.append("The same runs with the same scores.")
    else:
        lines.append(
            html_table(
                runs,
                [
                    Col("change", "Change"),
                    Col("run_id", "Run"),
                    Col("family", "Family", family_link(report, PATH)),
                    Col("strategy", "Strategy"),
                    Col("detail", "Scores before → now"),
                ],
                "Runs added, removed or re-scored since the previous version",
            )
        )
    return Page(PATH, "\n".join(lines))
