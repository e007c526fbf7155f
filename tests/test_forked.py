"""Units computed by a forked copy of the build process (gen.forked) are the units this process computes alone, and a
copy that fails costs only time: this process computes what the copy left missing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import gen.forked
from gen import memo
from gen.build import generated
from gen.config import load_config
from gen.fingerprint import STATIC_IMAGES, build_inputs
from gen.stored import Generated
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
