"""File-tree sources: find every candidate file once (loops and excludes accounted for) and read each."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from gen.config import LegacyJsonSource, MetricsJsonSource, path_regex
from gen.sources.base import FileOutcome, InputError, Outcome, RunRecord, SourceLoad


@dataclass(frozen=True)
class Found:
    """A path under a source root: a file to read (``decided`` None) or one already ignored / rejected."""

    relative: str
    path: Path
    decided: Outcome | None = None
    reason: str = ""


def discover(root: Path, pattern: str, exclude: list[str]) -> Iterator[Found]:
    """Files under ``root`` whose name matches ``pattern``, sorted by relative path.

    Folder symlinks are followed once; a link back to a folder already being read is a loop and reported as
    rejected instead of read forever. Files matching an ``exclude`` glob (relative path) are reported ignored.
    """
    found: list[Found] = []
    seen: dict[tuple[int, int], str] = {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        here = Path(folder)
        relative_folder = here.relative_to(root).as_posix()
        info = os.stat(folder)
        seen[(info.st_dev, info.st_ino)] = relative_folder
        kept = []
        for name in sorted(dirs):
            child = here / name
            try:
                child_info = os.stat(child)
            except OSError as exc:
                found.append(Found(_join(relative_folder, name), child, "rejected", f"unreadable: {exc.strerror}"))
                continue
            # Walking top-down, every enclosing folder is already in `seen`: a link back to one is a loop.
            target = seen.get((child_info.st_dev, child_info.st_ino))
            if target is not None:
                reason = f"symlink loop: points back to folder '{target}', which is being read already"
                found.append(Found(_join(relative_folder, name), child, "rejected", reason))
                continue
            kept.append(name)
        dirs[:] = kept
        for name in files:
            if not fnmatch.fnmatch(name, pattern):
                continue
            relative = _join(relative_folder, name)
            if any(fnmatch.fnmatch(relative, glob) for glob in exclude):
                found.append(Found(relative, here / name, "ignored", "matches an exclude pattern"))
            else:
                found.append(Found(relative, here / name))
    yield from sorted(found, key=lambda f: f.relative)


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def fields_from_path(relative: str, pattern: re.Pattern[str] | None) -> dict[str, str] | None:
    """Named fields a declared ``path_pattern`` captures from a relative path; None when it does not match."""
    if pattern is None:
        return {}
    found = pattern.match(relative)
    return None if found is None else found.groupdict()


def load_files(
    source: MetricsJsonSource | LegacyJsonSource,
    label: str,
    read: Callable[[bytes, str, dict[str, str]], list[RunRecord]],
) -> SourceLoad:
    """Read every file of a file-tree source with ``read``; every file found gets exactly one outcome."""
    load = SourceLoad()
    pattern = path_regex(source.path_pattern) if source.path_pattern else None
    limit = int(source.max_file_mb * 1_000_000)
    for found in discover(source.path, source.pattern, source.exclude):
        name = found.relative
        if found.decided is not None:
            load.files.append(FileOutcome(label, name, found.decided, reason=found.reason))
            continue
        try:
            info = found.path.stat()
            if info.st_size > limit:
                raise InputError(
                    f"file is {info.st_size / 1e6:.1f} MB, over the {source.max_file_mb:g} MB limit "
                    "(raise max_file_mb on the source to read it)"
                )
            path_fields = fields_from_path(name, pattern)
            if path_fields is None:
                raise InputError(f"path does not match path_pattern {source.path_pattern!r}")
            runs = read(found.path.read_bytes(), name, path_fields)
        except InputError as exc:
            load.files.append(FileOutcome(label, name, "rejected", reason=str(exc)))
        except OSError as exc:
            load.files.append(FileOutcome(label, name, "rejected", reason=f"unreadable: {exc.strerror}"))
        else:
            load.runs.extend(replace(run, source=label, modified_ns=info.st_mtime_ns) for run in runs)
            load.files.append(FileOutcome(label, name, "ingested", runs=len(runs)))
    return load
