"""A chart's files: the spec the browser fetches (its data split off when large), its data table, and the spec at
fixed width for the static renderings."""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd

from gen.charts.base import INLINE_ROWS, WIDTH, Chart
from gen.images import spec_json


def static_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec at its fixed width: a static rendering has no container to fit."""
    if spec.get("width") != "container":
        return spec
    return {key: value for key, value in spec.items() if key != "autosize"} | {"width": WIDTH}


def _rows(chart: Chart) -> list[dict[str, Any]]:
    """The rows of the chart's top-level dataset (every chart here draws one inline dataset)."""
    data = chart.spec.get("data")
    name = data.get("name") if isinstance(data, dict) else None
    rows: list[dict[str, Any]] = chart.spec.get("datasets", {}).get(name, [])
    return rows


def chart_data(chart: Chart) -> pd.DataFrame:
    """The rows a chart draws, as a table (offered as charts/<name>.csv beside the chart).

    A chart whose views draw different datasets (e.g. dots and intervals) gets all of them, one after the other,
    each row with the columns it has.
    """
    rows = _rows(chart)
    if not rows:
        rows = [row for dataset in chart.spec.get("datasets", {}).values() for row in dataset]
    return pd.DataFrame.from_records(rows)


def data_path(chart: Chart) -> str:
    """Where a chart's data lives when it is too large to sit in the spec (relative to the spec's folder)."""
    return f"{chart.name}.data.json"


def served_spec(chart: Chart) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The spec the browser fetches, and the rows it loads from a separate file when there are many (else None).

    The spec names the data file by a URL relative to the spec file; the chart script makes that the base URL of
    vega's loader, so the spec works from any page.
    """
    rows = _rows(chart)
    if len(rows) <= INLINE_ROWS:
        return chart.spec, None
    spec = {key: value for key, value in chart.spec.items() if key != "datasets"}
    spec["data"] = {"url": data_path(chart), "format": {"type": "json"}}
    return spec, rows


def spec_files(chart: Chart) -> dict[str, str]:
    """The browser's files of a chart under charts/: its spec, and its data file when the data is large.

    The static SVG and PNG come from gen.images, rendered from static_spec(chart.spec).
    """
    spec, rows = served_spec(chart)
    files = {f"charts/{chart.name}.vl.json": spec_json(spec) + "\n"}
    if rows is not None:
        files[f"charts/{data_path(chart)}"] = orjson.dumps(rows, option=orjson.OPT_SORT_KEYS).decode("utf-8") + "\n"
    return files
