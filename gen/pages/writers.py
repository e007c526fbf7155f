"""Where generated files go: MkDocs' virtual docs folder, a plain folder, or a recording to replay later.

Light on purpose (no data libraries): a rebuild with unchanged inputs replays a recording through these alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Start of a recording's bytes; a change of layout changes it, and older recordings are then not read.
_RECORDING = b"gen-recording/1\n"


class Writer(Protocol):
    """Where generated files go: mkdocs-gen-files' virtual docs, or a plain folder."""

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file at a docs-relative path."""

    def place(self, path: str, source: Path) -> None:
        """Take the file written at ``source`` (kept in the build cache) as the file at ``path``."""

    def footer(self, text: str) -> None:
        """Show ``text`` in the footer of every page."""

    def version_selector(self) -> None:
        """Show Material's version selector (the site is being published by mike)."""


class GenFilesWriter:
    """Files that exist only inside the MkDocs build (nothing lands in ``docs/``, nothing is written to disk here):
    each is handed to MkDocs as a file of mkdocs-gen-files' virtual docs folder, with MkDocs' ``File.generated``,
    its content in memory or in the build-cache file that holds it.

    mkdocs-gen-files (pinned) would write each file into a temporary folder first, and has no call for a file held
    elsewhere: its editor's file map is set as its own ``open`` sets it (tests/test_cache.py builds a site from the
    build cache and compares it with one from content in memory)."""

    def write(self, path: str, content: str | bytes) -> None:
        """Hand MkDocs one file's content."""
        from mkdocs.structure.files import File

        self._add(path, lambda config: File.generated(config, path, content=content))

    def place(self, path: str, source: Path) -> None:
        """Hand MkDocs the file at ``source`` as the file at ``path``; it is read when the site is written."""
        from mkdocs.structure.files import File

        self._add(path, lambda config: File.generated(config, path, abs_src_path=str(source)))

    @staticmethod
    def _add(path: str, make: Callable[[Any], Any]) -> None:
        from mkdocs_gen_files.editor import FilesEditor

        editor = FilesEditor.current()
        editor._files[path] = make(editor.config)
        editor.edit_paths.setdefault(path, None)

    def footer(self, text: str) -> None:
        """Material prints ``copyright`` in every page's footer, hand-written pages included."""
        from mkdocs_gen_files.editor import FilesEditor

        FilesEditor.current().config["copyright"] = text

    def version_selector(self) -> None:
        """Material's selector for versions published by mike; `latest` is the default the outdated banner uses."""
        from mkdocs_gen_files.editor import FilesEditor

        FilesEditor.current().config["extra"]["version"] = {"provider": "mike", "default": "latest"}


class DirectoryWriter:
    """Files written into a folder, for benchmarks and tests that build without the plugin."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file under the root folder."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")

    def place(self, path: str, source: Path) -> None:
        """Copy the file at ``source`` under the root folder."""
        self.write(path, source.read_bytes())

    def footer(self, text: str) -> None:
        """Keep the footer next to the pages (there is no theme to show it)."""
        self.write("footer.txt", text + "\n")

    def version_selector(self) -> None:
        """Nothing to switch on without a theme."""


@dataclass
class RecordingWriter:
    """Keeps everything written, to replay into another writer (the cached output of a build)."""

    files: dict[str, str | bytes] = field(default_factory=dict)
    footer_text: str | None = None
    selector: bool = False

    def write(self, path: str, content: str | bytes) -> None:
        """Keep one file."""
        self.files[path] = content

    def place(self, path: str, source: Path) -> None:
        """Keep the bytes of the file at ``source``."""
        self.files[path] = source.read_bytes()

    def footer(self, text: str) -> None:
        """Keep the footer."""
        self.footer_text = text

    def version_selector(self) -> None:
        """Remember that the selector was switched on."""
        self.selector = True

    def replay(self, writer: Writer) -> None:
        """Write everything kept, in the order it was written."""
        for path, content in self.files.items():
            writer.write(path, content)
        if self.footer_text is not None:
            writer.footer(self.footer_text)
        if self.selector:
            writer.version_selector()

    def to_bytes(self) -> bytes:
        """Everything kept as data only (no pickle: reading it back runs no code): a JSON header naming each file,
        its kind and length, then the files' bytes (text as UTF-8) one after another."""
        blobs = [
            content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
            for content in self.files.values()
        ]
        header = {
            "files": [
                [path, "bytes" if isinstance(content, bytes) else "text", len(blob)]
                for (path, content), blob in zip(self.files.items(), blobs, strict=True)
            ],
            "footer": self.footer_text,
            "selector": self.selector,
        }
        return frame(_RECORDING, header, b"".join(blobs))

    @classmethod
    def from_bytes(cls, data: bytes) -> RecordingWriter:
        """A recording from ``to_bytes``; ValueError when the bytes are not one (damaged, or another layout)."""
        header, body = unframe(_RECORDING, data)
        footer, selector, listed = header.get("footer"), header.get("selector"), header.get("files")
        if not (footer is None or isinstance(footer, str)) or not isinstance(selector, bool):
            raise ValueError("recording: footer or selector of the wrong type")
        if not isinstance(listed, list):
            raise ValueError("recording: no file list")
        recording = cls(footer_text=footer, selector=selector)
        start = 0
        for number, item in enumerate(listed):
            if not (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and item[1] in ("bytes", "text")
                and isinstance(item[2], int)
                and 0 <= item[2] <= len(body) - start
            ):
                raise ValueError(f"recording: file entry {number} is not [path, kind, length]")
            path, kind, length = item
            blob = body[start : start + length]
            recording.files[path] = blob if kind == "bytes" else blob.decode("utf-8", "surrogatepass")
            start += length
        if start != len(body):
            raise ValueError("recording: the files do not fill the body")
        return recording


def frame(magic: bytes, header: dict[str, Any], body: bytes) -> bytes:
    """``magic``, the length of the JSON ``header``, the header, then ``body``: a data-only container."""
    encoded = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return magic + len(encoded).to_bytes(8, "big") + encoded + body


def unframe(magic: bytes, data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and body of ``frame``'s bytes; ValueError when ``data`` is not such a container."""
    if not data.startswith(magic) or len(data) < len(magic) + 8:
        raise ValueError("not a recording of this generator")
    start = len(magic) + 8
    end = start + int.from_bytes(data[len(magic) : start], "big")
    if end > len(data):
        raise ValueError("header longer than the data")
    header = json.loads(data[start:end])
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    return header, data[end:]
