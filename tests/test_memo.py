"""What computing units and stages cost (gen.memo.Cost), as recorded for the next build's share (gen.forked)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from gen import memo
from gen.memo import Cost, Memo, stage


class Clock:
    """A clock the computations below advance by hand: costs are then exact, whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(memo, "STAGES", {})
    ticking = Clock()
    monkeypatch.setattr(memo, "time", SimpleNamespace(perf_counter=ticking.perf_counter))
    return ticking


class Toy:
    """A report of two stages: ``inner`` (3 s) and ``outer`` (1 s of its own, reading ``inner``)."""

    def __init__(self, on: Memo, clock: Clock) -> None:
        self.memo = on
        self.clock = clock
        self._stages: dict[str, tuple[dict[str, str], object]] = {}

    @stage
    def inner(self) -> int:
        memo.read("sources")
        self.clock.now += 3.0
        return 1

    @stage
    def outer(self) -> int:
        self.clock.now += 1.0
        return self.inner + 1


def page(toy: Toy) -> int:
    """A unit of 0.5 s of its own, reading ``outer``."""
    toy.clock.now += 0.5
    return toy.outer


def compute_unit(on: Memo, toy: Toy) -> int:
    return on.unit("page", lambda: page(toy), lambda value: ({"value": value}, b""), lambda h, _: h["value"])


def test_a_unit_and_a_stage_cost_their_own_time_and_name_the_stages_they_read(clock: Clock) -> None:
    on = Memo("base", {"sources": "a"}, enabled=True)
    assert compute_unit(on, Toy(on, clock)) == 2
    assert on.stage_costs == {"inner": Cost(3.0, set()), "outer": Cost(1.0, {"inner"})}
    later = Memo("base", {"sources": "b"}, enabled=True)
    assert later.stale(["page"]) == ["page"]
    # Read back from the unit's entry: 0.5 s of its own, not the 4.5 s with the stages it computed on the way.
    assert later.unit_costs == {"page": Cost(0.5, {"outer"})}


def test_a_current_unit_has_no_cost_to_share(clock: Clock) -> None:
    on = Memo("base", {"sources": "a"}, enabled=True)
    compute_unit(on, Toy(on, clock))
    again = Memo("base", {"sources": "a"}, enabled=True)
    assert again.stale(["page"]) == []
    assert again.unit_costs == {}


def test_stage_costs_of_both_processes_are_kept(clock: Clock) -> None:
    first = Memo("base", {"sources": "a"}, enabled=True)
    Toy(first, clock).inner  # noqa: B018
    first.keep_stage_costs()
    second = Memo("base", {"sources": "a"}, enabled=True)
    Toy(second, clock).outer  # noqa: B018  (``inner`` is kept in memory: only ``outer`` is computed)
    assert set(second.stage_costs) == {"outer"}
    second.keep_stage_costs()
    kept = Memo("base", {"sources": "b"}, enabled=True).earlier_stage_costs()
    assert kept == {"inner": Cost(3.0, set()), "outer": Cost(1.0, {"inner"})}
    assert Memo("other base", {}, enabled=True).earlier_stage_costs() == {}


def test_no_cost_is_read_from_an_entry_that_has_none(clock: Clock) -> None:
    assert Cost.from_json(None) is None
    assert Cost.from_json([1.5]) is None
    assert Cost.from_json(["1.5", []]) is None
    assert Cost.from_json([1.5, [2]]) is None
    assert Cost.from_json(Cost(1.5, {"b", "a"}).to_json()) == Cost(1.5, {"a", "b"})
