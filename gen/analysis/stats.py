"""Statistics of the runs: confidence intervals per cell, seed variability, paired tests between strategies."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from gen.analysis.scores import CELL_KEYS

COMPARISON_COLUMNS = ["family", "from", "to", "n_pairs", "mean_difference", "effect_size_dz", "test", "p_value"]
CONFIDENCE = 0.95
ALPHA = 0.05
# Below this many pairs the Wilcoxon test cannot reach p < 0.05 (two-sided): fall back to the paired t-test.
WILCOXON_MIN_PAIRS = 6


def cell_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (family, strategy, column): n, mean, sample std and the 95% t confidence interval of the mean.

    The interval uses Student's t with n − 1 degrees of freedom (right for few seeds); none for n < 2.
    """
    grouped = scores.groupby([*CELL_KEYS, "column", "column_rank"], sort=False)["score"]
    table = grouped.agg(n_runs="size", mean="mean", std="std").reset_index()
    n = table["n_runs"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * table["std"].to_numpy() / np.sqrt(n)
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
    if len(differences) >= WILCOXON_MIN_PAIRS and np.any(differences != 0):
        return "Wilcoxon signed-rank", float(stats.wilcoxon(differences).pvalue)
    if np.std(differences, ddof=1) == 0:
        return "paired t", math.nan  # no spread: the test is undefined
    return "paired t", float(stats.ttest_1samp(differences, 0.0).pvalue)


def paired_comparisons(scores: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    """Every pair of strategies, per family and over all families, paired on shared (family, task column, seed).

    Effect size is Cohen's d_z (mean difference / std of differences). Fewer than two pairs: not tested ("too few
    runs"). p-values are raw here: ``holm_corrected`` corrects them across every comparison of a page.
    """
    per_seed = scores.groupby(["family", "strategy", "column", "seed"], sort=False)["score"].mean().reset_index()
    rows = []
    families = list(dict.fromkeys(per_seed["family"]))
    for a, b in combinations(strategies, 2):
        for family in [*families, None]:
            subset = per_seed if family is None else per_seed[per_seed["family"] == family]
            left = subset[subset["strategy"] == a].set_index(["family", "column", "seed"])["score"]
            right = subset[subset["strategy"] == b].set_index(["family", "column", "seed"])["score"]
            shared = left.index.intersection(right.index)
            differences = (right[shared] - left[shared]).to_numpy(dtype=float)
            row: dict[str, object] = {
                "family": family if family is not None else "all families",
                "from": a,
                "to": b,
                "n_pairs": len(shared),
                "mean_difference": differences.mean() if len(shared) else math.nan,
                "effect_size_dz": math.nan,
                "test": "too few runs",
                "p_value": math.nan,
            }
            if len(shared) >= 2:
                row["test"], row["p_value"] = paired_test(differences)
                sd = differences.std(ddof=1)
                row["effect_size_dz"] = differences.mean() / sd if sd > 0 else math.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def holm_corrected(table: pd.DataFrame) -> pd.DataFrame:
    """The comparisons with Holm-adjusted p-values across all their rows; significant only when p_holm < 0.05."""
    corrected = table.assign(p_holm=holm(table["p_value"].tolist()))
    corrected["significant"] = corrected["p_holm"] < ALPHA
    return corrected
