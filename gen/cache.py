"""The on-disk build cache: parsed result files and rendered chart images, reused while their inputs are unchanged.

Everything cached is keyed by what produced it (file path, size and mtime; a spec's hash; the code and library
versions), so a stale entry is never read back. Writes are atomic and every entry carries a digest of its bytes:
an entry that fails the check (a disk error, a killed build, a hand edit) is reported and rebuilt, never trusted.
A cache that cannot be read or written only costs the work again: it is logged at info level, never as a warning
(a strict build fails on warnings) and never as an error.

``REPORT_CACHE`` chooses the folder (default ``$XDG_CACHE_HOME/gpu-bench-report``, i.e. ``~/.cache/…``);
``REPORT_CACHE=off`` turns caching off.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import signal
import sys
from importlib import metadata
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.gen")

_DIGEST_BYTES = 32  # sha256


def cache_root() -> Path | None:
    """The cache folder, or None when caching is off."""
    chosen = os.environ.get("REPORT_CACHE", "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gpu-bench-report"


def code_version(*files: Path, packages: tuple[str, ...] = ()) -> str:
    """A hash of source files and package versions: cached results of older code or libraries are never reused."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    for package in packages:
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def entry_path(kind: str, key: str, suffix: str) -> Path | None:
    """Where the entry ``key`` of one kind (``charts``, ``parsed``) lives, or None when caching is off."""
    root = cache_root()
    return None if root is None else root / kind / f"{key}{suffix}"


def read_entry(path: Path | None) -> bytes | None:
    """The bytes stored at ``path``; None when absent or when they fail their digest (then they are removed, where
    the cache is writable)."""
    if path is None:
        return None
    try:
        stored = path.read_bytes()
    except OSError:
        return None
    body, digest = stored[:-_DIGEST_BYTES], stored[-_DIGEST_BYTES:]
    if len(stored) < _DIGEST_BYTES or hashlib.sha256(body).digest() != digest:
        log.info("gen: cache entry %s is corrupt; rebuilding it", path)
        # In a read-only cache it stays; it is checked again (and not trusted) each time.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    return body


def write_entry(path: Path | None, body: bytes) -> None:
    """Store ``body`` with its digest, atomically; an unwritable cache only costs the work again next time."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, body + hashlib.sha256(body).digest())
    except OSError as exc:
        log.info("gen: cannot write cache entry %s (%s); continuing without it", path, exc.strerror)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, then rename it into place: a concurrent build never reads half of it. OSError
    when it cannot, with nothing half-written left (a disk that filled up mid-write)."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise


# prctl(2) option: the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent: int) -> None:
    """Initializer of the build's worker processes (parsing, chart images): they end when the build process does.

    A killed build (SIGTERM, SIGKILL, a closed terminal) cannot shut its pools down; without this its workers
    would wait on their task queue forever. Linux only (prctl); elsewhere workers rely on the pools' shutdown. The
    signal comes when the *thread* that started a worker ends: each pool lives within one call of one thread.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died before prctl: then no signal would ever come.
    if os.getppid() != parent:
        os._exit(1)
