"""What every source reader produces: run records and one outcome per file."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["ingested", "rejected", "ignored"]


class InputError(Exception):
    """A result file that cannot be used; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class RunRecord:
    """One run as read from a file: its fields (settings, as strings) and final metrics."""

    source: str
    source_file: str
    key: str
    fields: dict[str, str]
    metrics: dict[str, float]

    @property
    def run_id(self) -> str:
        """Stable identity: the file (relative to its source root) plus the run's key inside it."""
        return f"{self.source_file}#{self.key}" if self.key else self.source_file


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file."""

    source: str
    source_file: str
    outcome: Outcome
    runs: int = 0
    reason: str = ""


@dataclass
class SourceLoad:
    """Runs read plus the outcome of every file found."""

    runs: list[RunRecord] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)

    @classmethod
    def concat(cls, loads: list[SourceLoad]) -> SourceLoad:
        """Join the loads of several sources."""
        return cls(
            runs=[run for load in loads for run in load.runs],
            files=[f for load in loads for f in load.files],
        )


def as_number(value: object, name: str) -> float:
    """A finite real number, or InputError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"field '{name}': expected a number, got {type(value).__name__} {value!r:.40}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"field '{name}': {value!r} is not a finite number")
    return number


def as_field(value: object) -> str:
    """A setting as the string rules compare against (``8.0`` and ``8`` are the same setting)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
