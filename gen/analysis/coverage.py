"""Coverage of the experiment grid: which (configuration, family, task, seed) runs exist and which are missing."""

from __future__ import annotations

import pandas as pd

GRID = ["configuration", "family", "task", "seed"]


def coverage(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Completion per (configuration, family, task) and the list of missing runs.

    ``runs`` has one row per run with ``configuration, family, task, seed``. A configuration that was run at all is
    expected for every family, task and seed seen anywhere; that is the grid. Returns ``cells`` (seeds present,
    seeds expected, share) and ``missing`` (one row per absent run).
    """
    present = runs[GRID].drop_duplicates()
    if present.empty:
        empty = pd.DataFrame(columns=["configuration", "family", "task", "present", "expected", "share"])
        return empty, pd.DataFrame(columns=GRID)
    axes = [sorted(present[column].unique(), key=str) for column in GRID]
    expected = pd.MultiIndex.from_product(axes, names=GRID).to_frame(index=False)
    merged = expected.merge(present.assign(found=True), on=GRID, how="left")
    merged["found"] = merged["found"].fillna(False).astype(bool)
    cells = merged.groupby(GRID[:-1], sort=True)["found"].agg(present="sum", expected="size").reset_index()
    cells["share"] = cells["present"] / cells["expected"]
    missing = merged.loc[~merged["found"], GRID].reset_index(drop=True)
    return cells, missing


def completion_rate(cells: pd.DataFrame) -> float:
    """Runs present over runs expected on the grid."""
    expected = cells["expected"].sum()
    return float(cells["present"].sum() / expected) if expected else float("nan")


def completion_matrix(cells: pd.DataFrame) -> pd.DataFrame:
    """The grid as one row per (configuration, family) and columns per task: ``present:<task>``,
    ``expected:<task>`` and ``share:<task>``, then the row's own ``present``, ``expected`` and ``share`` over all
    its tasks (rows in the order of ``cells``; tasks in order of first appearance)."""
    keys = ["configuration", "family"]
    rows = cells[keys].drop_duplicates().reset_index(drop=True)
    matrix = rows.copy()
    for task in dict.fromkeys(cells["task"]):
        part = cells.loc[cells["task"] == task, [*keys, "present", "expected", "share"]]
        part = part.rename(columns={c: f"{c}:{task}" for c in ("present", "expected", "share")})
        matrix = matrix.merge(part, on=keys, how="left")
    totals = cells.groupby(keys, sort=False)[["present", "expected"]].sum().reset_index()
    matrix = matrix.merge(totals, on=keys, how="left")
    matrix["share"] = matrix["present"] / matrix["expected"]
    return matrix
