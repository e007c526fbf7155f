"""A build's inputs computed ahead by a forked copy (gen.fingerprint.start_ahead) are those computed here, and the copy
never outlives its use."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import gen.hooks
from gen import fingerprint
from gen.config import ReportConfig, load_config
from gen.fingerprint import Inputs, build_inputs, packed_walk, start_ahead, unpacked_walk
from gen.memo import Memo
from gen.sources.discovery import walk_all
from tests.conftest import REAL_CONFIG
from tests.sources.test_files import tricky_tree

# More files than a pipe holds the walk of (64 KB): a copy not read from is then still running, blocked on its pipe.
FILES = 1500


@pytest.fixture
def config(tmp_path: Path) -> ReportConfig:
    """The bundled report's config over a tree of FILES result files (the walk never reads them)."""
    for number in range(FILES):
        folder = tmp_path / "results" / f"task_{number % 30}" / f"run_{number}"
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text("{}", encoding="utf-8")
    for folder in ("published", "reference"):
        shutil.copytree(REAL_CONFIG.parent / folder, tmp_path / folder)
    text = REAL_CONFIG.read_text(encoding="utf-8").replace("path: kd-lora-results/results", "path: results")
    (tmp_path / "report.yml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "report.yml")


@pytest.fixture(autouse=True)
def no_copy_left() -> Iterator[None]:
    """A test that fails midway leaves no copy running for the next one to take."""
    yield
    if fingerprint._AHEAD is not None:
        _, child, readable = fingerprint._AHEAD
        fingerprint._AHEAD = None
        os.close(readable)
        fingerprint._stop(child)


def equal_memos(one: Memo, other: Memo) -> bool:
    return (one.base, one.leaves, one.enabled, one.walks) == (other.base, other.leaves, other.enabled, other.walks)


def copy_started() -> int:
    assert fingerprint._AHEAD is not None, "no copy was started"
    return fingerprint._AHEAD[1]


def reaped(child: int) -> bool:
    """True when ``child`` is no child of this process any more (it ended and was waited for)."""
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize("in_a_thread", [False, True])
def test_the_copys_inputs_are_those_computed_here(
    in_a_thread: bool, config: ReportConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_fingerprint, expected = build_inputs(config)
    assert len(next(iter(expected.walks.values()))) == FILES
    start_ahead(config)
    child = copy_started()

    def not_here(_: ReportConfig) -> None:
        raise AssertionError("computed in this process, not taken from the copy")

    monkeypatch.setattr(fingerprint, "build_inputs", not_here)  # the copy was forked before: it has the real one
    with Inputs(config) as inputs:
        assert inputs.fingerprint == expected_fingerprint
        if in_a_thread:
            inputs.receive()
        assert equal_memos(inputs.memo(), expected)
    assert reaped(child)


def test_a_build_that_fails_while_the_answer_is_read_stops_the_copy(config: ReportConfig) -> None:
    start_ahead(config)
    child = copy_started()
    with pytest.raises(RuntimeError, match="imports failed"), Inputs(config) as inputs:
        inputs.receive()
        raise RuntimeError("imports failed")
    assert reaped(child)


def test_a_walk_goes_through_the_pipe_whole(tmp_path: Path) -> None:
    """Every kind of entry a walk finds (aliases, loops, a FIFO, a device, a name that is not UTF-8) comes out of its
    packing as it went in."""
    tricky_tree(tmp_path)
    walked = walk_all(tmp_path)
    assert any(found.decided is not None for found in walked)
    assert any("\udce9" in found.path for found in walked)  # the name that is not UTF-8, as the system gives it
    root = str(tmp_path)
    assert unpacked_walk(root, *packed_walk(root, walked)) == walked
    assert unpacked_walk(root, *packed_walk(root, [])) == []
    moved = [walked[0]._replace(path="/elsewhere/metrics.json"), *walked[1:]]  # a path not under the root
    assert unpacked_walk(root, *packed_walk(root, moved)) == moved


def test_an_unchanged_build_stops_the_copy_it_does_not_read(config: ReportConfig) -> None:
    expected_fingerprint, _ = build_inputs(config)
    start_ahead(config)
    child = copy_started()
    with Inputs(config) as inputs:
        assert inputs.fingerprint == expected_fingerprint
        assert not reaped(child)  # still blocked on the walk it has not handed over
    assert reaped(child)


def test_a_copy_for_another_config_is_stopped_and_the_inputs_computed_here(config: ReportConfig) -> None:
    start_ahead(config.model_copy(update={"title": "Another report"}))
    child = copy_started()
    expected_fingerprint, expected = build_inputs(config)
    with Inputs(config) as inputs:
        assert reaped(child)
        assert inputs.fingerprint == expected_fingerprint
        assert equal_memos(inputs.memo(), expected)


def test_a_failed_copy_leaves_the_inputs_to_this_process(config: ReportConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    expected_fingerprint, expected = build_inputs(config)

    def failing(_: ReportConfig) -> None:
        raise OSError("the copy fails")

    monkeypatch.setattr(fingerprint, "build_inputs", failing)
    start_ahead(config)  # forked with the failing one
    child = copy_started()
    monkeypatch.undo()
    with Inputs(config) as inputs:
        assert reaped(child)
        assert inputs.fingerprint == expected_fingerprint
        assert equal_memos(inputs.memo(), expected)


def test_a_second_start_stops_the_first_copy(config: ReportConfig) -> None:
    start_ahead(config)
    first = copy_started()
    start_ahead(config)
    assert reaped(first)
    with Inputs(config) as inputs:
        assert inputs.fingerprint == build_inputs(config)[0]


def mkdocs_config(plugins: list[str]) -> SimpleNamespace:
    """What gen/hooks.py's on_config reads of MkDocs' config."""
    return SimpleNamespace(plugins=dict.fromkeys(plugins), markdown_extensions=[], mdx_configs={}, site_name="")


@pytest.mark.parametrize(
    ("command", "plugins", "started"),
    [
        ("build", ["search", "gen-files"], True),
        ("serve", ["search", "gen-files"], False),  # a served rebuild follows a change, not an unchanged tree
        ("build", ["search"], False),  # no generation: nothing would take the copy's answer
    ],
)
def test_the_hooks_start_a_copy_only_for_a_build_that_generates(
    command: str, plugins: list[str], started: bool, config: ReportConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gen.hooks, "_COMMAND", "")  # restored after
    monkeypatch.setenv("REPORT_CONFIG", str(config.config_path))
    monkeypatch.delenv(fingerprint.MIKE_VERSION, raising=False)
    monkeypatch.setenv(fingerprint.STATIC_IMAGES, "on")  # restored after: on_startup("serve") would set it
    gen.hooks.on_startup(command, dirty=False)
    gen.hooks.on_config(mkdocs_config(plugins))
    assert (fingerprint._AHEAD is not None) is started
    with Inputs(config) as inputs:
        assert inputs.fingerprint == build_inputs(config)[0]
