"""The pipeline's driver, run by mkdocs-gen-files at build time: config → report (gen.report) → pages.

A build whose inputs are unchanged (gen.fingerprint) hands MkDocs the files the last such build wrote, where they
lie in the build cache (gen.stored), without importing the data libraries. Otherwise each page, download, the footer
and the build log is replayed from the cache when the inputs it read are unchanged, and computed again when not
(gen.memo); parsed files and chart images are cached by their own inputs.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import TYPE_CHECKING

from gen import cache, images, stored
from gen.config import ReportConfig, load_config
from gen.config.base import ReportError, printable
from gen.fingerprint import Inputs, source_files
from gen.memo import Memo
from gen.pages import embeds
from gen.pages.writers import GenFilesWriter, RecordingWriter
from gen.sources.discovery import no_cycle_collection
from gen.stored import Generated

if TYPE_CHECKING:
    from gen.report import Report
    from gen.runs import Runs

log = logging.getLogger("mkdocs.plugins.gen")


def generated(config: ReportConfig, inputs: Memo | None = None) -> Generated:
    """Analyse and write every page into a recording (imports the data libraries: the slow path). With ``inputs``,
    every part whose inputs are unchanged since an earlier build is reused (gen.memo)."""
    from gen.pages.site import Files, unit, write_site
    from gen.report import Report

    report = Report(config, inputs)
    output = RecordingWriter()

    def account() -> Files:
        return Files(RecordingWriter(), data={"lines": summary(report), "strict": strict_problems(report.runs)})

    # The collector rests for the whole generation and collects once after it (see no_cycle_collection).
    with no_cycle_collection():
        write_site(report, output)
        logged = unit(report, "build log", account).data
    return Generated(output, embeds.CURRENT, logged["lines"], logged["strict"])


def cached_or_generated(config: ReportConfig) -> Generated:
    """The files of a build with the same inputs, kept in the build cache (gen.stored), or a new generation (then
    kept)."""
    images.end_a_starting_worker()
    with Inputs(config) as inputs:
        manifest = cache.entry_path("generated", inputs.fingerprint, ".json")
        if manifest is not None and (kept := stored.load(manifest)) is not None:
            log.info("gen: inputs unchanged since a previous build; reusing its pages")
            return kept
        inputs.receive()
        importlib.import_module("gen.pages.site")  # the generation's modules and data libraries, while it is read
        result = generated(config, inputs.memo())
    if manifest is not None:
        stored.store(result, manifest)
    return result


SHOWN_IN_LOG = 10


def summary(report: Report) -> list[str]:
    """The few lines the build log prints about what was read (the Data quality page has everything)."""
    runs = report.runs
    outcomes = runs.files["outcome"].value_counts()
    duplicates = runs.duplicates
    lines = [
        f"{len(runs.files)} files: {outcomes.get('ingested', 0)} ingested, {outcomes.get('rejected', 0)} rejected, "
        f"{outcomes.get('ignored', 0)} ignored",
        f"{runs.table['run_id'].nunique()} runs assigned a strategy, {len(runs.unmatched)} unmatched, "
        f"{len(runs.rejected_runs)} rejected, {int((~duplicates['kept'].astype(bool)).sum())} dropped as duplicates "
        f"({duplicates['group'].nunique()} duplicate groups)",
        f"{len(report.warnings)} warnings on ingested runs (NaN in training logs, folder and file disagreeing)",
    ]
    # Only the rejected rows are walked: a tuple per file of a large tree cost more than the lines.
    rejected = runs.files[runs.files["outcome"] == "rejected"]
    problems = [f"rejected {r.source_file}: {r.reason}" for r in rejected.itertuples()]
    rejected_files = set(rejected["source_file"])
    problems += [
        f"rejected run {r.run_id}: {r.reason}"
        for r in runs.rejected_runs.itertuples()
        if r.source_file not in rejected_files
    ]
    lines += problems[:SHOWN_IN_LOG]
    if len(problems) > SHOWN_IN_LOG:
        lines.append(f"... and {len(problems) - SHOWN_IN_LOG} more: see the Data quality page")
    return [printable(line) for line in lines]


def strict_problems(runs: Runs) -> str | None:
    """Why a strict build must fail (any rejection or unmatched run), or None."""
    rejected = int((runs.files["outcome"] == "rejected").sum())
    if rejected or len(runs.rejected_runs) or len(runs.unmatched):
        return (
            f"strict mode: {rejected} rejected file(s), {len(runs.rejected_runs)} rejected run(s), "
            f"{len(runs.unmatched)} unmatched run(s) — see the lines above, or build without strict "
            "(REPORT_STRICT unset, strict: false) and read the Data quality page"
        )
    return None


def main() -> None:
    """Entry point for mkdocs-gen-files: generate with the generator's current code.

    `mkdocs serve` runs this script again on every change, in the same process. When gen/ was edited since the
    last generation, its modules are dropped and imported again, so the edit takes effect without restarting the
    server; otherwise they are kept (importing them again would cost every data edit about 0.2 s). The stages and
    charts kept for the next rebuild (gen.memo) carry over: their keys include the code's hash, so those of older
    code are never reused.
    """
    code = cache.code_version(*source_files())
    loaded = sys.modules.get("gen.build")
    if loaded is not None and getattr(loaded, "LOADED_CODE", None) == code:
        loaded.generate(code)
        return
    if loaded is not None:
        previous = sys.modules.get("gen.memo")
        stages, keyed = getattr(previous, "STAGES", {}), getattr(previous, "KEYED", {})
        for name in [m for m in sys.modules if m == "gen" or m.startswith("gen.")]:
            del sys.modules[name]
        reloaded = importlib.import_module("gen.memo")
        reloaded.STAGES.update(stages)
        reloaded.KEYED.update(keyed)
    importlib.import_module("gen.build").generate(code)


# The hash of gen/ this module was imported from (given by main).
LOADED_CODE: str | None = None


def generate(code: str | None = None) -> None:
    """Write every generated page into the MkDocs build (replayed from the cache when the inputs are unchanged);
    ``code`` is the hash of the gen/ these modules were imported from (gen.build.main)."""
    global LOADED_CODE
    LOADED_CODE = code
    from mkdocs.exceptions import PluginError

    # MkDocs stamps the sitemap with the build date unless SOURCE_DATE_EPOCH is set; pin it so the same
    # inputs give a byte-identical site (a caller's own SOURCE_DATE_EPOCH wins).
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    try:
        config = load_config()
        result = cached_or_generated(config)
    except ReportError as exc:
        raise PluginError(f"report error:\n{exc}") from None
    for line in result.log_lines:
        log.info("gen: %s", line)
    if config.strict_mode and result.strict_problem:
        raise PluginError(result.strict_problem)
    # Read by gen/hooks.py when MkDocs renders the hand-written pages, later in this build.
    embeds.CURRENT = result.embeds
    result.output.replay(GenFilesWriter())


if __name__ in ("__main__", "<run_path>"):
    main()
