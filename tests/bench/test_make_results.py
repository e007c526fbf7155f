"""bench/make_results.py: synthetic runs checked against the real files, both read here with json and pandas."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gen.sources.metrics_json import read_run
from tests.conftest import RESULTS, ROOT

SCRIPT = ROOT / "bench" / "make_results.py"
N = 600
SEED = 11
LAYOUT = re.compile(r"^([^/]+)/task_([^_]+)_([^_]+)_(\d+)/(base_[^/]+)/(peft_[^/]+)/metrics\.json$")
RANGES = {
    "eval_accuracy": (0, 1),
    "eval_f1": (0, 1),
    "matched_accuracy": (0, 1),
    "mismatched_accuracy": (0, 1),
    "eval_matthews_correlation": (-1, 1),
    "eval_pearson": (-1, 1),
    "eval_spearman": (-1, 1),
}


def primary(task: str, data: dict[str, Any]) -> float:
    """The task's headline metric (MNLI: matched accuracy), written out independently of the generator."""
    key = {"cola": "eval_matthews_correlation", "stsb": "eval_pearson", "mnli": "matched_accuracy"}
    return float(data[key.get(task, "eval_accuracy")])


def make(n: int, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run the generator's command line."""
    command = [sys.executable, str(SCRIPT), str(n), str(out), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def generated(n: int, out: Path, source: Path, *options: str) -> Path:
    result = make(n, out, "--source", str(source), *options)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"wrote {n:,} files, [\d,.]+ MB in [\d.]+ s to .*\n", result.stdout), result.stdout
    return out


def files(root: Path) -> dict[str, bytes]:
    """Relative path → bytes of every metrics.json under root."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("metrics.json"))}


def table(root: Path) -> pd.DataFrame:
    """One row per run: identity, mix, primary metric, shapes, and the parsed file in ``data``."""
    rows = []
    for relative, raw in files(root).items():
        data = json.loads(raw)
        args, train, history = data["args"], data["train"], data["log_history"]
        rows.append(
            {
                "path": relative,
                "variant": data["variant"],
                "task": args["task"],
                "family": args["model_family"],
                "peft": args["peft"],
                "rank": args["rank"],
                "seed": args["seed"],
                "base": relative.split("/")[2],
                "peft_folder": relative.split("/")[3],
                "primary": primary(args["task"], data),
                "train_time": train["train_time"],
                "memory": max(train["memory_reserved"]),
                "top_keys": tuple(data),
                "args_keys": tuple(args),
                "train_keys": tuple(train),
                "memory_samples": len(train["memory_allocated"]),
                "log_length": len(history),
                "entry_keys": frozenset(tuple(entry) for entry in history),
                "data": data,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def source() -> Path:
    return RESULTS


@pytest.fixture(scope="module")
def real(source: Path) -> pd.DataFrame:
    return table(source)


@pytest.fixture(scope="module")
def out(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(N, tmp_path_factory.mktemp("synthetic") / "out", source, "--seed", str(SEED), "--workers", "2")


@pytest.fixture(scope="module")
def synthetic(out: Path) -> pd.DataFrame:
    runs = table(out)
    assert len(runs) == N
    return runs


def by(frame: pd.DataFrame, keys: list[str], column: str) -> dict[Any, set[Any]]:
    return frame.groupby(keys)[column].agg(set).to_dict()


def test_layout_and_key_sets_are_the_real_ones(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    top, entries = by(real, ["task"], "top_keys"), by(real, ["task"], "entry_keys")
    memory_samples = by(real, ["variant", "task"], "memory_samples")
    args_keys, train_keys = set(real["args_keys"]), set(real["train_keys"])
    folders = by(real, ["variant", "task", "family"], "base")
    peft_folders = by(real, ["variant", "task", "family"], "peft_folder")
    for run in synthetic.itertuples():
        found = LAYOUT.match(run.path)
        assert found, run.path
        assert found.groups()[:4] == (run.variant, run.task, run.family, str(run.seed))
        assert run.base in folders[(run.variant, run.task, run.family)]
        assert run.peft_folder in peft_folders[(run.variant, run.task, run.family)]
        assert run.top_keys in top[run.task]
        assert run.args_keys in args_keys
        assert run.train_keys in train_keys
        assert run.memory_samples in memory_samples[(run.variant, run.task)]
        # Every entry shape (loss, eval, summary) is one a real run of the task logs.
        assert run.entry_keys <= set().union(*entries[run.task])


def test_fewer_runs_than_real_are_real_configurations_with_real_seeds(source: Path, synthetic: pd.DataFrame) -> None:
    for run in synthetic.itertuples():
        template = json.loads((source / run.path).read_text())
        assert run.data["args"] == template["args"]
        assert run.data["train"]["trainable_params_count"] == template["train"]["trainable_params_count"]
        assert [list(entry) for entry in run.data["log_history"]] == [list(e) for e in template["log_history"]]
        assert run.data["epoch"] == template["epoch"]


def test_mix_is_the_real_one(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    for column in ["variant", "task", "family", "peft", "rank"]:
        expected = real[column].value_counts(normalize=True)
        found = synthetic[column].value_counts(normalize=True).reindex(expected.index, fill_value=0.0)
        assert set(synthetic[column]) <= set(expected.index)
        for value, share in expected.items():
            # A sample of N runs without replacement: four standard errors.
            tolerance = 4 * math.sqrt(share * (1 - share) / N * (1 - N / len(real)))
            assert abs(found[value] - share) <= tolerance + 1e-9, (column, value, found[value], share)


@pytest.mark.parametrize("metric", ["primary", "train_time", "memory"])
def test_means_per_variant_and_task_match_the_real_ones(
    real: pd.DataFrame, synthetic: pd.DataFrame, metric: str
) -> None:
    expected = real.groupby(["variant", "task"])[metric].agg(["mean", "std"])
    found = synthetic.groupby(["variant", "task"])[metric].agg(["mean", "count"])
    assert set(found.index) <= set(expected.index)
    checked = 0
    for group, row in found.iterrows():
        if row["count"] < 2:
            continue
        error = expected.loc[group, "std"] / math.sqrt(row["count"])
        assert abs(row["mean"] - expected.loc[group, "mean"]) <= 4 * error, (group, row["mean"], expected.loc[group])
        checked += 1
    assert checked >= 20


def test_values_stay_in_range_and_logs_agree_with_the_final_metrics(synthetic: pd.DataFrame) -> None:
    for data in synthetic["data"]:
        for key, (low, high) in RANGES.items():
            if key in data:
                assert low <= data[key] <= high, key
        train = data["train"]
        assert train["train_time"] > 0 and data["eval_runtime"] > 0 and data["eval_loss"] > 0
        assert min(train["memory_allocated"]) > 0
        assert max(train["memory_reserved"]) >= max(train["memory_allocated"])
        history = data["log_history"]
        kinds = ["summary" if "train_runtime" in e else "eval" if "eval_loss" in e else "loss" for e in history]
        summary = history[kinds.index("summary")]
        assert summary["train_runtime"] == train["train_time"]
        # The eval right after the summary is the final one the top level repeats (MNLI: matched, then mismatched).
        final = history[kinds.index("summary") + 1]
        for key in ("eval_loss", "eval_runtime", "eval_samples_per_second", *RANGES):
            if key in data and key in final:
                assert final[key] == data[key], key
        if "matched_accuracy" in data:
            assert final["eval_accuracy"] == data["matched_accuracy"]
            assert history[-1]["eval_accuracy"] == data["mismatched_accuracy"]
        for entry in history:
            for key, (low, high) in RANGES.items():
                if key in entry:
                    assert low <= entry[key] <= high
            assert entry.get("loss", 1) > 0


def test_log_lengths_are_real_lengths_of_the_task(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    lengths = by(real, ["variant", "task"], "log_length")
    for run in synthetic.itertuples():
        assert run.log_length in lengths[(run.variant, run.task)]


def test_reusing_templates_never_duplicates_a_run(source: Path, real: pd.DataFrame, tmp_path: Path) -> None:
    runs = table(generated(len(real) + 200, tmp_path / "out", source, "--workers", "2"))
    identity = ["variant", "task", "family", "seed", "base", "peft_folder"]
    assert len(runs) == len(real) + 200
    assert not runs.duplicated(identity).any()
    # One full pass over the real files first: exactly the real mix and seeds; reuses get new seeds.
    cells = ["variant", "task", "family", "peft", "rank", "seed"]
    first = runs[runs["seed"] < 10_000]
    assert first.groupby(cells).size().to_dict() == real.groupby(cells).size().to_dict()
    assert set(runs["seed"][runs["seed"] >= 10_000] % 10_000) <= set(real["seed"])


def test_same_seed_gives_the_same_bytes_whatever_the_workers(source: Path, out: Path, tmp_path: Path) -> None:
    again = files(generated(N, tmp_path / "again", source, "--seed", str(SEED), "--workers", "1"))
    assert again == files(out)


def test_another_seed_gives_other_runs(source: Path, out: Path, tmp_path: Path) -> None:
    other = files(generated(N, tmp_path / "other", source, "--seed", str(SEED + 1), "--workers", "1"))
    ours = files(out)
    assert set(other) != set(ours)
    assert all(other[path] != ours[path] for path in set(other) & set(ours))


def test_the_site_reader_accepts_every_run(out: Path) -> None:
    for relative, raw in files(out).items():
        (record,) = read_run(raw, relative)
        args = json.loads(raw)["args"]
        assert record.fields["task"] == args["task"]
        assert record.fields["family"] == args["model_family"]
        assert record.metrics["train_time_s"] > 0


def test_refuses_missing_source_and_non_empty_out(source: Path, tmp_path: Path) -> None:
    missing = make(3, tmp_path / "a", "--source", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr and "not found" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "a").exists()

    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    refused = make(3, full, "--source", str(source))
    assert refused.returncode == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert (full / "keep.txt").exists()

    generated(3, full, source, "--force")
    assert not (full / "keep.txt").exists()
    assert len(files(full)) == 3
