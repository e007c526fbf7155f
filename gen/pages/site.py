"""Write the generated site: pages, chart files, downloads and the bundled chart JavaScript."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gen import __version__, charts, images
from gen.analysis.efficiency import COMBINED
from gen.analysis.scores import glue_table
from gen.fingerprint import MIKE_VERSION, STATIC_IMAGES
from gen.pages import (
    accuracy,
    changes,
    coverage,
    data,
    efficiency,
    overview,
    quality,
    reproduction,
    statistics,
    tradeoffs,
    training,
    variants,
)
from gen.pages import embeds as embed_registry
from gen.pages.drilldown import family_pages, task_pages
from gen.pages.embeds import Embeds
from gen.pages.figure import FigureRef
from gen.pages.render import Page
from gen.pages.writers import Writer
from gen.report import Report
from gen.runs import wide_runs

BUNDLE_PATH = "javascripts/vega-bundle.js"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values) or values.dtype == "category"):
            continue
        # Decided once per distinct value: a runs table repeats its names on every row.
        distinct = values.cat.categories if values.dtype == "category" else values.dropna().unique()
        formulas = {v: f"'{v}" for v in distinct if isinstance(v, str) and v.startswith(_FORMULA_START)}
        if formulas:
            safe[column] = values.astype(object).replace(formulas)
    return safe


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A Parquet download (no index; pyarrow writes no timestamps, so equal frames give equal bytes)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, compression="zstd")
    return buffer.getvalue()


def csv_text(frame: pd.DataFrame) -> str:
    """A CSV download: full precision, Unix newlines, formula cells neutralised."""
    return str(neutralise(frame).to_csv(index=False, lineterminator="\n"))


# Larger tables are data dumps (runs, curves), not tables for a paper: CSV only.
LATEX_MAX_ROWS = 500


def latex_text(frame: pd.DataFrame) -> str:
    """A booktabs LaTeX table for papers: text escaped for LaTeX, numbers to four significant decimals."""
    styler = frame.style.format(precision=4, escape="latex", na_rep="--").format_index(escape="latex", axis=1)
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    return str(styler.hide(axis="index").to_latex(hrules=True, column_format=align))


def combined_download(report: Report) -> pd.DataFrame:
    """The combined table's contract: ``score`` is the suite score; ``glue_score`` stays beside it for GLUE."""
    table = report.combined[COMBINED]
    table.insert(3, "score", table["glue_score"])
    return table if report.config.suite.name == "GLUE" else table.drop(columns="glue_score")


def downloads(report: Report) -> dict[str, pd.DataFrame]:
    """Every table offered for download, by file name (the stable contract on the Data page)."""
    frames = {
        "runs.csv": wide_runs(report.runs),
        "glue_table.csv": glue_table(report.cells, report.glue),
        "combined.csv": combined_download(report),
        "observations.csv": report.observations,
        "score_cells.csv": report.cells.drop(columns="column_rank"),
        "differences.csv": report.differences,
        "efficiency.csv": report.measured,
        "files.csv": report.runs.files,
        "unmatched.csv": report.runs.unmatched,
        "duplicates.csv": report.runs.duplicates,
        "warnings.csv": report.runs.warnings,
        "run_health.csv": report.health.health.runs,
        "seed_repeats.csv": report.health.health.seed_repeats,
        "varying_settings.csv": report.health.health.varying,
        "sensitivity.csv": report.health.sensitivity,
        "cell_stats.csv": report.cell_stats.drop(columns="column_rank"),
        "comparisons.csv": report.comparisons,
        "tradeoffs.csv": report.tradeoffs,
        "coverage.csv": report.coverage.cells,
        "missing_runs.csv": report.coverage.missing,
        "best_steps.csv": report.training.best,
        "training_curves.csv": report.training.bands,
    }
    if report.reference is not None:
        frames["reference_efficiency.csv"] = report.reference
    if report.reproduction is not None:
        frames["reproduction.csv"] = report.reproduction.cells.drop(columns="column_rank")
    if report.variants is not None:
        frames["variant_cells.csv"] = report.variants.cells.drop(columns="column_rank")
        frames["rank_sweep.csv"] = report.variants.sweep
    return frames


def pages(report: Report) -> Iterator[Page]:
    """Every generated page, one at a time (so a page's charts can render while the next is built)."""
    modules = (
        overview,
        accuracy,
        statistics,
        variants,
        efficiency,
        tradeoffs,
        training,
        reproduction,
        coverage,
        quality,
        changes,
        data,
    )
    for module in modules:
        yield module.page(report)
    yield from family_pages(report)
    yield from task_pages(report)


def embeds(report: Report, built: list[Page]) -> Embeds:
    """Everything hand-written pages may embed by name (documented on the Writing pages page)."""
    labels = {c.column: c.label for c in report.config.suite.columns()}
    numbers = {
        f"glue_score.{row['family']}.{row['strategy']}": f"{row['glue_score']:.4f}"
        for row in report.glue.to_dict("records")
    }
    numbers |= {
        f"{row['observation']}.{row['from']}.{row['to']}": overview.observation_value(
            str(row["observation"]), float(row["value"])
        )
        for row in report.observations.to_dict("records")
    }
    numbers["runs"] = f"{report.runs.table['run_id'].nunique():,}"
    numbers["completion_rate"] = f"{report.coverage.rate:.1%}"
    return Embeds(
        tables={
            "combined": overview.combined_table(report),
            "task-scores": accuracy.task_table(report, labels),
            "differences": accuracy.differences_table(report),
        },
        charts={
            chart.name: FigureRef(chart.name, chart.title, chart.description) for page in built for chart in page.charts
        },
        numbers=numbers,
    )


def write_site(report: Report, writer: Writer) -> None:
    """Write pages, their charts (spec, SVG, PNG), the downloads and the chart bundle."""
    built = []
    static = os.environ.get(STATIC_IMAGES, "on") != "off"
    # Each page's chart images render in worker processes from when the page is built, while this process goes on.
    with images.Renderer() as renderer:
        for page in pages(report):
            built.append(page)
            if static:
                renderer.add([charts.static_spec(chart.spec) for chart in page.charts])
            writer.write(page.path, page.markdown + "\n")
            for chart in page.charts:
                for path, content in charts.spec_files(chart).items():
                    writer.write(path, content)
                writer.write(f"charts/{chart.name}.csv", csv_text(charts.chart_data(chart)))
        # Read by gen/hooks.py when MkDocs renders the hand-written pages, later in this build.
        embed_registry.CURRENT = embeds(report, built)
        frames = downloads(report)
        files = {name: csv_text(frame) for name, frame in frames.items()}
        for name, text in files.items():
            writer.write(f"downloads/{name}", text)
            if len(frames[name]) <= LATEX_MAX_ROWS:
                writer.write(f"downloads/{name.removesuffix('.csv')}.tex", latex_text(frames[name]))
        writer.write("downloads/runs.parquet", parquet_bytes(report.runs.all_table))
        every_chart = [chart for page in built for chart in page.charts] if static else []
        for chart, (svg, png) in zip(every_chart, renderer.images(), strict=True):
            writer.write(f"charts/{chart.name}.svg", svg)
            writer.write(f"charts/{chart.name}.png", png)
        writer.write(BUNDLE_PATH, renderer.bundle())
    writer.footer(footer(report, files["runs.csv"]))
    if os.environ.get(MIKE_VERSION):
        writer.version_selector()


def footer(report: Report, runs_csv: str) -> str:
    """What the site was built from: a fingerprint of the runs table, its size, the generator and the commit."""
    fingerprint = hashlib.sha256(runs_csv.encode()).hexdigest()[:12]
    parts = [
        f"Results fingerprint {fingerprint}",
        f"{report.runs.table['run_id'].nunique():,} runs",
        f"generator {__version__}",
    ]
    if report.commit:
        parts.append(f"commit {report.commit}")
    if version := os.environ.get(MIKE_VERSION):
        parts.insert(0, f"Version {version}")
    return " · ".join(parts)
