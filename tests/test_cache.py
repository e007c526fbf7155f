"""The build cache: a changed file changes the pages, a deleted file disappears, only changed files are parsed
again, a corrupted, truncated or unwritable cache is detected and rebuilt (the pages equal a build without any
cache) without failing a strict build, an unchanged rebuild reuses the kept pages (the same site as pages written
anew), and nothing in the cache is a pickle."""

from __future__ import annotations

import json
import logging
import os
import pickle
import pickletools
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gen.sources.files
from gen import cache, stored
from gen.config import load_config
from gen.fingerprint import inputs_fingerprint
from gen.images import render_png, render_svg
from gen.pages.embeds import Embeds
from gen.pages.figure import FigureRef
from gen.pages.site import write_site
from gen.pages.writers import DirectoryWriter, RecordingWriter
from gen.report import analyse
from gen.stored import Generated
from tests.conftest import RESULTS, ROOT, build_site
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
    real = RESULTS
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
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.gen"):
        rebuilt = build(project, "b")
    corrupt = [record for record in caplog.records if "corrupt" in record.getMessage()]
    # Info, never a warning: a strict build fails on warnings, and a damaged cache only costs the work again.
    assert corrupt and {record.levelno for record in corrupt} == {logging.INFO}
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


def test_an_unchanged_rebuild_replays_the_pages_and_any_change_generates_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, log = mkdocs_build(project, "a")
    assert REUSED not in log
    # The kept files, handed to MkDocs where they lie, make the site that their content in memory makes.
    kept = os.environ["REPORT_CACHE"]
    monkeypatch.setenv("REPORT_CACHE", "off")
    assert mkdocs_build(project, "written")[0] == first
    monkeypatch.setenv("REPORT_CACHE", kept)
    replayed, log = mkdocs_build(project, "b")
    assert REUSED in log and replayed == first
    path = one_file(project)
    path.unlink()
    changed, log = mkdocs_build(project, "c")
    assert REUSED not in log and changed != first
    (project / "report.yml").write_text(CONFIG.replace("title: cached", "title: renamed"))
    retitled, log = mkdocs_build(project, "d")
    assert REUSED not in log and retitled != changed


def strict_build_log(project: Path, name: str) -> str:
    """A strict MkDocs build that must succeed; its log."""
    done = build_site(project / name, project / "report.yml", quiet=False)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "Traceback" not in done.stderr
    return done.stderr


def test_an_unwritable_cache_costs_a_strict_build_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: a cache that cannot be written was a warning, and a strict build fails on warnings."""
    blocker = project / "not-a-folder"
    blocker.write_text("a file where the cache folder's parent should be: nothing can be created under it")
    monkeypatch.setenv("REPORT_CACHE", str(blocker / "cache"))
    log = strict_build_log(project, "a")
    assert "INFO    -  gen: cannot write cache entry" in log
    monkeypatch.setenv("REPORT_CACHE", "off")
    assert tree_digest(project / "a") == mkdocs_build(project, "b")[0]


def test_a_truncated_cache_is_rebuilt_in_a_strict_build(project: Path) -> None:
    first, _ = mkdocs_build(project, "a")
    entries = [path for path in (project / "cache").rglob("*") if path.is_file()]
    assert {path.relative_to(project / "cache").parts[0] for path in entries} >= {"parsed", "charts", "generated"}
    for path in entries:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    log = strict_build_log(project, "b")
    assert "INFO    -  gen: cache entry" in log and "is corrupt; rebuilding it" in log
    assert REUSED not in log
    assert tree_digest(project / "b") == first


def test_a_corrupt_entry_in_a_read_only_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path))
    entry = cache.entry_path("test", "key", ".bin")
    assert entry is not None
    cache.write_entry(entry, b"x" * 100)
    entry.write_bytes(entry.read_bytes()[:50])

    def refused(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    # As root, a read-only folder still lets files go: the refusal is what a user without rights would get.
    monkeypatch.setattr(Path, "unlink", refused)
    assert cache.read_entry(entry) is None
    assert cache.read_entry(entry) is None  # still there, and still not trusted


def test_the_build_cache_holds_no_pickle_and_runs_no_planted_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the recorded pages were a pickle, and reading a pickle can run any code."""
    first, _ = mkdocs_build(project, "a")
    entries = [path for path in (project / "cache").rglob("*") if path.is_file()]
    assert not [path for path in entries if path.suffix in (".pickle", ".pkl")]
    assert not [path for path in entries if is_pickle(path.read_bytes()[:-32])]  # each entry without its digest
    assert not [path for path in entries if is_pickle(path.read_bytes())]  # and the kept files, which have none
    kept = project / "cache" / "generated"
    marker = project / "code-ran"
    # A pickle that creates a folder when loaded, with a valid digest, where the next build looks for its kept
    # pages: under the fingerprint of its inputs, computed now (the generator's code may change between two
    # builds), as the manifest and as the old '.pickle' entry.
    monkeypatch.chdir(ROOT)  # where build_site runs MkDocs: the fingerprint includes its git state
    key = inputs_fingerprint(load_config(project / "report.yml"))
    for path in (kept / f"{key}.json", kept / f"{key}.pickle"):
        cache.write_entry(path, pickle.dumps(Planted(str(marker))))
    log = strict_build_log(project, "b")
    assert not marker.exists()
    assert "is unusable" in log and REUSED not in log
    assert tree_digest(project / "b") == first


def is_pickle(data: bytes) -> bool:
    """Whether ``data`` reads as a pickle, up to its STOP opcode."""
    try:
        opcodes = [opcode.name for opcode, _, _ in pickletools.genops(data)]
    except ValueError:  # an unknown opcode or an argument cut short
        return False
    return opcodes[-1:] == ["STOP"]


class Planted:
    """What an attacker with write access to the cache would leave: unpickling it calls os.mkdir."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (self.path,)


def recorded() -> Generated:
    output = RecordingWriter()
    output.write("index.md", "# Title\n\nodd text: \x1b[31m é\n")
    output.write("charts/a.png", b"\x89PNG\x00\xff")
    output.write("empty.txt", "")
    output.footer("built from …")
    output.version_selector()
    offered = Embeds(
        tables={"combined": "<table></table>"},
        charts={"a": FigureRef("a", "A title", "what it shows")},
        numbers={"runs": "2,941"},
    )
    return Generated(output, offered, ["4 files: 4 ingested"], "strict mode: 1 rejected file(s)")


def test_kept_pages_are_the_files_written_and_come_back_as_data(tmp_path: Path) -> None:
    manifest = tmp_path / "generated" / "key.json"
    stored.store(recorded(), manifest)
    blobs = {path.read_bytes() for path in (tmp_path / "generated" / "blobs").iterdir()}
    assert blobs == {"# Title\n\nodd text: \x1b[31m é\n".encode(), b"\x89PNG\x00\xff", b""}
    loaded = stored.load(manifest)
    assert loaded is not None
    assert (loaded.embeds, loaded.log_lines, loaded.strict_problem) == (
        recorded().embeds,
        recorded().log_lines,
        recorded().strict_problem,
    )
    replayed = RecordingWriter()
    loaded.output.replay(replayed)
    assert list(replayed.files) == ["index.md", "charts/a.png", "empty.txt"]
    assert replayed.files["charts/a.png"] == b"\x89PNG\x00\xff" and replayed.files["empty.txt"] == b""
    assert (replayed.footer_text, replayed.selector) == ("built from …", True)
    # A second build that changed one file writes that file's bytes alone.
    again = recorded()
    assert isinstance(again.output, RecordingWriter)
    again.output.write("charts/a.png", b"\x89PNG\x00\x00")
    before = {path.name: path.stat().st_mtime_ns for path in (tmp_path / "generated" / "blobs").iterdir()}
    stored.store(again, tmp_path / "generated" / "other.json")
    after = {path.name: path.stat().st_mtime_ns for path in (tmp_path / "generated" / "blobs").iterdir()}
    assert len(after) == 4 and {name: after[name] for name in before} == before
    assert not [path for path in tmp_path.rglob("*.tmp")]  # nothing half-written left


def flip_a_byte(blobs: Path, manifest: Path) -> None:
    (blob,) = [path for path in blobs.iterdir() if path.read_bytes().startswith(b"# Title")]
    data = bytearray(blob.read_bytes())
    data[3] ^= 1
    blob.write_bytes(bytes(data))


def cut_a_blob(blobs: Path, manifest: Path) -> None:
    (blob,) = [path for path in blobs.iterdir() if path.read_bytes().startswith(b"\x89PNG")]
    blob.write_bytes(b"\x89PNG")


def edited_manifest(blobs: Path, manifest: Path, edit: Callable[[dict[str, Any]], object]) -> None:
    """The manifest edited, with a valid digest: as a cache written by someone else would be."""
    kept = cache.read_entry(manifest)
    assert kept is not None
    data = json.loads(kept)
    edit(data)
    cache.write_entry(manifest, json.dumps(data).encode())


@pytest.mark.parametrize(
    "damage",
    [
        flip_a_byte,
        cut_a_blob,
        lambda blobs, manifest: shutil.rmtree(blobs),
        lambda blobs, manifest: manifest.write_bytes(manifest.read_bytes()[:-9]),
        lambda blobs, manifest: cache.write_entry(manifest, pickle.dumps({"layout": "gen-stored/1"})),
        partial(edited_manifest, edit=lambda data: data["files"][0].__setitem__(0, "../../outside.md")),
        partial(edited_manifest, edit=lambda data: data["files"][0].__setitem__(1, "../../outside.md")),
        partial(edited_manifest, edit=lambda data: data.__setitem__("log_lines", [1])),
    ],
)
def test_damaged_kept_pages_are_refused(tmp_path: Path, damage: Callable[[Path, Path], object]) -> None:
    (tmp_path / "outside.md").write_text("not written by the generator")
    manifest = tmp_path / "generated" / "key.json"
    stored.store(recorded(), manifest)
    damage(tmp_path / "generated" / "blobs", manifest)
    assert stored.load(manifest) is None
    assert not manifest.exists()  # removed: the next build writes it again
