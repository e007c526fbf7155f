"""Finding the files of a tree once: loops, aliases, odd names, unreadable entries and excludes accounted for,
each file stat'ed once.

Light on purpose (no data libraries): the inputs fingerprint of an unchanged rebuild walks the same way.
"""

from __future__ import annotations

import fnmatch
import gc
import heapq
import os
import pickle
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from gen.claims import Claims, fork_writing

if TYPE_CHECKING:
    from gen.sources.base import Outcome


class Found(NamedTuple):
    """A path under a source root: a file to read (``decided`` None, with its size and modification time) or one
    already ignored / rejected. A named tuple: a walk makes one per file, in half the time of a frozen dataclass."""

    relative: str
    path: str
    decided: Outcome | None = None
    reason: str = ""
    stamp: tuple[int, int] = (0, 0)
    # False for what is reported whatever the name pattern: a folder that cannot be read, a symlink loop, an entry
    # whose kind cannot be told.
    named: bool = True


# Whole trees (every file, nothing excluded) walked for the fingerprint of the build in progress, by root: a reader
# selects its files from one instead of walking the tree again (set by gen.build for the duration of a build).
_WALKED: ContextVar[dict[str, list[Found]] | None] = ContextVar("walked", default=None)


@contextmanager
def reusing(walks: dict[str, list[Found]]) -> Iterator[None]:
    """Within the block, ``discover`` under one of these roots selects from its walk (``walk_all``'s) instead of
    walking again: the files a build reads are then exactly those its fingerprint describes."""
    token = _WALKED.set(walks)
    try:
        yield
    finally:
        _WALKED.reset(token)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused (worker processes forked meanwhile start without it).

    A walk, then ingest, make objects by the million that all live on until the runs table is built from them, and
    no reference cycles: the collector would only walk them again and again (a fifth of the time of ingesting 30,000
    files, as much of building their table, a tenth of walking 300,000). Reference counting still frees the rest.
    The analyses and pages that follow (a generation) keep what they make until the build ends, and the collector
    took a seventh of their time; what cyclic garbage they make is collected once, when the outermost block ends
    (only it resumes the collector).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            # One walk over what was made moves it to the oldest generation (left young, it would take two: the
            # next young collection's, then the next middle one's) and frees any cyclic garbage among it.
            gc.collect(1)


def walk_all(root: Path) -> list[Found]:
    """Every file under ``root`` (``discover`` with no pattern or exclude), for a later ``discover`` to select from."""
    return discover(root, "*", [])


def discover(
    root: Path, pattern: str, exclude: list[str], to_read: Callable[[Found], None] | None = None
) -> list[Found]:
    """Files under ``root`` whose name matches ``pattern``, sorted by relative path, each stat'ed once; each file to
    read is also given to ``to_read`` as soon as it is found (in walk order), so it can be read while the walk goes
    on (``to_read`` must raise no OSError: that would be taken for the folder's).

    Real folders are read first; then each symlinked folder, in name order: a link to a folder that contains it
    is a loop (rejected, not read forever); a link to a folder already read is an alias, whose files are ignored
    as the same files as those under the folder's first name; any other link is read like a folder. Files
    matching an ``exclude`` glob (relative path) are ignored; anything but a regular file (a FIFO, a device) and
    any file whose path is not valid UTF-8 is rejected unread. One ``scandir`` per folder and one ``stat`` per
    file: on a large tree this walk is most of an unchanged ingest.
    """
    walks = _WALKED.get()
    if walks is not None and (whole := walks.get(str(root))) is not None:
        return _select(whole, pattern, exclude, to_read)
    walk = _Walk(pattern, exclude, to_read)
    real_root = os.path.realpath(root)
    walk.canonical[real_root] = "."
    with no_cycle_collection():
        try:
            top: _Folder = (str(root), ".", real_root, (real_root,), None, None)
            if to_read is None:
                _walk_shared(walk, top)
            else:  # to_read would be called in two processes
                walk.folder(*top)
        except OSError as exc:
            walk.found.append(Found(".", str(root), "rejected", f"unreadable folder: {exc.strerror}", named=False))
        walk.links()
        return sorted(walk.found, key=lambda f: f.relative)


def _select(
    whole: list[Found], pattern: str, exclude: list[str], to_read: Callable[[Found], None] | None
) -> list[Found]:
    """What ``discover`` with ``pattern`` and ``exclude`` finds, from the walk of every file: the same walk, told
    apart only by names (a pattern walk checks a file's exclusion before anything else about it)."""
    selected = []
    for found in whole:
        if found.named:
            if not fnmatch.fnmatch(os.path.basename(found.path), pattern):
                continue
            if any(fnmatch.fnmatch(found.relative, glob) for glob in exclude):
                found = Found(found.relative, found.path, "ignored", "matches an exclude pattern")
            elif found.decided is None and to_read is not None:
                to_read(found)
        selected.append(found)
    return selected


# A symlinked folder waiting for the real folders to be read: its name under the root, its path, the real paths
# of the folders it sits in (a link to any of them is a loop) and the first non-UTF-8 name on its path.
_Link = tuple[str, str, tuple[str, ...], str | None]
_Entry = tuple[os.DirEntry[str], str, str, str | None]
# A real folder to read: _Walk.folder's arguments.
_Folder = tuple[str, str, str, tuple[str, ...], str | None, str | None]


class _Walk:
    """The state of one discovery: what was found, the first name of every real folder read, links to follow."""

    def __init__(self, pattern: str, exclude: list[str], to_read: Callable[[Found], None] | None) -> None:
        self.pattern = pattern
        self.exclude = exclude
        self.to_read = to_read
        self.found: list[Found] = []
        # Real path of every folder read -> its name under the root: a second way to it is an alias.
        self.canonical: dict[str, str] = {}
        self.pending: list[_Link] = []
        # While a list, the real folders met go there instead of being read (the folders a shared walk hands out).
        self.deferred: list[_Folder] | None = None

    def folder(
        self, path: str, relative: str, real: str, chain: tuple[str, ...], bad: str | None, via: str | None
    ) -> None:
        """Read one folder under its first name (``via``: the symlinked folder it was reached through)."""
        for entry, _, name, entry_bad in self._entries(path, relative, bad):
            try:
                is_folder = entry.is_dir()
            except OSError as exc:
                self.found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}", named=False))
                continue
            if not is_folder:
                self._file(entry, name, entry_bad)
                continue
            if entry.is_symlink():
                # Followed only once every real folder is known, so a link never claims a folder's first name.
                heapq.heappush(self.pending, (name, entry.path, chain, entry_bad))
                continue
            child_real = f"{real}/{entry.name}"
            if (first := self.canonical.get(child_real)) is not None:
                # Reached twice: a link led into a tree another link had already been read through.
                self._guarded(self.alias, entry.path, name, child_real, first, via or name)
                continue
            self.canonical[child_real] = name
            if self.deferred is not None:
                self.deferred.append((entry.path, name, child_real, (*chain, child_real), entry_bad, via))
                continue
            self._guarded(self.folder, entry.path, name, child_real, (*chain, child_real), entry_bad, via)

    def links(self) -> None:
        """Follow the symlinked folders found, in name order (links found inside them join the queue)."""
        while self.pending:
            name, path, chain, bad = heapq.heappop(self.pending)
            target = os.path.realpath(path)
            inside = target.rstrip("/") + "/"
            if any(folder == target or folder.startswith(inside) for folder in chain):
                where = self.canonical.get(target, target)
                reason = f"symlink loop: points back to folder '{where}', which contains it"
                self.found.append(Found(name, path, "rejected", reason, named=False))
            elif (first := self.canonical.get(target)) is not None:
                self._guarded(self.alias, path, name, target, first, name)
            else:
                self.canonical[target] = name
                self._guarded(self.folder, path, name, target, (*chain, target), bad, name)

    def alias(self, path: str, relative: str, real: str, first: str, link: str) -> None:
        """Account for the files of a second way (through symlink ``link``) into a folder read already (real path
        ``real``, first name ``first``): each is ignored as the same file as under its first name; symlinked folders
        inside are not followed again (their first names were)."""
        for entry, shown, name, _ in self._entries(path, relative, None):
            try:
                is_folder = entry.is_dir()
            except OSError as exc:
                self.found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}", named=False))
                continue
            if is_folder and entry.is_symlink():
                reason = f"same folder as {_join(first, shown)} (via symlink {link})"
                self.found.append(Found(name, entry.path, "ignored", reason, named=False))
            elif is_folder:
                child_real = f"{real}/{entry.name}"
                child_first = self.canonical.get(child_real, _join(first, shown))
                self._guarded(self.alias, entry.path, name, child_real, child_first, link)
            elif self._matches(entry.name):
                if self._excluded(name):
                    reason = "matches an exclude pattern"
                else:
                    reason = f"same file as {_join(first, shown)} (via symlink {link})"
                self.found.append(Found(name, entry.path, "ignored", reason))

    def _entries(self, path: str, relative: str, bad: str | None) -> list[_Entry]:
        """A folder's entries in name order, each with its name as shown (bytes that are not UTF-8 escaped), its
        name under the root and the first non-UTF-8 name on its path."""
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        listed = []
        for entry in entries:
            shown = _shown(entry.name)
            listed.append((entry, shown, _join(relative, shown), bad or (shown if shown != entry.name else None)))
        return listed

    def _file(self, entry: os.DirEntry[str], name: str, bad: str | None) -> None:
        if not self._matches(entry.name):
            return
        if self._excluded(name):
            self.found.append(Found(name, entry.path, "ignored", "matches an exclude pattern"))
            return
        if bad is not None:
            # Every place a name goes (the parse cache, pages, CSV) needs text; shown escaped, it is ambiguous.
            reason = f"name '{bad}' is not valid UTF-8 (shown with its bytes escaped): rename it to read the file"
            self.found.append(Found(name, entry.path, "rejected", reason))
            return
        try:
            info = entry.stat()  # follows a symlink: a link to /dev/zero is a character device
        except OSError as exc:
            self.found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}"))
            return
        if not stat.S_ISREG(info.st_mode):
            # Reading a FIFO waits for a writer forever and a device never ends: not read at all.
            reason = f"not a regular file ({file_kind(info.st_mode)}): not read"
            self.found.append(Found(name, entry.path, "rejected", reason))
            return
        found = Found(name, entry.path, stamp=(info.st_size, info.st_mtime_ns))
        self.found.append(found)
        if self.to_read is not None:
            self.to_read(found)

    def _matches(self, name: str) -> bool:
        # The walk of every file (walk_all) asks this of each of them: "*" is answered without fnmatch.
        return self.pattern == "*" or fnmatch.fnmatch(name, self.pattern)

    def _excluded(self, name: str) -> bool:
        return bool(self.exclude) and any(fnmatch.fnmatch(name, glob) for glob in self.exclude)

    def _guarded(self, read: Callable[..., None], path: str, name: str, *args: object) -> None:
        """Read a folder with ``read``; a folder that cannot be listed is rejected, the walk goes on."""
        try:
            read(path, name, *args)
        except OSError as exc:
            self.found.append(Found(name, path, "rejected", f"unreadable: {exc.strerror}", named=False))


# A tree with at least this many folders on one of its first _SPLIT_LEVELS levels is walked by this process and a
# forked copy of it together; a narrower one by this process alone. The copy costs its fork and the hand-over of
# what it found: as much as it saves on the real data (360 folders a level), a third of the walk of 30k or 300k runs.
SPLIT_MIN_FOLDERS = 2048
_SPLIT_LEVELS = 3
_CHUNK_FOLDERS = 256


def _walk_shared(walk: _Walk, top: _Folder) -> None:
    """Read the tree from ``top``: its first levels here, then, when one holds SPLIT_MIN_FOLDERS folders or more, the
    folders below it shared with a forked copy of this process, in chunks each takes as it goes (this process from
    the first, the copy from the last). A copy that fails costs only time: its folders are read here."""
    walk.deferred = []
    walk.folder(*top)
    for _ in range(_SPLIT_LEVELS - 1):
        if not walk.deferred or len(walk.deferred) >= SPLIT_MIN_FOLDERS:
            break
        level, walk.deferred = walk.deferred, []
        _read(walk, level)
    folders, walk.deferred = walk.deferred, None
    if len(folders) < SPLIT_MIN_FOLDERS or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        _read(walk, folders)
        return
    chunks = [folders[start : start + _CHUNK_FOLDERS] for start in range(0, len(folders), _CHUNK_FOLDERS)]
    try:
        claims = Claims(len(chunks))
    except OSError:  # no shared memory for the flags (no /dev/shm): alone
        _read(walk, folders)
        return

    def walk_theirs(outgoing: BinaryIO) -> None:
        theirs = _Walk(walk.pattern, walk.exclude, None)
        for index in reversed(range(len(chunks))):
            if not claims.take(index, by_copy=True):
                break  # this process took it, and the rest before it
            _read(theirs, chunks[index])
        found = [tuple(f) for f in theirs.found]  # plain tuples: unpickled without a call per file
        outgoing.write(pickle.dumps((found, theirs.canonical, theirs.pending), protocol=5))

    child, readable = fork_writing(walk_theirs)
    try:
        # Closed before the wait, whatever happens: a copy still writing then ends (broken pipe) rather than wait
        # for a reader forever.
        with open(readable, "rb") as incoming:
            for index in range(len(chunks)):
                if not claims.take(index, by_copy=False):
                    break  # the copy took it, and the rest after it
                _read(walk, chunks[index])
            body = incoming.read()
    finally:
        status = os.waitpid(child, 0)[1]
    shared = None
    if status == 0:
        with suppress(pickle.UnpicklingError, EOFError, ValueError):
            shared = pickle.loads(body)
    if shared is None:
        _read(walk, [folder for index in claims.taken_by_copy() for folder in chunks[index]])
        return
    found, canonical, pending = shared
    walk.found += map(Found._make, found)
    walk.canonical.update(canonical)
    for link in pending:
        heapq.heappush(walk.pending, link)


def _read(walk: _Walk, folders: list[_Folder]) -> None:
    for folder in folders:
        walk._guarded(walk.folder, *folder)


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a reason (``mode`` from stat)."""
    return next((label for test, label in _KINDS if test(mode)), "not a plain file")


def _shown(name: str) -> str:
    """A file name as text: names that are not valid UTF-8 (undecodable bytes) with those bytes escaped."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"
