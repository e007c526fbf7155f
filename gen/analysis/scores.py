"""Benchmark scores: per-run task scores, per-cell means, suite scores with coverage, and differences between
strategies (``to − from``, in points)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from gen.benchmarks import Suite

CELL_KEYS = ["family", "strategy", "model"]


def task_scores(table: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """One row per run and score column: ``run_id, family, strategy, model, task, seed, column, score`` and
    ``reported_se``, the standard error the run itself reports for a one-metric score (lm-eval's ``acc_stderr``)."""
    columns = ["run_id", *CELL_KEYS, "task", "seed", "column", "column_rank", "score", "reported_se"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    wide = table.pivot(index="run_id", columns="metric", values="value")
    identity = table.drop_duplicates("run_id").set_index("run_id")[[*CELL_KEYS, "task", "seed"]]
    parts = []
    for rank, column in enumerate(suite.columns()):
        runs = identity[identity["task"] == column.task]
        if runs.empty:
            continue
        if any(m not in wide.columns for m in column.metrics):
            continue
        score = wide.loc[runs.index, list(column.metrics)].mean(axis=1, skipna=False)
        stderr = f"{column.metrics[0]}_stderr"
        reported = wide.loc[runs.index, stderr] if len(column.metrics) == 1 and stderr in wide.columns else np.nan
        parts.append(
            runs.assign(column=column.column, column_rank=rank, score=score, reported_se=reported).dropna(
                subset=["score"]
            )
        )
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts).reset_index()[columns]


def suite_columns(suite: Suite) -> set[str]:
    """The columns the suite score averages: every score column where higher is better."""
    return {column.column for column in suite.columns() if column.higher_is_better}


def score_cells(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, column): number of runs, mean and sample std (NaN for one run), and for a single run
    the standard error it reports itself (``reported_se``; NaN when none)."""
    reported = scores["reported_se"] if "reported_se" in scores else pd.Series(np.nan, index=scores.index)
    return (
        scores.assign(reported_se=reported)
        .groupby([*CELL_KEYS, "column", "column_rank"], sort=False)
        .agg(
            n_runs=("score", "size"), mean=("score", "mean"), std=("score", "std"), reported_se=("reported_se", "first")
        )
        .assign(reported_se=lambda f: f["reported_se"].where(f["n_runs"] == 1))
        .reset_index()
        .sort_values("column_rank", kind="stable")
        .reset_index(drop=True)
    )


def glue_scores(cells: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy): mean over the score columns it has, and which columns those are.

    ``complete`` is False when a row covers fewer columns than the best-covered row: such an average is
    not comparable with its neighbours and is marked wherever it is shown.
    """
    if cells.empty:
        return pd.DataFrame(columns=[*CELL_KEYS, "glue_score", "n_columns", "columns", "complete"])
    ordered_cells = cells.sort_values("column_rank", kind="stable")
    grouped = ordered_cells.groupby(CELL_KEYS, sort=False)
    # No run count: summed over columns it would count an MNLI run twice (headline.sensitivity counts runs).
    result = grouped.agg(glue_score=("mean", "mean"), n_columns=("column", "size"))
    result["columns"] = grouped["column"].agg(lambda c: " ".join(c))
    result["complete"] = result["n_columns"] == result["n_columns"].max()
    return result.reset_index()


def strategy_pairs(strategies: list[str]) -> list[tuple[str, str]]:
    """Every (earlier, later) pair in the configured strategy order, e.g. FFT→LoRA, FFT→KD-LoRA, LoRA→KD-LoRA."""
    return list(combinations(strategies, 2))


CellMeans = dict[tuple[str, str], pd.Series]


def cell_means(cells: pd.DataFrame) -> CellMeans:
    """(family, strategy) -> its cell means by score column."""
    return {
        (str(family), str(strategy)): group.set_index("column")["mean"]
        for (family, strategy), group in cells.groupby(["family", "strategy"])
    }


def shared_columns(means: CellMeans, family: str, a: str, b: str) -> tuple[pd.Series, pd.Series, list[str]] | None:
    """The cell means of strategies ``a`` and ``b`` in one family and the columns both have; None when either has
    no cell there or they share no column."""
    if (family, a) not in means or (family, b) not in means:
        return None
    left, right = means[(family, a)], means[(family, b)]
    columns = [c for c in left.index if c in right.index]
    return (left, right, columns) if columns else None


DIFFERENCE_COLUMNS = ["family", "from", "to", "difference_points", "std_points", "n_columns", "columns"]


def score_differences(cells: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    """Per family and strategy pair: the suite-score difference ``to − from`` in points (100 × the mean over the
    columns both have of the per-column difference), and its sample std over those columns."""
    rows = []
    means = cell_means(cells)
    families = list(dict.fromkeys(cells["family"]))
    for family in families:
        for source, target in strategy_pairs(strategies):
            if (shared := shared_columns(means, family, source, target)) is None:
                continue
            a, b, common = shared
            per_column = 100 * (b[common] - a[common])
            rows.append(
                {
                    "family": family,
                    "from": source,
                    "to": target,
                    "difference_points": per_column.mean(),
                    "std_points": per_column.std(),
                    "n_columns": len(common),
                    "columns": " ".join(common),
                }
            )
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def glue_table(cells: pd.DataFrame, glue: pd.DataFrame) -> pd.DataFrame:
    """Wide table: a row per (family, strategy, model), a column per score column, then the suite score."""
    if cells.empty:
        return pd.DataFrame(columns=[*CELL_KEYS, "glue_score", "n_columns", "complete"])
    column_order = list(dict.fromkeys(cells.sort_values("column_rank", kind="stable")["column"]))
    wide = cells.pivot(index=CELL_KEYS, columns="column", values="mean")[column_order]
    joined = glue.set_index(CELL_KEYS)[["glue_score", "n_columns", "complete"]].join(wide)
    return joined.reset_index()[[*CELL_KEYS, *column_order, "glue_score", "n_columns", "complete"]]


def thin_cells(cells: pd.DataFrame, min_runs: int) -> pd.DataFrame:
    """Cells resting on fewer runs than the configured minimum."""
    return cells[cells["n_runs"] < min_runs].reset_index(drop=True)
