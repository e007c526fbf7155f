"""MkDocs hooks: the published address and Material's version selector under mike, the fence generated pages put
their HTML tables in, errors repeated while serving, watching the report config wherever it lives (by notifications, not
polling), compiled theme templates kept across builds, embeds in hand-written pages, and generated tables kept out of
the search index."""

from __future__ import annotations

import contextlib
import html
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

SITE_URL = "SITE_URL"
# github.com remotes as git writes them: https://github.com/OWNER/REPO(.git), git@github.com:OWNER/REPO.git,
# ssh://git@github.com/OWNER/REPO.git (a user or token before the host is allowed and never shown).
_GITHUB_REMOTE = re.compile(
    r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?github\.com(?::\d+)?/|(?:[^@/]+@)?github\.com:)"
    r"(?P<owner>[A-Za-z0-9-]+)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)
# Material's selector settings (gen.pages.writers switches it on under mike): show each version's alias, so
# `latest` is marked; `latest` and `dev` are current versions, not older ones needing the outdated banner.
SELECTOR = {"alias": True, "default": ["^latest$", "^dev$"]}


def github_pages_url(remote: str) -> str | None:
    """Where GitHub Pages publishes the repository at ``remote`` (None unless it is a github.com remote):
    ``https://OWNER.github.io/REPO/``, or ``https://OWNER.github.io/`` for the OWNER.github.io repository."""
    match = _GITHUB_REMOTE.match(remote.strip())
    if match is None:
        return None
    owner, repo = match["owner"].lower(), match["repo"]
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


def remote_url(folder: Path, remote: str) -> str | None:
    """The URL configured for ``remote`` in the git checkout at ``folder`` (as written, before any insteadOf)."""
    try:
        done = subprocess.run(
            ["git", "config", "--get", f"remote.{remote}.url"], cwd=folder, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


# Before mike's plugin, which appends the version to site_url.
@event_priority(100)
def on_config(config: Any) -> Any:
    """The header and tab name the report (its config's title), and generated pages' HTML fence is configured
    (``use_html_fence``). Under `mkdocs build` with gen-files, a forked copy starts fingerprinting the build's inputs
    (gen.fingerprint.start_ahead) while MkDocs reads its theme. Under mike without SITE_URL, publish at the GitHub
    Pages address of the remote mike pushes to, or stop: the local preview address would otherwise land in every
    canonical link and in sitemap.xml."""
    from mkdocs.exceptions import PluginError

    from gen.config import load_config
    from gen.config.base import ReportError
    from gen.fingerprint import MIKE_VERSION, start_ahead

    use_html_fence(config)
    # A config error is left to the build's own run of the config, which names file, key and fix. The title is
    # data: Material prints site_name unescaped in places, so it is given escaped; where Material escapes it again
    # (the logo's title attribute) its tooltip, which sets the attribute as HTML, then shows the text safely.
    with contextlib.suppress(ReportError):
        report = load_config()
        config.site_name = html.escape(report.title)
        if _COMMAND == "build" and "gen-files" in config.plugins:
            start_ahead(report)
    if not os.environ.get(MIKE_VERSION) or os.environ.get(SITE_URL):
        return config
    folder = Path(config.config_file_path or ".").resolve().parent
    remote = remote_url(folder, config.remote_name)
    url = github_pages_url(remote) if remote else None
    if url is None:
        # A token may sit in the URL (https://TOKEN@host/...): never print it.
        shown = re.sub(r"//[^/@]+@", "//", remote) if remote else "not set"
        raise PluginError(
            f"Set {SITE_URL} to the address the site is published at (e.g. {SITE_URL}=https://<user>.github.io/"
            f"<repo>/): it cannot be derived from remote '{config.remote_name}' ({shown}), which is not a "
            "github.com repository."
        )
    config.site_url = url
    return config


def use_html_fence(config: Any) -> None:
    """Generated pages fence their HTML tables (gen.pages.figure.fenced_html): superfences passes them through as
    they are."""
    from gen.pages.figure import HTML_FENCE, html_block

    if "pymdownx.superfences" not in config.markdown_extensions:
        config.markdown_extensions.append("pymdownx.superfences")
    options = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = [fence for fence in options.get("custom_fences", []) if fence.get("name") != HTML_FENCE]
    options["custom_fences"] = [*fences, {"name": HTML_FENCE, "class": HTML_FENCE, "format": html_block}]


# The MkDocs command running (build, serve, gh-deploy), from on_startup.
_COMMAND = ""


def on_startup(command: str, dirty: bool) -> None:
    """The command is noted (``on_config`` fingerprints ahead under `mkdocs build` only). While serving, charts are
    drawn in the browser: their static SVG/PNG (for papers and pages without scripts) are left to `make site`, so an
    edit reaches the browser without waiting for them (REPORT_IMAGES=on keeps them)."""
    from gen.fingerprint import STATIC_IMAGES

    global _COMMAND
    _COMMAND = command
    if command == "serve":
        os.environ.setdefault(STATIC_IMAGES, "off")


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """Hear changes from the system rather than by polling (gen.watch), and watch the config file, its sources and
    reference table (``watch:`` in mkdocs.yml covers only data/, gen/)."""
    from gen.config import load_config
    from gen.config.base import ReportError
    from gen.watch import use_notifications

    use_notifications(server)
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


def on_env(env: Any, config: Any, files: Any) -> Any:
    """Reuse the theme's compiled templates (gen.templates); mark aliases in Material's version selector and spare
    `dev` the outdated banner (when the selector is on)."""
    from gen.templates import CompiledTemplates

    env.bytecode_cache = CompiledTemplates()
    if config.extra.get("version"):
        config.extra["version"].update(SELECTOR)
    return env


def on_build_error(error: Exception) -> None:
    """Let MkDocs print this error again the next time it happens.

    MkDocs' command line logs each distinct message of its build logger once per process (a DuplicateFilter), so
    under `mkdocs serve` an error that came back after a fix printed only "Aborted with a BuildError!".
    """
    from mkdocs.commands import build
    from mkdocs.utils import DuplicateFilter

    for seen in build.log.filters:
        if isinstance(seen, DuplicateFilter):
            seen.msgs.discard(str(error))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Expand ``[[table:…]]``, ``[[chart:…]]`` and ``[[number:…]]`` in hand-written pages (see Writing pages)."""
    from mkdocs.exceptions import PluginError

    from gen.pages.embeds import CURRENT, EmbedError

    try:
        return CURRENT.expand(markdown, page.file.src_uri)
    except EmbedError as exc:
        raise PluginError(str(exc)) from None


# Generated tables set aside while the search plugin reads each page (by page).
_HIDDEN: dict[str, list[tuple[str, str]]] = {}


def on_page_content(content: str, page: Any, config: Any, files: Any) -> str:
    """Generated tables leave the page's HTML until the search plugin has read it (gen.pages.figure.hide_tables):
    the index gets their captions, not their cells."""
    from gen.pages.figure import hide_tables

    shown, _HIDDEN[page.file.src_uri] = hide_tables(content)
    return shown


# After the search plugin's (priority 0), before the page is rendered into the theme.
@event_priority(-100)
def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    """Generated tables back in the page (set aside by ``on_page_content``)."""
    from mkdocs.exceptions import PluginError

    from gen.pages.figure import restore_tables

    try:
        page.content = restore_tables(page.content, _HIDDEN.pop(page.file.src_uri, []))
    except ValueError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
    return context
