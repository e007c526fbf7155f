"""Names as readers know them, for the frames pages hand to charts: families by their ``models:`` names, PEFT
methods as people write them. Ids stay in tables' links and downloads; charts show names."""

from __future__ import annotations

import pandas as pd

from gen.report import Report

METRIC_NAMES = {
    "accuracy": "accuracy",
    "f1": "F1",
    "matthews_correlation": "Matthews correlation",
    "pearson": "Pearson correlation",
    "spearman": "Spearman correlation",
    "matched_accuracy": "matched accuracy",
    "mismatched_accuracy": "mismatched accuracy",
}


def metric_name(metric: str) -> str:
    """A metric as it is written in prose ("Matthews correlation")."""
    return METRIC_NAMES.get(metric, metric.replace("_", " "))


def for_charts(report: Report, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its family and method columns (where present) holding display names."""
    config = report.config
    named = frame.copy()
    for column, label in (("family", config.family_label), ("method", config.method_label)):
        if column in named:
            # Once per distinct value, not per row: a scores frame holds a row per run and task column.
            names = {value: label(str(value)) for value in named[column].dropna().unique()}
            named[column] = named[column].map(names)
    return named


def chart_families(report: Report) -> list[str]:
    """The configured family order, by display name."""
    return [report.config.family_label(family) for family in report.config.family_order]
