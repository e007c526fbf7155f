"""Efficiency: measured costs per (family, strategy), the combined accuracy–efficiency table, observations."""

from __future__ import annotations

import pandas as pd

from gen.analysis.health import run_counts
from gen.analysis.scores import CELL_KEYS
from gen.benchmarks import COST_METRICS

MEASURED = list(COST_METRICS)
COMBINED = [
    "family",
    "strategy",
    "model",
    "glue_score",
    "params_m",
    "memory_mb",
    "inference_s",
    "score_per_param_m",
    "score_per_gb",
    "score_per_s",
]
# How each measured cost compares with the baseline: "reduction" = 1 − x/base, "speedup" = base/x.
COMPARISONS = {
    "params_m": "reduction",
    "memory_allocated_mb": "reduction",
    "memory_reserved_mb": "reduction",
    "train_time_s": "speedup",
    "eval_runtime_s": "speedup",
    "eval_samples_per_s": "gain",
}


def task_costs(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of each measured cost per (family, strategy, model, task): ``CELL_KEYS, task, <costs>``."""
    costs = table[table["metric"].isin(MEASURED)]
    per_task = costs.groupby([*CELL_KEYS, "task", "metric"], sort=False, observed=True)["value"].mean()
    return per_task.unstack("metric", sort=False).reindex(columns=MEASURED).reset_index()


def measured_efficiency(table: pd.DataFrame) -> pd.DataFrame:
    """Task-balanced means of the measured costs per (family, strategy, model).

    Costs depend on the task (MNLI's eval set is 20× RTE's), so each task's mean counts once; otherwise a
    strategy with more MNLI runs would look slower.
    """
    costs = table[table["metric"].isin(MEASURED)]
    if costs.empty:
        return pd.DataFrame(columns=[*CELL_KEYS, "n_runs", *MEASURED])
    means = task_costs(costs).groupby(CELL_KEYS, sort=False, observed=True)[MEASURED].mean()
    n_runs = costs.groupby(CELL_KEYS, sort=False, observed=True)["run_id"].nunique().rename("n_runs")
    return pd.concat([n_runs, means], axis=1).reset_index()


def with_unhealthy(measured: pd.DataFrame, table: pd.DataFrame, unhealthy_ids: set[str]) -> pd.DataFrame:
    """``measured`` with ``n_unhealthy``: how many of each row's runs with costs are not healthy."""
    costs = table[table["metric"].isin(MEASURED)]
    counts = run_counts(costs, CELL_KEYS, costs["run_id"].isin(unhealthy_ids))["n_unhealthy"]
    flagged = measured.merge(counts.reset_index(), on=CELL_KEYS, how="left")
    flagged["n_unhealthy"] = flagged["n_unhealthy"].fillna(0).astype(int)
    return flagged


def _ratio(kind: str, base: float | None, x: float) -> float:
    """One cost against the baseline's: 1 − x/base for a reduction, base/x for a speed-up, x/base for a gain."""
    if base is None or pd.isna(base) or pd.isna(x) or x == 0 or base == 0:
        return float("nan")
    b, v = float(base), float(x)
    if kind == "reduction":
        return 1 - v / b
    if kind == "speedup":
        return b / v
    return v / b


def versus_baseline(efficiency: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each strategy's measured costs relative to the baseline strategy of the same family.

    Columns ``<metric>_vs_base``: 1 − x/base for reductions, base/x for speedups, x/base for throughput gains.
    """
    rows = []
    base = efficiency[efficiency["strategy"] == baseline].set_index("family")
    for record in efficiency.to_dict("records"):
        family = record["family"]
        row = {k: record[k] for k in CELL_KEYS}
        for metric, kind in COMPARISONS.items():
            b = base[metric].get(family) if family in base.index else None
            row[f"{metric}_vs_base"] = _ratio(kind, b, record[metric])
        rows.append(row)
    return pd.DataFrame(rows, columns=[*CELL_KEYS, *(f"{m}_vs_base" for m in COMPARISONS)])


def matched_means(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each strategy's measured costs next to the baseline's of its family, both averaged over the same tasks: those
    both measured the cost for. Columns ``CELL_KEYS, n_tasks, tasks_left_out`` (the strategy's or the baseline's
    tasks the other lacks, space-separated), and per cost ``<cost>`` (the strategy's) and ``base_<cost>``.

    With every run each strategy usually covers every task, and these are the task-balanced means of
    ``measured_efficiency``; over a subset of runs (healthy ones only) a strategy may lose a task, and averaging the
    two over different tasks would compare the task mix (QQP's eval set is 40× RTE's) rather than the strategies.
    Tasks are averaged in the order the runs give them, as ``measured_efficiency`` does: with every task there, the
    means equal its own to the last digit.
    """
    columns = [*CELL_KEYS, "n_tasks", "tasks_left_out", *MEASURED, *(f"base_{m}" for m in MEASURED)]
    per_task = task_costs(table)
    base = per_task[per_task["strategy"] == baseline]
    merged = per_task.merge(
        base[["family", "task", *MEASURED]].rename(columns={m: f"base_{m}" for m in MEASURED}),
        on=["family", "task"],
    )
    if merged.empty:
        return pd.DataFrame(columns=columns)
    # Each cost over the tasks where both sides measured it.
    both = {m: merged[m].notna() & merged[f"base_{m}"].notna() for m in MEASURED}
    paired = merged.assign(
        **{m: merged[m].where(both[m]) for m in MEASURED},
        **{f"base_{m}": merged[f"base_{m}"].where(both[m]) for m in MEASURED},
    )
    grouped = paired.groupby(CELL_KEYS, sort=False, observed=True)
    means = grouped[[*MEASURED, *(f"base_{m}" for m in MEASURED)]].mean()
    means.insert(0, "n_tasks", grouped.size())
    tasks = per_task.groupby(CELL_KEYS, sort=False, observed=True)["task"].agg(set)
    base_tasks = base.groupby("family", sort=False, observed=True)["task"].agg(set)
    means.insert(
        1,
        "tasks_left_out",
        [" ".join(sorted(tasks[key] ^ base_tasks[key[0]])) for key in means.index],
    )
    result = means.reset_index().rename_axis(columns=None)
    return result.assign(**{key: result[key].astype(str) for key in CELL_KEYS})[columns]


def matched_versus(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """``versus_baseline`` on ``matched_means``: each strategy against the baseline over the tasks both have.
    Columns ``CELL_KEYS, n_tasks, tasks_left_out, <metric>_vs_base``."""
    means = matched_means(table, baseline)
    ratios = {
        f"{metric}_vs_base": [_ratio(kind, b, x) for b, x in zip(means[f"base_{metric}"], means[metric], strict=True)]
        for metric, kind in COMPARISONS.items()
    }
    return means[[*CELL_KEYS, "n_tasks", "tasks_left_out"]].assign(**ratios)


# The measured costs the Overview shows, by the names it gives them (and the baseline's, in matched_means).
OVERVIEW_NAMES = {
    "memory_allocated_mb": "memory_mb",
    "eval_runtime_s": "inference_s",
    "base_memory_allocated_mb": "base_memory_mb",
    "base_eval_runtime_s": "base_inference_s",
}


def overview_costs(measured: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """Parameters, memory and inference time per (model, strategy) for the Overview.

    From the reference table when one is configured, else from the measurements (allocated memory,
    eval runtime).
    """
    if reference is not None:
        return reference[["model", "strategy", "params_m", "memory_mb", "inference_s"]]
    renamed = measured.rename(columns=OVERVIEW_NAMES)
    return renamed[["model", "strategy", "params_m", "memory_mb", "inference_s"]]


# Ratio column, the cost it divides by, and the cost's unit scale (score per GB divides by MB / 1024).
RATIOS = [
    ("score_per_param_m", "params_m", 1.0),
    ("score_per_gb", "memory_mb", 1024.0),
    ("score_per_s", "inference_s", 1.0),
]


def combined_table(scores: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """The seed's combined table: the suite score next to costs, and score per M params, per GB, per second.

    Columns are ``COMBINED`` (the download contract) followed by the score's coverage.
    """
    merged = scores.merge(costs, on=["model", "strategy"], how="left")
    notes = pd.Series("", index=merged.index, dtype=object)
    for ratio, cost, scale in RATIOS:
        # A zero, negative or missing cost has no meaningful ratio: blank with the reason, never an infinite "best".
        usable = merged[cost] > 0
        merged[ratio] = (merged["glue_score"] / (merged[cost] / scale)).where(usable)
        why = merged[cost].map(lambda v, c=cost: f"{c} missing" if pd.isna(v) else f"{c} = {v:g}")
        notes = notes.where(usable, notes.str.cat(why, sep="; ").str.lstrip("; "))
    merged["ratio_note"] = notes.map(lambda n: f"no ratio: {n}" if n else "")
    # Coverage travels with the score so every page can mark a partial average.
    return merged[[*COMBINED, "n_columns", "columns", "complete", "ratio_note"]]


OBSERVED_COSTS = {"param_reduction": "params_m", "memory_reduction": "memory_mb", "inference_speedup": "inference_s"}


OBSERVATION_UNITS = {
    "glue_difference": "points",
    "param_reduction": "fraction",
    "memory_reduction": "fraction",
    "inference_speedup": "ratio",
}


def observations(
    combined: pd.DataFrame, differences: pd.DataFrame, strategies: list[str], matched: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The seed's key observations as ``observation, from, to, value`` (fractions and ratios).

    - ``glue_difference``: mean over families of score(to) − score(from) in points, over the tasks both have;
    - ``param_reduction`` / ``memory_reduction``: 1 − Σ to / Σ from over families having both;
    - ``inference_speedup``: mean time(from) / mean time(to) over families having both.
    ``from`` is the baseline (first configured strategy) for the efficiency observations. Their costs are the
    combined table's, or with ``matched`` (``matched_means`` named as the combined table's costs: ``params_m,
    memory_mb, inference_s`` and their ``base_``) each family's pair over the tasks both have.
    """
    rows: list[dict[str, object]] = []
    for (source, target), group in differences.groupby(["from", "to"], sort=False):
        value = group["difference_points"].mean()
        rows.append({"observation": "glue_difference", "from": source, "to": target, "value": value})
    baseline = strategies[0]
    by_strategy = combined.set_index(["strategy", "family"])
    for target in strategies[1:]:
        if baseline not in by_strategy.index or target not in by_strategy.index:
            continue
        base, other = by_strategy.loc[baseline], by_strategy.loc[target]
        if matched is not None:
            # The families in the combined table's order, so that sums over them add up as there.
            pairs = matched[matched["strategy"] == target].set_index("family").reindex(base.index).dropna(how="all")
            costs = list(OBSERVED_COSTS.values())
            base, other = pairs[[f"base_{c}" for c in costs]].set_axis(costs, axis=1), pairs[costs]
        for observation, column in OBSERVED_COSTS.items():
            # Only families where both strategies have the cost; no observation without costs.
            pair = pd.concat([base[column], other[column]], axis=1, keys=["base", "other"], join="inner").dropna()
            if pair.empty or (pair <= 0).to_numpy().any():
                continue
            if observation == "inference_speedup":
                value = pair["base"].mean() / pair["other"].mean()
            else:
                value = 1 - pair["other"].sum() / pair["base"].sum()
            rows.append({"observation": observation, "from": baseline, "to": target, "value": value})
    order = {name: rank for rank, name in enumerate(OBSERVATION_UNITS)}
    result = pd.DataFrame(rows, columns=["observation", "from", "to", "value"])
    result["unit"] = result["observation"].map(OBSERVATION_UNITS)
    return result.sort_values("observation", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


NORMALISED = [
    "glue_score",
    "params_m",
    "memory_mb",
    "inference_s",
    "score_per_param_m",
    "score_per_gb",
    "score_per_s",
]


def normalised_metrics(combined: pd.DataFrame) -> pd.DataFrame:
    """Each combined-table metric scaled to 0–1 across rows, long: ``family, strategy, model, metric, value,
    normalised, direction, scale, standing``.

    ``normalised`` is min–max: (x − min) / (max − min), 0 = lowest, 1 = highest. ``standing`` is oriented so 1 is
    always the best row: costs (``direction`` "lower", where lower is better) are reversed, and a metric whose
    positive values span ten times or more is scaled on its logarithm (``scale`` "log"), so a small value is not
    flattened against a large one. A metric with one distinct value scales to 0.5, so a single row still draws.
    """
    import math

    # Costs: the lowest is the best. Every other normalised metric (the score, the ratios) is best when highest.
    lower_is_better_metrics = {"params_m", "memory_mb", "inference_s"}
    # A metric spanning this factor or more (largest / smallest, all positive) is normalised on its logarithm.
    log_span = 10.0
    rows = []
    for metric in NORMALISED:
        values = combined[metric]
        low, high = values.min(), values.max()
        lower_is_better = metric in lower_is_better_metrics
        log = bool(low > 0 and high / low >= log_span)
        position = values.astype(float).map(math.log) if log else values.astype(float)
        p_low, p_high = position.min(), position.max()
        for record, value, at in zip(combined[CELL_KEYS].to_dict("records"), values, position, strict=True):
            if pd.isna(value):
                continue
            scaled = 0.5 if high == low else (value - low) / (high - low)
            standing = 0.5 if p_high == p_low else (at - p_low) / (p_high - p_low)
            rows.append(
                {
                    **record,
                    "metric": metric,
                    "value": value,
                    "normalised": scaled,
                    "direction": "lower" if lower_is_better else "higher",
                    "scale": "log" if log else "linear",
                    "standing": 1 - standing if lower_is_better else standing,
                }
            )
    columns = [*CELL_KEYS, "metric", "value", "normalised", "direction", "scale", "standing"]
    return pd.DataFrame(rows, columns=columns)
