"""Readers for each kind of result source; each returns runs plus an account of every file it saw."""

from __future__ import annotations

from gen.config import LegacyJsonSource, MetricsJsonSource, ReportConfig, TableSource
from gen.sources.base import FileOutcome, RunRecord, SourceLoad
from gen.sources.legacy_json import load_legacy_json
from gen.sources.metrics_json import load_metrics_json
from gen.sources.table import load_table

__all__ = ["FileOutcome", "RunRecord", "SourceLoad", "load_sources"]


def load_sources(config: ReportConfig) -> SourceLoad:
    """Read every configured source; the result accounts for every file found."""
    loads: list[SourceLoad] = []
    for index, source in enumerate(config.sources):
        label = f"{index + 1}:{source.type}"
        if isinstance(source, MetricsJsonSource):
            loads.append(load_metrics_json(source, label))
        elif isinstance(source, LegacyJsonSource):
            loads.append(load_legacy_json(source, label))
        elif isinstance(source, TableSource):
            loads.append(load_table(source, label))
    return SourceLoad.concat(loads)
