"""Display order of families and strategies: the config's order first, anything else after, sorted."""

from __future__ import annotations

import pandas as pd


def ordered(frame: pd.DataFrame, families: list[str], strategies: list[str]) -> pd.DataFrame:
    """``frame`` sorted by family then strategy in the given orders (unlisted values last, alphabetically)."""
    if frame.empty:
        return frame
    family_rank = {f: i for i, f in enumerate([*families, *sorted(set(frame["family"]) - set(families))])}
    strategy_rank = {s: i for i, s in enumerate([*strategies, *sorted(set(frame["strategy"]) - set(strategies))])}
    keys = pd.DataFrame(
        # As integers: mapping a categorical column keeps it categorical, which sorts by category order, not rank.
        {"f": frame["family"].map(family_rank).astype(int), "s": frame["strategy"].map(strategy_rank).astype(int)},
        index=frame.index,
    )
    extra = [c for c in ("column_rank",) if c in frame.columns]
    order = pd.concat([keys, frame[extra]], axis=1).sort_values(["f", "s", *extra], kind="stable").index
    return frame.loc[order].reset_index(drop=True)
