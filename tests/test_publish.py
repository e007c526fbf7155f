"""Versioned publishing: `make deploy` twice with different data into a bare remote, then the published branch
served on 127.0.0.1 in Chromium — version selector, switching, the outdated banner, and the Changes page."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import ROOT, SITE_URL, serve

pytestmark = pytest.mark.browser

CONFIG = """
title: Publishing test
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: FFT, match: {variant: fft}}
  - {name: LoRA, match: {variant: lora}}
"""


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


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this project deploying v1 then v2 (as latest) to a bare remote; returns the served gh-pages."""
    tmp = tmp_path_factory.mktemp("publish")
    project, remote = tmp / "project", tmp / "remote.git"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "SITE_URL": SITE_URL,
    }
    listed = run(["git", "ls-files", "-co", "--exclude-standard"], ROOT, env).splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_bytes(source.read_bytes())
    (project / ".venv").symlink_to(ROOT / ".venv")
    run(["git", "init", "-q", "-b", "main"], project, env)
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-qm", "project"], project, env)
    run(["git", "init", "-q", "--bare", str(remote)], tmp, env)
    run(["git", "remote", "add", "origin", str(remote)], project, env)
    # -o: the shared .venv is already installed; do not let make rebuild it for the copied pyproject.toml.
    make = ["make", "-o", ".venv/.installed", "deploy"]
    for version, scores in (("v1", V1), ("v2", V2)):
        config = write_data(tmp / f"data-{version}", scores)
        run([*make, f"VERSION={version}", "ALIAS=latest", "PUSH=1"], project, {**env, "REPORT_CONFIG": str(config)})
    served = tmp / "served"
    served.mkdir()
    archive = tmp / "pages.tar"
    run(["git", "--git-dir", str(remote), "archive", "-o", str(archive), "gh-pages"], tmp, env)
    with tarfile.open(archive) as tar:
        tar.extractall(served, filter="fully_trusted")
    return served


def test_remote_holds_both_versions_and_latest(published: Path) -> None:
    versions = json.loads((published / "versions.json").read_text())
    assert [(v["version"], v["aliases"]) for v in versions] == [("v2", ["latest"]), ("v1", [])]
    assert (published / "v1" / "index.html").is_file() and (published / "v2" / "index.html").is_file()
    assert "latest/" in (published / "index.html").read_text()  # root redirect to the default version
    footer = (published / "v2" / "index.html").read_text()
    assert "Results fingerprint" in footer and "6 runs" in footer


def test_selector_switching_banner_and_changes(browser: Browser, published: Path) -> None:
    with serve(published) as base:
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        page.goto(f"{base}/")
        page.wait_for_url("**/latest/**")
        page.wait_for_selector(".md-version__current")
        assert page.inner_text(".md-version__current").strip() == "v2"
        items = page.eval_on_selector_all(
            ".md-version__list .md-version__link", "links => links.map(a => a.textContent.trim())"
        )
        assert items[:2] == ["v2 latest", "v1"] or [i.split()[0] for i in items] == ["v2", "v1"]
        assert page.locator(".md-banner").count() == 0 or not page.locator(".md-banner").is_visible()
        page.hover(".md-version")
        page.locator(".md-version__list .md-version__link", has_text="v1").click()
        page.wait_for_url("**/v1/**")
        banner = page.locator(".md-banner")
        banner.wait_for(state="visible")
        assert "older version" in banner.inner_text()
        page.goto(f"{base}/v2/changes.html")
        text = page.inner_text("article")
        page.close()
    assert "1 new runs, 1 removed, 3 with changed scores" in text
    assert "removed\truns.csv#variant=fft,family=bert,task=rte,seed=3" in text
    assert "new\truns.csv#variant=lora,family=bert,task=rte,seed=4" in text
    assert "improvement" in text  # LoRA rte: 0.61 → 0.69 with tight seeds
