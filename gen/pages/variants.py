"""PEFT variants: methods against full fine-tuning per task, their ranking, the best per task, and the rank sweep."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from gen import charts
from gen.pages.display import chart_families, for_charts
from gen.pages.links import family_link, task_link
from gen.pages.render import (
    Col,
    Page,
    chart_block,
    download_links,
    esc,
    html_table,
    missing,
    num,
    pct,
    raw,
    runs_flagged,
    sig,
)
from gen.report import Report

PATH = "variants.md"


def task_method_table(
    by_task: pd.DataFrame, labels: dict[str, str], group: str, method_label: Callable[[str], str], baseline: str
) -> str:
    """Task rows, a column per method (named as people write it), the baseline first; each cell the mean and its
    share of the baseline's."""
    frame = by_task[by_task["group"] == group]
    methods = sorted(frame["method"].unique())
    cells = frame.assign(
        text=[
            "—"
            if missing(m)
            else f'{m:.4f} <span class="n-runs">({100 * p:.1f}%)</span>'
            if not missing(p)
            else f"{m:.4f}"
            for m, p in zip(frame["mean"], frame["pct_of_baseline"], strict=True)
        ]
    )
    wide = cells.pivot_table(index=["column_rank", "column"], columns="method", values="text", aggfunc="first")
    baseline_means = frame.groupby(["column_rank", "column"])["baseline"].first()
    wide = wide.assign(_baseline=baseline_means).reset_index().sort_values("column_rank")
    wide["task"] = wide["column"].map(lambda c: labels.get(c, c))
    return html_table(
        wide,
        [
            Col("task", "Task"),
            Col("_baseline", f"{baseline} (baseline)", num(4), numeric=True),
            *(Col(m, method_label(m), lambda v: "—" if missing(v) else raw(v), numeric=True) for m in methods),
        ],
        f"Mean score per task over families, with its share of {baseline}'s in brackets",
    )


def compared_at(report: Report, group: str) -> str:
    """The LoRA ranks a group's methods are compared at, per family ("BERT-base 8, 16; DeBERTa-v3-base 8")."""
    if report.variants is None:
        return ""
    ranks = report.variants.shared_ranks
    ranks = ranks[ranks["group"] == group]
    listed = "; ".join(
        f"{esc(report.config.family_label(str(r['family'])))} {esc(r['ranks'] or 'no rank given')}"
        for r in ranks.to_dict("records")
    )
    return f'<p class="ratio-note">Compared at ranks: {listed}.</p>' if listed else ""


def page(report: Report) -> Page:
    """The Variants page (only when the config has a ``variants`` section)."""
    variants = report.variants
    lines = ["# PEFT variants", ""]
    if variants is None or report.config.variants is None:
        lines.append("Add a `variants:` section to the report config to compare PEFT methods and ranks.")
        return Page(PATH, "\n".join(lines))
    labels = {c.column: c.label for c in report.config.suite.columns()}
    groups = list(report.config.variants.groups)
    names = ", ".join(report.config.group_label(g) for g in groups)
    baseline = report.config.group_label("baseline")
    lines += [
        f"Each PEFT method against the {esc(baseline)} baseline on the same family and task. Groups are kept apart "
        f"({esc(names)}): scores of different groups are never averaged together. Methods are compared at the "
        "LoRA ranks they all have in a family (so a method tried at more ranks is not compared on them; the rank "
        "sweep shows every rank), over every seed, runs that are not healthy included: a method whose runs often "
        "collapse to chance level ranks low for that, which the Runs column (⚠) shows. The paired tests between "
        "methods (Statistics) and the Trade-offs points use the same runs.",
        "",
    ]
    chart_list: list[charts.Chart] = []

    def method(value: object) -> str:
        return esc(report.config.method_label(str(value)))

    for group in groups:
        name = report.config.group_label(group)
        shares = charts.method_shares(for_charts(report, variants.ranking), group, name, baseline)
        sweep_chart = charts.rank_sweep_chart(for_charts(report, variants.sweep), group, chart_families(report), name)
        chart_list += [shares, sweep_chart]
        ranking = variants.ranking[variants.ranking["group"] == group]
        ranking = ranking.assign(runs_display=runs_flagged(ranking))
        best = variants.best[variants.best["group"] == group].assign(
            task=lambda f: f["column"].map(labels), lead_points=lambda f: 100 * f["lead"]
        )
        sweep = variants.sweep[variants.sweep["group"] == group].assign(
            score_display=lambda f: [
                f"{s:.4f}" if c else f'{s:.4f}<sup title="covers {n} task columns only">†</sup>'
                for s, c, n in zip(f["score"], f["complete"], f["n_columns"], strict=True)
            ],
            runs_display=runs_flagged,
        )
        heading = esc(name) if name == group else f"{esc(name)} (group <code>{esc(group)}</code>)"
        lines += [
            f"## {heading}",
            "",
            task_method_table(variants.by_task, labels, group, report.config.method_label, baseline),
            "",
            html_table(
                ranking,
                [
                    Col("rank", "Rank", num(0), numeric=True),
                    Col("method", "Method", method),
                    Col("average", "Average score", num(4), numeric=True),
                    Col("average_pct_of_baseline", f"Share of {baseline}", pct(1), numeric=True),
                    Col("average_difference_points", f"Difference vs {baseline} (points)", num(2), numeric=True),
                    Col("cells", "Cells compared", num(0), numeric=True),
                    Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
                ],
                f"{name}: methods ranked over the (family, task) cells they all have, at the ranks they all have in "
                "each family; ⚠ runs not healthy (all ranks)",
            ),
            compared_at(report, group),
            "",
            chart_block(shares, PATH),
            "",
            html_table(
                best,
                [
                    Col("task", "Task", task_link(report, PATH)),
                    Col("best", "Best method", method),
                    Col("mean", "Its mean", num(4), numeric=True),
                    Col("lead_points", "Lead over the next (points)", num(2), numeric=True),
                ],
                f"{name}: best method per task (mean over families)",
            ),
            "",
            f"### Rank sweep — {esc(name)}",
            "",
            chart_block(sweep_chart, PATH),
            "",
            html_table(
                sweep,
                [
                    Col("method", "Method", method),
                    Col("family", "Family", family_link(report, PATH)),
                    Col("rank", "LoRA rank", num(0), numeric=True),
                    Col("score_display", "Score", raw, numeric=True),
                    Col("params_m", "Trainable params (M)", sig, numeric=True),
                    Col("marginal_score_per_m", "Score gained per extra M params", num(4), numeric=True),
                    Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
                ],
                f"{name}: score (mean over task columns) and parameters by rank; † covers fewer tasks; ⚠ runs not "
                "healthy",
            ),
            "",
        ]
    lines.append(download_links(PATH, ["variant_cells.csv", "rank_sweep.csv"]))
    return Page(PATH, "\n".join(lines), chart_list)
