"""The build cache: a changed file changes the pages, a deleted file disappears, only changed files are parsed
again, a corrupted cache is detected and rebuilt (the pages equal a build without any cache), and an unchanged
rebuild replays the recorded pages."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import gen.sources.files
from gen import cache
from gen.config import load_config
from gen.images import render_png, render_svg
from gen.pages.site import write_site
from gen.pages.writers import DirectoryWriter
from gen.report import analyse
from tests.conftest import build_site, shared_path
from tests.test_site import tree_digest

CONFIG = """
title: cached
sources:
  - type: metrics-json
    path: results
strategies:
  - {name: FFT, match: {variant: fft}}
  - {name: LoRA, match: {variant: lora, peft: lora}}
  - {name: KD-LoRA, match: {variant: kd-lora, peft: lora}}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report over 60 real result files (every variant, a few tasks), with its own empty cache."""
    real = shared_path("data/kd-lora-results/results")
    picked = [
        path
        for variant in ("fft", "lora", "kd-lora")
        for path in sorted((real / variant).glob("task_[cmr]*_bert_*/*/peft_lora_*/metrics.json"))[:20]
    ]
    for path in picked:
        target = tmp_path / "results" / path.relative_to(real)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (tmp_path / "report.yml").write_text(CONFIG)
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path / "cache"))
    return tmp_path


def build(project: Path, name: str) -> dict[str, str]:
    """Generate the pages into ``project/<name>``; their digest by path."""
    write_site(analyse(load_config(project / "report.yml")), DirectoryWriter(project / name))
    return tree_digest(project / name)


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every file the build actually parses."""
    parsed: list[str] = []
    real_parse = gen.sources.files.parse_one

    def counting(read: gen.sources.files.Reader, pending: gen.sources.files.Pending) -> gen.sources.files.Parsed:
        parsed.append(pending.relative)
        return real_parse(read, pending)

    monkeypatch.setattr(gen.sources.files, "parse_one", counting)
    return parsed


def one_file(project: Path) -> Path:
    return sorted((project / "results" / "lora").rglob("metrics.json"))[0]


def test_unchanged_files_are_not_parsed_again_and_pages_are_equal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(project, "a")
    parsed = count_parses(monkeypatch)
    assert build(project, "b") == first
    assert parsed == []


def test_a_changed_file_is_parsed_again_alone_and_changes_the_page(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, "a")
    path = one_file(project)
    data = json.loads(path.read_text())
    task = data["args"]["task"]
    metric = "eval_matthews_correlation" if task == "cola" else "eval_accuracy"
    data[metric] = 0.123456789
    path.write_text(json.dumps(data))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    parsed = count_parses(monkeypatch)
    build(project, "b")
    assert parsed == [path.relative_to(project / "results").as_posix()]
    runs = pd.read_csv(project / "b" / "downloads" / "runs.csv")
    row = runs[runs["source_file"] == parsed[0]]
    assert row[metric.removeprefix("eval_")].tolist() == [pytest.approx(0.123456789)]


def test_a_deleted_file_disappears(project: Path) -> None:
    build(project, "a")
    path = one_file(project)
    relative = path.relative_to(project / "results").as_posix()
    path.unlink()
    build(project, "b")
    for name in ("runs.csv", "files.csv"):
        before = pd.read_csv(project / "a" / "downloads" / name)
        after = pd.read_csv(project / "b" / "downloads" / name)
        assert relative in set(before["source_file"])
        assert relative not in set(after["source_file"])
        assert len(after) == len(before) - 1


def corrupt_every_entry(root: Path) -> int:
    """Flip one byte in the middle of every cache entry; the number of entries touched."""
    entries = [path for path in root.rglob("*") if path.is_file()]
    for path in entries:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    return len(entries)


def test_a_corrupted_cache_is_detected_and_rebuilt(
    project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build(project, "a")
    assert corrupt_every_entry(project / "cache") > 2  # the parse cache and chart images at least
    parsed = count_parses(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.gen"):
        rebuilt = build(project, "b")
    assert any("corrupt" in record.getMessage() for record in caplog.records)
    assert len(parsed) == 60  # every file read again
    monkeypatch.setenv("REPORT_CACHE", "off")
    assert rebuilt == build(project, "c")
    assert not list((project / "cache").rglob("*.tmp"))


def test_a_truncated_entry_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path))
    entry = cache.entry_path("test", "key", ".bin")
    cache.write_entry(entry, b"x" * 100)
    assert cache.read_entry(entry) == b"x" * 100
    assert entry is not None
    entry.write_bytes(entry.read_bytes()[:50])
    assert cache.read_entry(entry) is None
    assert not entry.exists()


def test_chart_images_come_from_the_cache_only_for_the_same_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path))
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"x": 1, "y": 2}, {"x": 2, "y": 5}]},
        "mark": "point",
        "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
    }
    svg = render_svg(spec)
    assert render_svg(spec) == svg
    other = render_svg({**spec, "mark": "bar"})
    assert other != svg and "<path" in other
    assert render_png(svg).startswith(b"\x89PNG")
    monkeypatch.setenv("REPORT_CACHE", "off")
    assert render_svg(spec) == svg


REUSED = "inputs unchanged since a previous build"


def mkdocs_build(project: Path, name: str) -> tuple[dict[str, str], str]:
    """A strict MkDocs build of the project: the site's digest and the build log."""
    done = build_site(project / name, project / "report.yml", quiet=False)
    assert done.returncode == 0, done.stderr
    return tree_digest(project / name), done.stderr


def test_an_unchanged_rebuild_replays_the_pages_and_any_change_generates_again(project: Path) -> None:
    first, log = mkdocs_build(project, "a")
    assert REUSED not in log
    replayed, log = mkdocs_build(project, "b")
    assert REUSED in log and replayed == first
    path = one_file(project)
    path.unlink()
    changed, log = mkdocs_build(project, "c")
    assert REUSED not in log and changed != first
    (project / "report.yml").write_text(CONFIG.replace("title: cached", "title: renamed"))
    retitled, log = mkdocs_build(project, "d")
    assert REUSED not in log and retitled != changed
