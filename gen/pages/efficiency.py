"""Efficiency: measured costs per (family, strategy), relative to the baseline, next to the reference table."""

from __future__ import annotations

from gen import charts
from gen.pages.display import chart_families, for_charts
from gen.pages.health import LINK as HEALTH_LINK
from gen.pages.links import family_link
from gen.pages.render import (
    Col,
    Page,
    chart_block,
    download_links,
    esc,
    html_table,
    num,
    pct,
    ratio,
    raw,
    runs_flagged,
    sig,
    text,
)
from gen.report import Report

PATH = "efficiency.md"
# Costs relative to the baseline, as every table of them shows them.
VERSUS_COLUMNS = [
    Col("params_m_vs_base", "Param reduction", pct(1), numeric=True, best="max"),
    Col("memory_allocated_mb_vs_base", "Alloc. memory reduction", pct(1), numeric=True, best="max"),
    Col("memory_reserved_mb_vs_base", "Reserved memory reduction", pct(1), numeric=True, best="max"),
    Col("train_time_s_vs_base", "Training speed-up", ratio(2), numeric=True, best="max"),
    Col("eval_runtime_s_vs_base", "Inference speed-up", ratio(2), numeric=True, best="max"),
    Col("eval_samples_per_s_vs_base", "Throughput gain", ratio(2), numeric=True, best="max"),
]
MEASURED_LABELS = {
    "params_m": "trainable parameters (M)",
    "memory_allocated_mb": "GPU memory allocated (MB)",
    "memory_reserved_mb": "GPU memory reserved (MB)",
    "train_time_s": "train time (s)",
    "eval_runtime_s": "eval runtime (s)",
    "eval_samples_per_s": "eval throughput (samples/s)",
}


def measured_section(report: Report) -> tuple[list[str], list[charts.Chart]]:
    """Tables and charts of the measured costs, or a plain statement that there are none."""
    measured = report.costs
    if measured.empty:
        return ["The runs carry no cost measurements (parameters, memory, times), so nothing is measured here."], []
    shown = measured.assign(runs_display=runs_flagged(measured))
    table = html_table(
        shown,
        [
            Col("family", "Family", family_link(report, PATH)),
            Col("strategy", "Strategy"),
            Col("model", "Model"),
            Col("runs_display", "Runs", raw, numeric=True, value="n_runs"),
            Col("params_m", "Params (M)", sig, numeric=True, best="min"),
            Col("memory_allocated_mb", "Alloc. memory (MB)", num(1), numeric=True, best="min"),
            Col("memory_reserved_mb", "Reserved memory (MB)", num(1), numeric=True, best="min"),
            Col("train_time_s", "Train time (s)", num(1), numeric=True, best="min"),
            Col("eval_runtime_s", "Eval runtime (s)", num(2), numeric=True, best="min"),
            Col("eval_samples_per_s", "Eval samples/s", num(1), numeric=True, best="max"),
        ],
        "Measured costs: mean per task over runs, then mean over tasks",
    )
    baseline = report.strategies[0]
    versus = html_table(
        report.versus,
        [
            Col("family", "Family", family_link(report, PATH)),
            Col("strategy", "Strategy"),
            Col("model", "Model"),
            *VERSUS_COLUMNS,
        ],
        f"Relative to {baseline} of the same family: reduction = 1 − x/{baseline}, speed-up = {baseline}/x",
    )
    chart_list = [
        charts.cost_bars(
            for_charts(report, measured), report.strategies, metric, label, families=chart_families(report)
        )
        for metric, label in MEASURED_LABELS.items()
    ]
    lines = [
        table,
        '<p class="ratio-note">Train time is each run\'s own training: a strategy that distils a student from a '
        "teacher does not count the teacher's training here.</p>",
        download_links(PATH, ["efficiency.csv"]),
        "",
        f"### Relative to {esc(baseline)}",
        "",
        versus,
        "",
        *healthy_section(report),
        "",
        "### Charts",
        "",
        *(chart_block(c, PATH) + "\n" for c in chart_list),
    ]
    return lines, chart_list


def healthy_section(report: Report) -> list[str]:
    """The comparison with the baseline again over healthy runs only, each pair on the tasks both have; nothing
    when every run is healthy."""
    if not int(report.costs["n_unhealthy"].sum()):
        return []
    baseline = report.strategies[0]
    frame = report.healthy_versus
    labels = {task.name: task.label for task in report.config.suite.tasks}
    frame = frame.assign(
        left_out=[", ".join(labels.get(t, t) for t in str(v).split()) for v in frame["tasks_left_out"]]
    )
    table = html_table(
        frame,
        [
            Col("family", "Family", family_link(report, PATH)),
            Col("strategy", "Strategy"),
            Col("model", "Model"),
            Col("n_tasks", "Tasks", num(0), numeric=True),
            Col("left_out", "Left out", text),
            *VERSUS_COLUMNS,
        ],
        f"Relative to {baseline} of the same family, healthy runs only, each pair over the tasks both have",
    )
    return [
        f"### Relative to {esc(baseline)}, healthy runs only",
        "",
        "The costs above include every valid run (⚠: runs that are not healthy). Such a run's costs are not those "
        "of a training run: one that collapsed to chance level may stop early, making its strategy look faster. "
        f"Here each strategy is compared with {esc(baseline)} of its family over healthy runs only, both averaged "
        "over the tasks they both have healthy runs of (a task without one is left out of both, since tasks' "
        f"costs differ tenfold). [Run health]({HEALTH_LINK}) says which runs are not healthy and why.",
        "",
        table,
        download_links(PATH, ["efficiency_healthy.csv"]),
    ]


REFERENCE_LABELS = {
    "params_m": "parameters (M)",
    "memory_mb": "memory (MB)",
    "inference_s": "inference time (s)",
}


def reference_section(report: Report) -> tuple[list[str], list[charts.Chart]]:
    """The configured reference table, next to the measurements where both exist, with its charts."""
    if report.reference is None:
        return [], []
    frame = report.reference.merge(
        report.measured[["model", "strategy", "params_m", "memory_allocated_mb", "eval_runtime_s"]],
        on=["model", "strategy"],
        how="left",
        suffixes=("", "_measured"),
    )
    # Each reference column by the name its table gives it ("Rank 8"): what it measured, in the reference's words.
    source = {key: report.config.efficiency.columns.get(key, key) for key in ("params_m", "memory_mb", "inference_s")}
    table = html_table(
        frame,
        [
            Col("model", "Model"),
            Col("strategy", "Strategy"),
            Col("params_m", f"Params (M), reference: {source['params_m']}", sig, numeric=True),
            Col("params_m_measured", "Params (M), measured", sig, numeric=True),
            Col("memory_mb", f"Memory (MB), reference: {source['memory_mb']}", num(1), numeric=True),
            Col("memory_allocated_mb", "Alloc. memory (MB), measured", num(1), numeric=True),
            Col("inference_s", f"Inference (s), reference: {source['inference_s']}", num(2), numeric=True),
            Col("eval_runtime_s", "Eval runtime (s), measured", num(2), numeric=True),
        ],
        f"Reference table {report.config.efficiency.table.name if report.config.efficiency.table else ''} "
        "beside the measurements (— where the runs measured nothing)",
    )
    families = report.glue[["family", "model", "strategy"]].drop_duplicates()
    named = report.reference.merge(families, on=["model", "strategy"], how="inner")
    chart_list = [
        charts.cost_bars(
            for_charts(report, named), report.strategies, metric, label, "reference", chart_families(report)
        )
        for metric, label in REFERENCE_LABELS.items()
    ]
    used = (
        "The Overview takes parameters, memory and inference time from this table (`efficiency.source: reference`)."
        if report.config.efficiency.source == "reference"
        else "The Overview uses the measured costs (`efficiency.source: measured`); this table is for comparison."
    )
    return [
        "## Reference table",
        "",
        f"{used} Reference and measured figures need not agree: memory and time depend on the hardware and settings "
        "they were measured with, and a parameter count on which modules it counts (which layers carry adapters, "
        "whether the classifier head is trained) and at which LoRA rank (the measured count is the mean over the "
        "ranks the runs used).",
        "",
        table,
        download_links(PATH, ["reference_efficiency.csv"]),
        "",
        *(chart_block(c, PATH) + "\n" for c in chart_list),
    ], chart_list


def page(report: Report) -> Page:
    """The Efficiency page."""
    measured_lines, measured_charts = measured_section(report)
    reference_lines, reference_charts = reference_section(report)
    markdown = "\n".join(["# Efficiency", "", "## Measured from the runs", "", *measured_lines, "", *reference_lines])
    return Page(PATH, markdown, measured_charts + reference_charts)
