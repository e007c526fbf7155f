"""Units computed by a forked copy of the build process (gen.forked) are the units this process computes alone, and a
copy that fails costs only time: this process computes what the copy left missing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gen.forked
from gen import memo
from gen.build import generated
from gen.config import load_config
from gen.fingerprint import STATIC_IMAGES, build_inputs
from gen.stored import Generated
from tests.helpers import processes
from tests.test_incremental import project  # noqa: F401  (the fixture)


def generate(root: Path, cache_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Generated:
    """A cold generation of the project at ``root`` (nothing kept in this process)."""
    monkeypatch.setenv("REPORT_CACHE", str(cache_folder))
    monkeypatch.setenv(STATIC_IMAGES, "off")
    memo.STAGES.clear()
    config = load_config(root / "report.yml")
    return generated(config, build_inputs(config)[1])


def forks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the shares handed to forked copies."""
    handed: list[list[str]] = []
    real = gen.forked.share

    def recording(stale: list[str]) -> list[str]:
        theirs = real(stale)
        handed.append(theirs)
        return theirs

    monkeypatch.setattr(gen.forked, "share", recording)
    return handed


def test_a_forked_copy_computes_what_this_process_would(
    project: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    handed = forks(monkeypatch)
    shared = generate(project, tmp_path / "forked", monkeypatch)
    assert len(handed) == 1 and len(handed[0]) >= gen.forked.FORK_MIN_UNITS // 2
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    alone = generate(project, tmp_path / "alone", monkeypatch)
    assert handed[1] == []
    assert shared == alone


def test_a_copy_that_fails_leaves_its_units_to_this_process(
    project: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parent = os.getpid()
    computed_here: list[str] = []
    real_unit = memo.Memo.unit

    def failing_in_the_copy(self: memo.Memo, name: str, compute: Callable[[], object], *rest: object) -> object:
        def checked() -> object:
            if os.getpid() != parent:
                raise RuntimeError("the copy fails")
            computed_here.append(name)
            return compute()

        return real_unit(self, name, checked, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(memo.Memo, "unit", failing_in_the_copy)
    handed = forks(monkeypatch)
    shared = generate(project, tmp_path / "forked", monkeypatch)
    assert handed[0] and set(handed[0]) <= set(computed_here)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert generate(project, tmp_path / "alone", monkeypatch) == shared


COPY_WAITS = """
import os, sys, time
from gen import forked
with forked.computing(lambda names: time.sleep(600), ["a unit"]):
    print(os.getpid(), flush=True)
    time.sleep(600)
"""


def test_a_copy_ends_with_its_killed_build() -> None:
    """A killed build leaves no process behind (issue 12): its forked copy included."""
    script = subprocess.Popen([sys.executable, "-c", COPY_WAITS], stdout=subprocess.PIPE, text=True)
    copies: list[int] = []
    try:
        assert script.stdout is not None
        parent = int(script.stdout.readline())
        deadline = time.monotonic() + 30
        while not (copies := children(parent)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert copies, "the copy was never seen"
        os.kill(parent, signal.SIGKILL)
        script.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in copies) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in copies)
    finally:
        # Whatever the outcome, nothing of this test outlives it.
        for pid in [script.pid, *copies]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        script.wait(timeout=30)


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    return [child for child, p in processes().items() if p.parent == pid and p.state != "Z"]


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    found = processes().get(pid)
    return found is not None and found.state != "Z"
