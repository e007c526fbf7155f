"""Tidy CSV / JSONL / Parquet tables: one row per run and metric, every other column a field of the run.

Parquet is how other engines hand the site a runs table (see "Scaling out" on the Data & methodology page): the
site's own ``downloads/runs.parquet`` is such a table.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gen.config import TableSource
from gen.sources.base import FileOutcome, InputError, RunRecord, SourceLoad, as_field

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
    """Group rows that share every field into runs; each row adds one metric."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a table needs {', '.join(REQUIRED)}")
    field_columns = [c for c in frame.columns if c not in ("metric", "value")]
    runs: dict[tuple[str, ...], tuple[dict[str, str], dict[str, float]]] = {}
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        record = dict(zip(frame.columns, row, strict=True))
        try:
            value = float(str(record["value"]))
        except ValueError:
            raise InputError(f"row {row_number}, column 'value': {record['value']!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"row {row_number}, column 'value': {record['value']!r} is not a finite number")
        fields = {c: as_field(record[c]) for c in field_columns if record[c] not in ("", None)}
        key = tuple(fields.get(c, "") for c in field_columns)
        metrics = runs.setdefault(key, (fields, {}))[1]
        metric = str(record["metric"])
        if metric in metrics:
            raise InputError(f"row {row_number}: metric {metric!r} given twice for the same run")
        metrics[metric] = value
    # A run is named by its fields, not its row: the id stays the same when rows are added or removed, so versions
    # of a table can be compared run by run.
    return [
        RunRecord(source, source_file, ",".join(f"{k}={v}" for k, v in fields.items()), fields, metrics)
        for fields, metrics in runs.values()
    ]


def load_table(source: TableSource, label: str) -> SourceLoad:
    """Read one tidy table file."""
    name = source.path.name
    try:
        frame = read_frame(source.path)
        missing = [theirs for theirs in source.columns.values() if theirs not in frame.columns]
        if missing:
            raise InputError(
                f"column(s) {', '.join(map(repr, missing))} named in the source's columns: not in the table"
            )
        runs = table_runs(frame.rename(columns={theirs: ours for ours, theirs in source.columns.items()}), label, name)
    except InputError as exc:
        return SourceLoad(files=[FileOutcome(label, name, "rejected", reason=str(exc))])
    return SourceLoad(runs=runs, files=[FileOutcome(label, name, "ingested", runs=len(runs))])
