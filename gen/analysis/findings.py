"""Findings a researcher would write, as data: each with the numbers it rests on and where its evidence is."""

from __future__ import annotations

import pandas as pd

from gen.benchmarks import column_task

# "Trails" means a difference below −2 points.
TRAIL_POINTS = 2.0


def _label(key: object) -> str:
    return " ".join(str(part) for part in key) if isinstance(key, tuple) else str(key)


def _means(cells: pd.DataFrame, strategy: str) -> pd.Series:
    return cells[cells["strategy"] == strategy].set_index(["family", "column"])["mean"]


COLUMNS = [
    "finding",
    "subject",
    "value",
    "detail",
    "unhealthy_runs",
    "test_family",
    "test_from",
    "test_to",
    "test_task",
]


def findings(glue: pd.DataFrame, cells: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    """Rows ``finding, subject, value, detail``: best result; for the first (A), second (B) and last (C) strategy —
    the tasks most and least robust from B to C (difference C − B in points, mean over families), cells where B
    trails A by more than 2 points, cells where C beats B or A (differences in points), and C's retained share of
    B's score (mean over families of C/B over the task columns both have).

    ``unhealthy_runs`` counts the runs that are not healthy in the cells a finding rests on; ``test_*`` name the
    paired comparison (family, from, to, task) that tests a single cell's difference, empty when none does.
    """
    table = _findings(glue, cells, strategies)
    records = [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]
    table["unhealthy_runs"] = [_unhealthy(cells, strategies, row) for row in records]
    keys = [_test_key(row) for row in records]
    for index, name in enumerate(["test_family", "test_from", "test_to", "test_task"]):
        table[name] = [key[index] for key in keys]
    return table[COLUMNS]


def _test_key(row: dict[str, object]) -> tuple[str, str, str, str]:
    """The comparison that tests a per-cell finding: its family, strategies and task (the column's task)."""
    if row["finding"] not in ("trails", "surprise"):
        return ("", "", "", "")
    family, _, column = str(row["subject"]).partition(" ")
    source, _, target = str(row["detail"]).partition(" → ")
    return (family, source, target, column_task(column))


def _unhealthy(cells: pd.DataFrame, strategies: list[str], row: dict[str, object]) -> int:
    """Runs that are not healthy in the cells one finding rests on."""
    if "n_unhealthy" not in cells or cells.empty:
        return 0
    first, second, last = strategies[0], strategies[min(1, len(strategies) - 1)], strategies[-1]
    kind, subject, detail = str(row["finding"]), str(row["subject"]), str(row["detail"])
    family, _, column = subject.partition(" ")
    if kind == "best":
        mask = (
            cells["model"].astype(str) + " (" + cells["family"].astype(str) + ", " + cells["strategy"].astype(str) + ")"
            == subject
        )
    elif kind in ("most_robust", "least_robust"):
        mask = (cells["column"] == subject) & cells["strategy"].isin([second, last])
    elif kind == "trails":
        mask = (cells["family"] == family) & (cells["column"] == column) & cells["strategy"].isin([first, second])
    elif kind == "surprise":
        other = detail.partition(" → ")[0]
        mask = (cells["family"] == family) & (cells["column"] == column) & cells["strategy"].isin([other, last])
    elif kind == "retained_family":
        mask = (cells["family"] == subject) & cells["strategy"].isin([second, last])
    else:
        mask = cells["strategy"].isin([second, last])
    return int(cells.loc[mask, "n_unhealthy"].fillna(0).sum())


def _findings(glue: pd.DataFrame, cells: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    complete = glue[glue["complete"].astype(bool)]
    if not complete.empty:
        best = complete.sort_values("glue_score", kind="stable").iloc[-1]
        rows.append(
            {
                "finding": "best",
                "subject": f"{best['model']} ({best['family']}, {best['strategy']})",
                "value": best["glue_score"],
                "detail": "",
            }
        )
    if len(strategies) < 3:
        return pd.DataFrame(rows, columns=COLUMNS[:4])
    first, second, last = strategies[0], strategies[1], strategies[-1]
    a, b, c = _means(cells, first), _means(cells, second), _means(cells, last)
    # Differences are to − from, in points, on every page: negative means the later strategy scores lower.
    b_to_c = 100 * (c - b).dropna()
    if not b_to_c.empty:
        by_task = b_to_c.groupby(level="column").mean().sort_values()
        rows.append({"finding": "least_robust", "subject": by_task.index[0], "value": by_task.iloc[0], "detail": ""})
        rows.append({"finding": "most_robust", "subject": by_task.index[-1], "value": by_task.iloc[-1], "detail": ""})
    trailing = 100 * (b - a).dropna()
    for key, gap in trailing[trailing < -TRAIL_POINTS].sort_values().items():
        rows.append({"finding": "trails", "subject": _label(key), "value": gap, "detail": f"{first} → {second}"})
    for other, name in ((b, second), (a, first)):
        ahead = 100 * (c - other).dropna()
        for key, lead in ahead[ahead > 0].sort_values(ascending=False).items():
            rows.append({"finding": "surprise", "subject": _label(key), "value": lead, "detail": f"{name} → {last}"})
    shared = pd.concat([b.rename("b"), c.rename("c")], axis=1).dropna()
    if not shared.empty:
        per_family = shared.groupby(level="family").mean()
        shares = per_family["c"] / per_family["b"]
        rows.append({"finding": "retained", "subject": f"{last} of {second}", "value": shares.mean(), "detail": ""})
        rows += [
            {"finding": "retained_family", "subject": str(family), "value": share, "detail": ""}
            for family, share in shares.items()
        ]
    return pd.DataFrame(rows, columns=COLUMNS[:4])
