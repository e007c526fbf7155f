"""Small hand-made runs for unit tests."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from gen.config import ReportConfig, StrategyRule
from gen.config.sources import TableSource
from gen.runs import Runs, build_runs
from gen.sources.base import FileOutcome, RunRecord


def config(score: str = "primary", strategies: tuple[str, ...] = ("FFT", "LoRA", "KD-LoRA")) -> ReportConfig:
    """A config whose strategy rules match the ``variant`` field equal to the strategy's name."""
    return ReportConfig(
        score=score,  # type: ignore[arg-type]
        sources=[TableSource(type="table", path=Path("unused.csv"))],
        strategies=[StrategyRule(name=s, match={"variant": s}) for s in strategies],
        models={"bert": {"name": "BERT-base", "KD-LoRA": "DistilBERT"}, "roberta": {"name": "RoBERTa-base"}},
    )


def run(family: str, variant: str, task: str, seed: int | str, **metrics: float) -> RunRecord:
    """One run whose file is named after its fields."""
    name = f"{variant}/{task}_{family}_{seed}.json"
    fields = {"family": family, "variant": variant, "task": task, "seed": str(seed)}
    return RunRecord("1:test", name, "", fields, dict(metrics))


def runs_of(records: list[RunRecord], score: str = "primary") -> Runs:
    """The runs table of hand-made records, every file counted once."""
    files = [FileOutcome(r.source, r.source_file, "ingested", runs=1) for r in records]
    return build_runs(records, files, config(score))


def table_of(records: list[RunRecord], score: str = "primary") -> pd.DataFrame:
    """Just the tidy table."""
    return runs_of(records, score).table


class Process(NamedTuple):
    """A process as /proc shows it."""

    state: str  # "Z" once it has ended (a zombie: only its exit status is left)
    parent: int
    session: int
    command: str


def processes() -> dict[int, Process]:
    """Every process listed in /proc, by pid."""
    found = {}
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            stat = (folder / "stat").read_text()
            command = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended while listed
            continue
        # Fields after the command name (which may hold spaces): state, ppid, pgrp, session, ...
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(folder.name)] = Process(fields[0], int(fields[1]), int(fields[3]), command)
    return found
