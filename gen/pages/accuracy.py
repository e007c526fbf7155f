"""Accuracy: per-task scores with their spread, a heatmap per family, and the differences between strategies."""

from __future__ import annotations

import pandas as pd

from gen import charts
from gen.pages.display import chart_families, for_charts
from gen.pages.links import family_link, index_line
from gen.pages.render import (
    Col,
    Page,
    chart_block,
    covered_score,
    download_links,
    esc,
    html_table,
    missing,
    num,
    raw,
    rel,
)
from gen.pages.verdicts import tests_by_key, verdict
from gen.report import Report

PATH = "accuracy.md"


def cell_text(mean: float, std: float, n_runs: int, n_unhealthy: object = 0, reported_se: object = None) -> str:
    """``mean ± std`` with the run count; a single run shows the standard error it reports itself (lm-eval's
    stderr), else no ±; ⚠ when some of its runs are not healthy."""
    if not missing(std):
        spread = f' <span class="spread">± {std:.4f}</span>'
    elif reported_se is not None and not missing(reported_se):
        se = float(str(reported_se))
        spread = f' <span class="spread" title="standard error reported by the run">± {se:.4f} SE</span>'
    else:
        spread = ""
    flagged = 0 if missing(n_unhealthy) else int(str(n_unhealthy))
    mark = (
        f' <span class="unhealthy" title="{flagged} of {n_runs} runs not healthy">⚠ {flagged} of {n_runs}</span>'
        if flagged
        else ""
    )
    return f'{mean:.4f}{spread} <span class="n-runs">(n={n_runs})</span>{mark}'


def health_note(report: Report, cells: pd.DataFrame, page_path: str) -> str:
    """Under a table of cells: what ⚠ means, and which settings other than the seed vary within its cells."""
    parts = []
    if "n_unhealthy" in cells and cells["n_unhealthy"].fillna(0).gt(0).any():
        parts.append(
            "⚠ The cell holds runs that are not healthy (collapsed to chance level, outliers or duplicates), "
            f'counted in its mean; see <a href="{rel(page_path, "data-quality.md").removesuffix(".md")}.html'
            '#run-health">run health</a>.'
        )
    return "".join(f'<div class="health-note">{part}</div>' for part in parts) + varying_note(report, cells)


def varying_note(report: Report, cells: pd.DataFrame) -> str:
    """Under a table of cells (or of figures averaged from them): which settings other than the seed vary within
    its cells, so that their means mix configurations (empty when none do)."""
    varying = report.health.health.varying
    tasks = {c.column: c.task for c in report.config.suite.columns()}
    shown = (varying["strategy"] != "") & varying["family"].isin(set(cells["family"]))
    varying = varying[shown & varying["task"].isin(set(cells["column"].map(tasks)))]
    if varying.empty:
        return ""
    shown_tasks = set(cells["column"].map(tasks))
    items = []
    for (family, strategy), group in varying.groupby(["family", "strategy"], sort=False):
        merged: dict[tuple[str, str], list[str]] = {}
        # Settings taking the same values in the same cells (a folder's `alpha`, the file's `lora_alpha`) are listed
        # once: each takes those values, which says nothing of which values go together in a run.
        for (values, cell_task), same in group.groupby(["values", "task"], sort=False)["setting"]:
            named = sorted(str(name) for name in same)
            label = ", ".join(named) + (" (each)" if len(named) > 1 else "")
            merged.setdefault((label, str(values)), []).append(str(cell_task))
        described = "; ".join(
            f"{esc(names)}: {esc(values)}"
            + (
                ""
                if set(where) >= shown_tasks
                else f" ({esc(', '.join(report.config.suite.task_label(t) for t in where))})"
            )
            for (names, values), where in merged.items()
        )
        cell = f"{report.config.family_label(str(family))} {strategy}"
        items.append(f"<li>{esc(cell)}: {described}</li>")
    return (
        '<div class="health-note">Cells whose runs differ in more than the seed, so their means mix configurations '
        f"(every task unless named):<ul>{''.join(items)}</ul></div>"
    )


def task_table(report: Report, labels: dict[str, str], page_path: str = PATH, family: str | None = None) -> str:
    """Task × (family, strategy) table with n and spread in every cell (one family's rows when ``family`` given)."""
    cells = report.cells if family is None else report.cells[report.cells["family"] == family]
    glue = report.glue if family is None else report.glue[report.glue["family"] == family]
    if cells.empty:
        return "<p>No scored runs.</p>"
    columns = list(dict.fromkeys(cells["column"]))
    unhealthy = cells["n_unhealthy"] if "n_unhealthy" in cells else pd.Series(0, index=cells.index)
    reported = cells["reported_se"] if "reported_se" in cells else pd.Series(float("nan"), index=cells.index)
    texts = cells.assign(
        text=[
            cell_text(m, s, n, u, r)
            for m, s, n, u, r in zip(cells["mean"], cells["std"], cells["n_runs"], unhealthy, reported, strict=True)
        ]
    )
    wide = texts.pivot(index=["family", "strategy", "model"], columns="column", values="text")
    frame = glue.merge(wide.reset_index(), on=["family", "strategy", "model"], how="left")
    frame["glue_display"], note = covered_score(frame, labels)
    table = html_table(
        frame,
        [
            Col("family", "Family", family_link(report, page_path)),
            Col("strategy", "Strategy"),
            Col("model", "Model"),
            # The suite score first: the column a reader comes for stays in view on any screen.
            Col("glue_display", f"{report.config.suite.name} score", raw, numeric=True, best="max", value="glue_score"),
            *(Col(c, labels.get(c, c), lambda v: "—" if missing(v) else str(v), numeric=True) for c in columns),
        ],
        "Mean score per task over matching runs, ± sample standard deviation over runs, n = runs",
    )
    return table + note + health_note(report, cells, page_path)


def differences_table(report: Report) -> str:
    """Suite-score differences between strategies per family and over families (to − from, in points), with the
    paired test of the same difference from Statistics."""
    tests = tests_by_key(report)
    average = report.observations[report.observations["observation"] == "glue_difference"]
    averaged = pd.DataFrame(
        {
            "family": "all families",
            "from": average["from"],
            "to": average["to"],
            "difference_points": average["value"],
            "std_points": float("nan"),
            "n_columns": float("nan"),
        }
    )
    table = pd.concat([report.differences, averaged], ignore_index=True)
    table["verdict"] = [
        verdict(tests.get((str(r["family"]), str(r["from"]), str(r["to"]), report.config.suite.name)))
        for r in table.to_dict("records")
    ]
    return html_table(
        table,
        [
            Col("family", "Family", family_link(report, PATH)),
            Col("from", "From"),
            Col("to", "To"),
            Col("difference_points", "Difference to − from (points)", num(2), numeric=True),
            Col("verdict", "Paired test (Holm)"),
            Col("std_points", "Std over tasks (points)", num(2), numeric=True),
            Col("n_columns", "Task columns compared", num(0), numeric=True),
        ],
        f"{report.config.suite.name} score difference between strategies: score(to) − score(from) over the tasks "
        "both have, in points; negative means the second strategy scores lower",
    )


def page(report: Report) -> Page:
    """The Accuracy page."""
    labels = {c.column: c.label for c in report.config.suite.columns()}
    families = list(dict.fromkeys(report.cells["family"]))
    chart_list = [
        charts.accuracy_heatmap(
            report.cells, f, report.strategies, labels, report.config.suite.columns(), report.config.family_label(f)
        )
        for f in families
    ]
    if not report.scores.empty:
        chart_list.append(
            charts.run_scores(for_charts(report, report.scores), report.strategies, labels, chart_families(report))
        )
    scheme = report.config.score
    markdown = "\n".join(
        [
            "# Accuracy",
            "",
            f"Scores follow the `{scheme}` convention (see [Methodology](data.md#methodology)).",
            "",
            "## Per-task scores",
            "",
            index_line(report, PATH),
            "",
            task_table(report, labels),
            download_links(PATH, ["glue_table.csv", "score_cells.csv"]),
            "",
            "## Heatmaps",
            "",
            *(chart_block(c, PATH) + "\n" for c in chart_list if c.name.startswith("accuracy-heatmap")),
            "## Every run",
            "",
            *(chart_block(c, PATH) + "\n" for c in chart_list if c.name == "run-scores"),
            "## Differences between strategies",
            "",
            differences_table(report),
            download_links(PATH, ["differences.csv", "comparisons.csv"]),
        ]
    )
    return Page(PATH, markdown, chart_list)
