"""Tidy CSV / JSONL / Parquet tables: one row per run and metric, every other column a field of the run.

Parquet is how other engines hand the site a runs table (see "Scaling out" on the Data & methodology page): the
site's own ``downloads/runs.parquet`` is such a table.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gen.config.base import ConfigError
from gen.config.sources import TableSource
from gen.sources.base import FileOutcome, InputError, RunRecord, SourceLoad, as_field
from gen.sources.discovery import file_kind

REQUIRED = ("task", "metric", "value")


def read_frame(path: Path) -> pd.DataFrame:
    """The table as strings; JSONL for ``.jsonl``/``.ndjson``, Parquet for ``.parquet``, CSV otherwise."""
    try:
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(path)
        if suffix == ".parquet":
            return _read_parquet(path)
        return pd.read_csv(path, dtype="string", keep_default_na=False, encoding="utf-8")
    except (
        ValueError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        orjson.JSONDecodeError,
        pa.ArrowException,
    ) as exc:
        raise InputError(f"cannot parse table: {str(exc).splitlines()[0]}") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    # Typed columns become the strings the other formats give (8.0 and 8 are one setting); nulls become "".
    frame = pq.read_table(path).to_pandas()
    return pd.DataFrame(
        {column: [("" if pd.isna(v) else as_field(v)) for v in frame[column]] for column in frame.columns}
    )


def _read_jsonl(path: Path) -> pd.DataFrame:
    # orjson rather than pandas' JSON reader, which rounds floats (0.7 -> 0.7000000000000001).
    records = []
    for line_number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        record = orjson.loads(line)
        if not isinstance(record, dict):
            raise InputError(f"line {line_number}: expected a JSON object")
        records.append({k: "" if v is None else as_field(v) for k, v in record.items()})
    return pd.DataFrame(records).fillna("")


def table_runs(frame: pd.DataFrame, source: str, source_file: str) -> list[RunRecord]:
    """Group rows that share every field into runs; each row adds one metric.

    ``frame`` has the ``REQUIRED`` columns (``load_table`` checks). A row that cannot be used (a value that is not a
    finite number, a metric given twice, no task or family) makes its run a rejected one, naming the row and
    column: the table's other runs are kept.
    """
    field_columns = [c for c in frame.columns if c not in ("metric", "value")]
    # Field values -> (fields, metrics, what is wrong with its rows: the first is the run's problem).
    runs: dict[tuple[str, ...], tuple[dict[str, str], dict[str, float], list[str]]] = {}
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        record = dict(zip(frame.columns, row, strict=True))
        fields = {c: as_field(record[c]) for c in field_columns if record[c] not in ("", None)}
        key = tuple(fields.get(c, "") for c in field_columns)
        _, metrics, problems = runs.setdefault(key, (fields, {}, []))
        metric = str(record["metric"])
        try:
            value = _row_value(record["value"], row_number)
            _check_row(fields, metric, metrics, row_number)
        except InputError as exc:
            problems.append(str(exc))
            continue
        metrics[metric] = value
    # A run is named by its fields, not its row: the id stays the same when rows are added or removed, so versions
    # of a table can be compared run by run.
    return [
        RunRecord(
            source,
            source_file,
            ",".join(f"{k}={v}" for k, v in fields.items()),
            fields,
            metrics,
            problem=problems[0] if problems else "",
        )
        for fields, metrics, problems in runs.values()
    ]


def _row_value(cell: object, row_number: int) -> float:
    try:
        value = float(str(cell))
    except ValueError:
        raise InputError(f"row {row_number}, column 'value': {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"row {row_number}, column 'value': {cell!r} is not a finite number")
    return value


def _check_row(fields: dict[str, str], metric: str, metrics: dict[str, float], row_number: int) -> None:
    """InputError when a row cannot add its metric to its run."""
    if not metric:
        raise InputError(f"row {row_number}, column 'metric': empty")
    if metric in metrics:
        raise InputError(f"row {row_number}: metric {metric!r} given twice for the same run")
    for required, what in (("task", "a task"), ("family", "a model family")):
        if required not in fields:
            # Every run is placed by its task and family (as for result files); an empty cell leaves it nowhere.
            raise InputError(f"row {row_number}, column {required!r}: empty or absent (every run needs {what})")


def load_table(source: TableSource, label: str) -> SourceLoad:
    """Read one tidy table file; ConfigError when it lacks a column a table needs (a mapping to fix in the config).

    A file that cannot be read as a table (or is no regular file: a FIFO would never end) is rejected; a bad row
    rejects its run only (see ``table_runs``).
    """
    name = source.path.name
    try:
        kind = os.stat(source.path).st_mode
        if not stat.S_ISREG(kind):
            raise InputError(f"not a regular file ({file_kind(kind)}): not read")
        frame = read_frame(source.path)
    except OSError as exc:
        return SourceLoad(files=[FileOutcome(label, name, "rejected", reason=f"unreadable: {exc.strerror}")])
    except InputError as exc:
        return SourceLoad(files=[FileOutcome(label, name, "rejected", reason=str(exc))])
    check_columns(frame, source)
    runs = table_runs(frame.rename(columns={theirs: ours for ours, theirs in source.columns.items()}), label, name)
    return SourceLoad(runs=runs, files=[FileOutcome(label, name, "ingested", runs=len(runs))])


def check_columns(frame: pd.DataFrame, source: TableSource) -> None:
    """ConfigError naming the file, the columns it has and the mapping to write, when the source's ``columns``
    name a column the table lacks or a required column has no column to come from."""
    has = [str(c) for c in frame.columns]
    listed = ", ".join(map(repr, has)) or "none"
    unknown = [theirs for theirs in source.columns.values() if theirs not in has]
    if unknown:
        raise ConfigError(
            f"{source.path}: the source's columns name {', '.join(map(repr, unknown))}, not in the table "
            f"(it has {listed}) — fix the names under the source's columns: in the config"
        )
    missing = [ours for ours in REQUIRED if source.columns.get(ours, ours) not in has]
    if missing:
        mapping = ", ".join(f"{ours}: {_likely_column(ours, has)}" for ours in missing)
        raise ConfigError(
            f"{source.path}: a table needs columns {', '.join(REQUIRED)}; no column for {', '.join(missing)} "
            f"(it has {listed}) — map yours under the source's columns: in the config, e.g. columns: {{{mapping}}}"
        )


def _likely_column(ours: str, has: list[str]) -> str:
    """The table's column most likely meant for ``ours`` (same name but for case, or a close spelling)."""
    for theirs in has:
        if theirs.casefold() == ours:
            return repr(theirs)
    close = difflib.get_close_matches(ours, has, n=1)
    return repr(close[0]) if close else "<your column>"
