"""Items shared by this process and a forked copy of it as the two go (gen.forked's units, gen.sources.discovery's
folders): each takes the next item nobody has taken, from its own end of the list, until they meet, so both end at
about the same time without knowing what an item costs. And the forked copy itself (``fork_copy``: gen.forked's), one
that hands its answer back through a pipe (``fork_writing``: the shared walk's, the inputs fingerprinted ahead).

Light on purpose (the standard library and gen.cache): the walk that fingerprints a build's inputs uses it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import BinaryIO

from gen.cache import exit_with_parent

_HERE, _COPY = 1, 2


class Claims:
    """Who took each of ``count`` items: a flag per item, in memory the fork shares, set under its lock. Made before
    the fork; OSError where no such memory can be made (no /dev/shm)."""

    def __init__(self, count: int) -> None:
        self._taken = multiprocessing.get_context("fork").Array("b", count)

    def take(self, index: int, by_copy: bool) -> bool:
        """Whether the caller takes item ``index`` (then nobody else does)."""
        with self._taken.get_lock():
            if self._taken[index]:
                return False
            self._taken[index] = _COPY if by_copy else _HERE
            return True

    def taken_by_copy(self) -> list[int]:
        """The items the copy took, in order (once it has ended)."""
        return [index for index, by in enumerate(self._taken[:]) if by == _COPY]


def fork_copy(run: Callable[[], object]) -> int:
    """A forked copy of this process that runs ``run``, then ends: never back into the caller's stack (nor its atexit
    handlers or buffered output), and with this process (gen.cache.exit_with_parent); its pid. Its exit status is 0
    once ``run`` returned, 1 otherwise."""
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            exit_with_parent(parent)  # a killed build leaves no copy behind, working for nobody
            run()
            status = 0
        finally:
            os._exit(status)
    return child


def fork_writing(write: Callable[[BinaryIO], object]) -> tuple[int, int]:
    """A forked copy of this process (``fork_copy``) that runs ``write`` on the write end of a pipe; its pid and the
    pipe's read end."""
    readable, writable = os.pipe()

    def run() -> None:
        os.close(readable)
        with open(writable, "wb") as outgoing:
            write(outgoing)

    child = fork_copy(run)
    os.close(writable)
    return child, readable
