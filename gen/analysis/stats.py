"""Statistics of the runs: confidence intervals per cell, seed variability, paired tests between strategies."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd

from gen.analysis.scores import CELL_KEYS, cell_means, shared_columns, strategy_pairs

# The comparisons contract (downloads/comparisons.csv): difference = to − from, in points of the suite's scale.
COMPARISON_COLUMNS = [
    "compared",
    "family",
    "from",
    "to",
    "task",
    "unit",
    "n",
    "difference_points",
    "test",
    "effect_size_dz",
    "p",
    "p_holm",
    "significant",
]
CONFIDENCE = 0.95
ALPHA = 0.05
# Below this many pairs the Wilcoxon test cannot reach p < 0.05 (two-sided): fall back to the paired t-test.
WILCOXON_MIN_PAIRS = 6


def cell_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, column): n, mean, sample std and the 95% t confidence interval of the mean.

    The interval uses Student's t with n − 1 degrees of freedom (right for few seeds); none for n < 2.
    """
    # scipy.special only: stats.t.ppf is special.stdtrit behind argument checks, and importing scipy.stats costs a
    # build 0.4 s (scipy.special 0.07 s), paid only where a Wilcoxon test is run (paired_test).
    from scipy import special

    grouped = scores.groupby([*CELL_KEYS, "column", "column_rank"], sort=False)["score"]
    table = grouped.agg(n_runs="size", mean="mean", std="std").reset_index()
    n = table["n_runs"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = special.stdtrit(n - 1, (1 + CONFIDENCE) / 2) * table["std"].to_numpy() / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table.sort_values("column_rank", kind="stable").reset_index(drop=True)


def seed_variability(scores: pd.DataFrame) -> pd.DataFrame:
    """Per task column: mean and largest std, and mean coefficient of variation (std/mean), over the groups of runs
    that differ only in their seed — one (family, strategy, column, configuration) with at least two runs.

    ``configuration`` (optional column) names a run's settings other than the seed where its cell mixes several;
    without it a cell is one configuration. Spread across ranks or learning rates is not seed variability.
    """
    configuration = scores["configuration"] if "configuration" in scores else pd.Series("", index=scores.index)
    keys = [*CELL_KEYS, "column", "column_rank"]
    groups = (
        scores.assign(configuration=configuration.fillna(""))
        .groupby([*keys, "configuration"], sort=False)["score"]
        .agg(n_runs="size", mean="mean", std="std")
        .reset_index()
    )
    spread = groups[groups["n_runs"] >= 2].assign(cv=lambda f: f["std"] / f["mean"].abs())
    table = spread.groupby(["column", "column_rank"], sort=False).agg(
        cells=("std", "size"), mean_std=("std", "mean"), max_std=("std", "max"), mean_cv=("cv", "mean")
    )
    return table.reset_index().sort_values("column_rank", kind="stable").reset_index(drop=True)


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN and does not count as a comparison)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[index] = running
    return adjusted


def paired_test(differences: np.ndarray) -> tuple[str, float]:
    """The test used and its two-sided p-value for paired differences (b − a)."""
    from scipy import special  # see cell_stats

    if len(differences) >= WILCOXON_MIN_PAIRS and np.any(differences != 0):
        from scipy import stats

        return "Wilcoxon signed-rank", float(stats.wilcoxon(differences).pvalue)
    sd = np.std(differences, ddof=1)
    if sd == 0:
        return "paired t", math.nan  # no spread: the test is undefined
    # scipy.stats.ttest_1samp's p-value, from the t distribution's ufunc: a thousand times less overhead per call.
    t = np.mean(differences) / (sd / math.sqrt(len(differences)))
    return "paired t", float(2 * special.stdtr(len(differences) - 1, -abs(t)))


def _by_seed(scores: pd.DataFrame) -> dict[str, dict[tuple[str, str], dict[object, float]]]:
    """Per family and (strategy, column): the mean score per seed (several runs of one seed count once). Runs without
    a seed are left out: they cannot be paired."""
    seeded = scores[scores["seed"].astype(str) != ""]
    means = seeded.groupby(["family", "strategy", "column", "seed"], sort=True, observed=True)["score"].mean()
    by_family: dict[str, dict[tuple[str, str], dict[object, float]]] = {}
    for keys, score in means.items():
        family, strategy, column, seed = cast(tuple[Any, Any, Any, Any], keys)
        by_family.setdefault(str(family), {}).setdefault((str(strategy), str(column)), {})[seed] = float(score)
    return by_family


def _mean_difference(left: dict[Any, float], right: dict[Any, float], columns: list[str]) -> float:
    """The mean over ``columns`` of right − left (as pandas computes it, so the tables' figures agree)."""
    return float(np.mean(np.asarray([right[c] for c in columns]) - np.asarray([left[c] for c in columns])))


def _test_row(differences: np.ndarray, unit: str) -> dict[str, object]:
    """n, test, p and effect size for paired differences (``to − from``) over ``unit``s."""
    row: dict[str, object] = {"unit": unit, "n": len(differences), "test": TOO_FEW, "p": math.nan}
    row["effect_size_dz"] = math.nan
    if len(differences) >= 2:
        row["test"], row["p"] = paired_test(differences)
        sd = differences.std(ddof=1)
        row["effect_size_dz"] = differences.mean() / sd if sd > 0 else math.nan
    return row


TOO_FEW = "too few pairs"
NO_SEEDS = "no seeds"


def paired_comparisons(
    scores: pd.DataFrame,
    cells: pd.DataFrame,
    strategies: list[str],
    suite: str,
    families: list[str] | None = None,
    suite_columns: set[str] | None = None,
) -> pd.DataFrame:
    """Every pair of strategies (config order), per family: per task and for the suite; then over families.

    - ``difference_points`` = 100 × (to − from) of the means the tables show: a task's cell means (a task scored in
      two columns, MNLI-m and MNLI-mm, counts once: their mean), the suite score over the columns both have, and
      the mean of the families' suite differences.
    - The test pairs independent units. Per task: seeds (n = seeds both strategies ran; several runs of one seed
      are averaged first). Suite: each seed's suite score over those columns, for seeds that have every one of them
      (n = such seeds). Over families: the families' suite differences (n = families). Runs without seeds (one
      published figure per cell) are not tested: "no seeds".
    p-values are raw here; ``holm_corrected`` corrects them across the rows of a page.
    """
    by_seed = _by_seed(scores)
    means = cell_means(cells)
    column_task = dict(zip(scores["column"], scores["task"], strict=False))
    order = families or list(dict.fromkeys(cells["family"]))
    rows: list[dict[str, object]] = []
    for a, b in strategy_pairs(strategies):
        suite_differences = []
        for family in order:
            if (shared := shared_columns(means, family, a, b)) is None:
                continue
            left, right, columns = shared
            by_task: dict[str, list[str]] = {}
            for column in columns:
                by_task.setdefault(column_task.get(column, column), []).append(column)
            left_means, right_means = left.to_dict(), right.to_dict()
            seeds = by_seed.get(family)
            for task, task_columns in by_task.items():
                difference = _mean_difference(left_means, right_means, task_columns)
                rows.append(_row(a, b, family, task, difference, _seed_differences(seeds, a, b, task_columns)))
            averaged = [c for c in columns if suite_columns is None or c in suite_columns]
            if not averaged:
                continue
            difference = _mean_difference(left_means, right_means, averaged)
            suite_differences.append(difference)
            rows.append(_row(a, b, family, suite, difference, _seed_differences(seeds, a, b, averaged)))
        if len(suite_differences) > 1:
            differences = np.asarray(suite_differences)
            row = {
                "family": "all families",
                "from": a,
                "to": b,
                "task": suite,
                "difference_points": 100 * differences.mean(),
                **_test_row(differences, "family"),
            }
            rows.append(row)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS[1:-2]).assign(compared="strategies")[COMPARISON_COLUMNS[:-2]]


def _row(a: str, b: str, family: str, task: str, difference: float, pairs: np.ndarray | None) -> dict[str, object]:
    unit = "seed"
    tested = {"unit": unit, "n": 0, "test": NO_SEEDS, "p": math.nan, "effect_size_dz": math.nan}
    if pairs is not None:
        tested = _test_row(pairs, unit)
    return {"family": family, "from": a, "to": b, "task": task, "difference_points": 100 * difference, **tested}


def _seed_differences(
    by_seed: dict[tuple[str, str], dict[object, float]] | None, a: str, b: str, columns: list[str]
) -> np.ndarray | None:
    """Per seed both strategies ran on every one of ``columns``: to − from of its mean over them; None when no
    run of the family on these columns has a seed (``by_seed``: the family's scores from ``_by_seed``)."""
    if by_seed is None or not any(column in columns for _, column in by_seed):
        return None
    sides = []
    for strategy in (a, b):
        if not all((strategy, c) in by_seed for c in columns):
            return np.asarray([], dtype=float)
        per_column = [by_seed[(strategy, c)] for c in columns]
        # Seeds in sorted order (the groupby's), as every table lists them.
        seeds = [seed for seed in per_column[0] if all(seed in values for values in per_column[1:])]
        # One row per seed, averaged in one call: row by row it gives np.mean's figures, without a call per seed.
        grid = np.asarray([[values[seed] for values in per_column] for seed in seeds], dtype=float)
        sides.append(dict(zip(seeds, grid.reshape(len(seeds), len(columns)).mean(axis=1), strict=True)))
    return np.asarray([sides[1][seed] - sides[0][seed] for seed in sides[0] if seed in sides[1]], dtype=float)


def holm_corrected(table: pd.DataFrame) -> pd.DataFrame:
    """The comparisons with Holm-adjusted p-values across all their rows; significant only when p_holm < 0.05."""
    corrected = table.assign(p_holm=holm(table["p"].astype(float).tolist()))
    corrected["significant"] = corrected["p_holm"] < ALPHA
    return corrected[COMPARISON_COLUMNS]
