"""File discovery and reading: excludes, symlink loops, size limits, path patterns — each file one outcome."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gen.config import MetricsJsonSource, path_regex
from gen.sources.metrics_json import load_metrics_json

RESULT = {"eval_accuracy": 0.7, "args": {"task": "rte", "model_family": "bert", "seed": 1}, "variant": "fft"}


def write(path: Path, data: object = RESULT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def outcomes(root: Path, **options: object) -> dict[str, tuple[str, str]]:
    source = MetricsJsonSource(type="metrics-json", path=root, **options)  # type: ignore[arg-type]
    return {f.source_file: (f.outcome, f.reason) for f in load_metrics_json(source, "1:metrics-json").files}


def test_excluded_files_are_counted_as_ignored(tmp_path: Path) -> None:
    write(tmp_path / "a" / "metrics.json")
    write(tmp_path / "old" / "b" / "metrics.json")
    found = outcomes(tmp_path, exclude=["old/**"])
    assert found == {
        "a/metrics.json": ("ingested", ""),
        "old/b/metrics.json": ("ignored", "matches an exclude pattern"),
    }


def test_symlink_loop_is_rejected_not_followed_forever(tmp_path: Path) -> None:
    write(tmp_path / "a" / "metrics.json")
    os.symlink(tmp_path, tmp_path / "a" / "back")
    found = outcomes(tmp_path)
    assert found["a/metrics.json"][0] == "ingested"
    assert found["a/back"][0] == "rejected"
    assert "symlink loop" in found["a/back"][1]
    assert len(found) == 2


def test_symlinked_folder_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "run" / "metrics.json")
    (tmp_path / "root").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "root" / "linked")
    assert outcomes(tmp_path / "root") == {"linked/run/metrics.json": ("ingested", "")}


def test_broken_link_is_unreadable(tmp_path: Path) -> None:
    tmp_path.joinpath("gone").mkdir()
    os.symlink(tmp_path / "nowhere.json", tmp_path / "gone" / "metrics.json")
    assert outcomes(tmp_path) == {"gone/metrics.json": ("rejected", "unreadable: No such file or directory")}


def test_files_over_the_size_limit_are_rejected_unread(tmp_path: Path) -> None:
    write(tmp_path / "big" / "metrics.json", {**RESULT, "padding": "x" * 2_000_000})
    write(tmp_path / "small" / "metrics.json")
    found = outcomes(tmp_path, max_file_mb=1)
    assert found["small/metrics.json"][0] == "ingested"
    assert found["big/metrics.json"] == (
        "rejected",
        "file is 2.0 MB, over the 1 MB limit (raise max_file_mb on the source to read it)",
    )


def test_declared_path_pattern_names_fields(tmp_path: Path) -> None:
    data = {"eval_accuracy": 0.7, "variant": "fft"}
    write(tmp_path / "runs" / "rte-bert" / "seed7" / "metrics.json", data)
    write(tmp_path / "misc" / "metrics.json", data)
    source = MetricsJsonSource(
        type="metrics-json", path=tmp_path, path_pattern="runs/{task}-{family}/seed{seed}/metrics.json"
    )
    load = load_metrics_json(source, "1:metrics-json")
    (run,) = load.runs
    assert run.fields == {"task": "rte", "family": "bert", "seed": "7", "variant": "fft"}
    rejected = {f.source_file: f.reason for f in load.files if f.outcome == "rejected"}
    assert rejected == {
        "misc/metrics.json": "path does not match path_pattern 'runs/{task}-{family}/seed{seed}/metrics.json'"
    }


@pytest.mark.parametrize(
    ("pattern", "path", "fields"),
    [
        (
            "**/task_{task}_{family}_{seed}/metrics.json",
            "a/b/task_rte_bert_42/metrics.json",
            {"task": "rte", "family": "bert", "seed": "42"},
        ),
        ("{variant}/*/{peft}.json", "lora/x/dora.json", {"variant": "lora", "peft": "dora"}),
        ("{variant}/*/{peft}.json", "lora/x/y/dora.json", None),
    ],
)
def test_path_pattern_syntax(pattern: str, path: str, fields: dict[str, str] | None) -> None:
    found = path_regex(pattern).match(path)
    assert (found.groupdict() if found else None) == fields
