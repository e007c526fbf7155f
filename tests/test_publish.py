"""Versioned publishing: `make deploy` into a bare remote standing in for a GitHub repository — v1, then v2 twice
(as a CI re-run of a tag does), then dev — and the published branch served on 127.0.0.1 in Chromium: what the
branch holds, what Changes compares, and the version selector."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import ROOT, serve

CONFIG = """
title: Publishing test
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: FFT, match: {variant: fft}}
  - {name: LoRA, match: {variant: lora}}
"""
# The remote's address as GitHub gives it; git sends fetches and pushes for it to a bare repository on disk.
GITHUB_REMOTE = "https://github.com/acme/bench-report.git"
PUBLISHED_AT = "https://acme.github.io/bench-report/"


def write_data(folder: Path, scores: dict[tuple[str, str, int], float]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["variant,family,task,seed,metric,value"]
    rows += [f"{variant},bert,rte,{seed},accuracy,{value}" for (variant, _, seed), value in sorted(scores.items())]
    (folder / "runs.csv").write_text("\n".join(rows) + "\n")
    (folder / "report.yml").write_text(CONFIG)
    return folder / "report.yml"


V1 = {("fft", "rte", s): v for s, v in [(1, 0.70), (2, 0.71), (3, 0.69)]} | {
    ("lora", "rte", s): v for s, v in [(1, 0.60), (2, 0.61), (3, 0.62)]
}
# v2: LoRA clearly better (re-scored runs), one FFT run removed, one LoRA run added.
V2 = {("fft", "rte", s): v for s, v in [(1, 0.70), (2, 0.71)]} | {
    ("lora", "rte", s): v for s, v in [(1, 0.68), (2, 0.69), (3, 0.70), (4, 0.69)]
}
# dev: one more FFT run than v2.
DEV = V2 | {("fft", "rte", 3): 0.72}


def run(command: list[str], cwd: Path, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def git_env() -> dict[str, str]:
    """The environment of the deploys: a committer, and no SITE_URL (the address comes from the remote)."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    names = ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME")
    emails = ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL")
    return env | dict.fromkeys(names, "t") | dict.fromkeys(emails, "t@example.invalid")


def project_copy(project: Path, env: dict[str, str]) -> None:
    """This project's files (committed or not, ignored ones left out) as a fresh git repository."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard"], ROOT, env).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_bytes(source.read_bytes())
    (project / ".venv").symlink_to(ROOT / ".venv")
    run(["git", "init", "-q", "-b", "main"], project, env)
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-qm", "project"], project, env)


@dataclass
class Published:
    """The deploy sequence's outcome: the remote, its gh-pages extracted, and what each `make deploy` printed."""

    remote: Path
    tree: Path
    logs: list[str]
    # The deploy tried first, with a remote that is not on GitHub and no SITE_URL, and whether it left a gh-pages.
    refused: subprocess.CompletedProcess[str]
    gh_pages_after_refusal: bool


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """A copy of this project deploying v1, v2, v2 again (all as latest) and dev to a bare remote."""
    tmp = tmp_path_factory.mktemp("publish")
    project, remote = tmp / "project", tmp / "remote.git"
    env = git_env()
    project_copy(project, env)
    run(["git", "init", "-q", "--bare", str(remote)], tmp, env)
    # -o: the shared .venv is already installed; do not let make rebuild it for the copied pyproject.toml.
    make = ["make", "-o", ".venv/.installed", "deploy"]
    v1 = write_data(tmp / "data-v1", V1)
    # First with the bare repository itself as origin: there is no GitHub address to derive the site's from.
    run(["git", "remote", "add", "origin", str(remote)], project, env)
    refused = run([*make, "VERSION=v1", "ALIAS=latest", "PUSH=1"], project, {**env, "REPORT_CONFIG": str(v1)}, False)
    branch = run(["git", "rev-parse", "--verify", "-q", "gh-pages"], project, env, False).returncode == 0
    run(["git", "remote", "set-url", "origin", GITHUB_REMOTE], project, env)
    run(["git", "config", f"url.{remote}.insteadOf", GITHUB_REMOTE], project, env)
    logs = []
    for version, alias, push, scores in (
        ("v1", "latest", "1", V1),
        ("v2", "latest", "yes", V2),
        ("v2", "latest", "TRUE", V2),
        ("dev", "", "on", DEV),
    ):
        config = write_data(tmp / f"data-{version}", scores)
        command = [*make, f"VERSION={version}", f"ALIAS={alias}", f"PUSH={push}"]
        done = run(command, project, {**env, "REPORT_CONFIG": str(config)})
        logs.append(done.stdout + done.stderr)
    tree = tmp / "gh-pages"
    tree.mkdir()
    archive = tmp / "pages.tar"
    run(["git", "--git-dir", str(remote), "archive", "-o", str(archive), "gh-pages"], tmp, env)
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="fully_trusted")
    return Published(remote, tree, logs, refused, branch)


def test_without_site_url_a_remote_not_on_github_stops_the_deploy(published: Published) -> None:
    output = published.refused.stdout + published.refused.stderr
    assert published.refused.returncode != 0
    assert "Set SITE_URL" in output and "not a github.com repository" in output
    assert not published.gh_pages_after_refusal  # nothing was committed


def test_the_branch_holds_no_symlink_and_latest_is_a_copy(published: Published) -> None:
    listing = subprocess.run(
        ["git", "--git-dir", str(published.remote), "ls-tree", "-r", "gh-pages"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modes = {line.split()[0] for line in listing.splitlines()}
    assert "120000" not in modes and modes == {"100644"}
    latest = published.tree / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert (latest / "changes.html").read_bytes() == (published.tree / "v2" / "changes.html").read_bytes()


def test_the_branch_lists_every_version_in_mikes_order(published: Published) -> None:
    versions = json.loads((published.tree / "versions.json").read_text())
    assert [(v["version"], v["aliases"]) for v in versions] == [("dev", []), ("v2", ["latest"]), ("v1", [])]
    for version in ("v1", "v2", "dev"):
        assert (published.tree / version / "index.html").is_file()
    assert "latest/" in (published.tree / "index.html").read_text()  # root redirect to the default version
    footer = (published.tree / "v2" / "index.html").read_text()
    assert "Version v2" in footer and "Results fingerprint" in footer and "6 runs" in footer


def test_the_published_address_comes_from_the_github_remote(published: Published) -> None:
    found = subprocess.run(
        ["git", "--git-dir", str(published.remote), "grep", "-I", "-l", "-F", "127.0.0.1", "gh-pages"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    # Only Material's own source maps mention it (a comment on `mkdocs serve`).
    assert [name for name in found if not name.endswith(".min.js.map")] == []
    sitemap = (published.tree / "v2" / "sitemap.xml").read_text()
    assert f"<loc>{PUBLISHED_AT}v2/changes.html</loc>" in sitemap
    page = (published.tree / "v1" / "changes.html").read_text()
    assert f'<link rel="canonical" href="{PUBLISHED_AT}v1/changes.html">' in page


def test_changes_compares_with_the_version_before(published: Published) -> None:
    v2 = (published.tree / "v2" / "changes.html").read_text()
    # v2 was deployed twice: the second time, v2 (then latest) is on the branch, and must not be compared with.
    assert "Compared with version v1 on gh-pages: 1 new runs, 1 removed, 3 with changed scores" in v2
    assert "improvement" in v2  # LoRA rte: 0.61 → 0.69 with tight seeds
    dev = (published.tree / "dev" / "changes.html").read_text()
    assert "Compared with version v2 on gh-pages: 1 new runs, 0 removed, 0 with changed scores" in dev
    v1 = (published.tree / "v1" / "changes.html").read_text()
    assert "No previous version to compare with" in v1


def test_builds_log_nothing_about_pages_outside_the_nav(published: Published) -> None:
    assert all("Documentation built" in log for log in published.logs)
    assert not [log for log in published.logs if "not included in the" in log]
    assert (published.tree / "v2" / "families" / "bert.html").is_file()  # the drill-down pages are still built


@pytest.fixture(scope="module")
def site(published: Published) -> Iterator[str]:
    """The published branch served on 127.0.0.1."""
    with serve(published.tree, port=0) as base:
        yield base


def open_page(browser: Browser, base: str, path: str) -> Page:
    """A tab on ``path`` of the served branch (only the local server reachable), once the selector is there."""
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    page.goto(f"{base}/{path}")
    page.wait_for_selector(".md-version__current")
    return page


def choose(page: Page, version: str) -> None:
    """Pick a version in Material's selector."""
    page.hover(".md-version")
    page.locator(".md-version__list .md-version__link", has_text=version).click()


# Each entry of the selector as [version, alias...]: Material writes the title, then each alias in a span.
ENTRIES = """elements => elements.map(e => [
    e.firstChild.textContent.trim(), ...[...e.querySelectorAll('.md-version__alias')].map(a => a.textContent.trim())
])"""


@pytest.mark.browser
def test_selector_marks_latest_and_lists_releases_first(browser: Browser, site: str) -> None:
    page = open_page(browser, site, "")
    page.wait_for_url("**/latest/**")
    current = page.eval_on_selector_all(".md-version__current", ENTRIES)
    items = page.eval_on_selector_all(".md-version__list .md-version__link", ENTRIES)
    page.close()
    assert current == [["v2", "latest"]]
    assert items == [["v2", "latest"], ["v1"], ["dev"]]


@pytest.mark.browser
def test_switching_versions_keeps_the_page(browser: Browser, site: str) -> None:
    page = open_page(browser, site, "v2/changes.html")
    choose(page, "v1")
    page.wait_for_url(f"{site}/v1/changes.html")
    choose(page, "dev")
    page.wait_for_url(f"{site}/dev/changes.html")
    page.close()
    page = open_page(browser, site, "latest/statistics.html")
    choose(page, "v1")
    page.wait_for_url(f"{site}/v1/statistics.html")
    page.close()


@pytest.mark.browser
def test_outdated_banner_on_old_releases_only(browser: Browser, site: str) -> None:
    shown = {}
    for version in ("latest", "v2", "v1", "dev"):
        page = open_page(browser, site, f"{version}/index.html")
        # Material decides once the version list is loaded; the selector appears at the same time.
        page.wait_for_load_state("networkidle")
        banner = page.locator("[data-md-component=outdated] .md-banner")
        shown[version] = banner.is_visible()
        if shown[version]:
            assert "older version" in banner.inner_text()
        page.close()
    assert shown == {"latest": False, "v2": False, "v1": True, "dev": False}
