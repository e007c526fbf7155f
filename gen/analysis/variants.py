"""PEFT variants and LoRA ranks: methods against the full fine-tuning baseline, per group (teacher, student)."""

from __future__ import annotations

import pandas as pd

from gen.analysis.health import run_counts
from gen.analysis.scores import task_scores
from gen.benchmarks import Suite
from gen.config import MatchValue, VariantsConfig

KEYS = ["group", "method", "family", "column", "column_rank"]


def _matches(table: pd.DataFrame, match: dict[str, MatchValue]) -> pd.Series:
    """Rows whose fields equal the rule's values (compared as text; a list means any of them)."""
    selected = pd.Series(True, index=table.index)
    for field, value in match.items():
        allowed = [str(v) for v in (value if isinstance(value, list) else [value])]
        selected &= _as_text_in(table[field], allowed) if field in table else False
    return selected


def _as_text_in(values: pd.Series, allowed: list[str]) -> pd.Series:
    """Rows whose value, as text, is one of ``allowed``."""
    # Each distinct value converted once: every row as text took a string per row of the runs table.
    distinct = values.drop_duplicates()
    return values.isin(distinct[distinct.astype(str).isin(allowed)])


def method_scores(all_table: pd.DataFrame, variants: VariantsConfig, suite: Suite) -> pd.DataFrame:
    """Per-run task scores labelled with their group (or "baseline") and method, rank and params."""
    parts = []
    baseline = all_table[_matches(all_table, variants.baseline)]
    if not baseline.empty:
        parts.append(baseline.assign(group="baseline"))
    for group, match in variants.groups.items():
        runs = all_table[_matches(all_table, match)]
        if not runs.empty:
            parts.append(runs.assign(group=group))
    if not parts:
        return pd.DataFrame(columns=[*KEYS, "rank", "run_id", "task", "seed", "score", "params_m"])
    labelled = pd.concat(parts, ignore_index=True)
    scores = task_scores(labelled, suite)
    # Method and rank read once per run, not once per metric row.
    identity = labelled.drop_duplicates("run_id").set_index("run_id")
    identity["method"] = identity[variants.method].astype(str) if variants.method in identity else ""
    identity["rank"] = pd.to_numeric(identity[variants.rank], errors="coerce") if variants.rank in identity else None
    params = labelled[labelled["metric"] == "params_m"].set_index("run_id")["value"]
    scores["group"] = scores["run_id"].map(identity["group"])
    scores["method"] = scores["run_id"].map(identity["method"])
    scores["rank"] = scores["run_id"].map(identity["rank"])
    scores["params_m"] = scores["run_id"].map(params)
    return scores[[*KEYS, "rank", "run_id", "task", "seed", "score", "params_m"]]


def method_cells(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean score per (group, method, family, column) over the ranks and seeds of ``scores``, with the FFT baseline
    beside it, and how many of its runs the scores' ``unhealthy`` column flags (``n_unhealthy``; none without one).

    ``pct_of_baseline`` = mean / baseline mean; ``difference_points`` = 100 × (mean − baseline mean): the site's one
    convention, to − from in points.
    """
    cells = (
        scores.assign(unhealthy=_flags(scores))
        .groupby(KEYS, sort=False)
        .agg(n_runs=("score", "size"), mean=("score", "mean"), n_unhealthy=("unhealthy", "sum"))
        .reset_index()
    )
    base = cells[cells["group"] == "baseline"].set_index(["family", "column"])["mean"].rename("baseline")
    methods = cells[cells["group"] != "baseline"].join(base, on=["family", "column"])
    methods["pct_of_baseline"] = methods["mean"] / methods["baseline"]
    methods["difference_points"] = 100 * (methods["mean"] - methods["baseline"])
    return methods.sort_values(["group", "column_rank"], kind="stable").reset_index(drop=True)


def at_shared_ranks(scores: pd.DataFrame) -> pd.DataFrame:
    """The scores of each (group, family) at the ranks every method of the group has there, the baseline's all kept:
    methods are then ranked like for like, not LoRA over ranks 8–64 against DoRA at rank 8 alone. Where the methods
    share no rank (or give none), that (group, family) keeps every score."""
    kept = [scores[scores["group"] == "baseline"]]
    for _, frame in scores[scores["group"] != "baseline"].groupby(["group", "family"], sort=False, observed=True):
        ranks = [set(r.dropna()) for _, r in frame.groupby("method", sort=False)["rank"]]
        shared = set.intersection(*ranks) if ranks else set()
        kept.append(frame[frame["rank"].isin(shared)] if shared else frame)
    return pd.concat(kept).sort_index()


def method_ranking(cells: pd.DataFrame) -> pd.DataFrame:
    """Per group: methods ranked by their average over the (family, column) cells every method of the group has.

    Averaging only over shared cells keeps a method with missing tasks from looking better or worse.
    """
    rows = []
    for group, frame in cells.groupby("group", sort=False):
        wide = frame.pivot_table(index=["family", "column"], columns="method", values="mean")
        shared = wide.dropna()
        pct = frame.pivot_table(index=["family", "column"], columns="method", values="pct_of_baseline").loc[
            shared.index
        ]
        difference = frame.pivot_table(index=["family", "column"], columns="method", values="difference_points").loc[
            shared.index
        ]
        for method in wide.columns:
            rows.append(
                {
                    "group": group,
                    "method": method,
                    "average": shared[method].mean() if len(shared) else float("nan"),
                    "average_pct_of_baseline": pct[method].mean() if len(shared) else float("nan"),
                    "average_difference_points": difference[method].mean() if len(shared) else float("nan"),
                    "cells": len(shared),
                }
            )
    columns = ["group", "method", "average", "average_pct_of_baseline", "average_difference_points", "cells"]
    ranking = pd.DataFrame(rows, columns=columns)
    ranking["rank"] = ranking.groupby("group")["average"].rank(ascending=False, method="min")
    return ranking.sort_values(["group", "rank"], kind="stable").reset_index(drop=True)


def method_health(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (group, method): its runs (``n_runs``) and how many are not healthy (``n_unhealthy``, from the scores'
    ``unhealthy`` column), each run counted once however many columns it scores."""
    methods = scores[scores["group"] != "baseline"]
    return run_counts(methods, ["group", "method"], _flags(methods)).reset_index()


def _flags(scores: pd.DataFrame) -> pd.Series:
    """The scores' ``unhealthy`` column; none flagged without one."""
    return scores["unhealthy"] if "unhealthy" in scores else pd.Series(False, index=scores.index)


def best_per_task(cells: pd.DataFrame) -> pd.DataFrame:
    """Per group and task column: the method with the highest mean over families, and by how much it leads."""
    by_task = cells.groupby(["group", "column", "column_rank", "method"], sort=False)["mean"].mean().reset_index()
    rows = []
    for (group, column, rank), frame in by_task.groupby(["group", "column", "column_rank"], sort=False):
        ordered = frame.sort_values(["mean", "method"], ascending=[False, True])
        lead = ordered["mean"].iloc[0] - ordered["mean"].iloc[1] if len(ordered) > 1 else float("nan")
        rows.append(
            {
                "group": group,
                "column": column,
                "column_rank": rank,
                "best": ordered["method"].iloc[0],
                "mean": ordered["mean"].iloc[0],
                "lead": lead,
            }
        )
    return pd.DataFrame(rows).sort_values(["group", "column_rank"], kind="stable").reset_index(drop=True)


def rank_sweep(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (group, method, family, rank): score over the task columns and mean trainable parameters, the marginal
    score per extra million parameters from the previous rank, and the runs (``n_runs``), of which ``n_unhealthy``
    are flagged in the scores' ``unhealthy`` column (none without one)."""
    ranked = scores[(scores["group"] != "baseline") & scores["rank"].notna()]
    keys = ["group", "method", "family", "rank"]
    per_column = ranked.groupby([*keys, "column"], sort=False).agg(
        mean=("score", "mean"), params_m=("params_m", "mean")
    )
    sweep = per_column.groupby(keys, sort=False).agg(
        score=("mean", "mean"), params_m=("params_m", "mean"), n_columns=("mean", "size")
    )
    sweep = sweep.join(run_counts(ranked, keys, _flags(ranked)))
    sweep = sweep.reset_index().sort_values(["group", "method", "family", "rank"], kind="stable")
    # A rank that covers fewer task columns than its group's best-covered one is not comparable: flagged, and no
    # marginal gain is computed to or from it.
    sweep["complete"] = sweep["n_columns"] == sweep.groupby("group")["n_columns"].transform("max")
    comparable = sweep[sweep["complete"]]
    previous = comparable.groupby(["group", "method", "family"])[["score", "params_m"]].shift()
    gain = (comparable["score"] - previous["score"]) / (comparable["params_m"] - previous["params_m"])
    sweep["marginal_score_per_m"] = gain.reindex(sweep.index)
    return sweep.reset_index(drop=True)


def by_task(cells: pd.DataFrame) -> pd.DataFrame:
    """Per group, task column and method: the mean over families of the cell means and of the share of FFT."""
    keys = ["group", "column", "column_rank", "method"]
    table = cells.groupby(keys, sort=False).agg(
        mean=("mean", "mean"), pct_of_baseline=("pct_of_baseline", "mean"), baseline=("baseline", "mean")
    )
    return table.reset_index().sort_values(["group", "column_rank"], kind="stable").reset_index(drop=True)
