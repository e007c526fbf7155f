"""Units of the site (gen.memo) computed by a forked copy of the build process while this one computes the others.

Building pages and downloads is pandas, Altair and text in one interpreter: one core. On two or more, a copy of the
process made with ``fork`` starts with everything computed so far (the runs, their health), computes its share of
the units and keeps each in the build cache, as any build does; this process then reads them from there. Nothing
else passes between the two, and the copy never returns into the caller: it ends when its share is done. A copy
that fails leaves its units missing from the cache, so this process computes them and reports any error as a build
error; a copy whose build process is killed ends with it (gen.cache.exit_with_parent). Only with the build cache
on, where ``fork`` exists, and when enough units must be computed to repay the copy (a few milliseconds). What each
unit and stage cost last time (gen.memo) decides which units the copy takes; without it (a cold build), the two
processes take the units as they go (``Claims``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from functools import partial

from gen import claims
from gen.memo import Cost

# Fewer units to compute than this are computed here alone (an edited table redoes two pages and their downloads).
FORK_MIN_UNITS = 8


def can_share(stale: list[str]) -> bool:
    """True when a forked copy may compute some of ``stale``: enough of them, two cores or more, and ``fork``."""
    return len(stale) >= FORK_MIN_UNITS and (os.cpu_count() or 1) >= 2 and hasattr(os, "fork")


def share(
    stale: list[str],
    unit_costs: dict[str, Cost],
    stage_costs: dict[str, Cost],
    pending: Callable[[str], bool],
) -> list[str]:
    """The units a forked copy computes (in site order), or none when it cannot share (``can_share``).

    With what each stale unit cost when last computed (``unit_costs``, gen.memo), the units go one by one, the
    costliest first, to the process that keeps the estimated end of the build earliest. A unit costs its own time
    plus the ``pending`` stages it needs (``stage_costs``, through the stages they read) that its process has not
    computed yet, so units reading the same costly stage go together rather than both processes computing it.
    Without costs (a cold build), every other unit, in site order: pages first, so both processes get a mix of heavy
    pages and light downloads.
    """
    if not can_share(stale):
        return []
    if any(name not in unit_costs for name in stale):
        return stale[1::2]

    def needs(stages: set[str]) -> set[str]:
        found: set[str] = set()
        waiting = [name for name in stages if pending(name)]
        while waiting:
            name = waiting.pop()
            if name not in found:
                found.add(name)
                read = stage_costs[name].stages if name in stage_costs else set()
                waiting += [inner for inner in read if pending(inner)]
        return found

    def seconds(stages: set[str]) -> float:
        return sum(stage_costs[name].seconds for name in stages if name in stage_costs)

    needed = {name: needs(unit_costs[name].stages) for name in stale}
    alone = {name: unit_costs[name].seconds + seconds(needed[name]) for name in stale}
    costliest = sorted(stale, key=lambda name: -alone[name])
    loads, computed = [0.0, 0.0], [set[str](), set[str]()]
    theirs: set[str] = set()
    for index, name in enumerate(costliest):
        rest = costliest[index + 1 :]
        # The work still to place, each stage counted once (as if no process had to compute one twice).
        known = computed[0] | computed[1] | needed[name]
        remaining = sum(unit_costs[n].seconds for n in rest) + seconds(set().union(*(needed[n] for n in rest)) - known)
        options = []
        for side in (0, 1):
            after = loads.copy()
            after[side] += unit_costs[name].seconds + seconds(needed[name] - computed[side])
            # The build ends no earlier than its busier process, nor than half of all the work there is.
            options.append((max(max(after), (sum(after) + remaining) / 2), max(after), side, after))
        _, _, side, loads = min(options)
        computed[side] |= needed[name]
        if side == 1:
            theirs.add(name)
    return [name for name in stale if name in theirs]


class Claims:
    """Units shared as the two processes go, for a build that knows no costs (a cold one): this process takes the
    units from the front of the site order, the copy from the back (gen.claims). Taking every other unit instead left
    this process computing alone for the last 4 s of a cold build of 300,000 runs."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self._index = {name: index for index, name in enumerate(names)}
        self._claims = claims.Claims(len(names))

    @classmethod
    def start(cls, stale: list[str], unit_costs: dict[str, Cost]) -> Claims | None:
        """Claims over ``stale`` when they are to be shared without costs; None when ``share`` decides (every unit's
        cost is known), when nothing is shared (``can_share``), or where no lock can be shared (no /dev/shm)."""
        if not can_share(stale) or all(name in unit_costs for name in stale):
            return None
        try:
            return cls(stale)
        except OSError:
            return None

    def take(self, name: str, by_copy: bool) -> bool:
        """Whether the caller takes unit ``name`` (then nobody else does)."""
        return self._claims.take(self._index[name], by_copy)

    def taken_by_copy(self) -> list[str]:
        """The units the copy took, in site order (once it has ended)."""
        return [self.names[index] for index in self._claims.taken_by_copy()]


@contextlib.contextmanager
def computing(compute: Callable[[list[str]], object], names: list[str]) -> Iterator[None]:
    """``compute(names)`` in a forked copy of this process while the body runs; on leaving, wait for the copy."""
    if not names:
        yield
        return
    child = claims.fork_copy(partial(compute, names))
    try:
        yield
    finally:
        os.waitpid(child, 0)
