"""Units computed by a forked copy of the build process (gen.forked) are the units this process computes alone, and a
copy that fails costs only time: this process computes what the copy left missing."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gen.forked
from gen import memo
from gen.build import generated
from gen.config import load_config
from gen.fingerprint import STATIC_IMAGES, build_inputs
from gen.memo import Cost
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
    """Record the units forked copies computed: their share when costs decided it, else those they took."""
    handed: list[list[str]] = []
    real_share, real_taken = gen.forked.share, gen.forked.Claims.taken_by_copy

    def sharing(stale: list[str], *costs: Any) -> list[str]:
        theirs = real_share(stale, *costs)
        handed.append(theirs)
        return theirs

    def taken(self: gen.forked.Claims) -> list[str]:
        handed.append(real_taken(self))
        return handed[-1]

    monkeypatch.setattr(gen.forked, "share", sharing)
    monkeypatch.setattr(gen.forked.Claims, "taken_by_copy", taken)
    return handed


def test_a_forked_copy_computes_what_this_process_would(
    project: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    handed = forks(monkeypatch)
    cold = generate(project, tmp_path / "forked", monkeypatch)  # no costs known: units taken as the two go
    assert len(handed) == 1 and handed[0]
    (project / "results" / "extra").mkdir()  # a change every unit reads: all recomputed, shared by their costs
    shutil.copy2(next((project / "results").rglob("metrics.json")), project / "results" / "extra" / "metrics.json")
    changed = generate(project, tmp_path / "forked", monkeypatch)
    assert len(handed) == 2 and handed[1]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert generate(project, tmp_path / "alone", monkeypatch) == changed
    shutil.rmtree(project / "results" / "extra")
    assert generate(project, tmp_path / "alone", monkeypatch) == cold
    assert not any(handed[2:])  # one core: nothing shared


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


def shared(
    stale: list[str], units: dict[str, Cost], stages: dict[str, Cost], done: frozenset[str] = frozenset()
) -> list[str]:
    """The copy's share when the stages in ``done`` are computed already."""
    return gen.forked.share(stale, units, stages, lambda name: name not in done)


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_taking_units_from_both_ends_gives_each_to_one_process_across_the_fork(two_cores: None) -> None:
    names = [f"u{i}" for i in range(200)]
    claims = gen.forked.Claims.start(names, {})
    assert claims is not None
    mine = []

    def copy_takes(stale: list[str]) -> None:
        for name in reversed(stale):
            claims.take(name, by_copy=True)
            time.sleep(0.001)

    with gen.forked.computing(copy_takes, names):
        for name in names:
            if claims.take(name, by_copy=False):
                mine.append(name)
            time.sleep(0.001)
    theirs = claims.taken_by_copy()
    assert mine and theirs  # both took some: the copy's takes are seen here
    assert sorted(mine + theirs) == sorted(names)
    assert mine == names[: len(mine)] and theirs == names[len(mine) :]


def test_claims_only_without_costs_and_with_something_to_share(two_cores: None) -> None:
    stale = [f"u{i}" for i in range(10)]
    assert gen.forked.Claims.start(stale, {name: Cost(1.0) for name in stale}) is None  # share() decides
    assert gen.forked.Claims.start(stale[: gen.forked.FORK_MIN_UNITS - 1], {}) is None
    assert gen.forked.Claims.start(stale, {name: Cost(1.0) for name in stale[1:]}) is not None


def test_without_costs_the_copy_takes_every_other_unit(two_cores: None) -> None:
    stale = [f"u{i}" for i in range(10)]
    costs = {name: Cost(1.0) for name in stale[:-1]}  # one unit never computed before
    assert shared(stale, costs, {}) == stale[1::2]


def test_units_reading_the_same_costly_stage_go_to_the_same_process(two_cores: None) -> None:
    # Every other unit of this order would make both processes compute both costly stages.
    stale = ["train0", "train1", "stats0", "stats1", "train2", "train3", "stats2", "stats3"]
    units = {name: Cost(0.1, {"training" if name.startswith("train") else "comparisons"}) for name in stale}
    stages = {"training": Cost(2.0), "comparisons": Cost(1.5, {"scores"}), "scores": Cost(0.5)}
    theirs = shared(stale, units, stages)
    ours = [name for name in stale if name not in theirs]
    assert {name[:5] for name in theirs} | {name[:5] for name in ours} == {"train", "stats"}
    assert len({name[:5] for name in theirs}) == len({name[:5] for name in ours}) == 1


def test_stages_already_computed_cost_nothing_and_the_costliest_units_are_spread(two_cores: None) -> None:
    stale = [f"u{i}" for i in range(8)]
    seconds = [4.0, 3.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0]  # 16 s: 8 s each is the best split
    units = {name: Cost(s, {"judged"}) for name, s in zip(stale, seconds, strict=True)}
    theirs = shared(stale, units, {"judged": Cost(100.0)}, done=frozenset({"judged"}))
    mine = sum(s for name, s in zip(stale, seconds, strict=True) if name not in theirs)
    assert mine == 8.0
    assert theirs == sorted(theirs, key=stale.index)  # in site order


def test_a_stage_read_through_another_counts(two_cores: None) -> None:
    # u0 and u1 read cheap stages that both read one costly stage: computing it twice would double the work.
    stale = ["u0", "u1", *[f"small{i}" for i in range(6)]]
    units = {"u0": Cost(0.1, {"a"}), "u1": Cost(0.1, {"b"}), **{f"small{i}": Cost(0.5) for i in range(6)}}
    stages = {"a": Cost(0.01, {"costly"}), "b": Cost(0.01, {"costly"}), "costly": Cost(3.0)}
    theirs = shared(stale, units, stages)
    assert ("u0" in theirs) == ("u1" in theirs)


def test_one_core_or_few_units_share_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    stale = [f"u{i}" for i in range(10)]
    costs = {name: Cost(1.0) for name in stale}
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert shared(stale, costs, {}) == []
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert shared(stale[: gen.forked.FORK_MIN_UNITS - 1], costs, {}) == []
