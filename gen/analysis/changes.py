"""What changed since a previous version: runs added, removed or re-scored, and cell deltas beyond seed noise."""

from __future__ import annotations

import math

import pandas as pd

from gen.benchmarks import Suite

ALPHA = 0.05
SCORE_KEYS = ["run_id", "family", "strategy", "column", "score"]


def scores_from_runs_csv(runs: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Per-run task scores of a published ``runs.csv`` (one row per run, metrics as columns)."""
    rows = []
    for record in runs.to_dict("records"):
        task = suite.task(str(record.get("task")))
        if task is None or pd.isna(record.get("strategy")):
            continue
        for column in task.columns(suite.scheme):
            values = [record.get(metric) for metric in column.metrics]
            if all(isinstance(v, int | float) and not math.isnan(v) for v in values):
                score = sum(float(v) for v in values if v is not None) / len(values)
                rows.append([str(record["run_id"]), record["family"], record["strategy"], column.column, score])
    return pd.DataFrame(rows, columns=SCORE_KEYS)


def run_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Runs that are new, removed, or whose scores changed: ``run_id, change, family, strategy, detail``."""
    now = current[SCORE_KEYS].set_index(["run_id", "column"])["score"]
    before = previous[SCORE_KEYS].set_index(["run_id", "column"])["score"]
    identity = pd.concat([previous, current]).drop_duplicates("run_id", keep="last").set_index("run_id")
    now_ids, before_ids = set(current["run_id"]), set(previous["run_id"])
    rows = [(run, "new", "") for run in sorted(now_ids - before_ids)]
    rows += [(run, "removed", "") for run in sorted(before_ids - now_ids)]
    both = now.index.intersection(before.index)
    differ = both[(now[both] - before[both]).abs().to_numpy() > 1e-12]
    for run in sorted({run for run, _ in differ}):
        detail = ", ".join(f"{col}: {before[(run, col)]:.4f} → {now[(run, col)]:.4f}" for r, col in differ if r == run)
        rows.append((run, "changed", detail))
    frame = pd.DataFrame(rows, columns=["run_id", "change", "detail"])
    frame["family"] = frame["run_id"].map(identity["family"])
    frame["strategy"] = frame["run_id"].map(identity["strategy"])
    return frame[["run_id", "change", "family", "strategy", "detail"]]


def cell_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, column): means before and after, the delta, and Welch's t-test on the runs.

    ``verdict`` is "improvement" / "regression" when p < 0.05, "within noise" otherwise, and "too few runs" when a
    side has fewer than two runs (no spread to compare against).
    """
    keys = ["family", "strategy", "column"]
    before = previous.groupby(keys)["score"].apply(list)
    after = current.groupby(keys)["score"].apply(list)
    rows = []
    for key in sorted(set(before.index) | set(after.index)):
        a, b = before.get(key, []), after.get(key, [])
        mean_a = sum(a) / len(a) if a else math.nan
        mean_b = sum(b) / len(b) if b else math.nan
        delta = mean_b - mean_a
        p_value = math.nan
        if len(a) < 2 or len(b) < 2:
            verdict = "too few runs" if a and b else ("new cell" if b else "removed cell")
        elif a == b or sorted(a) == sorted(b):
            verdict = "unchanged"
        else:
            from scipy import stats  # imported where used: 0.7 s that builds computing no statistics do not pay

            p_value = float(stats.ttest_ind(b, a, equal_var=False).pvalue)
            if math.isnan(p_value):  # both sides without spread
                verdict = "unchanged" if delta == 0 else ("improvement" if delta > 0 else "regression")
            elif p_value < ALPHA:
                verdict = "improvement" if delta > 0 else "regression"
            else:
                verdict = "within noise"
        rows.append([*key, len(a), mean_a, len(b), mean_b, delta, p_value, verdict])
    columns = [*keys, "n_before", "mean_before", "n_after", "mean_after", "delta", "p_value", "verdict"]
    return pd.DataFrame(rows, columns=columns)
