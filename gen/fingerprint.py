"""A fingerprint of everything a build's generated output depends on, computed without reading any result file.

Inputs: the generator's code and library versions, the config (file bytes and validated values), every file or
folder the config names (each file's path, size and modification time), the git state the pages show (the commit of
the config's checkout and whether it has uncommitted changes, and the gh-pages branches when Changes reads a version
from them) and the environment variables generation reads. Equal fingerprints mean equal output, so an unchanged
rebuild can reuse the files kept (gen.stored). The same inputs, split into a base and named leaves, tell gen.memo
which parts of a changed build can be reused.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gen import cache
from gen.config import ReportConfig
from gen.memo import Memo
from gen.sources.discovery import Found, walk_all

_GEN = Path(__file__).resolve().parent
_PACKAGES = ("pandas", "numpy", "altair", "vl-convert-python", "scipy", "pyarrow", "orjson", "pydantic", "pyyaml")
# Set by mike for the build of each version it deploys.
MIKE_VERSION = "MIKE_DOCS_VERSION"
# Whether static chart images are rendered (read by gen.pages.site): `mkdocs serve` skips them.
STATIC_IMAGES = "REPORT_IMAGES"
_ENVIRONMENT = (MIKE_VERSION, "REPORT_STRICT", STATIC_IMAGES)
# Whether tracked files differ from HEAD, as the footer says (gen.report.git_commit). --no-optional-locks: a build
# only reads the checkout and must not rewrite its index under a concurrent git.
GIT_STATUS = ("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
# Branches a previous version is read from (gen.sources.previous).
_BRANCHES = ("refs/heads/gh-pages", "refs/remotes/origin/gh-pages")


def _paths(value: Any) -> list[Path]:
    """Every path in a (nested) config value."""
    if isinstance(value, Path):
        return [value]
    if isinstance(value, BaseModel):
        return [p for name in type(value).model_fields for p in _paths(getattr(value, name))]
    if isinstance(value, list | tuple):
        return [p for item in value for p in _paths(item)]
    if isinstance(value, dict):
        return [p for item in value.values() for p in _paths(item)]
    return []


def _stat_lines(path: Path, walks: dict[str, list[Found]]) -> list[str]:
    """A line per file at or under ``path``: its name, size and modification time, or why it cannot be read. A
    folder is walked as the readers walk it, and its walk kept in ``walks`` for them (on 300k files this walk is
    most of an unchanged build)."""
    if path.is_file():
        info = path.stat()
        return [f"{path} {info.st_size} {info.st_mtime_ns}"]
    if not path.is_dir():
        return [f"{path} missing"]
    walks[str(path)] = walked = walk_all(path)
    return [f"{path} folder"] + [
        f"{found.relative} {found.stamp[0]} {found.stamp[1]} {found.decided or ''} {found.reason}" for found in walked
    ]


def _start(args: list[str], folder: Path) -> subprocess.Popen[str] | None:
    try:
        return subprocess.Popen(
            ["git", *args], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except OSError:
        return None


def _answer(process: subprocess.Popen[str] | None) -> tuple[int, str] | None:
    if process is None:
        return None
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return process.returncode, output


def _in_repository(folder: Path) -> bool:
    """Whether git may find a repository for ``folder``: a .git in it or above, or one the environment names."""
    if os.environ.get("GIT_DIR"):
        return True
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


# The commit and whether tracked files differ from it, in one git process: gen.report.git_commit asks the same with
# rev-parse and GIT_STATUS. Ahead/behind counts are not shown, so not computed.
_COMMIT_AND_STATUS = (
    "--no-optional-locks",
    "status",
    "--porcelain=v2",
    "--branch",
    "--no-ahead-behind",
    "--untracked-files=no",
)


def _commit_and_clean(answer: tuple[int, str] | None) -> str | None:
    """What the footer shows of a checkout, from ``_COMMIT_AND_STATUS``: its commit, and whether it is clean; None
    when git gave no answer (too old for these options, or timed out)."""
    if answer is None or answer[0] != 0:
        return None
    lines = answer[1].splitlines()
    commit = next((line.split()[-1] for line in lines if line.startswith("# branch.oid ")), "none")
    return f"{commit} clean={not any(not line.startswith('#') for line in lines)}"


def _revisions(config_folder: Path, branches_folder: Path | None) -> Callable[[], tuple[list[str], list[str]]]:
    """The git state generation reads: the commit the pages show (of the checkout holding the config) and, when
    Changes reads a version from gh-pages (``branches_folder``: where), those branches. The git commands start now,
    together, and are answered by the call returned, so the build walks its files meanwhile; none starts for a
    folder in no repository."""
    status = _start(list(_COMMIT_AND_STATUS), config_folder) if _in_repository(config_folder) else None
    refs = None
    if branches_folder is not None and _in_repository(branches_folder):
        refs = _start(["for-each-ref", *_BRANCHES], branches_folder)

    def answers() -> tuple[list[str], list[str]]:
        commit = _commit_and_clean(_answer(status)) if status is not None else "no git"
        if commit is None:
            # A git older than porcelain v2 (2.11) or --no-ahead-behind (2.17), or a status that timed out: the
            # footer still shows the commit, so ask for it as gen.report.git_commit does.
            head, plain = (_answer(_start(args, config_folder)) for args in (["rev-parse", "HEAD"], list(GIT_STATUS)))
            commit = f"{head} {plain}"
        shown = [f"{config_folder} {commit}"]
        if branches_folder is None:
            return shown, []
        answer = _answer(refs)
        return shown, [f"{branches_folder} {'no git' if answer is None else answer}"]

    return answers


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def source_files() -> list[Path]:
    """The generator's source files (the gen package), in a fixed order."""
    return sorted(_GEN.rglob("*.py"))


def build_inputs(config: ReportConfig) -> tuple[str, Memo]:
    """This build's fingerprint (see the module docstring), and its inputs as gen.memo reads them: a base (code,
    config, environment, and any path outside the sections below) and a key per leaf."""
    # Changes reads a version from gh-pages unless it is given a file (gen.sources.previous.load_previous).
    git_answers = _revisions(config.config_path.parent, Path.cwd() if config.changes.previous is None else None)
    code = cache.code_version(*source_files(), packages=_PACKAGES)
    sections = {
        "sources": config.sources,
        "efficiency": config.efficiency,
        "published": config.published,
        "changes": config.changes,
    }
    walks: dict[str, list[Found]] = {}
    leaves = {
        leaf: [line for path in sorted(set(_paths(value))) for line in _stat_lines(path, walks)]
        for leaf, value in sections.items()
    }
    named = {path for value in sections.values() for path in _paths(value)}
    base = [code, config.config_path.read_text(encoding="utf-8"), config.model_dump_json()]
    base += [line for path in sorted(set(_paths(config)) - named) for line in _stat_lines(path, walks)]
    base += [f"{name}={os.environ.get(name, '')}" for name in _ENVIRONMENT]
    shown, branches = git_answers()
    leaves["git"] = shown
    leaves["changes"] += branches
    keys = {leaf: _digest(lines) for leaf, lines in leaves.items()}
    memo = Memo(_digest(base), keys, cache.cache_root() is not None, walks)
    return _digest([memo.base, *(f"{leaf} {key}" for leaf, key in sorted(keys.items()))]), memo


def inputs_fingerprint(config: ReportConfig) -> str:
    """The fingerprint of this build's inputs (see the module docstring)."""
    return build_inputs(config)[0]
