"""Finding the files of a tree once: loops, unreadable entries and excludes accounted for, each file stat'ed once.

Light on purpose (no data libraries): the inputs fingerprint of an unchanged rebuild walks the same way.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from gen.sources.base import Outcome


@dataclass(frozen=True)
class Found:
    """A path under a source root: a file to read (``decided`` None, with its size and modification time) or one
    already ignored / rejected."""

    relative: str
    path: str
    decided: Outcome | None = None
    reason: str = ""
    stamp: tuple[int, int] = (0, 0)


def discover(root: Path, pattern: str, exclude: list[str]) -> list[Found]:
    """Files under ``root`` whose name matches ``pattern``, sorted by relative path, each stat'ed once.

    Folder symlinks are followed once; a link to a folder already being read is a loop and reported as rejected
    instead of read forever. Files matching an ``exclude`` glob (relative path) are reported ignored. One
    ``scandir`` per folder and one ``stat`` per file: on a large tree this walk is most of an unchanged ingest.
    """
    found: list[Found] = []
    real_root = os.path.realpath(root)
    # Real path of every folder read so far -> its name under the root: what a symlink must not lead back to.
    seen = {real_root: "."}

    def walk(folder: str, relative: str, real: str) -> None:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            name = _join(relative, entry.name)
            try:
                is_folder = entry.is_dir()
            except OSError as exc:
                found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}"))
                continue
            if is_folder:
                child_real = os.path.realpath(entry.path) if entry.is_symlink() else f"{real}/{entry.name}"
                if (target := seen.get(child_real)) is not None:
                    reason = f"symlink loop: points back to folder '{target}', which is being read already"
                    found.append(Found(name, entry.path, "rejected", reason))
                    continue
                seen[child_real] = name
                try:
                    walk(entry.path, name, child_real)
                except OSError as exc:
                    found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}"))
                continue
            if not fnmatch.fnmatch(entry.name, pattern):
                continue
            if any(fnmatch.fnmatch(name, glob) for glob in exclude):
                found.append(Found(name, entry.path, "ignored", "matches an exclude pattern"))
                continue
            try:
                info = entry.stat()
            except OSError as exc:
                found.append(Found(name, entry.path, "rejected", f"unreadable: {exc.strerror}"))
                continue
            found.append(Found(name, entry.path, stamp=(info.st_size, info.st_mtime_ns)))

    try:
        walk(str(root), ".", real_root)
    except OSError as exc:
        found.append(Found(".", str(root), "rejected", f"unreadable folder: {exc.strerror}"))
    return sorted(found, key=lambda f: f.relative)


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"
