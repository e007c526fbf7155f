"""File discovery and reading: excludes, symlink loops and aliases, FIFOs and devices, names that are not UTF-8,
size limits, path patterns — each file one outcome."""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gen.config.sources import MetricsJsonSource, path_regex
from gen.sources import discovery
from gen.sources.base import InputError
from gen.sources.discovery import discover, reusing, walk_all
from gen.sources.files import Pending, parse_one, read_bounded
from gen.sources.metrics_json import load_metrics_json, read_run
from gen.sources.parse_cache import Parsed

RESULT = {"eval_accuracy": 0.7, "args": {"task": "rte", "model_family": "bert", "seed": 1}, "variant": "fft"}


def write(path: Path, data: object = RESULT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def outcomes(root: Path, **options: object) -> dict[str, tuple[str, str]]:
    source = MetricsJsonSource(type="metrics-json", path=root, **options)  # type: ignore[arg-type]
    return {f.source_file: (f.outcome, f.reason) for f in load_metrics_json(source, "1:metrics-json").files}


def test_excluded_files_are_counted_as_ignored(tmp_path: Path) -> None:
    write(tmp_path / "a" / "metrics.json")
    write(tmp_path / "old" / "b" / "metrics.json")
    found = outcomes(tmp_path, exclude=["old/**"])
    assert found == {
        "a/metrics.json": ("ingested", ""),
        "old/b/metrics.json": ("ignored", "matches an exclude pattern"),
    }


def test_the_collector_rests_during_a_walk_and_resumes_after(tmp_path: Path) -> None:
    for name in ("a/1.json", "b/2.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert gc.isenabled()
    collecting: list[bool] = []
    found = discover(tmp_path, "*.json", [], to_read=lambda _: collecting.append(gc.isenabled()))
    assert [f.relative for f in found] == ["a/1.json", "b/2.json"]
    assert collecting == [False, False]
    assert gc.isenabled()


def test_symlink_loop_is_rejected_not_followed_forever(tmp_path: Path) -> None:
    write(tmp_path / "a" / "metrics.json")
    os.symlink(tmp_path, tmp_path / "a" / "back")
    found = outcomes(tmp_path)
    assert found["a/metrics.json"][0] == "ingested"
    assert found["a/back"][0] == "rejected"
    assert "symlink loop" in found["a/back"][1]
    assert len(found) == 2


def test_symlinked_folder_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "run" / "metrics.json")
    (tmp_path / "root").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "root" / "linked")
    assert outcomes(tmp_path / "root") == {"linked/run/metrics.json": ("ingested", "")}


def test_broken_link_is_unreadable(tmp_path: Path) -> None:
    tmp_path.joinpath("gone").mkdir()
    os.symlink(tmp_path / "nowhere.json", tmp_path / "gone" / "metrics.json")
    assert outcomes(tmp_path) == {"gone/metrics.json": ("rejected", "unreadable: No such file or directory")}


def test_files_over_the_size_limit_are_rejected_unread(tmp_path: Path) -> None:
    write(tmp_path / "big" / "metrics.json", {**RESULT, "padding": "x" * 2_000_000})
    write(tmp_path / "small" / "metrics.json")
    found = outcomes(tmp_path, max_file_mb=1)
    assert found["small/metrics.json"][0] == "ingested"
    assert found["big/metrics.json"] == (
        "rejected",
        "file is 2.0 MB, over the 1 MB limit (raise max_file_mb on the source to read it)",
    )


def test_declared_path_pattern_names_fields(tmp_path: Path) -> None:
    data = {"eval_accuracy": 0.7, "variant": "fft"}
    write(tmp_path / "runs" / "rte-bert" / "seed7" / "metrics.json", data)
    write(tmp_path / "misc" / "metrics.json", data)
    source = MetricsJsonSource(
        type="metrics-json", path=tmp_path, path_pattern="runs/{task}-{family}/seed{seed}/metrics.json"
    )
    load = load_metrics_json(source, "1:metrics-json")
    (run,) = load.runs
    assert run.fields == {"task": "rte", "family": "bert", "seed": "7", "variant": "fft"}
    rejected = {f.source_file: f.reason for f in load.files if f.outcome == "rejected"}
    assert rejected == {
        "misc/metrics.json": "path does not match path_pattern 'runs/{task}-{family}/seed{seed}/metrics.json'"
    }


@pytest.mark.parametrize(
    ("pattern", "path", "fields"),
    [
        (
            "**/task_{task}_{family}_{seed}/metrics.json",
            "a/b/task_rte_bert_42/metrics.json",
            {"task": "rte", "family": "bert", "seed": "42"},
        ),
        ("{variant}/*/{peft}.json", "lora/x/dora.json", {"variant": "lora", "peft": "dora"}),
        ("{variant}/*/{peft}.json", "lora/x/y/dora.json", None),
    ],
)
def test_path_pattern_syntax(pattern: str, path: str, fields: dict[str, str] | None) -> None:
    found = path_regex(pattern).match(path)
    assert (found.groupdict() if found else None) == fields


def test_a_symlinked_alias_of_a_folder_counts_its_runs_once_under_the_real_path(tmp_path: Path) -> None:
    """Issue 12: `current -> fft` beside `fft/` was read as the folder and `fft/` itself reported as a loop."""
    write(tmp_path / "fft" / "a" / "metrics.json")
    write(tmp_path / "fft" / "b" / "metrics.json")
    os.symlink("fft", tmp_path / "current")
    os.symlink("..", tmp_path / "fft" / "loop")  # a real loop stays one
    source = MetricsJsonSource(type="metrics-json", path=tmp_path)
    load = load_metrics_json(source, "1:metrics-json")
    assert sorted(run.source_file for run in load.runs) == ["fft/a/metrics.json", "fft/b/metrics.json"]
    assert {f.source_file: (f.outcome, f.reason) for f in load.files} == {
        "current/a/metrics.json": ("ignored", "same file as fft/a/metrics.json (via symlink current)"),
        "current/b/metrics.json": ("ignored", "same file as fft/b/metrics.json (via symlink current)"),
        "current/loop": ("ignored", "same folder as fft/loop (via symlink current)"),
        "fft/a/metrics.json": ("ingested", ""),
        "fft/b/metrics.json": ("ingested", ""),
        "fft/loop": ("rejected", "symlink loop: points back to folder '.', which contains it"),
    }


def test_two_links_to_one_folder_outside_read_it_once_under_the_first_name(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "run" / "metrics.json")
    (tmp_path / "root").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "root" / "b")
    os.symlink(tmp_path / "outside", tmp_path / "root" / "a")
    assert outcomes(tmp_path / "root") == {
        "a/run/metrics.json": ("ingested", ""),
        "b/run/metrics.json": ("ignored", "same file as a/run/metrics.json (via symlink b)"),
    }


def test_links_that_lead_to_each_other_end(tmp_path: Path) -> None:
    """x/to_y -> y and y/to_x -> x: following links would go x/to_y/to_x/to_y/... for ever."""
    write(tmp_path / "x" / "metrics.json")
    write(tmp_path / "y" / "metrics.json")
    os.symlink("../y", tmp_path / "x" / "to_y")
    os.symlink("../x", tmp_path / "y" / "to_x")
    assert outcomes(tmp_path) == {
        "x/metrics.json": ("ingested", ""),
        "y/metrics.json": ("ingested", ""),
        "x/to_y/metrics.json": ("ignored", "same file as y/metrics.json (via symlink x/to_y)"),
        "x/to_y/to_x": ("ignored", "same folder as y/to_x (via symlink x/to_y)"),
        "y/to_x/metrics.json": ("ignored", "same file as x/metrics.json (via symlink y/to_x)"),
        "y/to_x/to_y": ("ignored", "same folder as x/to_y (via symlink y/to_x)"),
    }


def test_fifos_sockets_and_devices_are_rejected_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: reading a FIFO waited for a writer for ever; a link to /dev/zero filled the memory."""
    write(tmp_path / "good" / "metrics.json")
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "metrics.json")
    (tmp_path / "zero").mkdir()
    os.symlink("/dev/zero", tmp_path / "zero" / "metrics.json")
    (tmp_path / "socket").mkdir()
    monkeypatch.chdir(tmp_path / "socket")  # a relative name: socket paths are limited to about 100 bytes
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("metrics.json")
        # Discovery decides from the stat alone: nothing is opened (reading is tested below, guarded).
        found = {f.relative: (f.decided, f.reason) for f in discover(tmp_path, "metrics.json", [])}
    assert found == {
        "good/metrics.json": (None, ""),
        "fifo/metrics.json": ("rejected", "not a regular file (a FIFO): not read"),
        "socket/metrics.json": ("rejected", "not a regular file (a socket): not read"),
        "zero/metrics.json": ("rejected", "not a regular file (a character device): not read"),
    }


def pending(path: Path, limit: int) -> Pending:
    return Pending(str(path), "x/metrics.json", None, (0, 0), limit)


def test_reading_never_takes_more_than_the_limit_even_when_stat_says_zero(tmp_path: Path) -> None:
    # /proc files say 0 bytes and hold more: past discovery's size check, only the bounded read stops them.
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    assert read_bounded(str(status), 100_000).startswith(b"Name:")
    with pytest.raises(InputError, match=r"^file holds more than 0.0001 MB \(its size said 0.0 MB\), over the limit"):
        read_bounded(str(status), 100)
    link = tmp_path / "run" / "metrics.json"
    link.parent.mkdir()
    os.symlink(status, link)
    found = outcomes(tmp_path, max_file_mb=0.0001)
    assert found["run/metrics.json"][0] == "rejected"
    assert found["run/metrics.json"][1].startswith("file holds more than 0.0001 MB")


def test_a_fifo_put_in_place_of_a_file_after_discovery_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "metrics.json"
    os.mkfifo(fifo)
    parsed: list[Parsed] = []
    # In a thread: were the FIFO opened for reading, the test would wait for a writer for ever.
    reader = threading.Thread(target=lambda: parsed.append(parse_one(read_run, pending(fifo, 1000))), daemon=True)
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), "opening the FIFO waited for a writer"
    assert [(p.outcome, p.reason) for p in parsed] == [("rejected", "not a regular file (a FIFO): not read")]


def test_a_folder_name_that_is_not_utf8_is_rejected_with_its_name_escaped(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)
    (Path(os.fsdecode(folder)) / "metrics.json").write_text(json.dumps(RESULT))
    write(tmp_path / "good" / "metrics.json")
    assert outcomes(tmp_path) == {
        "caf\\xe9/metrics.json": (
            "rejected",
            "name 'caf\\xe9' is not valid UTF-8 (shown with its bytes escaped): rename it to read the file",
        ),
        "good/metrics.json": ("ingested", ""),
    }


def test_files_parsed_by_workers_during_the_walk_give_what_one_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes start while the walk goes on and take files in chunks; the chunks no worker started are
    parsed by the build's own process. Every file must come out as the one-process parse has it."""
    for index in range(700):
        data: object = {**RESULT, "eval_accuracy": index / 1000, "args": {**RESULT["args"], "seed": index}}  # type: ignore[dict-item]
        if index % 97 == 0:
            data = [1, 2]  # rejected: not an object
        write(tmp_path / f"group_{index % 7}" / f"run_{index}" / "metrics.json", data)
    (tmp_path / "group_3" / "run_3" / "metrics.json").write_text('{"eval_accuracy": 0.5,')  # rejected: cut short
    source = MetricsJsonSource(type="metrics-json", path=tmp_path)

    def loaded() -> tuple[list[tuple[str, str, str, int]], list[tuple[str, dict[str, str], dict[str, float]]]]:
        load = load_metrics_json(source, "1:metrics-json")
        files = [(f.source_file, f.outcome, f.reason, f.runs) for f in load.files]
        return files, [(r.source_file, r.fields, r.metrics) for r in load.runs]

    monkeypatch.setattr("gen.sources.files.PARALLEL_MIN_FILES", 10**9)
    one_process = loaded()
    monkeypatch.setattr("gen.sources.files.PARALLEL_MIN_FILES", 8)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert loaded() == one_process
    assert len(one_process[0]) == 700 and sum(f[1] == "rejected" for f in one_process[0]) == 9


def tricky_tree(root: Path) -> None:
    """Every kind of entry discovery tells apart: files matching or not, aliases and loops through symlinks, a FIFO,
    a link to a device, a name that is not UTF-8, an unreadable entry."""
    write(root / "fft" / "a" / "metrics.json")
    write(root / "fft" / "a" / "notes.json", {"note": 1})
    write(root / "fft" / "b" / "metrics.json")
    (root / "fft" / "b" / "README").write_text("not a result")
    os.symlink("fft", root / "current")
    os.symlink("..", root / "fft" / "loop")
    write(root / "x" / "metrics.json")
    os.symlink("../fft", root / "x" / "to_fft")
    (root / "odd").mkdir()
    os.mkfifo(root / "odd" / "metrics.json")
    os.symlink("/dev/null", root / "odd" / "notes.json")
    folder = os.fsencode(root) + b"/caf\xe9"
    os.mkdir(folder)
    (Path(os.fsdecode(folder)) / "metrics.json").write_text(json.dumps(RESULT))
    os.symlink(root / "missing", root / "x" / "broken.json")


@pytest.mark.parametrize("pattern", ["metrics.json", "*.json", "*"])
@pytest.mark.parametrize("exclude", [[], ["current/*"], ["*/metrics.json"], ["fft/a/*", "odd/*"]])
def test_selecting_from_the_walk_of_every_file_finds_what_walking_again_finds(
    tmp_path: Path, pattern: str, exclude: list[str]
) -> None:
    """A build walks its trees once, for its fingerprint; readers select their files from that walk."""
    tricky_tree(tmp_path)
    walked: list[str] = []
    direct = discover(tmp_path, pattern, exclude, to_read=lambda found: walked.append(found.relative))
    selected: list[str] = []
    with reusing({str(tmp_path): walk_all(tmp_path)}):
        reused = discover(tmp_path, pattern, exclude, to_read=lambda found: selected.append(found.relative))
    assert reused == direct
    assert sorted(selected) == sorted(walked)
    assert any(found.decided is not None for found in direct)


def wide_tree(root: Path) -> None:
    """Forty run folders under three strategies, beside the tricky entries, and links into some of them (aliases
    only the process that read the folder can tell)."""
    tricky_tree(root)
    for index in range(40):
        write(root / ["fft", "lora", "kd-lora"][index % 3] / f"run_{index}" / "metrics.json")
    for index in range(0, 40, 7):
        os.symlink(f"{['fft', 'lora', 'kd-lora'][index % 3]}/run_{index}", root / f"latest_{index}")


def forks_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    forked: list[int] = []
    real = os.fork

    def counting() -> int:
        forked.append(1)
        return real()

    monkeypatch.setattr(os, "fork", counting)
    return forked


def shared_walk(
    monkeypatch: pytest.MonkeyPatch, here: Callable[[], None] = lambda: None, copy: Callable[[], None] = lambda: None
) -> None:
    """Every walk shared with a forked copy, a folder per chunk; ``here`` (in this process) or ``copy`` (in the copy)
    runs before each folder is read."""
    monkeypatch.setattr("gen.sources.discovery.SPLIT_MIN_FOLDERS", 1)
    monkeypatch.setattr("gen.sources.discovery._CHUNK_FOLDERS", 1)
    parent = os.getpid()
    real = discovery._Walk.folder

    def folder(self: discovery._Walk, *where: object) -> None:
        (here if os.getpid() == parent else copy)()
        real(self, *where)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery._Walk, "folder", folder)


@pytest.mark.parametrize("make", [tricky_tree, wide_tree])
@pytest.mark.parametrize("pattern", ["metrics.json", "*"])
def test_a_walk_shared_with_a_forked_copy_finds_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: object, pattern: str
) -> None:
    """A wide tree's folders are read by this process and a forked copy, each taking chunks as it goes; every
    entry must come out as one process alone finds it (aliases and loops through links included)."""
    make(tmp_path)  # type: ignore[operator]
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr("gen.sources.discovery.SPLIT_MIN_FOLDERS", 10**9)
    alone = discover(tmp_path, pattern, ["fft/a/*"])
    forked = forks_counted(monkeypatch)
    # This process slowed: the copy takes most folders, and its finds must be merged back.
    shared_walk(monkeypatch, here=lambda: time.sleep(0.02))
    assert discover(tmp_path, pattern, ["fft/a/*"]) == alone
    assert forked == [1]
    assert any(found.decided == "rejected" for found in alone) and any(found.decided is None for found in alone)


def test_a_copy_that_fails_leaves_its_folders_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wide_tree(tmp_path)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    alone = walk_all(tmp_path)

    def fail() -> None:
        raise RuntimeError("the copy fails")

    shared_walk(monkeypatch, copy=fail)
    assert walk_all(tmp_path) == alone


def test_a_narrow_tree_is_walked_without_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wide_tree(tmp_path)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forked = forks_counted(monkeypatch)
    assert len(walk_all(tmp_path)) > 40
    assert forked == []
