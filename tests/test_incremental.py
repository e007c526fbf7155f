"""Incremental generation (gen.memo): after each kind of change, a build that reuses what an earlier build kept (in
this process, or in the build cache alone) writes exactly what a cold build writes, and it reuses what the change
did not touch."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gen.charts.runs
import gen.report
from gen import cache, memo
from gen.build import generated
from gen.config import load_config
from gen.fingerprint import STATIC_IMAGES, build_inputs
from gen.pages.writers import RecordingWriter
from gen.stored import Generated
from tests.conftest import REAL_CONFIG, RESULTS

DATA = REAL_CONFIG.parent
# Two tasks of two families, three seeds, every variant, PEFT method and rank: every page has something to show.
PICKED = "*/task_[rs][ts][es]*_[br][eo]*_[14][22]*/*/*/metrics.json"
# A file left out at first, added by one of the changes.
HELD_OUT = "fft/task_rte_bert_123"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The bundled report's config over a part of its result files, with the published and reference tables."""
    for path in sorted(RESULTS.glob(PICKED)):
        target = tmp_path / "results" / path.relative_to(RESULTS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for folder in ("published", "reference"):
        shutil.copytree(DATA / folder, tmp_path / folder)
    config = REAL_CONFIG.read_text(encoding="utf-8").replace("path: kd-lora-results/results", "path: results")
    (tmp_path / "report.yml").write_text(config, encoding="utf-8")
    held = tmp_path / "held-out"
    shutil.move(tmp_path / "results" / HELD_OUT, held)
    return tmp_path


def generate(
    project: Path, cache_folder: Path, monkeypatch: pytest.MonkeyPatch, *, keep_stages: bool, images: bool = False
) -> Generated:
    """One generation into a recording, with ``cache_folder`` as the build cache; without ``keep_stages`` nothing
    is kept from earlier generations of this process. Static images only when asked (they take most of the time)."""
    monkeypatch.setenv("REPORT_CACHE", str(cache_folder))
    monkeypatch.setenv(STATIC_IMAGES, "on" if images else "off")
    if not keep_stages:
        memo.STAGES.clear()
    config = load_config(project / "report.yml")
    _, inputs = build_inputs(config)
    return generated(config, inputs)


def add_file(project: Path) -> None:
    shutil.move(project / "held-out", project / "results" / HELD_OUT)


def remove_file(project: Path) -> None:
    next((project / "results" / "lora").glob("task_stsb_roberta_42/*/peft_dora_8_*/metrics.json")).unlink()


def edit_file(project: Path) -> None:
    path = next((project / "results" / "kd-lora").glob("task_rte_roberta_123/*/peft_lora_16_*/metrics.json"))
    text = path.read_text(encoding="utf-8")
    edited = text.replace('"eval_accuracy": 0.', '"eval_accuracy": 0.0', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def edit_reference_table(project: Path) -> None:
    path = project / "reference" / "kd-lora-table-ii.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace(",", ",1", 1) if "," in lines[1] else lines[1]
    assert "".join(lines) != text
    path.write_text("".join(lines), encoding="utf-8")


def edit_config(project: Path) -> None:
    path = project / "report.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: KD-LoRA on GLUE", "title: Edited"), "utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "file added": add_file,
    "file removed": remove_file,
    "file edited": edit_file,
    "reference table edited": edit_reference_table,
    "config edited": edit_config,
}


@pytest.mark.parametrize("change", CHANGES)
def test_incremental_equals_cold(change: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = change == "file added"  # once with the static images, whose specs the kept pages carry
    kept, on_disk, cold_cache = tmp_path / "kept-cache", tmp_path / "kept-on-disk", tmp_path / "cold-cache"
    before = generate(project, kept, monkeypatch, keep_stages=False, images=images)
    CHANGES[change](project)
    shutil.copytree(kept, on_disk)
    in_process = generate(project, kept, monkeypatch, keep_stages=True, images=images)
    if images:  # images are cached by their spec alone (tests/test_cache.py): no need to render them all again
        shutil.copytree(kept / "charts", cold_cache / "charts")
    cold = generate(project, cold_cache, monkeypatch, keep_stages=False, images=images)
    assert cold != before
    assert in_process == cold
    if change != "config edited":  # a config edit redoes everything: the cache alone has nothing more to show
        assert generate(project, on_disk, monkeypatch, keep_stages=False, images=images) == cold


def test_code_edited(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to the generator (here: the coverage page says something else) shows in the next build."""
    kept = tmp_path / "kept-cache"
    generate(project, kept, monkeypatch, keep_stages=False)
    real_version = cache.code_version
    monkeypatch.setattr(cache, "code_version", lambda *a, **k: real_version(*a, **k) + "edited")
    real_page = gen.pages.coverage.page

    def edited(report: gen.report.Report) -> gen.pages.render.Page:
        page = real_page(report)
        return gen.pages.render.Page(page.path, page.markdown + "\nEdited.", page.charts)

    monkeypatch.setattr(gen.pages.coverage, "page", edited)
    incremental = generate(project, kept, monkeypatch, keep_stages=True)
    cold = generate(project, tmp_path / "cold-cache", monkeypatch, keep_stages=False)
    assert isinstance(cold.output, RecordingWriter)
    assert "\nEdited.\n" in str(cold.output.files["coverage.md"])
    assert incremental == cold


def test_an_edited_reference_table_reuses_everything_else(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what reads the reference table is redone. In this process (`mkdocs serve`) even the result files are not
    read again; from the build cache alone, the pages that do not read the table are replayed."""
    kept = tmp_path / "kept-cache"
    generate(project, kept, monkeypatch, keep_stages=False)
    edit_reference_table(project)
    shutil.copytree(kept, tmp_path / "kept-on-disk")
    loads: list[object] = []
    real_load = gen.report.load_sources
    monkeypatch.setattr(gen.report, "load_sources", lambda config: loads.append(config) or real_load(config))
    computed: list[str] = []
    real_unit = memo.Memo.unit

    def counting(self: memo.Memo, name: str, compute: Callable[[], object], *rest: object) -> object:
        return real_unit(self, name, lambda: computed.append(name) or compute(), *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(memo.Memo, "unit", counting)
    generate(project, kept, monkeypatch, keep_stages=True)
    assert loads == []
    in_process = sorted(computed)
    computed.clear()
    generate(project, tmp_path / "kept-on-disk", monkeypatch, keep_stages=False)
    for redone in (in_process, sorted(computed)):
        assert "page gen.pages.efficiency" in redone
        assert "download reference_efficiency.csv" in redone
        assert "page gen.pages.accuracy" not in redone
        assert "download runs.csv" not in redone


def test_charts_whose_data_did_not_change_are_reused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a run of one task is added, the Training page is built again, but only that task's curves are drawn
    again: the other task's charts get the same rows and are reused (gen.charts.base.reused)."""
    kept = tmp_path / "kept-cache"
    generate(project, kept, monkeypatch, keep_stages=False)
    add_file(project)  # an RTE run
    drawn: list[str] = []
    real_finish = gen.charts.runs.finish

    def counting(name: str, *rest: Any) -> Any:
        drawn.append(name)
        return real_finish(name, *rest)

    monkeypatch.setattr(gen.charts.runs, "finish", counting)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # every chart drawn in this process, where it is counted
    generate(project, kept, monkeypatch, keep_stages=True)
    training = [name for name in drawn if name.startswith("training-")]
    assert training and all(name.startswith("training-rte-") for name in training)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(score=f["score"].where(f.index != 1, 0.5)),
        lambda f: f.set_axis([0, 1, 3]),
        lambda f: f.astype({"score": "float32"}),
        lambda f: f.rename(columns={"task": "name"}),
        lambda f: f.iloc[[0, 1]],
    ],
)
def test_digest_tells_frames_apart(change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    frame = pd.DataFrame({"task": ["rte", "stsb", "rte"], "score": [0.61, 0.88, 0.63]})
    assert memo.digest(frame) == memo.digest(frame.copy())
    assert memo.digest(change(frame)) != memo.digest(frame)
    assert memo.digest([frame, "a"]) != memo.digest([frame, "b"])


def test_a_build_walks_its_result_tree_once(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk that fingerprints the inputs is the one the readers select their files from (gen.sources.discovery)."""
    listed: list[str] = []
    real_scandir = os.scandir

    def counting(path: Any) -> Any:
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    built = generate(project, tmp_path / "cache", monkeypatch, keep_stages=False)
    assert isinstance(built.output, RecordingWriter) and "index.md" in built.output.files
    root = str(project / "results")
    assert listed.count(root) == 1
    listed.clear()
    config = load_config(project / "report.yml")
    gen.report.load_sources(config)  # outside a build: a walk of its own
    assert listed.count(root) == 1
