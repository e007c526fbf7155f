"""A build's generated files kept in the build cache as files, one folder per build fingerprint (gen.fingerprint).

A build whose inputs are unchanged hands MkDocs these files where they lie (``Writer.place``) instead of writing
them again: writing them (24 MB for the bundled report) was half of an unchanged build's own time. The folder holds
``files/`` and ``manifest.json``, which lists each file's path, size and CRC-32 (checked before any file is used: a
damaged or partly deleted folder is generated again, never shown), the footer, the embeds and the build log. It is
written beside its place and renamed into it, so no build sees half of one. Data only: reading it runs no code.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gen.pages import embeds
from gen.pages.writers import RecordingWriter, Writer

log = logging.getLogger("mkdocs.plugins.gen")

# Names the manifest's layout; a change of layout changes it, and older folders are then generated again.
_LAYOUT = "gen-stored/1"
MANIFEST = "manifest.json"
FILES = "files"


@dataclass
class StoredFiles:
    """Files kept under ``root`` (each at ``root / path``), the footer and whether the version selector is on."""

    root: Path
    paths: list[str]
    footer_text: str | None = None
    selector: bool = False

    def replay(self, writer: Writer) -> None:
        """Hand every file to ``writer`` where it lies, in the order it was written."""
        for path in self.paths:
            writer.place(path, self.root)
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


def store(generated: Generated, folder: Path) -> Generated:
    """Keep ``generated`` (recorded in memory) in ``folder``; the same generation reading its files from there, or
    ``generated`` itself when the folder cannot be written (an unwritable cache only costs the work next time)."""
    output = generated.output
    if not isinstance(output, RecordingWriter):
        return generated
    partial = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        listed = []
        for path, content in output.files.items():
            # As GenFilesWriter.write writes it: UTF-8, newlines untouched.
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            target = partial / FILES / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            listed.append([path, len(data), zlib.crc32(data)])
        manifest = {
            "layout": _LAYOUT,
            "files": listed,
            "footer": output.footer_text,
            "selector": output.selector,
            "embeds": generated.embeds.to_data(),
            "log_lines": generated.log_lines,
            "strict_problem": generated.strict_problem,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=True), encoding="ascii")
        partial.rename(folder)  # fails when another build stored the same inputs first: its folder is kept
    except (OSError, UnicodeEncodeError) as exc:
        log.info("gen: cannot keep the generated files in %s (%s); continuing without them", folder, exc)
        shutil.rmtree(partial, ignore_errors=True)
        return generated
    files = StoredFiles(folder / FILES, list(output.files), output.footer_text, output.selector)
    return Generated(files, generated.embeds, generated.log_lines, generated.strict_problem)


def load(folder: Path) -> Generated | None:
    """The generation kept in ``folder``; None when there is none, or when it is damaged (then it is removed)."""
    try:
        raw = (folder / MANIFEST).read_bytes()
    except OSError:
        return None
    try:
        return _checked(folder, json.loads(raw))
    except (ValueError, TypeError, KeyError, OSError, RecursionError) as exc:
        # Info, not a warning: a strict build fails on warnings, and this only costs the generation.
        log.info("gen: cached output %s is unusable (%s); generating again", folder, exc)
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
        return None


def _checked(folder: Path, manifest: Any) -> Generated:
    if not isinstance(manifest, dict) or manifest.get("layout") != _LAYOUT:
        raise ValueError("written by another version of the generator")
    footer, selector, listed = manifest["footer"], manifest["selector"], manifest["files"]
    lines, problem = manifest["log_lines"], manifest["strict_problem"]
    if not (footer is None or isinstance(footer, str)) or not isinstance(selector, bool):
        raise ValueError("footer or selector of the wrong type")
    if not (isinstance(lines, list) and all(isinstance(line, str) for line in lines)):
        raise ValueError("log lines of the wrong type")
    if not (problem is None or isinstance(problem, str)):
        raise ValueError("strict problem of the wrong type")
    if not isinstance(listed, list):
        raise ValueError("no file list")
    root = folder / FILES
    paths = []
    for number, item in enumerate(listed):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise ValueError(f"file entry {number} is not [path, size, crc32]")
        path, size, crc = item
        where = PurePosixPath(path)
        # A manifest naming a file outside the folder is not one this generator wrote.
        if where.is_absolute() or ".." in where.parts or not where.parts:
            raise ValueError(f"file entry {number} names a path outside the folder")
        data = (root / path).read_bytes()
        if len(data) != size or zlib.crc32(data) != crc:
            raise ValueError(f"{path} differs from what was written")
        paths.append(path)
    output = StoredFiles(root, paths, footer, selector)
    return Generated(output, embeds.Embeds.from_data(manifest["embeds"]), lines, problem)
