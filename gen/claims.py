"""Items shared by this process and a forked copy of it as the two go (gen.forked's units, gen.sources.discovery's
folders): each takes the next item nobody has taken, from its own end of the list, until they meet, so both end at
about the same time without knowing what an item costs.

Light on purpose (the standard library only): the walk that fingerprints a build's inputs uses it.
"""

from __future__ import annotations

import multiprocessing

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
