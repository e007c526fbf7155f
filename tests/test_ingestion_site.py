"""Ingestion end to end: the real files plus the legacy files build clean; a corrupted copy builds with exactly
the expected rejections listed; strict mode fails clearly; discovery order and root name change nothing."""

from __future__ import annotations

import contextlib
import html
import json
import os
import random
import shutil
from pathlib import Path

import pytest

import gen.sources.discovery
from gen.config import load_config
from gen.pages.site import write_site
from gen.pages.writers import DirectoryWriter
from gen.report import analyse
from tests.conftest import RESULTS, build_site, built, shared_path
from tests.test_site import read_csv, tree_digest

CONFIG = """
title: corrupted copy
sources:
  - type: metrics-json
    path: {results}
    exclude: ["scratch/**"]
    max_file_mb: 0.2
  - type: legacy-json
    path: {legacy}
strategies:
  - {{name: FFT, match: {{variant: fft}}}}
  - {{name: LoRA, match: {{variant: lora, peft: lora}}}}
  - {{name: KD-LoRA, match: {{variant: kd-lora, peft: lora}}}}
"""


def write_config(folder: Path, results: Path) -> Path:
    path = folder / "report.yml"
    path.write_text(CONFIG.format(results=results, legacy=shared_path("data/kd-lora-legacy/metric")))
    return path


def test_real_and_legacy_files_build_with_zero_rejections(tmp_path: Path) -> None:
    site = built(tmp_path / "site", write_config(tmp_path, RESULTS))
    files = read_csv(site / "downloads" / "files.csv")
    legacy = list(shared_path("data/kd-lora-legacy/metric").rglob("*.json"))
    assert len(files) == 2941 + len(legacy)
    assert {f["outcome"] for f in files} == {"ingested"}
    runs = read_csv(site / "downloads" / "runs.csv")
    assert sum(1 for r in runs if r["source"] == "2:legacy-json") > 0
    assert "No file was rejected." in (site / "data-quality.html").read_text()


# File -> the fields its warnings name: filled by ``corrupt`` for the files it spoils without breaking them.
expected_warnings: dict[str, set[str]] = {}


def corrupt(root: Path) -> dict[str, str]:
    """Break a copy of the real files in every way the issue lists; returns file -> expected reason."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("metrics.json"))
    picks = iter(random.Random(7).sample(files, 13))
    expected: dict[str, str] = {}

    def damage(reason: str, change: object) -> None:
        name = next(picks)
        path = root / name
        if callable(change):
            data = json.loads(path.read_text())
            change(data)
            path.write_text(json.dumps(data))
        else:
            path.write_bytes(change)  # type: ignore[arg-type]
        expected[name] = reason

    damage("invalid JSON", b'{"eval_loss": 0.3, "args": {')
    damage("empty file", b"")
    damage("not UTF-8 text: byte 0xff", b'{"variant": "\xff"}')
    damage("top level is a JSON list", b"[1, 2, 3]")
    damage(
        "NaN is not a finite number (the",  # the reason goes on to name the task whose score needs the field
        lambda d: d.update({k: float("nan") for k in d if k.startswith("eval_") or "matched" in k}),
    )
    damage("field 'eval_runtime': expected a number, got str", lambda d: d.update(eval_runtime="1.2s"))
    damage("metric 'memory_allocated_mb' = -5 is outside", lambda d: d["train"].update(memory_allocated=[-5.0]))
    damage("metric 'train_time_s' = 1e+12 is outside", lambda d: d["train"].update(train_time=1e12))
    damage("missing metric(s)", lambda d: [d.pop(k) for k in list(d) if k.startswith("eval_") or "matched" in k])
    damage("unknown task 'squad'", lambda d: d["args"].update(task="squad"))
    big = next(picks)
    (root / big).write_text(json.dumps({"padding": "x" * 300_000}))
    expected[big] = "over the 0.2 MB limit"
    unreadable = next(picks)
    (root / unreadable).unlink()
    os.symlink(root / "no-such-file.json", root / unreadable)
    expected[unreadable] = "unreadable: No such file or directory"
    os.symlink("..", root / "fft" / "loop")  # relative, so it survives renaming the root
    expected["fft/loop"] = "symlink loop"
    # A NaN in the training log (fp16 loss scaling does this) costs nothing but a warning and a gap in the curve.
    nan_log = next(picks)
    data = json.loads((root / nan_log).read_text())
    data["log_history"][0]["grad_norm"] = float("nan")
    data["log_history"][0]["loss"] = float("inf")
    (root / nan_log).write_text(json.dumps(data))
    expected_warnings[nan_log] = {"log_history[].grad_norm", "log_history[].loss"}
    scratch = root / "scratch" / "x" / "metrics.json"
    scratch.parent.mkdir(parents=True)
    scratch.write_text("{")
    return expected


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("corrupted")
    root = folder / "results"
    shutil.copytree(RESULTS, root)
    return root, corrupt(root)


def test_corrupted_copy_lists_exactly_the_expected_rejections(
    corrupted: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, expected = corrupted
    result = build_site(tmp_path / "site", write_config(tmp_path, root), quiet=False)
    assert result.returncode == 0, result.stderr
    files = read_csv(tmp_path / "site" / "downloads" / "files.csv")
    rejected = {f["source_file"]: f["reason"] for f in files if f["outcome"] == "rejected"}
    assert set(rejected) == set(expected)
    for name, reason in expected.items():
        assert reason in rejected[name], (name, rejected[name])
    ignored = [f["source_file"] for f in files if f["outcome"] == "ignored"]
    assert ignored == ["scratch/x/metrics.json"]
    log = result.stdout + result.stderr
    assert "Traceback" not in log
    total = 2941 + len(list(shared_path("data/kd-lora-legacy/metric").rglob("*.json"))) + 2  # + loop + scratch
    summary = f"{total} files: {total - len(expected) - 1} ingested, {len(expected)} rejected, 1 ignored"
    assert summary in log and "rejected fft/loop: symlink loop" in log
    quality = html.unescape((tmp_path / "site" / "data-quality.html").read_text())
    for name in expected:
        assert name in quality
    warnings = read_csv(tmp_path / "site" / "downloads" / "warnings.csv")
    # Besides the spoiled training log: the real data's folders named by an unfilled placeholder (`_{}_`).
    placeholders = {
        (name, "dropout")
        for path in root.rglob("metrics.json")
        if "_{}_" in (name := path.relative_to(root).as_posix()) and name not in expected
    }
    assert len(placeholders) >= 14
    assert {(w["source_file"], w["field"]) for w in warnings} == placeholders | {
        (name, field) for name, fields in expected_warnings.items() for field in fields
    }
    assert f"{len(warnings)} warnings on ingested runs" in log


def test_strict_mode_fails_the_build_with_a_clear_message(
    corrupted: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORT_STRICT", "1")
    result = build_site(tmp_path / "site", write_config(tmp_path, corrupted[0]))
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert f"strict mode: {len(corrupted[1])} rejected file(s)" in log
    assert "Traceback" not in log


def test_config_errors_stop_the_build_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "report.yml"
    config.write_text(CONFIG.format(results=tmp_path, legacy=tmp_path) + "colour: blue\n")
    result = build_site(tmp_path / "site", config)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{config}: key 'colour': Extra inputs are not permitted — remove it or check its spelling" in log
    assert "Traceback" not in log


def generated_pages(config: Path, out: Path) -> dict[str, str]:
    write_site(analyse(load_config(config)), DirectoryWriter(out))
    return tree_digest(out)


def test_discovery_order_and_root_name_change_nothing(
    corrupted: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = corrupted
    baseline = generated_pages(write_config(tmp_path, root), tmp_path / "a")
    renamed = root.with_name("renamed-results")
    root.rename(renamed)
    try:
        real_scandir = os.scandir

        def shuffled_scandir(path: str) -> contextlib.nullcontext[list[os.DirEntry[str]]]:
            # Folder listings in another order than the file system's: discovery must not depend on it.
            with real_scandir(path) as listing:
                entries = list(listing)
            random.Random(str(path)).shuffle(entries)
            return contextlib.nullcontext(entries)

        monkeypatch.setattr(gen.sources.discovery.os, "scandir", shuffled_scandir)
        again = generated_pages(write_config(tmp_path, renamed), tmp_path / "b")
    finally:
        renamed.rename(root)
    assert again == baseline
