"""Every configured source read by its reader; the result accounts for every file found."""

from __future__ import annotations

from gen.config import ReportConfig
from gen.config.sources import HfTrainerSource, LegacyJsonSource, LmEvalSource, MetricsJsonSource, TableSource
from gen.sources.base import SourceLoad
from gen.sources.discovery import no_cycle_collection
from gen.sources.hf_trainer import load_hf_trainer
from gen.sources.legacy_json import load_legacy_json
from gen.sources.lm_eval import load_lm_eval
from gen.sources.metrics_json import load_metrics_json
from gen.sources.table import load_table


def load_sources(config: ReportConfig) -> SourceLoad:
    """Read every configured source; the result accounts for every file found."""
    loads: list[SourceLoad] = []
    with no_cycle_collection():
        for index, source in enumerate(config.sources):
            label = f"{index + 1}:{source.type}"
            if isinstance(source, MetricsJsonSource):
                loads.append(load_metrics_json(source, label))
            elif isinstance(source, LegacyJsonSource):
                loads.append(load_legacy_json(source, label))
            elif isinstance(source, HfTrainerSource):
                loads.append(load_hf_trainer(source, label))
            elif isinstance(source, LmEvalSource):
                loads.append(load_lm_eval(source, label))
            elif isinstance(source, TableSource):
                loads.append(load_table(source, label))
        return SourceLoad.concat(loads)
