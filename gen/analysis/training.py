"""Training dynamics from the Trainer logs: mean curves with a band over runs, best step, time per epoch."""

from __future__ import annotations

import pandas as pd

from gen.benchmarks import Suite

GROUP = ["family", "strategy", "task", "series"]


def curve_series(suite: Suite, task: str) -> str:
    """The eval metric logged during training that tracks a task's score (MNLI logs matched accuracy)."""
    spec = suite.task(task)
    if spec is None:
        return ""
    metric = spec.primary[0].metrics[0]
    return "eval_" + ("accuracy" if metric == "matched_accuracy" else metric)


# A curve is drawn only where at least this share of its runs still log a value: past that, the mean would be
# the few runs that trained longest (early-stopped and collapsed runs have dropped out), not the cell.
MIN_SHARE_DRAWN = 0.5


def curve_bands(curves: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, task, series, step): mean over runs, the lowest and highest run (the band), how many
    runs log that step (``n_runs``) out of the curve's runs (``n_curve_runs``)."""
    table = curves.groupby([*GROUP, "step"], sort=True, observed=True)["value"].agg(
        mean="mean", low="min", high="max", n_runs="size"
    )
    totals = curves.groupby(GROUP, sort=True, observed=True)["run_id"].nunique().rename("n_curve_runs")
    return table.reset_index().merge(totals.reset_index(), on=GROUP, how="left")


def drawable(bands: pd.DataFrame) -> pd.DataFrame:
    """The steps of each curve where at least half its runs still log a value (the curve stops there)."""
    return bands[bands["n_runs"] >= MIN_SHARE_DRAWN * bands["n_curve_runs"]].reset_index(drop=True)


def downsample(bands: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` steps per curve for drawing: steps fall into equal-width bins, each bin keeps its
    mean of means, the lowest low and the highest high, at the bin's first step. The CSV keeps every step."""
    parts = []
    for _, curve in bands.groupby(GROUP, sort=False):
        if len(curve) <= max_points:
            parts.append(curve)
            continue
        bins = pd.cut(curve["step"], max_points, labels=False)
        binned = curve.groupby(bins).agg(
            **{key: (key, "first") for key in GROUP},
            step=("step", "first"),
            mean=("mean", "mean"),
            low=("low", "min"),
            high=("high", "max"),
            n_runs=("n_runs", "min"),
            n_curve_runs=("n_curve_runs", "first"),
        )
        parts.append(binned)
    if not parts:
        return bands
    return pd.concat(parts, ignore_index=True)[bands.columns]


def tracked_points(curves: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """The logged points of the eval metric that tracks each run's task score."""
    # Looked up once per task, not per logged point. Only the series some task tracks are compared row by row, as
    # text (the columns may be categorical, gen.runs keeps large curve tables compact, with other categories): every
    # row as text took gigabytes at 300k runs.
    series_of = {task: curve_series(suite, str(task)) for task in curves["task"].unique()}
    candidates = curves[curves["series"].isin(set(series_of.values()))]
    return candidates[candidates["series"].astype(str) == candidates["task"].map(series_of).astype(str)]


def best_steps(curves: pd.DataFrame, table: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Per (family, strategy, task): mean step at which each run's tracking eval metric peaked, and the mean
    training time per epoch (train time / epochs)."""
    tracked = tracked_points(curves, suite)
    peak = tracked.loc[tracked.groupby("run_id")["value"].idxmax()]
    steps = peak.groupby(["family", "strategy", "task"], sort=False).agg(
        best_step=("step", "mean"), best_value=("value", "mean"), n_runs=("run_id", "nunique")
    )
    wide = table[table["metric"].isin(["train_time_s", "epochs"])].pivot_table(
        index=["run_id", "family", "strategy", "task"], columns="metric", values="value"
    )
    if {"train_time_s", "epochs"} <= set(wide.columns):
        per_epoch = (wide["train_time_s"] / wide["epochs"]).rename("seconds_per_epoch")
        steps = steps.join(per_epoch.groupby(["family", "strategy", "task"]).mean())
    else:
        steps["seconds_per_epoch"] = float("nan")
    return steps.reset_index()


def checkpoint_choice(curves: pd.DataFrame, table: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Per task: of the runs whose last periodic evaluation (of the metric that tracks the score) scored below their
    best one, how many report the best as their final score (``final_is_best``: the checkpoint was chosen on the
    validation split the score is reported on, the Trainer's ``load_best_model_at_end``), how many the last
    (``final_is_last``), and how many neither (``neither``: chosen by another metric, or evaluated again). Runs whose
    last evaluation scored as well as their best tell nothing and are not counted. The curves hold the periodic
    evaluations only (gen.sources.metrics_json.trainer_curves leaves out those made once training ended)."""
    columns = ["task", "n_runs", "final_is_best", "final_is_last", "neither"]
    tracked = tracked_points(curves, suite)
    if tracked.empty:
        return pd.DataFrame(columns=columns)
    by_run = tracked.sort_values(["run_id", "step"], kind="stable").groupby("run_id", sort=False, observed=True)[
        "value"
    ]
    logged = pd.DataFrame({"best": by_run.max(), "last": by_run.last()})
    score_metric = {t.name: t.primary[0].metrics[0] for t in suite.tasks}
    finals = table[table["metric"].isin(set(score_metric.values()))]
    finals = finals[finals["metric"].astype(str) == finals["task"].astype(str).map(score_metric)]
    finals = finals.drop_duplicates("run_id").set_index("run_id")[["task", "value"]]
    runs = logged.join(finals, how="inner")
    runs = runs[~_same(runs["best"], runs["last"])]
    if runs.empty:
        return pd.DataFrame(columns=columns)
    is_best, is_last = _same(runs["value"], runs["best"]), _same(runs["value"], runs["last"])
    counted = runs.assign(final_is_best=is_best, final_is_last=is_last & ~is_best, neither=~is_best & ~is_last)
    result = counted.groupby("task", sort=False, observed=True).agg(
        n_runs=("value", "size"),
        final_is_best=("final_is_best", "sum"),
        final_is_last=("final_is_last", "sum"),
        neither=("neither", "sum"),
    )
    order = {task.name: rank for rank, task in enumerate(suite.tasks)}
    result = result.reset_index().sort_values("task", key=lambda t: t.astype(str).map(order), kind="stable")
    return result.reset_index(drop=True)[columns]


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal scores: a log and a results file may round a value differently in its last digits."""
    return (a - b).abs() <= 1e-9
