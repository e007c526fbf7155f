"""Data: the downloads (a stable contract) and the methodology that defines every number on the site."""

from __future__ import annotations

import pandas as pd

from gen.analysis.health import COLLAPSE_TOLERANCE, OUTLIER_MIN_GAP, OUTLIER_MIN_RUNS, OUTLIER_Z
from gen.config import ReportConfig
from gen.pages.render import Col, Page, download_link, esc, html_table
from gen.report import Report

PATH = "data.md"

DOWNLOADS = [
    (
        "runs.csv",
        "One row per run: source file, strategy, family, model, task, seed, every setting, every final "
        "metric (params_m, memory_*_mb, *_s times).",
    ),
    (
        "runs.parquet",
        "The tidy runs table the whole site derives from: one row per run and final metric (run_id, source, "
        "source_file, strategy (empty: no rule matched), family, model, task, seed, every setting, metric, value). "
        "A table source reads it back (see Scaling out).",
    ),
    (
        "glue_table.csv",
        "One row per (family, strategy): mean score per task column, glue_score, n_columns, complete.",
    ),
    (
        "combined.csv",
        "family, strategy, model, score (the suite score), glue_score (the same, with the glue preset only), params_m, "
        "memory_mb, inference_s, score_per_param_m, score_per_gb, score_per_s (full precision).",
    ),
    (
        "observations.csv",
        "observation, from, to, value, unit with observation one of glue_difference (to − from, points), "
        "param_reduction, memory_reduction (fractions), inference_speedup (ratio).",
    ),
    ("score_cells.csv", "One row per (family, strategy, task column): n_runs, mean, std."),
    (
        "differences.csv",
        "One row per (family, from, to): difference_points (to − from), std_points over tasks, n_columns, columns.",
    ),
    (
        "comparisons.csv",
        "compared, family, from, to, task (the suite name for the aggregate), unit, n, difference_points (to − from), "
        "test, effect_size_dz, p, p_holm, significant: every paired test of the Statistics page.",
    ),
    (
        "efficiency.csv",
        "Measured costs per (family, strategy): task-balanced means, n_runs, and n_unhealthy (runs not healthy).",
    ),
    (
        "efficiency_healthy.csv",
        "Costs relative to the baseline over healthy runs only: family, strategy, model, n_tasks, tasks_left_out "
        "(tasks one of the two lacks), <cost>_vs_base, each pair averaged over the tasks both have.",
    ),
    ("files.csv", "Every input file with its outcome (ingested, rejected, ignored), runs and reason."),
    ("unmatched.csv", "Runs no strategy rule matched, with all their fields."),
    ("duplicates.csv", "Groups of runs with identical fields and seed, and whether each was kept."),
    (
        "warnings.csv",
        "source, source_file, run_id, field, reason: what was read but is odd without costing the run "
        "(NaN in a training log, folder and file disagreeing).",
    ),
    (
        "run_health.csv",
        "run_id, source_file, family, strategy, task, seed, verdict, reason: one row per valid run, verdict one of "
        "healthy, collapsed, outlier, duplicate (strategy empty for unmatched runs).",
    ),
    ("seed_repeats.csv", "family, strategy, task, seed, n_runs, runs: seeds with more than one run in a cell."),
    (
        "varying_settings.csv",
        "family, strategy, task, n_runs, setting, values: settings other than the seed that vary.",
    ),
    (
        "sensitivity.csv",
        "figure, family, from, to, all_runs, healthy_only, n_runs_all, n_runs_healthy, difference, healthy_missing: "
        "each headline figure with every valid run and with healthy runs only; healthy_missing names the task "
        "columns the healthy-only figure lacks (no healthy run there).",
    ),
]

METHODOLOGY = """
## Methodology

**Runs.** Every file under a configured source is read. A run's fields are its `variant`, every key of its
`args`, and the fields its folder names encode (`task_<task>_<family>_<seed>/base_<batch>_<lr>_<weight_decay>/
peft_<peft>_<alpha>_<dropout>_<rank>`). The first rule under `strategies:` whose fields all match (values
compared as text; a list means any of its values) names the run's strategy. Runs no rule matches are listed on
[Data quality](data-quality.md); with a `variants:` section, PEFT variants compares them by method, and no other
page uses them.

**Task score.** {task_score}

**Validation.** A file is rejected, with its reason on Data quality, when it cannot be parsed, is not a JSON
object, holds NaN or Infinity or a non-number where a number belongs, exceeds the source's size limit, or is
unreadable. A run is rejected when its task is not in the suite, a metric its task needs is missing, or a
value is implausible: scores outside [0, 1] (correlations [−1, 1]), negative or absurd memory, time or
parameter counts. Runs with identical fields, seed included, are duplicates: kept and flagged, reduced to the
latest file, or fatal, as the config says.

**Cell mean.** The score of a (family, strategy, task column) is the mean over all matching runs of that column's
score; its spread is the sample standard deviation over those runs (none for a single run), shown with the number
of runs *n*.

**{suite} score.** The mean over task columns of the cell means (columns where lower is better, such as a
latency, are shown but not averaged in). When a row covers fewer columns than another row of
the same table, it is marked † and the columns it covers are listed: such averages are not comparable.

**Differences A → B.** One convention on every page and in every download: difference = score(B) − score(A), in
points (100 × the score difference; −1.9 points = B scores 0.019 lower). Per family: the mean, over the task columns
both strategies have, of the per-column difference; over families: the mean of the families' differences. Each is
shown with its paired test from [Statistics](statistics.md), which says its unit and n. Shares and reductions
are percentages.

**Measured costs.** Trainable parameters (millions, `train.trainable_params_count`), GPU memory allocated and
reserved (MB, the largest of the per-epoch samples: snapshots the runs logged, not a peak tracked within
training steps), train time (s), eval runtime (s) and eval throughput
(samples/s). Per (family, strategy) each is the mean per task over runs, then the mean over tasks, so a strategy
with more runs of a large task does not look slower.

**Overview costs.** Trainable parameters, memory and inference time come from {cost_source}.

**Ratios.** Score per M trainable parameters = {suite} score / trainable parameters (M); score per GB = {suite}
score / (memory (MB) / 1024), as the seed report divides; score per second = {suite} score / inference time (s).

**Observations.** Baseline = the first strategy in the config ({baseline}). Trainable-parameter reduction of B = 1 −
Σ params(B) / Σ params(baseline), memory reduction likewise, both summed over the families that have both;
inference speed-up of B = mean time(baseline) / mean time(B) over those families.

**Normalised metrics.** Each metric of the combined table scaled to 0–1 across its rows, oriented so that 1 is
always the best row: scores and ratios as (x − min) / (max − min), costs (parameters, memory, time: lower is better)
reversed; a metric whose values span ten times or more is scaled on its logarithm; 0.5 when all rows are equal.

**Intervals and tests** ([Statistics](statistics.md)). 95% confidence intervals of a cell mean use Student's t with
n − 1 degrees of freedom. Strategies (and, with `variants:`, the methods of each group) are compared per family:
per task with seeds as the unit (the runs of one seed averaged first; MNLI's two columns count as one task), over
the suite with each seed's suite score (seeds that ran every task both strategies have), and over families with
the families' differences as the unit. Rows are never pooled across tasks or families. Wilcoxon's signed-rank test
from six pairs, the paired t-test from two to five, none below two ("too few pairs") or without seeds ("no
seeds"); effect size Cohen's d_z; Holm's correction across every test of the page; significant means corrected
p < 0.05. Every row states its unit and n.

**PEFT variants** ([PEFT variants](variants.md)). Each method's mean per family and task over the LoRA ranks every
method of its group has in that family, and all seeds, as a share of the FFT baseline's mean on the same family and
task; methods are ranked by their average over the cells every method of the group has. The rank sweep averages
over task columns per rank, every rank; the marginal gain is the score difference to the previous rank over the
parameter difference, only between ranks covering all columns.

**Trade-offs** ([Trade-offs](tradeoffs.md)). A point is on the Pareto frontier for a cost when no other point
has a score at least as high and a cost at least as low, one of them strictly; only points covering every task
column take part.

**Coverage** ([Coverage](coverage.md)). Each configuration that was run at all is expected for every family,
task and seed present anywhere; completion = runs present / runs expected.

**Reproduction** ([Reproduction](reproduction.md)). Published figures are read like a table source and named by
the same strategy rules; delta = ours − published in points; "inside" means the published figure lies within our
95% interval (never with one run).

**Training** ([Training](training.md)). From `log_history`: the training loss and the eval metric that tracks
the task's score, per step; mean over runs with the lowest and highest run as the band; drawn with at most 40
steps per curve (bins keep the band's extremes), every step in the CSV. A curve stops where fewer than half of
its runs still log a value (the CSV gives `n_runs` and `n_curve_runs` per step). Best step = the step where each run's
tracking metric peaked, averaged; seconds per epoch = train time / epochs.

**Run health** ([Data quality](data-quality.md#run-health)). Every valid run gets a verdict. *Collapsed*: its
final score is at most {collapse_tolerance} above the task's trivial level: the majority-class rate of the
evaluation split for classification and 0 for correlations (each task's level and its source are listed on Data
quality; a task without one is never called collapsed). *Duplicate*: same task, family, strategy, seed and
settings as another run (a setting given on one side only is ignored) with identical result metrics.
*Outlier*: not collapsed, with a robust z-score 0.6745 · (score − median) / MAD below {outlier_z} against the
other runs of its cell, at least {outlier_gap} points under the median, in a cell of at least {outlier_runs} such
runs. The `run_health` policy keeps (default) or excludes
each kind; the Overview gives each headline figure (suite scores per family, key observations) with all valid runs
and with healthy runs only, naming any task a healthy-only figure lacks. Cells whose runs differ in more than the
seed are listed with the settings that vary; seed variability is computed within one configuration, collapsed
runs included (a task where runs collapse shows a large spread for that).

**Costs that cannot be divided.** A ratio (score per M parameters, per GB, per second) whose cost is zero or
missing is left blank with the reason, never infinite.

**Findings** (Overview). Generated from the tables above, per pair of strategies — each against the baseline
(the first in the config) and each against the one before it: the suite-score difference over families with its
test, the share of the first strategy's score kept, the family–task cells more than 2 points lower and those
higher (each with its paired test), and the task columns that change least and most on average over families
(described, not tested). A finding resting on cells with runs that are not healthy says so.

**Scaling out.** Page generation derives everything from one tidy runs table, one row per run and final
metric; [runs.parquet](downloads/runs.parquet) is that table as this build saw it. Reading result files is the
only stage that grows with their number, and the site reads them itself up to a few hundred thousand on one
machine: parsed files are cached by path, size and modification time, so a rebuild re-reads only what changed,
and an unchanged rebuild replays the previous pages. Beyond that, a lab runs the same ingest on the engine it
already has and hands the site the table as Parquet, through a `table` source (`type: table`, `path: runs.parquet`;
`columns:` maps differently named columns): DuckDB on one machine over local disk or object storage
(`read_json('s3://bucket/results/**/metrics.json', union_by_name = true)`, then `UNPIVOT` the metric columns into
`metric` and `value` and `COPY … TO 'runs.parquet'`), or Spark or Dask across machines writing the same columns.
The table needs `task`, `metric` and `value`; every other column is a field the strategy rules can match. The site
then checks, names and scores those runs exactly as its own; training curves and the per-file account come only
from files the site reads itself. The project's tests run this path: DuckDB turns the real result files into such
a table, and the site built from it has the same scores as the site built from the files.

**Reference tables.** Cells may carry units as people type them: counts `K`, `M`, `B` (converted to millions);
memory `B`, `KB`, `MB`, `GB` (powers of 1000) and `KiB`, `MiB`, `GiB` (powers of 1024), converted to MB;
time `ms`, `s`, `min`, `h`, converted to seconds. A unit that does not fit its column stops the build with the
file, row and column named.
"""


def page(report: Report) -> Page:
    """The Data page."""
    config = report.config
    if config.efficiency.source == "reference" and config.efficiency.table is not None:
        columns = ", ".join(f"{k} ← “{v}”" for k, v in config.efficiency.columns.items())
        cost_source = f"the reference table `{esc(config.efficiency.table.name)}` ({esc(columns)})"
    else:
        cost_source = "the measurements: params_m, allocated memory and eval runtime"
    rules = html_table(
        _rules_frame(report),
        [Col("name", "Strategy"), Col("match", "Matches runs whose fields are")],
        "Strategy rules from the config, first match wins",
    )
    labels = ", ".join(f"{c.label} ({' + '.join(c.metrics)})" for c in config.suite.columns())
    credit = ["## Where the data comes from", "", esc(config.credit), ""] if config.credit else []
    lines = [
        "# Data and methodology",
        "",
        *credit,
        "## Downloads",
        "",
        "Machine-readable tables, a stable contract: column names do not change between versions. Every table of "
        "up to 500 rows is also a booktabs LaTeX table for papers, under the same name ending in `.tex`; every "
        "chart is also SVG, PNG and Vega-Lite JSON under `charts/`.",
        "",
        *(f"- {download_link(PATH, name)}: {esc(text)}" for name, text in DOWNLOADS),
        "",
        "## Configuration",
        "",
        f"Benchmark suite {esc(config.suite.name)}"
        + (f", scoring convention `{config.score}`" if config.suite.name == "GLUE" else "")
        + f"; score columns: {esc(labels)}.",
        "",
        rules,
        METHODOLOGY.format(
            task_score=task_score_text(config),
            suite=esc(config.suite.name),
            cost_source=cost_source,
            baseline=esc(report.strategies[0]),
            collapse_tolerance=f"{COLLAPSE_TOLERANCE:g}",
            outlier_z=f"{OUTLIER_Z:g}",
            outlier_gap=f"{100 * OUTLIER_MIN_GAP:g}",
            outlier_runs=OUTLIER_MIN_RUNS,
        ),
    ]
    return Page(PATH, "\n".join(lines))


GLUE_CONVENTIONS = (
    "Under the `primary` convention (the KD-LoRA seed's): CoLA scores Matthews correlation, STS-B Pearson "
    "correlation, MNLI contributes two columns, matched (`mnli_m`) and mismatched (`mnli_mm`) accuracy, and every "
    "other task accuracy. Under the `glue` convention (the GLUE leaderboard's): MRPC and QQP score the mean of F1 "
    "and accuracy, STS-B the mean of Pearson and Spearman, MNLI the mean of matched and mismatched accuracy."
)


def task_score_text(config: ReportConfig) -> str:
    """How a task is scored: GLUE's two conventions, else each task's metrics (their mean)."""
    if config.suite.name == "GLUE" and isinstance(config.benchmark, str):
        return GLUE_CONVENTIONS
    parts = [f"{c.label}: {' + '.join(c.metrics)}" for c in config.suite.columns()]
    return (
        f"Each task of {esc(config.suite.name)} scores the mean of its metrics ({esc('; '.join(parts))}); "
        "lower-is-better tasks are marked where they appear."
    )


def _rules_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": rule.name,
                "match": "; ".join(f"{k} = {' or '.join(sorted(v))}" for k, v in rule.allowed().items()),
            }
            for rule in report.config.strategies
        ]
    )
