"""MkDocs hooks: while serving, also watch the report config and its sources wherever they live."""

from __future__ import annotations

from typing import Any


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """Watch the config file, its sources and reference table (``watch:`` in mkdocs.yml covers only data/, gen/)."""
    from gen.config import ReportError, load_config

    try:
        report = load_config()
    except ReportError:
        return server  # the build itself reports the problem
    paths = {report.config_path, *(source.path for source in report.sources)}
    if report.efficiency.table is not None:
        paths.add(report.efficiency.table)
    for path in sorted(paths):
        server.watch(str(path))
    return server


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Expand ``[[table:…]]``, ``[[chart:…]]`` and ``[[number:…]]`` in hand-written pages (see Writing pages)."""
    from mkdocs.exceptions import PluginError

    from gen.pages.embeds import CURRENT, EmbedError

    try:
        return CURRENT.expand(markdown, page.file.src_uri)
    except EmbedError as exc:
        raise PluginError(str(exc)) from None
