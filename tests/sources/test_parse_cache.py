"""The parse cache kept in memory between builds of one process (`mkdocs serve`): used while the table on disk is
the one it came from, read again when that table changed, not kept past its memory limit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import gen.sources.files
from gen import cache
from gen.config.sources import MetricsJsonSource
from gen.sources import parse_cache
from gen.sources.base import RunRecord, SourceLoad
from gen.sources.files import Pending
from gen.sources.metrics_json import load_metrics_json


def tree(root: Path, runs: int) -> None:
    for seed in range(runs):
        path = root / f"run{seed}" / "metrics.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        result = {"eval_accuracy": 0.5 + seed / 100, "args": {"task": "rte", "model_family": "bert", "seed": seed}}
        path.write_text(json.dumps(result))


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path / "cache"))
    tree(tmp_path / "results", 4)
    return tmp_path / "results"


def load(results: Path) -> SourceLoad:
    return load_metrics_json(MetricsJsonSource(type="metrics-json", path=results), "1:metrics-json")


def record_reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], list[str]]:
    """The cache entries read from disk and the files parsed, from here on."""
    entries: list[Path] = []
    files: list[str] = []
    read_entry, parse_one = cache.read_entry, gen.sources.files.parse_one

    def reading(path: Path | None) -> bytes | None:
        if path is not None and path.parent.name == "parsed":
            entries.append(path)
        return read_entry(path)

    def parsing(read: gen.sources.files.Reader, pending: Pending) -> parse_cache.Parsed:
        files.append(pending.relative)
        return parse_one(read, pending)

    monkeypatch.setattr(cache, "read_entry", reading)
    monkeypatch.setattr(gen.sources.files, "parse_one", parsing)
    return entries, files


def test_the_next_build_of_the_process_takes_the_parses_from_memory(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load(results)
    entries, files = record_reads(monkeypatch)
    assert load(results) == first
    assert (entries, files) == ([], [])
    tree(results.parent / "more", 1)
    (results.parent / "more" / "run0").rename(results / "added")
    again = load(results)
    assert (entries, files) == ([], ["added/metrics.json"])
    assert len(again.runs) == 5


def test_a_table_another_build_wrote_is_read_from_disk(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load(results)
    (entry,) = (Path(os.environ["REPORT_CACHE"]) / "parsed").iterdir()
    # Another process's build of the same source writes the table again (a new file renamed into place).
    body = cache.read_entry(entry)
    assert body is not None
    cache.write_entry(entry, body)
    entries, files = record_reads(monkeypatch)
    assert load(results) == first
    assert (entries, files) == ([entry], [])


def test_parses_past_the_memory_limit_are_not_kept(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "KEEP_BYTES", 100)
    first = load(results)
    entries, files = record_reads(monkeypatch)
    assert load(results) == first
    assert len(entries) == 1
    assert files == []


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = parse_cache.decode_runs

    def decoding(payload: bytes, source: str, source_file: str, modified_ns: int) -> list[RunRecord]:
        decoded.append(source_file)
        return real(payload, source, source_file, modified_ns)

    monkeypatch.setattr(parse_cache, "decode_runs", decoding)
    return decoded


def test_the_next_build_of_the_process_reuses_the_runs_decoded_from_unchanged_files(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(results)
    decoded = count_decodes(monkeypatch)
    again = load(results)
    assert decoded == []
    (results / "run2" / "metrics.json").write_text(
        json.dumps({"eval_accuracy": 0.9, "args": {"task": "rte", "model_family": "bert", "seed": 2}})
    )
    edited = load(results)
    assert decoded == ["run2/metrics.json"]
    monkeypatch.setenv("REPORT_CACHE", "off")
    assert edited == load(results)  # as read without any cache
    assert edited != again


def test_runs_are_not_kept_past_the_memory_limit(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "KEEP_BYTES", 100)
    load(results)
    decoded = count_decodes(monkeypatch)
    load(results)
    assert len(decoded) == 4
    # Nothing of this source's is held between builds: neither its parses nor their runs.
    assert not [entry for entry in parse_cache._KEPT if entry.is_relative_to(os.environ["REPORT_CACHE"])]


def test_the_least_recently_used_source_is_dropped_past_the_memory_limit(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = results.parent / "other"
    tree(other, 4)
    parse_cache._KEPT.clear()
    load(results)
    ((first_entry, first),) = parse_cache._KEPT.items()
    monkeypatch.setattr(parse_cache, "KEEP_BYTES", first.size * 3 // 2)  # room for one source's parses, not two
    load(other)
    # The first source's parses made room for the other's.
    assert len(parse_cache._KEPT) == 1 and first_entry not in parse_cache._KEPT
    entries, files = record_reads(monkeypatch)
    load(other)
    assert (entries, files) == ([], [])
    load(results)
    assert len(entries) == 1 and files == []  # read back from disk, not parsed


@pytest.mark.parametrize("batch_rows", [10_000, 2])
def test_payloads_are_stored_as_given_and_read_back_from_disk(
    batch_rows: int, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payload column is laid out by hand from joined bytes and offsets: every payload, empty ones and any
    byte included, must come back from the table on disk as it went in; also when the table is written in several
    batches."""
    monkeypatch.setattr(parse_cache, "_BATCH_ROWS", batch_rows)
    source = MetricsJsonSource(type="metrics-json", path=results)
    payloads = [b"", b"\x00\xff" * 3, bytes(range(256)) * 40, b"", b"x"]
    parses = {f"f{i}": parse_cache.Parsed((i, i), "ingested", payload) for i, payload in enumerate(payloads)}
    parse_cache.ParseCache.open(source, parse_cache.decode_runs).save(parses)
    parse_cache._KEPT.clear()  # read from disk, not from what this process kept
    known = parse_cache.ParseCache.open(source, parse_cache.decode_runs).known
    assert {name: parsed.payload for name, parsed in known.items()} == {f"f{i}": p for i, p in enumerate(payloads)}
