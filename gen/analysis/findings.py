"""Findings a researcher would write, as data: each with the numbers it rests on, the runs that are not healthy
under it, and the paired test that decides it.

Findings are phrased per pair of strategies, never by position: every strategy against the baseline (the first in
the config), and each strategy against the one before it. One strategy gives only the best result.
"""

from __future__ import annotations

import itertools

import pandas as pd

from gen.benchmarks import Suite

# A cell "lower" means a difference below −2 points.
LOWER_POINTS = 2.0
COLUMNS = [
    "finding",
    "family",
    "from",
    "to",
    "subject",
    "value",
    "unhealthy_runs",
    "test_family",
    "test_from",
    "test_to",
    "test_task",
]


def finding_pairs(strategies: list[str]) -> list[tuple[str, str]]:
    """Every strategy against the baseline, then each against the one before it (config order, no repeats)."""
    pairs = [(strategies[0], other) for other in strategies[1:]]
    pairs += [(a, b) for a, b in itertools.pairwise(strategies) if (a, b) not in pairs]
    return pairs


def _means(cells: pd.DataFrame, strategy: str) -> pd.Series:
    return cells[cells["strategy"] == strategy].set_index(["family", "column"])["mean"]


def unhealthy_runs(scores: pd.DataFrame) -> pd.DataFrame:
    """``family, strategy, column, run_id`` of every score of a run that is not healthy (``scores`` carrying a
    ``verdict``; none without one)."""
    keys = ["family", "strategy", "column", "run_id"]
    if "verdict" not in scores:
        return pd.DataFrame(columns=keys)
    return scores.loc[scores["verdict"].fillna("healthy") != "healthy", keys]


def _unhealthy(cells: pd.DataFrame, mask: pd.Series, unhealthy: dict[tuple[str, str, str], set[str]]) -> int:
    """Distinct runs that are not healthy in the cells of ``mask``: a run scored in two columns (MNLI matched and
    mismatched) is one run."""
    chosen = cells.loc[mask, ["family", "strategy", "column"]].itertuples(index=False, name=None)
    return len(set().union(*(unhealthy.get((str(f), str(s), str(c)), set()) for f, s, c in chosen)))


def findings(
    glue: pd.DataFrame, cells: pd.DataFrame, strategies: list[str], suite: Suite, unhealthy: pd.DataFrame
) -> pd.DataFrame:
    """Rows ``finding, family, from, to, subject, value`` (``family`` for findings about one family) plus
    ``unhealthy_runs`` (distinct runs that are not healthy in the cells a finding rests on, from ``unhealthy``:
    ``unhealthy_runs``) and ``test_*`` (the paired comparison — family, from, to, task — that tests it, when one
    does). A pair's ``difference`` and ``retained`` rest on every cell of both strategies, so their count covers
    every other finding of the pair.

    - ``best``: the highest complete suite score (subject: "model (family, strategy)");
    - per pair (from → to), differences to − from in points: ``difference`` (suite, mean over families; tested over
      families), ``retained`` (to's share of from's score, mean over families), ``lower`` (a family–task cell more
      than 2 points lower; tested by seeds), ``higher`` (a cell where ``to`` scores higher), ``least_changed`` and
      ``most_changed`` (the task column whose mean size of difference over families, |to − from|, is smallest /
      largest; not
      tested).
    """
    by_cell = {
        (str(f), str(s), str(c)): set(ids)
        for (f, s, c), ids in unhealthy.groupby(["family", "strategy", "column"], observed=True)["run_id"]
    }
    rows: list[dict[str, object]] = []
    complete = glue[glue["complete"].astype(bool)]
    if not complete.empty:
        best = complete.sort_values("glue_score", kind="stable").iloc[-1]
        mask = (cells["family"] == best["family"]) & (cells["strategy"] == best["strategy"])
        rows.append(
            {
                "finding": "best",
                "subject": f"{best['model']} ({best['family']}, {best['strategy']})",
                "family": best["family"],
                "value": best["glue_score"],
                "unhealthy_runs": _unhealthy(cells, mask, by_cell),
            }
        )
    for source, target in finding_pairs(strategies):
        rows += _pair(cells, source, target, suite, by_cell)
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("family", "from", "to", "subject", "test_family", "test_from", "test_to", "test_task"):
        table[column] = table[column].astype(object).fillna("")
    table["unhealthy_runs"] = table["unhealthy_runs"].fillna(0).astype(int)
    return table


def _pair(
    cells: pd.DataFrame, source: str, target: str, suite: Suite, unhealthy: dict[tuple[str, str, str], set[str]]
) -> list[dict[str, object]]:
    """The findings of one pair of strategies."""
    a, b = _means(cells, source), _means(cells, target)
    differences = 100 * (b - a).dropna()
    if differences.empty:
        return []
    both = cells["strategy"].isin([source, target])
    pair = {"from": source, "to": target}
    by_family = differences.groupby(level="family").mean()
    rows: list[dict[str, object]] = [
        {
            **pair,
            "finding": "difference",
            "subject": suite.name,
            "value": by_family.mean(),
            "unhealthy_runs": _unhealthy(cells, both, unhealthy),
            "test_family": "all families" if len(by_family) > 1 else str(by_family.index[0]),
            "test_from": source,
            "test_to": target,
            "test_task": suite.name,
        }
    ]
    shared = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    per_family = shared.groupby(level="family").mean()
    rows.append(
        {
            **pair,
            "finding": "retained",
            "subject": "",
            "value": (per_family["b"] / per_family["a"]).mean(),
            "unhealthy_runs": _unhealthy(cells, both, unhealthy),
        }
    )
    for kind, chosen in (
        ("lower", differences[differences < -LOWER_POINTS].sort_values()),
        ("higher", differences[differences > 0].sort_values(ascending=False)),
    ):
        for key, value in chosen.items():
            family, column = key if isinstance(key, tuple) else (key, "")
            cell = (cells["family"] == family) & (cells["column"] == column) & both
            rows.append(
                {
                    **pair,
                    "finding": kind,
                    "family": family,
                    "subject": f"{family} {column}",
                    "value": value,
                    "unhealthy_runs": _unhealthy(cells, cell, unhealthy),
                    "test_family": family,
                    "test_from": source,
                    "test_to": target,
                    "test_task": suite.column_task(str(column)),
                }
            )
    # The size of a change, family by family: +3 on one family and −3 on another is a change, not none.
    by_task = differences.abs().groupby(level="column").mean()
    if len(by_task) > 1:
        size = by_task.sort_values(kind="stable")
        for kind, column in (("least_changed", size.index[0]), ("most_changed", size.index[-1])):
            mask = (cells["column"] == column) & both
            rows.append(
                {
                    **pair,
                    "finding": kind,
                    "subject": column,
                    "value": by_task[column],
                    "unhealthy_runs": _unhealthy(cells, mask, unhealthy),
                }
            )
    return rows
