"""A fingerprint of everything a build's generated output depends on, computed without reading any result file.

Inputs: the generator's code and library versions, the config (file bytes and validated values), every file or
folder the config names (each file's path, size and modification time), the git state the pages show (the commit of
the config's checkout and whether it has uncommitted changes, and the gh-pages branches when Changes reads a version
from them) and the environment variables generation reads. Equal fingerprints mean equal output, so an unchanged
rebuild can reuse the files kept (gen.stored). The same inputs, split into a base and named leaves, tell gen.memo
which parts of a changed build can be reused. Under `mkdocs build` they are computed by a forked copy of the
process that gen/hooks.py starts (``start_ahead``), while MkDocs goes on with its own start.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import subprocess
import threading
from array import array
from collections.abc import Callable
from contextlib import suppress
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import BaseModel

from gen import cache
from gen.claims import fork_writing
from gen.config import ReportConfig
from gen.memo import Memo
from gen.sources.discovery import Found, no_cycle_collection, walk_all

if TYPE_CHECKING:
    from gen.sources.base import Outcome

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


# Inputs computed ahead by a forked copy (``start_ahead``): the config they are of, the copy and its pipe.
_AHEAD: tuple[str, int, int] | None = None


def start_ahead(config: ReportConfig) -> None:
    """Start ``build_inputs(config)`` in a forked copy of this process, for the build's ``inputs`` to take: MkDocs
    meanwhile goes on with its own start, about as long as the walk of the real data (an unchanged rebuild of it
    then costs little more than MkDocs alone). Without ``fork`` or a second core, nothing starts."""
    global _AHEAD
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return
    _AHEAD, earlier = None, _AHEAD
    if earlier is not None:
        _drop(earlier)

    def answer(outgoing: BinaryIO) -> None:
        fingerprint, memo = build_inputs(config)
        outgoing.write(fingerprint.encode() + b"\n")
        outgoing.flush()  # an unchanged build needs no more
        walks = {root: packed_walk(root, walked) for root, walked in memo.walks.items()}
        outgoing.write(pickle.dumps((memo.base, memo.leaves, memo.enabled, walks), protocol=5))

    _AHEAD = (config.model_dump_json(), *fork_writing(answer))


# File names as the walk has them (non-UTF-8 bytes as lone surrogates) through bytes and back.
_NAMES = ("utf-8", "surrogatepass")
_Odd = dict[int, tuple[str, "Outcome | None", str, bool]]


def packed_walk(root: str, walked: list[Found]) -> tuple[int, bytes, bytes, _Odd]:
    """A walk under ``root`` for the pipe: its files' names in one string, their stamps in one array, and whatever a
    file has beyond its name under root, a path and a stamp (``Found``'s other fields; a path elsewhere) by index.
    At 300,000 files, under half the bytes of a pickle of the tuples, made in a third of the time."""
    prefix = f"{root}/"
    odd = {
        index: (found.path, found.decided, found.reason, found.named)
        for index, found in enumerate(walked)
        if found.decided is not None or not found.named or found.path != prefix + found.relative
    }
    names = "\0".join([found.relative for found in walked]).encode(*_NAMES)  # no name holds a NUL
    stamps = array("q", [part for found in walked for part in found.stamp]).tobytes()
    return len(walked), names, stamps, odd


def unpacked_walk(root: str, count: int, names: bytes, stamps: bytes, odd: _Odd) -> list[Found]:
    """The walk ``packed_walk`` packed."""
    relative = names.decode(*_NAMES).split("\0") if count else []
    parts = array("q")
    parts.frombytes(stamps)
    prefix = f"{root}/"
    paths = [prefix + name for name in relative]
    stamp = zip(parts[0::2], parts[1::2], strict=True)
    fields = zip(relative, paths, repeat(None), repeat(""), stamp, repeat(True), strict=False)  # repeat never ends
    walked = list(map(Found._make, fields))
    for index, (path, decided, reason, named) in odd.items():
        walked[index] = walked[index]._replace(path=path, decided=decided, reason=reason, named=named)
    return walked


def _drop(ahead: tuple[str, int, int]) -> None:
    """Close the pipe of a copy ``start_ahead`` made whose answer is not wanted, and stop it."""
    os.close(ahead[2])
    _stop(ahead[1])


def _stop(child: int) -> None:
    """Stop a copy whose answer is not wanted (it only reads), and reap it: its end of the pipe closes."""
    with suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


class Inputs:
    """A build's fingerprint, and its inputs as gen.memo reads them when asked for (an unchanged build never does):
    from the copy ``start_ahead`` made for the same config, else computed here. A context manager: on leaving, a
    copy whose answer was not read is stopped."""

    def __init__(self, config: ReportConfig) -> None:
        global _AHEAD
        self._config = config
        self._memo: Memo | None = None
        self._copy: tuple[int, BinaryIO] | None = None
        self._reader: threading.Thread | None = None
        self._body: list[bytes] = []
        ahead, _AHEAD = _AHEAD, None
        if ahead is not None and ahead[0] == config.model_dump_json():
            incoming = open(ahead[2], "rb")  # noqa: SIM115  (closed once read, or by __exit__)
            self._copy = (ahead[1], incoming)
            if answer := incoming.readline().decode().strip():
                self.fingerprint = answer
                return
            self._read()  # the copy failed: computed here
        elif ahead is not None:
            _drop(ahead)
        self.fingerprint, self._memo = build_inputs(config)

    def receive(self) -> None:
        """Read the rest of the copy's answer in a thread from now (a pipe is read without the GIL), while the caller
        goes on: the walk of 300,000 files is 30 MB, which the copy writes and this process reads meanwhile."""
        if self._copy is not None and self._reader is None:
            incoming = self._copy[1]
            self._reader = threading.Thread(target=lambda: self._body.append(incoming.read()), daemon=True)
            self._reader.start()

    def memo(self) -> Memo:
        """The inputs: the copy's (read now, or by ``receive``'s thread), or those computed here."""
        if self._memo is None:
            body = self._read()
            try:
                with no_cycle_collection():  # a file's Found each: the collector would walk them again and again
                    base, leaves, enabled, walks = pickle.loads(body)
                    found = {root: unpacked_walk(root, *walked) for root, walked in walks.items()}
            except (pickle.UnpicklingError, EOFError, ValueError):  # the copy failed midway: computed here
                self._memo = build_inputs(self._config)[1]
            else:
                self._memo = Memo(base, leaves, enabled, found)
        return self._memo

    def _read(self) -> bytes:
        assert self._copy is not None
        child, incoming = self._copy
        self._copy = None
        with incoming:
            if self._reader is None:
                self._body.append(incoming.read())
            else:
                self._reader.join()
        os.waitpid(child, 0)
        return b"".join(self._body)

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._copy is not None:
            child, incoming = self._copy
            self._copy = None
            _stop(child)
            if self._reader is not None:
                self._reader.join()  # the pipe has ended: the read returns
            incoming.close()
