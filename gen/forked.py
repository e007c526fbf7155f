"""Units of the site (gen.memo) computed by a forked copy of the build process while this one computes the others.

Building pages and downloads is pandas, Altair and text in one interpreter: one core. On two or more, a copy of the
process made with ``fork`` starts with everything computed so far (the runs, their health), computes its share of
the units and keeps each in the build cache, as any build does; this process then reads them from there. Nothing
else passes between the two, and the copy never returns into the caller: it ends when its share is done. A copy
that fails leaves its units missing from the cache, so this process computes them and reports any error as a build
error; a copy whose build process is killed ends with it (gen.cache.exit_with_parent). Only with the build cache
on, where ``fork`` exists, and when enough units must be computed to repay the copy (a few milliseconds)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

from gen.cache import exit_with_parent

# Fewer units to compute than this are computed here alone (an edited table redoes two pages and their downloads).
FORK_MIN_UNITS = 8


def share(stale: list[str]) -> list[str]:
    """The units a forked copy computes: every other one of those to compute (in site order, pages first, so both
    processes get a mix of heavy pages and light downloads), or none when there are too few or one core."""
    if len(stale) < FORK_MIN_UNITS or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return []
    return stale[1::2]


@contextlib.contextmanager
def computing(compute: Callable[[list[str]], object], names: list[str]) -> Iterator[None]:
    """``compute(names)`` in a forked copy of this process while the body runs; on leaving, wait for the copy."""
    if not names:
        yield
        return
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            exit_with_parent(parent)  # a killed build leaves no copy behind, computing for nobody
            compute(names)
            status = 0
        finally:
            # Never back into the caller's stack (nor its atexit handlers or buffered output): the copy ends here.
            os._exit(status)
    try:
        yield
    finally:
        os.waitpid(child, 0)
