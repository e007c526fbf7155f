"""Reference efficiency tables typed by people, with units in the cells (``110M``, ``1332.0MB``, ``6.10s``)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from gen.config import ConfigError, EfficiencyConfig

# Factor from each unit to the column's own unit (params: millions, memory: MB, time: seconds).
UNITS: dict[str, dict[str, float]] = {
    "params_m": {"": 1.0, "K": 1e-3, "M": 1.0, "B": 1e3},
    "memory_mb": {
        "": 1.0,
        "B": 1e-6,
        "KB": 1e-3,
        "MB": 1.0,
        "GB": 1e3,
        "KiB": 1024 / 1e6,
        "MiB": 1024**2 / 1e6,
        "GiB": 1024**3 / 1e6,
    },
    "inference_s": {"": 1.0, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0},
}
_CELL = re.compile(r"^\s*(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z]*)\s*$")


def parse_quantity(cell: str, column: str) -> float:
    """A cell such as ``2.9M`` in the unit of ``column``; ValueError says what is wrong."""
    found = _CELL.match(cell)
    if not found:
        raise ValueError(f"{cell!r} is not a number with an optional unit")
    units = UNITS[column]
    unit = found["unit"]
    if unit not in units:
        raise ValueError(f"unit {unit!r} does not fit {column} (use one of {', '.join(u for u in units if u)})")
    value = float(found["number"]) * units[unit]
    if value < 0:
        raise ValueError(f"{cell!r} is negative")
    return value


def load_reference(efficiency: EfficiencyConfig) -> pd.DataFrame:
    """The reference table as ``model, strategy, params_m, memory_mb, inference_s`` (units converted)."""
    path = Path(efficiency.table or "")
    try:
        raw = pd.read_csv(path, dtype="string", keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the reference table: {exc}") from None
    wanted = [*efficiency.keys.items(), *efficiency.columns.items()]
    missing = [f"{key} -> {col!r}" for key, col in wanted if col not in raw.columns]
    if missing:
        raise ConfigError(
            f"{path}: key 'efficiency.keys/columns': column(s) {', '.join(missing)} not in the table "
            f"(it has {', '.join(map(repr, raw.columns))}) — fix the mapping in the config"
        )
    rows = []
    for row_number, row in enumerate(raw.to_dict("records"), start=2):
        parsed: dict[str, object] = {key: str(row[col]) for key, col in efficiency.keys.items()}
        for column, source_column in efficiency.columns.items():
            try:
                parsed[column] = parse_quantity(str(row[source_column]), column)
            except ValueError as exc:
                raise ConfigError(f"{path}: row {row_number}, column {source_column!r}: {exc}") from None
        rows.append(parsed)
    return pd.DataFrame(rows, columns=["model", "strategy", "params_m", "memory_mb", "inference_s"])
