"""File-tree sources: read every file discovery found (gen.sources.discovery), parsing only what the cache lacks."""

from __future__ import annotations

import multiprocessing
import os
import re
import stat
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from gen.cache import exit_with_parent
from gen.config.sources import LegacyJsonSource, LmEvalSource, MetricsJsonSource, path_regex
from gen.sources.base import FileOutcome, InputError, RunRecord, SourceLoad, encode_runs
from gen.sources.discovery import Found, discover, file_kind
from gen.sources.parse_cache import ParseCache, Parsed


def fields_from_path(relative: str, pattern: re.Pattern[str] | None) -> dict[str, str] | None:
    """Named fields a declared ``path_pattern`` captures from a relative path; None when it does not match."""
    if pattern is None:
        return {}
    found = pattern.match(relative)
    return None if found is None else found.groupdict()


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 500

Reader = Callable[[bytes, str, dict[str, str] | None], list[RunRecord]]


def check_size(size: int, max_file_mb: float) -> None:
    """InputError when a file of ``size`` bytes is over a source's ``max_file_mb`` (it is then not read)."""
    if size > int(max_file_mb * 1_000_000):
        raise InputError(
            f"file is {size / 1e6:.1f} MB, over the {max_file_mb:g} MB limit "
            "(raise max_file_mb on the source to read it)"
        )


def load_files(
    source: MetricsJsonSource | LegacyJsonSource | LmEvalSource,
    label: str,
    read: Reader,
    constants: dict[str, str] | None = None,
) -> SourceLoad:
    """Read every file of a file-tree source with ``read`` (a module-level function, so worker processes can run
    it); every file found gets exactly one outcome.

    ``read`` gets the fields a declared ``path_pattern`` captured, or None when the source declares none; with
    ``constants`` (fields every run of the source gets), those under the captured ones, never None. Files whose
    path, size and modification time match the parse cache are not read again.
    """
    load = SourceLoad()
    pattern = path_regex(source.path_pattern) if source.path_pattern else None
    limit = int(source.max_file_mb * 1_000_000)
    cached = ParseCache.open(source, read)
    outcomes: dict[str, FileOutcome] = {}
    parsed: dict[str, Parsed] = {}

    def consider(found: Found) -> None:
        name = found.relative
        try:
            check_size(found.stamp[0], source.max_file_mb)
            path_fields = fields_from_path(name, pattern) if pattern is not None else None
            if pattern is not None and path_fields is None:
                raise InputError(f"path does not match path_pattern {source.path_pattern!r}")
            if constants is not None:
                path_fields = constants | (path_fields or {})
        except InputError as exc:
            outcomes[name] = FileOutcome(label, name, "rejected", reason=str(exc))
            return
        hit = cached.get(name, found.stamp)
        if hit is not None:
            settle(name, hit)
        else:
            parsing.add(Pending(found.path, name, path_fields, found.stamp, limit))

    decoded: dict[str, list[RunRecord]] = {}

    def settle(name: str, result: Parsed) -> None:
        # Decoded as soon as parsed: this process decodes while the workers parse the files after it.
        parsed[name] = result
        if result.outcome == "ingested":
            decoded[name] = cached.runs(result, label, name)

    # Files are parsed while the walk goes on (gen.sources.discovery hands each over as it is found).
    with Parsing(read) as parsing:
        for found in discover(source.path, source.pattern, source.exclude, to_read=consider):
            if found.decided is not None:
                outcomes[found.relative] = FileOutcome(label, found.relative, found.decided, reason=found.reason)
        parsing.results(settle)
    cached.save(parsed)
    # Its copy of the earlier parses; from here each file's parse is dropped (unless the parses are kept in memory
    # for the next build, gen.sources.parse_cache).
    cached.close()
    for name in sorted([*outcomes, *parsed]):
        if name in outcomes:
            load.files.append(outcomes[name])
            continue
        result = parsed.pop(name)
        if result.outcome == "rejected":
            load.files.append(FileOutcome(label, name, "rejected", reason=result.reason))
            continue
        runs = decoded.pop(name)
        load.runs.extend(runs)
        load.files.append(FileOutcome(label, name, "ingested", runs=len(runs)))
    cached.keep_runs()
    return load


@dataclass(frozen=True)
class Pending:
    """A file to parse: where it is, its name under the source root, its path fields, (size, mtime) and the most
    bytes it may hold."""

    path: str
    relative: str
    path_fields: dict[str, str] | None
    stamp: tuple[int, int]
    limit: int


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of a regular file, or InputError when it is something else or holds more than ``limit`` bytes.

    Discovery rejects FIFOs, devices and files over the limit from their stat already; this holds when the file
    changed since (a FIFO put in its place) or its size says nothing (files of /proc say 0).
    """
    # Non-blocking: opening a FIFO must not wait for a writer (it is then refused, unread).
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"not a regular file ({file_kind(info.st_mode)}): not read")
        # One read for the usual file, as big as stat says; reading on only when more comes, up to the limit.
        data = handle.read(min(info.st_size, limit) + 1)
        if len(data) > info.st_size:
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise InputError(
            f"file holds more than {limit / 1e6:g} MB (its size said {info.st_size / 1e6:.1f} MB), over the limit "
            "(raise max_file_mb on the source to read it)"
        )
    return data


def parse_one(read: Reader, pending: Pending) -> Parsed:
    """Read and parse one file into its encoded runs or the reason it is rejected."""
    try:
        runs = read(read_bounded(pending.path, pending.limit), pending.relative, pending.path_fields)
    except InputError as exc:
        return Parsed(pending.stamp, "rejected", reason=str(exc))
    except OSError as exc:
        # Not cached: an unreadable file may be readable next time.
        return Parsed(pending.stamp, "rejected", reason=f"unreadable: {exc.strerror}", cacheable=False)
    return Parsed(pending.stamp, "ingested", payload=encode_runs(runs))


def parse_all(read: Reader, pending: list[Pending]) -> dict[str, Parsed]:
    """Parse files, in worker processes when there are many (parsing is CPU-bound: one process per core)."""
    done: dict[str, Parsed] = {}
    with Parsing(read) as parsing:
        for item in pending:
            parsing.add(item)
        parsing.results(done.__setitem__)
    return done


def parse_chunk(read: Reader, chunk: list[Pending]) -> list[Parsed]:
    """``parse_one`` over a chunk of files (what one worker process is handed at a time)."""
    return [parse_one(read, item) for item in chunk]


class Parsing:
    """Files parsed as they are added: once PARALLEL_MIN_FILES are waiting, worker processes (one per core) start
    and are handed the files in chunks while more are added. ``results`` parses the rest in this process: fewer
    files than that, the last ones added, and the chunks no worker has started yet."""

    def __init__(self, read: Reader) -> None:
        self.read = read
        self.waiting: list[Pending] = []
        self.handed: list[tuple[list[Pending], Future[list[Parsed]]]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.workers = min(os.cpu_count() or 1, 8)

    def __enter__(self) -> Parsing:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def add(self, item: Pending) -> None:
        """A file to parse."""
        self.waiting.append(item)
        if self.pool is None:
            if len(self.waiting) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2:
                return
            # fork: workers start in milliseconds and need nothing re-imported; they only read files and parse JSON.
            fork = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(self.workers, fork, initializer=exit_with_parent, initargs=(os.getpid(),))
        if len(self.waiting) >= self._chunk_size():
            self._hand_over()

    def _chunk_size(self) -> int:
        # Chunks grow with the files handed so far: small ones keep the workers busy from the start and even to
        # the end, big ones cut the hand-over cost on a large tree.
        return min(512, max(64, len(self.handed) * 4))

    def _hand_over(self) -> None:
        assert self.pool is not None
        while self.waiting:
            size = self._chunk_size()
            chunk, self.waiting = self.waiting[:size], self.waiting[size:]
            self.handed.append((chunk, self.pool.submit(parse_chunk, self.read, chunk)))

    def results(self, settle: Callable[[str, Parsed], None]) -> None:
        """Hand every added file's parse to ``settle`` (its relative path, its parse), in no particular order."""
        for item in self.waiting:
            settle(item.relative, parse_one(self.read, item))
        handed = deque(self.handed)
        while handed:
            chunk, future = handed[0]
            # While the oldest chunk is still being parsed, this process parses the newest that no worker has
            # started; once it is done, this process takes its parses (and the caller decodes them) meanwhile.
            if not future.done() and handed[-1][1].cancel():
                for item in handed.pop()[0]:
                    settle(item.relative, parse_one(self.read, item))
                continue
            handed.popleft()
            for item, result in zip(chunk, future.result(), strict=True):
                settle(item.relative, result)
