"""The cycle collector rests while runs are read and tabled (gen.report.Report.every) and during a whole generation
(gen.build.generated), and resumes after, even after an error."""

from __future__ import annotations

import gc

import pytest

import gen.build
import gen.pages.site
import gen.report
from gen.config import ReportConfig
from gen.config.base import ReportError
from gen.report import Report
from gen.runs import Runs
from gen.sources.base import FileOutcome, RunRecord, SourceLoad
from tests.helpers import config


def test_the_collector_rests_while_runs_are_read_and_tabled_and_resumes_after(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gc.isenabled()
    seen: list[tuple[str, bool]] = []

    def load(_: ReportConfig) -> SourceLoad:
        seen.append(("read", gc.isenabled()))
        return SourceLoad()

    def table(records: list[RunRecord], files: list[FileOutcome], _: ReportConfig) -> Runs:
        seen.append(("tabled", gc.isenabled()))
        raise ReportError("stopped here")

    monkeypatch.setattr(gen.report, "load_sources", load)
    monkeypatch.setattr(gen.report, "build_runs", table)
    with pytest.raises(ReportError):
        Report(config()).every  # noqa: B018  (a stage is computed on first use)
    assert seen == [("read", False), ("tabled", False)]
    assert gc.isenabled()  # resumed, even after an error


def test_the_collector_rests_during_a_whole_generation_and_resumes_after(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def write_site(report: Report, writer: object) -> None:
        seen.append(gc.isenabled())
        raise ReportError("stopped here")

    monkeypatch.setattr(gen.pages.site, "write_site", write_site)
    with pytest.raises(ReportError):
        gen.build.generated(config())
    assert seen == [False]
    assert gc.isenabled()
