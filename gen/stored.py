"""A build's generated files kept in the build cache, for a later build with the same inputs (gen.fingerprint).

Each file's bytes are kept once, named by their SHA-256, in ``blobs/`` beside the manifests: a build that changed a
few pages writes only those. A build's manifest (a cache entry under its fingerprint, with its digest) lists each
file's path, blob, size and CRC-32, then the footer, the embeds and the build log. A build whose inputs are unchanged
hands MkDocs the blobs where they lie (``Writer.place``) instead of writing them again: writing them (24 MB for the
bundled report) was half of an unchanged build's own time. Every blob is checked against its size and CRC-32 before
any is used: a damaged or deleted one means generating again, never a damaged page. Data only: reading it runs no
code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gen import cache
from gen.pages import embeds
from gen.pages.writers import RecordingWriter, Writer

log = logging.getLogger("mkdocs.plugins.gen")

# Names the manifest's layout; a change of layout changes it, and older manifests are then generated again.
_LAYOUT = "gen-stored/1"
BLOBS = "blobs"


@dataclass
class StoredFiles:
    """Files kept in the build cache: each path with the blob holding its bytes, the footer, the version selector."""

    blobs: list[tuple[str, Path]]
    footer_text: str | None = None
    selector: bool = False

    def replay(self, writer: Writer) -> None:
        """Hand every file to ``writer`` where it lies, in the order it was written."""
        for path, blob in self.blobs:
            writer.place(path, blob)
        if self.footer_text is not None:
            writer.footer(self.footer_text)
        if self.selector:
            writer.version_selector()


@dataclass
class Generated:
    """Everything one generation produced: the files, what hand-written pages may embed, and the build log."""

    output: RecordingWriter | StoredFiles
    embeds: embeds.Embeds
    log_lines: list[str]
    # Why a strict build fails (rejections, unmatched runs), or None.
    strict_problem: str | None


def store(generated: Generated, manifest: Path) -> None:
    """Keep ``generated`` (recorded in memory) under the cache entry ``manifest``, its files' bytes beside it; an
    unwritable cache only costs the work next time."""
    output = generated.output
    if not isinstance(output, RecordingWriter):
        return
    blobs = manifest.parent / BLOBS
    listed = []
    try:
        blobs.mkdir(parents=True, exist_ok=True)
        for path, content in output.files.items():
            # As GenFilesWriter.write hands it to MkDocs: text as UTF-8.
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            name = hashlib.sha256(data).hexdigest()[:32]
            _keep_blob(blobs / name, data)
            listed.append([path, name, len(data), zlib.crc32(data)])
    except (OSError, UnicodeEncodeError) as exc:
        log.info("gen: cannot keep the generated files in %s (%s); continuing without them", blobs, exc)
        return
    kept = {
        "layout": _LAYOUT,
        "files": listed,
        "footer": output.footer_text,
        "selector": output.selector,
        "embeds": generated.embeds.to_data(),
        "log_lines": generated.log_lines,
        "strict_problem": generated.strict_problem,
    }
    cache.write_entry(manifest, json.dumps(kept, ensure_ascii=True).encode("ascii"))


def _keep_blob(blob: Path, data: bytes) -> None:
    """Write a blob unless it is there already (same name, same size: the same bytes), atomically."""
    with contextlib.suppress(OSError):
        if blob.stat().st_size == len(data):
            return
    cache.write_atomically(blob, data)


def load(manifest: Path) -> Generated | None:
    """The generation kept under the cache entry ``manifest``; None when there is none, or when it or one of its blobs
    is damaged (then those are removed)."""
    raw = cache.read_entry(manifest)
    if raw is None:
        return None
    try:
        return _checked(manifest.parent / BLOBS, json.loads(raw))
    except (ValueError, TypeError, KeyError, OSError, RecursionError) as exc:
        # Info, not a warning: a strict build fails on warnings, and this only costs the generation.
        log.info("gen: cached output %s is unusable (%s); generating again", manifest, exc)
        with contextlib.suppress(OSError):
            manifest.unlink()
        return None


def _checked(blobs: Path, kept: Any) -> Generated:
    if not isinstance(kept, dict) or kept.get("layout") != _LAYOUT:
        raise ValueError("written by another version of the generator")
    footer, selector, listed = kept["footer"], kept["selector"], kept["files"]
    lines, problem = kept["log_lines"], kept["strict_problem"]
    if not (footer is None or isinstance(footer, str)) or not isinstance(selector, bool):
        raise ValueError("footer or selector of the wrong type")
    if not (isinstance(lines, list) and all(isinstance(line, str) for line in lines)):
        raise ValueError("log lines of the wrong type")
    if not (problem is None or isinstance(problem, str)):
        raise ValueError("strict problem of the wrong type")
    if not isinstance(listed, list):
        raise ValueError("no file list")
    files = []
    for number, item in enumerate(listed):
        if not (isinstance(item, list) and len(item) == 4 and all(isinstance(part, str) for part in item[:2])):
            raise ValueError(f"file entry {number} is not [path, blob, size, crc32]")
        path, name, size, crc = item
        where = PurePosixPath(path)
        # A path leaving the site, or a blob name leaving the blobs folder, is not one this generator wrote.
        if where.is_absolute() or ".." in where.parts or not where.parts or not name.isalnum():
            raise ValueError(f"file entry {number} names a path outside the site or the cache")
        blob = blobs / name
        data = blob.read_bytes()
        if len(data) != size or zlib.crc32(data) != crc:
            with contextlib.suppress(OSError):
                blob.unlink()
            raise ValueError(f"the kept bytes of {path} differ from those written")
        files.append((path, blob))
    return Generated(StoredFiles(files, footer, selector), embeds.Embeds.from_data(kept["embeds"]), lines, problem)
