"""Reference efficiency tables typed by people, with units in the cells (``110M``, ``1332.0MB``, ``6.10s``)."""

from __future__ import annotations

import difflib
import re
import stat
from pathlib import Path

import pandas as pd

from gen.config import EfficiencyConfig
from gen.config.base import ConfigError
from gen.sources.discovery import file_kind

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
        kind = path.stat().st_mode
        if not stat.S_ISREG(kind):  # a FIFO would be waited on forever, a device read without end
            raise ConfigError(f"{path}: cannot read the reference table: not a regular file ({file_kind(kind)})")
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


# How many names a reason lists when none is close to the one given.
_NAMES_SHOWN = 8


def unmatched_reference_rows(reference: pd.DataFrame, runs_keys: pd.DataFrame) -> list[tuple[str, str]]:
    """(field, reason) of every reference row whose model and strategy together match no run, naming the nearest
    names the runs have (``BERT-Base`` where the runs say ``BERT-base``): such a row's costs are shown nowhere.

    ``reference`` is ``load_reference``'s table (row ``i`` from the CSV's row ``i + 2``, after the header);
    ``runs_keys`` has a ``model`` and a ``strategy`` column, one row per run or per (model, strategy).
    """
    pairs = set(zip(runs_keys["model"].astype(str), runs_keys["strategy"].astype(str), strict=True))
    models = sorted({model for model, _ in pairs})
    strategies = sorted({strategy for _, strategy in pairs})
    found = []
    rows = zip(reference["model"].astype(str), reference["strategy"].astype(str), strict=True)
    for number, (model, strategy) in enumerate(rows, start=2):
        if (model, strategy) in pairs:
            continue
        why = []
        if model not in models:
            why.append(f"no run's model is {model!r} ({_nearest(model, models, 'models')})")
        if strategy not in strategies:
            why.append(f"no run's strategy is {strategy!r} ({_nearest(strategy, strategies, 'strategies')})")
        if not why:
            has = sorted(s for m, s in pairs if m == model)
            why.append(f"no run of {model!r} has strategy {strategy!r} (its strategies: {_listed(has)})")
        found.append((f"row {number}", f"model {model!r}, strategy {strategy!r} matches no run: {'; '.join(why)}"))
    return found


def _nearest(name: str, names: list[str], kind: str) -> str:
    """The names closest to ``name`` (same but for case first), or all of them when none is close."""
    same = [other for other in names if other.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, names, n=3)
    if close:
        return f"nearest: {_listed(close)}"
    return f"the runs' {kind}: {_listed(names)}" if names else f"the runs have no {kind}"


def _listed(names: list[str]) -> str:
    shown = ", ".join(map(repr, names[:_NAMES_SHOWN]))
    return shown + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")
