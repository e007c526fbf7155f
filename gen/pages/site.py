"""Write the generated site: pages, chart files, downloads and the bundled chart JavaScript."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gen import __version__, charts, forked, images, memo
from gen.analysis.efficiency import COMBINED
from gen.analysis.scores import glue_table
from gen.config import ReportConfig
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
from gen.pages.figure import FigureRef, fenced_html
from gen.pages.render import Page
from gen.pages.writers import RecordingWriter, Writer
from gen.report import Report
from gen.runs import wide_runs

BUNDLE_PATH = "javascripts/vega-bundle.js"
T = TypeVar("T")
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
    """A booktabs LaTeX table for papers: text escaped for LaTeX, numbers to four decimals, missing values as --.

    The text pandas' ``Styler.to_latex`` gives for it (tests/pages/test_render.py compares the two), written row by
    row: the Styler took 0.13 s of every generation for these few small tables. Columns are named by text, as every
    download's are (the Styler writes other labels, a MultiIndex's say, its own way).
    """
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    header = [_latex_text(label) if isinstance(label, str) else str(label) for label in frame.columns]
    columns = [[_latex_value(value) for value in frame[c].tolist()] for c in frame.columns]
    rows = [" & ".join(cells) + " \\\\" for cells in zip(*columns, strict=True)] if columns else []
    lines = [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(header) + " \\\\", "\\midrule", *rows]
    return "\n".join([*lines, "\\bottomrule", "\\end{tabular}", ""])


# LaTeX's special characters but the backslash, as pandas escapes them: a command word swallows the space after
# it, which \space puts back.
_LATEX_ESCAPES = [
    ("&", "\\&"),
    ("%", "\\%"),
    ("$", "\\$"),
    ("#", "\\#"),
    ("_", "\\_"),
    ("{", "\\{"),
    ("}", "\\}"),
    ("~ ", "~\\space "),
    ("~", "\\textasciitilde "),
    ("^ ", "^\\space "),
    ("^", "\\textasciicircum "),
]


def _latex_text(text: str) -> str:
    first, *rest = text.split("\\")
    return _latex_escaped(first) + "".join(
        "\\textbackslash " + ("\\space" if part.startswith(" ") else "") + _latex_escaped(part) for part in rest
    )


def _latex_escaped(text: str) -> str:
    for character, replacement in _LATEX_ESCAPES:
        text = text.replace(character, replacement)
    return text


def _latex_value(value: Any) -> str:
    if isinstance(value, str):
        return _latex_text(value)
    if isinstance(value, float | np.floating):
        return "--" if value != value else f"{value:.4f}"
    # Missing as pandas tells it (None, NA, NaT, a Decimal NaN), as the Styler does.
    if pd.isna(value) is True:
        return "--"
    return str(value)


def combined_download(report: Report) -> pd.DataFrame:
    """The combined table's contract: ``score`` is the suite score; ``glue_score`` stays beside it for GLUE."""
    table = report.combined[COMBINED]
    table.insert(3, "score", table["glue_score"])
    return table if report.config.suite.name == "GLUE" else table.drop(columns="glue_score")


def downloads(config: ReportConfig) -> dict[str, Callable[[Report], pd.DataFrame]]:
    """Every table offered for download, by file name (the stable contract on the Data page); which ones the config
    alone decides, so a build knows them before computing any."""
    frames: dict[str, Callable[[Report], pd.DataFrame]] = {
        "runs.csv": lambda r: wide_runs(r.runs),
        "glue_table.csv": lambda r: glue_table(r.cells, r.glue),
        "combined.csv": combined_download,
        "observations.csv": lambda r: r.observations,
        "score_cells.csv": lambda r: r.cells.drop(columns="column_rank"),
        "differences.csv": lambda r: r.differences,
        "efficiency.csv": lambda r: r.costs,
        "efficiency_healthy.csv": lambda r: r.healthy_versus,
        "files.csv": lambda r: r.runs.files,
        "unmatched.csv": lambda r: r.runs.unmatched,
        "duplicates.csv": lambda r: r.runs.duplicates,
        "warnings.csv": lambda r: r.warnings,
        "run_health.csv": lambda r: r.health.health.runs,
        "seed_repeats.csv": lambda r: r.health.health.seed_repeats,
        "varying_settings.csv": lambda r: r.health.health.varying,
        "sensitivity.csv": lambda r: r.sensitivity,
        "cell_stats.csv": lambda r: r.cell_stats.drop(columns="column_rank"),
        "comparisons.csv": lambda r: r.comparisons,
        "tradeoffs.csv": lambda r: r.tradeoffs,
        "coverage.csv": lambda r: r.coverage.cells,
        "missing_runs.csv": lambda r: r.coverage.missing,
        "best_steps.csv": lambda r: r.training.best,
        "checkpoints.csv": lambda r: r.training.checkpoints,
        "training_curves.csv": lambda r: r.training.bands,
    }
    if config.efficiency.table is not None:
        frames["reference_efficiency.csv"] = lambda r: _present(r.reference)
    if config.published is not None:
        frames["reproduction.csv"] = lambda r: _present(r.reproduction).cells.drop(columns="column_rank")
    if config.variants is not None:
        frames["variant_cells.csv"] = lambda r: _present(r.variants).cells.drop(columns="column_rank")
        frames["rank_sweep.csv"] = lambda r: _present(r.variants).sweep
    return frames


def _present(value: T | None) -> T:
    """A part the config asks for, so the analyses computed it."""
    if value is None:
        raise ValueError("a download the config asks for has no analysis behind it")
    return value


def pages(report: Report) -> Iterator[tuple[str, Callable[[], Iterable[Page]]]]:
    """Every generated page, as units of one or more pages (built one at a time, so a page's charts can render
    while the next is built)."""
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
        yield module.__name__, partial(lambda m: [m.page(report)], module)
    yield "families", partial(family_pages, report)
    yield "tasks", partial(task_pages, report)


def embeds(report: Report) -> tuple[dict[str, str], dict[str, str]]:
    """The tables and numbers hand-written pages may embed by name (documented on the Writing pages page)."""
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
    tables = {
        "combined": overview.combined_table(report),
        "task-scores": accuracy.task_table(report, labels),
        "differences": accuracy.differences_table(report),
    }
    return tables, numbers


@dataclass
class Files:
    """What one unit of the site wrote, and what the build needs to know of it (gen.memo keeps it as data)."""

    written: RecordingWriter
    # Charts shown: [name, title, description], and their specs at static size (when images are rendered).
    charts: list[list[str]] = field(default_factory=list)
    static_specs: list[dict[str, Any]] = field(default_factory=list)
    # Anything else a unit gives (the footer, the embeds, the build log).
    data: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> tuple[dict[str, Any], bytes]:
        """A JSON-able header and the recording's bytes."""
        return {"charts": self.charts, "static_specs": self.static_specs, "data": self.data}, self.written.to_bytes()

    @classmethod
    def decode(cls, header: dict[str, Any], payload: bytes) -> Files:
        """Files from ``encode``; ValueError when they are not."""
        charts, specs, data = header.get("charts"), header.get("static_specs"), header.get("data")
        if not (isinstance(charts, list) and isinstance(specs, list) and isinstance(data, dict)):
            raise ValueError("unit: charts, specs or data of the wrong type")
        return cls(RecordingWriter.from_bytes(payload), charts, specs, data)


def unit(report: Report, name: str, compute: Callable[[], Files]) -> Files:
    """One unit of the site, reused from an earlier build while the inputs it read are unchanged (gen.memo)."""
    return report.memo.unit(name, compute, Files.encode, Files.decode)


def page_files(built: Callable[[], Iterable[Page]], static: bool) -> Files:
    """A unit's pages (built now) with their charts' specs and data."""
    files = Files(RecordingWriter())
    for page in built():
        files.written.write(page.path, fenced_html(page.markdown) + "\n")
        for chart in page.charts:
            for path, content in charts.spec_files(chart).items():
                files.written.write(path, content)
            files.written.write(f"charts/{chart.name}.csv", csv_text(charts.chart_data(chart)))
            files.charts.append([chart.name, chart.title, chart.description])
            if static:
                files.static_specs.append(charts.static_spec(chart.spec))
    return files


def download_files(report: Report, name: str, make: Callable[[Report], pd.DataFrame]) -> Files:
    """One download as CSV, plus LaTeX for a table small enough for a paper."""
    frame = make(report)
    files = Files(RecordingWriter())
    files.written.write(f"downloads/{name}", csv_text(frame))
    if len(frame) <= LATEX_MAX_ROWS:
        files.written.write(f"downloads/{name.removesuffix('.csv')}.tex", latex_text(frame))
    return files


def write_site(report: Report, writer: Writer) -> None:
    """Write pages, their charts (spec, SVG, PNG), the downloads and the chart bundle; each unit is reused from an
    earlier build while the inputs it read are unchanged."""
    memo.ACTIVE = report.memo  # charts are reused by their arguments within this build (gen.charts.reused)
    try:
        _write_site(report, writer)
    finally:
        memo.ACTIVE = None


def _write_site(report: Report, writer: Writer) -> None:
    static = os.environ.get(STATIC_IMAGES, "on") != "off"
    planned: dict[str, Callable[[], Files]] = {
        f"page {name}": partial(page_files, built, static) for name, built in pages(report)
    }
    planned |= {
        f"download {name}": partial(download_files, report, name, make)
        for name, make in downloads(report.config).items()
    }
    planned["download runs.parquet"] = partial(parquet_files, report)
    planned["embeds"] = partial(embeds_files, report)
    stale = report.memo.stale(list(planned))
    if forked.can_share(stale):
        report.prepare_shared()  # before the copy is made: both processes then start with them
    claims = forked.Claims.start(stale, report.memo.unit_costs)
    if claims is not None:
        theirs = stale  # each taken by whichever process comes to it first
    else:
        theirs = forked.share(stale, report.memo.unit_costs, report.memo.earlier_stage_costs(), report.pending)
    done: dict[str, Files] = {}
    shown: list[list[str]] = []
    # Each page's chart images render in worker processes from when the page is built, while this process goes on.
    with images.Renderer() as renderer:

        def keep(name: str) -> None:
            done[name] = files = unit(report, name, planned[name])
            shown.extend(files.charts)
            renderer.add(files.static_specs)

        def compute_theirs(names: list[str]) -> None:
            for name in names if claims is None else reversed(names):
                if claims is None or claims.take(name, by_copy=True):
                    unit(report, name, planned[name])
            report.memo.keep_stage_costs()

        with forked.computing(compute_theirs, theirs):
            for name in planned:
                if name not in theirs or (claims is not None and claims.take(name, by_copy=False)):
                    keep(name)
        for name in theirs if claims is None else claims.taken_by_copy():
            keep(name)  # read from the build cache, where the copy kept them
        report.memo.keep_stage_costs()  # after the copy's: both are kept
        for name in planned:
            done[name].written.replay(writer)
        kept = done["embeds"].data
        made = Embeds.from_data({"tables": kept.get("tables"), "numbers": kept.get("numbers"), "charts": {}})
        # Read by gen/hooks.py when MkDocs renders the hand-written pages, later in this build.
        embed_registry.CURRENT = Embeds(made.tables, {c[0]: FigureRef(*c) for c in shown}, made.numbers)
        for (chart, _, _), (svg, png) in zip(shown if static else [], renderer.images(), strict=True):
            writer.write(f"charts/{chart}.svg", svg)
            writer.write(f"charts/{chart}.png", png)
        writer.write(BUNDLE_PATH, renderer.bundle())
    runs_csv = str(done["download runs.csv"].written.files["downloads/runs.csv"])
    results = hashlib.sha256(runs_csv.encode()).hexdigest()[:12]
    counted = unit(report, "footer", partial(footer_files, report)).data
    writer.footer(footer(results, int(counted["runs"]), counted["commit"]))
    if os.environ.get(MIKE_VERSION):
        writer.version_selector()


def embeds_files(report: Report) -> Files:
    """The tables and numbers hand-written pages may embed (gen.pages.embeds), as a unit's data."""
    tables, numbers = embeds(report)
    return Files(RecordingWriter(), data={"tables": tables, "numbers": numbers})


def parquet_files(report: Report) -> Files:
    """Every valid run as Parquet."""
    files = Files(RecordingWriter())
    files.written.write("downloads/runs.parquet", parquet_bytes(report.runs.all_table))
    return files


def footer_files(report: Report) -> Files:
    """What the footer says of the runs: their number and the commit they come from."""
    return Files(RecordingWriter(), data={"runs": report.runs.table["run_id"].nunique(), "commit": report.commit})


def footer(results: str, runs: int, commit: str | None) -> str:
    """What the site was built from: ``results`` (a fingerprint of the runs table), its size, the generator and the
    commit."""
    parts = [f"Results fingerprint {results}", f"{runs:,} runs", f"generator {__version__}"]
    if commit:
        parts.append(f"commit {commit}")
    if version := os.environ.get(MIKE_VERSION):
        parts.insert(0, f"Version {version}")
    return " · ".join(parts)
