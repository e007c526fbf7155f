"""How pages word a paired test: one phrase for every page that shows a difference between strategies."""

from __future__ import annotations

import weakref
from typing import Any

import pandas as pd

from gen.analysis.stats import ALPHA, NO_SEEDS, TOO_FEW
from gen.report import Report

Key = tuple[str, str, str, str]
PLURALS = {"family": "families"}
# Several tables of a page look tests up: each report's comparisons are turned into lookups once.
_LOOKUPS: weakref.WeakKeyDictionary[Report, dict[str, dict[Key, dict[str, Any]]]] = weakref.WeakKeyDictionary()


def verdict(row: dict[str, Any] | pd.Series | None) -> str:
    """ "significant" or "not significant" with n and its unit (and the uncorrected p when only Holm's correction
    makes it not significant); why there is no test otherwise."""
    if row is None:
        return "not tested"
    test = str(row["test"])
    if test in (NO_SEEDS, TOO_FEW):
        return test
    unit = str(row["unit"])
    n = f"n = {int(row['n'])} {unit if int(row['n']) == 1 else PLURALS.get(unit, unit + 's')}"
    p_holm = row["p_holm"]
    if pd.isna(p_holm):
        return f"no spread to test, {n}"
    if bool(row["significant"]):
        return f"significant, {n}"
    # A difference that only the correction over the page's many tests leaves unproven is not "no difference".
    p = float(row["p"])
    return f"not significant after correction, uncorrected p = {p:.2g}, {n}" if p < ALPHA else f"not significant, {n}"


def tests_by_key(report: Report, compared: str = "strategies") -> dict[Key, dict[str, Any]]:
    """The comparisons of one kind by (family, from, to, task)."""
    lookups = _LOOKUPS.setdefault(report, {})
    if compared not in lookups:
        rows = report.comparisons[report.comparisons["compared"] == compared]
        lookups[compared] = {
            (str(r["family"]), str(r["from"]), str(r["to"]), str(r["task"])): {str(k): v for k, v in r.items()}
            for r in rows.to_dict("records")
        }
    return lookups[compared]
