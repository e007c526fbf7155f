"""The pieces of publishing, each on its own and fast: the published address from the git remote, which version
Changes compares with, the commit in the footer, and `make deploy`'s PUSH."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from mkdocs.exceptions import PluginError

from gen import fingerprint
from gen.config import load_config
from gen.fingerprint import inputs_fingerprint
from gen.hooks import github_pages_url, on_config
from gen.report import git_commit
from gen.sources.previous import from_gh_pages
from tests.conftest import ROOT

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=folder, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("https://github.com/acme/bench-report.git", "https://acme.github.io/bench-report/"),
        ("https://github.com/acme/bench-report", "https://acme.github.io/bench-report/"),
        ("git@github.com:acme/bench-report.git", "https://acme.github.io/bench-report/"),
        ("ssh://git@github.com/acme/bench-report.git", "https://acme.github.io/bench-report/"),
        ("https://x-access-token:secret@github.com/Acme/Report.v2.git", "https://acme.github.io/Report.v2/"),
        ("https://github.com/acme/acme.github.io.git", "https://acme.github.io/"),
        ("git@github.com:Acme/acme.github.io.git", "https://acme.github.io/"),
        ("https://gitlab.com/acme/bench-report.git", None),
        ("https://github.com.evil.example/acme/bench-report.git", None),
        ("https://github.com/acme", None),
        ("/srv/git/bench-report.git", None),
    ],
)
def test_github_pages_address_of_a_remote(remote: str, url: str | None) -> None:
    assert github_pages_url(remote) == url


def mkdocs_config(folder: Path) -> SimpleNamespace:
    """The fields of MkDocs' config that the hook reads and writes."""
    return SimpleNamespace(
        config_file_path=str(folder / "mkdocs.yml"),
        remote_name="origin",
        site_url="local",
        markdown_extensions=[],
        mdx_configs={},
    )


def test_under_mike_the_address_comes_from_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", "git@github.com:acme/bench-report.git")
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("MIKE_DOCS_VERSION", "v1")
    assert on_config(mkdocs_config(tmp_path)).site_url == "https://acme.github.io/bench-report/"
    monkeypatch.setenv("SITE_URL", "https://reports.example.org/")  # set: MkDocs already read it; left alone
    assert on_config(mkdocs_config(tmp_path)).site_url == "local"
    monkeypatch.delenv("MIKE_DOCS_VERSION")  # not publishing: the preview address stays
    monkeypatch.delenv("SITE_URL")
    assert on_config(mkdocs_config(tmp_path)).site_url == "local"


def test_under_mike_without_a_github_origin_the_build_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q")
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("MIKE_DOCS_VERSION", "v1")
    with pytest.raises(PluginError, match=r"Set SITE_URL.*\(not set\)"):
        on_config(mkdocs_config(tmp_path))
    git(tmp_path, "remote", "add", "origin", "https://user:secret@git.example.org/acme/report.git")
    with pytest.raises(PluginError, match="Set SITE_URL") as raised:
        on_config(mkdocs_config(tmp_path))
    assert "git.example.org" in str(raised.value) and "secret" not in str(raised.value)


RUNS = "run_id,family,task,seed,variant,accuracy\n"


@pytest.fixture
def gh_pages(tmp_path: Path) -> Path:
    """A repository whose gh-pages branch holds dev, v2 (latest) and v1, as mike writes them."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "gh-pages")
    versions = [("dev", []), ("v2", ["latest"]), ("v1", [])]
    for version, _ in versions:
        (repo / version / "downloads").mkdir(parents=True)
        (repo / version / "downloads" / "runs.csv").write_text(RUNS + f"{version}-run,bert,rte,1,fft,0.5\n")
    listing = [{"version": v, "title": v, "aliases": a} for v, a in versions]
    (repo / "versions.json").write_text(json.dumps(listing))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pages")
    return repo


@pytest.mark.parametrize(
    ("configured", "building", "compared_with"),
    [
        ("latest", None, "v2"),  # a plain build: the latest published version
        ("latest", "v2", "v1"),  # v2 deployed again: not itself
        ("latest", "v3", "v2"),  # a new release
        ("latest", "dev", "v2"),  # dev, which mike orders before the releases
        ("latest", "v1", None),  # an old version again: nothing before it, and not the newer latest
        ("latest", "v1.5", "v1"),  # a version between two releases: the one before it, not latest
        ("v1", "v3", "v1"),  # a configured older version is kept
        ("dev", "v3", "v2"),  # ... a newer one is not
    ],
)
def test_changes_compares_with_a_version_before_the_one_built(
    gh_pages: Path, configured: str, building: str | None, compared_with: str | None
) -> None:
    previous = from_gh_pages(configured, gh_pages, building)
    if compared_with is None:
        assert previous is None
    else:
        assert previous is not None
        assert previous.label == f"version {compared_with} on gh-pages"
        assert list(previous.runs["run_id"]) == [f"{compared_with}-run"]


def results_repo(folder: Path) -> Path:
    """A git repository holding a report config, its data and a README, all committed; returns the config."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runs.csv").write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.5\n")
    (folder / "report.yml").write_text(
        "sources:\n  - {type: table, path: runs.csv}\nstrategies:\n  - {name: FFT, match: {variant: fft}}\n"
    )
    (folder / "README.md").write_text("Results.\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "results")
    return folder / "report.yml"


def test_footer_commit_is_marked_dirty_when_tracked_files_changed(tmp_path: Path) -> None:
    config = results_repo(tmp_path / "results")
    folder = config.parent
    head = git(folder, "rev-parse", "--short=12", "HEAD")
    assert git_commit(folder) == head
    (folder / "notes.txt").write_text("scratch\n")  # untracked files do not count
    assert git_commit(folder) == head
    (folder / "README.md").write_text("Results, edited.\n")
    assert git_commit(folder) == f"{head}+dirty"
    git(folder, "commit", "-qam", "edit")
    assert git_commit(folder) == git(folder, "rev-parse", "--short=12", "HEAD")
    assert git_commit(tmp_path) is None  # not a git checkout


def test_an_unchanged_rebuild_is_not_replayed_once_the_tree_is_dirty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(results_repo(tmp_path / "results"))
    monkeypatch.chdir(tmp_path)
    clean = inputs_fingerprint(config)
    assert inputs_fingerprint(config) == clean
    # Not an input of the build: only the footer's +dirty depends on it.
    (config.config_path.parent / "README.md").write_text("Results, edited.\n")
    dirty = inputs_fingerprint(config)
    assert dirty != clean
    (config.config_path.parent / "README.md").write_text("Results, edited again.\n")
    assert inputs_fingerprint(config) == dirty  # still dirty: the same footer, the same pages


def test_the_fingerprint_follows_the_commit_shown_and_the_gh_pages_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = results_repo(tmp_path / "results")
    folder = config_path.parent
    monkeypatch.chdir(folder)
    config = load_config(config_path)
    before = inputs_fingerprint(config)
    (folder / "README.md").write_text("Results, edited.\n")
    git(folder, "commit", "-qam", "edit")
    committed = inputs_fingerprint(config)
    assert committed != before  # the footer shows the new commit
    git(folder, "branch", "gh-pages")
    branched = inputs_fingerprint(config)
    assert branched != committed  # Changes now reads a version from it
    # Given a file to compare with, Changes reads no branch: a new one changes nothing.
    config_path.write_text(config_path.read_text() + "changes: {previous: runs.csv}\n")
    with_file = load_config(config_path)
    fingerprint = inputs_fingerprint(with_file)
    git(folder, "branch", "-f", "gh-pages", "HEAD~1")
    assert inputs_fingerprint(with_file) == fingerprint


def test_with_a_git_too_old_for_the_one_call_the_fingerprint_still_follows_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = results_repo(tmp_path / "results")
    monkeypatch.chdir(config_path.parent)
    # As a git without porcelain v2 or --no-ahead-behind answers: an unknown option.
    monkeypatch.setattr(fingerprint, "_COMMIT_AND_STATUS", ("status", "--no-such-option"))
    config = load_config(config_path)
    before = inputs_fingerprint(config)
    assert inputs_fingerprint(config) == before
    (config_path.parent / "README.md").write_text("Results, edited.\n")
    dirty = inputs_fingerprint(config)
    assert dirty != before
    git(config_path.parent, "commit", "-qam", "edit")
    assert inputs_fingerprint(config) not in {before, dirty}


def test_no_git_runs_for_folders_in_no_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "runs.csv").write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.5\n")
    (tmp_path / "report.yml").write_text(
        "sources:\n  - {type: table, path: runs.csv}\nstrategies:\n  - {name: FFT, match: {variant: fft}}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GIT_DIR", raising=False)
    config = load_config(tmp_path / "report.yml")
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        started.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting)
    assert inputs_fingerprint(config) == inputs_fingerprint(config)
    assert started == []
    assert git_commit(tmp_path) is None  # what the footer shows there: no commit


@pytest.fixture
def fake_mike(tmp_path: Path) -> Path:
    """A bin folder whose `mike` only records its arguments, one call per line, in mike.log beside it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mike = bin_dir / "mike"
    mike.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "mike.log"}\n')
    mike.chmod(mike.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def deploy(bin_dir: Path, *assignments: str) -> subprocess.CompletedProcess[str]:
    """`make deploy` with this project's Makefile, running the fake mike in ``bin_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "PUSH"}
    # -o: the venv is installed already; BIN points make at the fake mike.
    command = ["make", "-s", "-o", ".venv/.installed", "deploy", f"BIN={bin_dir}", "VERSION=v9", "ALIAS=latest"]
    return subprocess.run([*command, *assignments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("push", ["1", "yes", "YES", "true", "True", "on", "On"])
def test_push_accepts_the_usual_yes(fake_mike: Path, push: str) -> None:
    done = deploy(fake_mike, f"PUSH={push}")
    assert done.returncode == 0, done.stderr
    calls = (fake_mike.parent / "mike.log").read_text().splitlines()
    assert calls == ["deploy --update-aliases --push v9 latest", "set-default --push latest"]


@pytest.mark.parametrize("push", [None, "", "0", "no", "false", "OFF"])
def test_push_accepts_the_usual_no(fake_mike: Path, push: str | None) -> None:
    done = deploy(fake_mike, *([] if push is None else [f"PUSH={push}"]))
    assert done.returncode == 0, done.stderr
    calls = (fake_mike.parent / "mike.log").read_text().splitlines()
    assert calls == ["deploy --update-aliases v9 latest", "set-default latest"]


@pytest.mark.parametrize("push", ["y", "maybe", "2", "yes please"])
def test_push_refuses_anything_else(fake_mike: Path, push: str) -> None:
    done = deploy(fake_mike, f"PUSH={push}")
    assert done.returncode != 0
    assert f"PUSH={push} is not understood" in done.stderr
    assert not (fake_mike.parent / "mike.log").exists()  # stopped before mike ran


def workflow() -> dict[str, Any]:
    """The CI workflow (PyYAML reads the key `on` as True; no test here needs it)."""
    return dict(yaml.safe_load((ROOT / ".github" / "workflows" / "site.yml").read_text()))


def test_deployments_share_one_group_across_refs_and_are_never_cancelled() -> None:
    deploy = workflow()["jobs"]["deploy"]
    group = deploy["concurrency"]["group"]
    assert "${{" not in group  # the same group for main, every tag and any re-run
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_ci_uses_the_runners_own_chromium_when_there(tmp_path: Path) -> None:
    steps = workflow()["jobs"]["test"]["steps"]
    [script] = [step["run"] for step in steps if "chromium" in step.get("run", "")]
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is missing: the step would install it")
    # sudo (hence apt-get) only records that it was called.
    (tmp_path / "sudo").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "sudo.log"}\n')
    (tmp_path / "sudo").chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "sudo.log").exists()


def test_the_workflow_passes_actionlint_which_make_lint_runs() -> None:
    lint = subprocess.run(["make", "-n", "-o", ".venv/.installed", "lint"], cwd=ROOT, capture_output=True, text=True)
    assert ".venv/bin/actionlint .github/workflows/" in lint.stdout
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "actionlint")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
