"""Run health: which runs collapsed to the trivial level, fell far below their cell, or repeat another run's result.

A verdict per run with a one-line reason (``run_health``), plus what makes a cell's runs not comparable: a seed
counted twice (``seed_repeats``) and settings other than the seed that vary (``varying_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gen.benchmarks import Suite

HEALTH_COLUMNS = ["run_id", "source_file", "family", "strategy", "task", "seed", "verdict", "reason"]
VERDICTS = ("healthy", "collapsed", "outlier", "duplicate")
# A score within this distance above the trivial level (or anywhere below it) is no better than learning nothing.
COLLAPSE_TOLERANCE = 0.01
# Outliers: a robust z-score (0.6745 · (x − median) / MAD, Iglewicz & Hoaglin) below −3.5, at least this far below
# the cell's median in score units (so a cell of near-identical runs does not flag a 0.001 dip), and a cell of at
# least OUTLIER_MIN_RUNS runs that did not collapse.
OUTLIER_Z = -3.5
OUTLIER_MIN_GAP = 0.02
OUTLIER_MIN_RUNS = 4
# Metrics compared to call two runs the same result: the quality metrics, not timings (which differ run to run).
RESULT_METRICS = (
    "accuracy",
    "f1",
    "matched_accuracy",
    "mismatched_accuracy",
    "matthews_correlation",
    "pearson",
    "spearman",
    "eval_loss",
)
CELL = ["family", "strategy", "task"]


@dataclass
class Health:
    """Every run's verdict, the seeds counted twice in a cell, and the settings that vary within cells."""

    runs: pd.DataFrame
    seed_repeats: pd.DataFrame
    varying: pd.DataFrame

    def unhealthy_ids(self, verdicts: set[str] | None = None) -> set[str]:
        """Run ids whose verdict is not healthy (or is one of ``verdicts``)."""
        wanted = self.runs["verdict"] != "healthy" if verdicts is None else self.runs["verdict"].isin(verdicts)
        return set(self.runs.loc[wanted, "run_id"])


def health_metric(suite: Suite, task: str) -> str | None:
    """The metric a task's health is judged on: its first trivial metric, else the first metric of its score."""
    spec = suite.task(task)
    if spec is None:
        return None
    if spec.trivial:
        return spec.trivial[0].metric
    return spec.columns(suite.scheme)[0].metrics[0]


def _wide(table: pd.DataFrame, settings: list[str]) -> pd.DataFrame:
    """One row per run: identity, settings (as text, missing as NaN) and every metric as a column."""
    identity = table.drop_duplicates("run_id").set_index("run_id")
    identity = identity[["source_file", *CELL, "seed", *settings]].astype(object)
    identity["strategy"] = identity["strategy"].fillna("")
    metrics = table.pivot(index="run_id", columns="metric", values="value")
    return identity.join(metrics)


def collapsed_reasons(wide: pd.DataFrame, suite: Suite) -> pd.Series:
    """Per run: why it collapsed to its task's trivial level, or "" (checked on every trivial metric of the task)."""
    reasons = pd.Series("", index=wide.index, dtype=object)
    for task in suite.tasks:
        runs = wide.index[wide["task"] == task.name]
        for trivial in reversed(task.trivial):  # the first metric's reason wins
            if runs.empty or trivial.metric not in wide.columns:
                continue
            values = wide.loc[runs, trivial.metric]
            kind = "the majority-class rate" if trivial.level > 0 else "no correlation"
            for run_id, value in values[values <= trivial.level + COLLAPSE_TOLERANCE].items():
                reasons[run_id] = (
                    f"{trivial.metric} {value:.4f} is at or below {kind} ({trivial.level:.4f}): {trivial.basis}"
                )
    return reasons


def duplicate_reasons(wide: pd.DataFrame, settings: list[str], ignore: set[str], scores: pd.Series) -> pd.Series:
    """Per run: "same result as <run>" when another run of the same task, family, strategy and seed has the same
    settings (a setting missing on one side is ignored) and identical result metrics; "" otherwise. ``scores``:
    each run's health score (``health_scores``).

    Of each such pair the run with more settings given (then the first run id) is the original and stays.
    """
    reasons = pd.Series("", index=wide.index, dtype=object)
    compared = [s for s in settings if s not in ignore]
    metrics = [m for m in RESULT_METRICS if m in wide.columns]
    # Only runs sharing the task's health score exactly can be the same result: grouping by it first keeps the
    # pairwise comparison to a handful of candidates (seeds repeat across ranks by the dozen).
    keys = [*CELL, "seed", "_score"]
    candidates = wide.assign(_score=scores)
    candidates = candidates[candidates["_score"].notna() & candidates.duplicated(keys, keep=False)]
    # Rows read once as dicts: slicing the frame per group costs more than the comparisons.
    rows = candidates[[*compared, *metrics]].to_dict("index")
    ids = candidates.index
    for positions in candidates.groupby(keys, sort=False, dropna=False).indices.values():
        records = {str(ids[p]): _present(rows[ids[p]]) for p in positions}
        order = sorted(records, key=lambda run_id: (-sum(s in records[run_id] for s in compared), run_id))
        originals: list[str] = []
        for run_id in order:
            run = records[run_id]
            original = next((o for o in originals if _same_run(run, records[o], compared, metrics)), None)
            if original is None:
                originals.append(run_id)
                continue
            one_sided = [s for s in compared if (s in run) != (s in records[original])]
            note = f" ({', '.join(one_sided)} given on one side only)" if one_sided else ""
            reasons[run_id] = f"same result as {original}{note}"
    return reasons


def _present(row: dict[Any, Any]) -> dict[str, object]:
    return {str(name): value for name, value in row.items() if pd.notna(value)}


def _same_run(a: dict[str, object], b: dict[str, object], settings: list[str], metrics: list[str]) -> bool:
    if any(str(a[s]) != str(b[s]) for s in settings if s in a and s in b):
        return False
    shared = [m for m in metrics if m in a and m in b]
    return bool(shared) and all(a[m] == b[m] for m in shared)


def health_scores(wide: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Per run: its task's health metric (``metric``, "" for a task the suite does not know) and its value
    (``score``, NaN then). Looked up once per task, not per run."""
    scores = pd.DataFrame({"metric": "", "score": np.nan}, index=wide.index)
    for task in wide["task"].dropna().unique():
        metric = health_metric(suite, str(task))
        if metric is not None and metric in wide.columns:
            runs = wide["task"] == task
            scores.loc[runs, "metric"] = metric
            scores.loc[runs, "score"] = wide.loc[runs, metric]
    return scores


def outlier_reasons(wide: pd.DataFrame, eligible: pd.Series, health: pd.DataFrame) -> pd.Series:
    """Per run: why it lies far below its cell (robust z on the task's health metric), or ""; only ``eligible``
    runs (not collapsed, not duplicates) form the cells and can be outliers. ``health``: ``health_scores``."""
    reasons = pd.Series("", index=wide.index, dtype=object)
    scores = wide[CELL].join(health)[eligible & health["score"].notna()]
    if scores.empty:
        return reasons
    cell = [scores[c] for c in CELL]
    score = scores["score"].astype(float)
    median = score.groupby(cell, sort=False, dropna=False).transform("median")
    mad = (score - median).abs().groupby(cell, sort=False, dropna=False).transform("median")
    n = score.groupby(cell, sort=False, dropna=False).transform("size")
    with np.errstate(divide="ignore", invalid="ignore"):
        # MAD 0 (most runs identical): any run below the median is infinitely far in robust units.
        z = np.where(mad > 0, 0.6745 * (score - median) / mad, np.where(score < median, -np.inf, 0.0))
    hit = (z < OUTLIER_Z) & (median - score >= OUTLIER_MIN_GAP) & (n >= OUTLIER_MIN_RUNS)
    for position in np.flatnonzero(np.asarray(hit)):
        run_id = scores.index[int(position)]
        robust = "MAD 0" if np.isinf(z[position]) else f"robust z {z[position]:.1f}"
        reasons[run_id] = (
            f"{scores['metric'].iloc[position]} {score.iloc[position]:.4f} is "
            f"{100 * (median.iloc[position] - score.iloc[position]):.1f} points below its cell's median "
            f"{median.iloc[position]:.4f} ({robust}, n = {n.iloc[position]})"
        )
    return reasons


def run_health(table: pd.DataFrame, settings: list[str], ignore: list[str], suite: Suite) -> Health:
    """Every run of the tidy ``table`` judged: collapsed first, then duplicate, then outlier, else healthy."""
    if table.empty:
        empty = pd.DataFrame(columns=HEALTH_COLUMNS)
        return Health(empty, pd.DataFrame(columns=[*CELL, "seed", "n_runs", "runs"]), _varying_empty())
    wide = _wide(table, settings)
    health = health_scores(wide, suite)
    collapsed = collapsed_reasons(wide, suite)
    duplicate = duplicate_reasons(wide, settings, set(ignore), health["score"])
    outlier = outlier_reasons(wide, (collapsed == "") & (duplicate == ""), health)
    verdict = np.select(
        [collapsed != "", duplicate != "", outlier != ""], ["collapsed", "duplicate", "outlier"], default="healthy"
    )
    reason = collapsed.where(collapsed != "", duplicate.where(duplicate != "", outlier))
    runs = wide[["source_file", *CELL, "seed"]].assign(verdict=verdict, reason=reason.fillna(""))
    runs = runs.reset_index().rename(columns={"index": "run_id"})[HEALTH_COLUMNS]
    return Health(runs, seed_repeats(wide), varying_settings(wide, settings, set(ignore)))


def seed_repeats(wide: pd.DataFrame) -> pd.DataFrame:
    """Cells (family, strategy, task) in which one seed is counted more than once, with the runs."""
    keys = [*CELL, "seed"]
    with_seed = wide[wide["seed"].notna() & (wide["seed"].astype(str) != "")]
    # Only the groups of several runs are listed: joining the ids of every group first cost more than the rest.
    repeated = with_seed[with_seed.duplicated(keys, keep=False)].reset_index()
    counted = repeated.groupby(keys, sort=False, dropna=False)
    table = counted.agg(n_runs=("run_id", "size"))
    # Each group's ids gathered by its number (the table's row) in one pass: a pandas call per group cost more.
    members: list[list[str]] = [[] for _ in range(len(table))]
    for number, run_id in zip(counted.ngroup(), repeated["run_id"].to_numpy(dtype=object), strict=True):
        members[number].append(run_id)
    table["runs"] = [" ".join(sorted(ids)) for ids in members]
    return table[table["n_runs"] > 1].reset_index()


def _varying_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=[*CELL, "n_runs", "setting", "values"])


def varying_settings(wide: pd.DataFrame, settings: list[str], ignore: set[str]) -> pd.DataFrame:
    """One row per (cell, setting) whose runs differ in a setting other than the seed: its distinct values.

    Runs missing the setting do not count as a value (the same rule as for duplicates).
    """
    compared = [s for s in settings if s not in ignore]
    grouped = wide.groupby(CELL, sort=False, dropna=False)
    distinct = grouped[compared].nunique(dropna=True)
    sizes = grouped.size()
    # Each cell's rows by position and each setting as an array: slicing the frame per cell costs more.
    positions = grouped.indices
    columns = {setting: wide[setting].to_numpy(dtype=object) for setting in compared}
    rows: list[tuple[object, ...]] = []
    for key, counts in distinct.iterrows():
        cell = key if isinstance(key, tuple) else (key,)
        for setting in counts.index[counts > 1]:
            values = {str(value) for value in columns[setting][positions[key]] if not pd.isna(value)}
            rows.append((*cell, sizes[cell], setting, ", ".join(sorted(values, key=_natural))))
    return pd.DataFrame(rows, columns=[*CELL, "n_runs", "setting", "values"]) if rows else _varying_empty()


def _natural(value: str) -> tuple[int, float, str]:
    """Numbers in numeric order before text (ranks 8, 16, 32, not 16, 32, 8)."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def run_counts(frame: pd.DataFrame, keys: list[str], unhealthy: pd.Series) -> pd.DataFrame:
    """Per ``keys``: the distinct runs of ``frame`` (``n_runs``) and how many of them ``unhealthy`` (a flag per row
    of ``frame``) marks (``n_unhealthy``); a run in several rows (an MNLI run scores two columns) counts once."""
    runs = frame.assign(unhealthy=unhealthy).drop_duplicates([*keys, "run_id"])
    return runs.groupby(keys, sort=False, observed=True).agg(
        n_runs=("run_id", "size"), n_unhealthy=("unhealthy", "sum")
    )


def unhealthy_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, model, column) of scores carrying a ``verdict``: how many of its runs are not healthy."""
    keys = ["family", "strategy", "model", "column"]
    flagged = scores.assign(n_unhealthy=(scores["verdict"].fillna("healthy") != "healthy").astype(int))
    return flagged.groupby(keys, sort=False, observed=True)["n_unhealthy"].sum().reset_index()


def configurations(table: pd.DataFrame, varying: pd.DataFrame) -> pd.DataFrame:
    """``run_id, configuration``: for each run of a cell whose runs differ in more than the seed, the values of
    the settings that vary there ("rank=8, lora_alpha=16"); "" for runs of cells with one configuration."""
    if varying.empty or table.empty:
        return pd.DataFrame({"run_id": pd.Series(dtype=object), "configuration": pd.Series(dtype=object)})
    settings = {
        tuple(str(part) for part in key): names
        for key, names in varying.groupby(CELL, sort=False)["setting"].agg(list).items()
        if isinstance(key, tuple)
    }
    runs = table.drop_duplicates("run_id")
    rows = []
    for key, cell in runs.groupby(CELL, sort=False, observed=True):
        names = settings.get(tuple(str(part) for part in key))
        if not names:
            continue
        for record in cell[["run_id", *names]].astype(object).to_dict("records"):
            label = ", ".join(f"{name}={'' if pd.isna(record[name]) else record[name]}" for name in names)
            rows.append((record["run_id"], label))
    return pd.DataFrame(rows, columns=["run_id", "configuration"])
