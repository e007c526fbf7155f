"""Where generated files go: MkDocs' virtual docs folder, a plain folder, or a recording to replay later.

Light on purpose (no data libraries): a rebuild with unchanged inputs replays a recording through these alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class Writer(Protocol):
    """Where generated files go: mkdocs-gen-files' virtual docs, or a plain folder."""

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file at a docs-relative path."""

    def footer(self, text: str) -> None:
        """Show ``text`` in the footer of every page."""

    def version_selector(self) -> None:
        """Show Material's version selector (the site is being published by mike)."""


class GenFilesWriter:
    """Files that exist only inside the MkDocs build (nothing lands in ``docs/``)."""

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file into mkdocs-gen-files' virtual docs folder."""
        import mkdocs_gen_files

        if isinstance(content, bytes):
            with mkdocs_gen_files.open(path, "wb") as handle:
                handle.write(content)
        else:
            with mkdocs_gen_files.open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)

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
