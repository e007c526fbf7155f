"""Hugging Face Trainer output folders (run_glue.py) as a source: the real KD-LoRA runs rewritten as run_glue writes
its results score exactly as the metrics.json build does, and the examples/run_glue report builds."""

from __future__ import annotations

import csv
import json
import os
import pickle
import statistics
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gen.config import load_config
from gen.report import Report, analyse
from tests.conftest import REAL_CONFIG, RESULTS, ROOT, build_site
from tests.sources.test_hf_trainer import Marker

EXAMPLE = ROOT / "examples" / "run_glue" / "report.yml"
LAYOUT = "{variant}/{peft}/{family}/{task}/r{rank}-a{alpha}-d{dropout}/seed{seed}/all_results.json"
# What run_glue.py calls the metrics the KD-LoRA files name otherwise.
RUN_GLUE_KEYS = {
    "matched_accuracy": "eval_accuracy",
    "mismatched_accuracy": "eval_accuracy_mm",
    "eval_spearman": "eval_spearmanr",
}


def write_json(path: Path, data: object) -> None:
    # Trainer.save_metrics writes sorted keys, four spaces; NaN as NaN (the KD-LoRA logs hold some).
    path.write_text(json.dumps(data, indent=4, sort_keys=True))


def as_run_glue(results: Path, out: Path, pickle_bytes: bytes) -> int:
    """Every KD-LoRA metrics.json under ``results`` as a run_glue output folder under ``out``; the number of runs.

    all_results.json holds the eval metrics (MNLI's mismatched ones suffixed ``_mm``) and the train metrics,
    eval_results.json the eval metrics alone, train_results.json the train metrics, trainer_state.json the log.
    """
    count = 0
    for folder, _, names in os.walk(results):
        if "metrics.json" not in names:
            continue
        data = json.loads((Path(folder) / "metrics.json").read_text())
        args = data["args"]
        dropout = args.get("lora_dropout", "none")
        run = out / data["variant"] / args["peft"] / args["model_family"] / args["task"]
        run = run / f"r{args['rank']}-a{args['lora_alpha']}-d{dropout}" / f"seed{args['seed']}"
        run.mkdir(parents=True)
        evals = {
            RUN_GLUE_KEYS.get(key, key): value
            for key, value in data.items()
            if key not in ("args", "train", "variant", "log_history")
        }
        summary = next((entry for entry in data["log_history"] if "train_runtime" in entry), {})
        train = {key: value for key, value in summary.items() if key.startswith("train_") or key == "total_flos"}
        train |= {"epoch": data["epoch"], "train_runtime": data["train"]["train_time"]}
        write_json(run / "all_results.json", train | evals)
        write_json(run / "eval_results.json", evals)
        write_json(run / "train_results.json", train)
        state = {"global_step": data["log_history"][-1]["step"], "log_history": data["log_history"]}
        (run / "trainer_state.json").write_text(json.dumps(state, indent=2))
        (run / "training_args.bin").write_bytes(pickle_bytes)
        count += 1
    return count


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report, Path, int]:
    """The report of the bundled metrics.json files, that of the same runs as run_glue folders, the folder of the
    latter and its number of runs."""
    root = tmp_path_factory.mktemp("run-glue")
    marker = root / "unpickled"
    runs = as_run_glue(RESULTS, root / "runs", pickle.dumps(Marker(marker)))
    bundled = yaml.safe_load(REAL_CONFIG.read_text())
    converted = {
        "title": "KD-LoRA as run_glue output",
        "score": bundled["score"],
        "sources": [
            {
                "type": "hf-trainer",
                "path": "runs",
                "path_pattern": LAYOUT,
                # base_32_2e-05_0.01 in every KD-LoRA path: the same for every run.
                "fields": {"batch": 32, "lr": "2e-05", "weight_decay": 0.01},
            }
        ],
        "strategies": bundled["strategies"],
        "models": bundled["models"],
    }
    config = root / "report.yml"
    config.write_text(yaml.safe_dump(converted))
    report = analyse(load_config(config))
    assert not marker.exists(), "a training_args.bin was unpickled"
    return analyse(load_config(REAL_CONFIG)), report, root / "runs", runs


def test_every_suite_score_equals_the_metrics_json_build(reports: tuple[Report, Report, Path, int]) -> None:
    metrics_json, run_glue, _, _ = reports
    keys = ["family", "strategy"]
    expected = metrics_json.glue.set_index(keys).sort_index()
    got = run_glue.glue.set_index(keys).sort_index()
    assert list(got.index) == list(expected.index)
    assert len(got) == 9
    for key, row in expected.iterrows():
        assert got.loc[key, "glue_score"] == pytest.approx(row["glue_score"], abs=1e-12), key
        assert got.loc[key, "n_columns"] == row["n_columns"], key
        assert got.loc[key, "complete"] == row["complete"], key


def test_every_cell_matches_run_for_run(reports: tuple[Report, Report, Path, int]) -> None:
    metrics_json, run_glue, _, _ = reports
    keys = ["family", "strategy", "column"]
    expected = metrics_json.cells.set_index(keys).sort_index()
    got = run_glue.cells.set_index(keys).sort_index()
    assert list(got.index) == list(expected.index)
    assert (got["n_runs"] == expected["n_runs"]).all()
    assert ((got["mean"] - expected["mean"]).abs() <= 1e-12).all()


def test_training_curves_come_from_trainer_state_unchanged(reports: tuple[Report, Report, Path, int]) -> None:
    metrics_json, run_glue, _, _ = reports
    columns = ["family", "strategy", "task", "seed", "series", "step", "value"]

    def points(report: Report) -> pd.DataFrame:
        curves = report.runs.curves[columns].astype({c: str for c in columns[:5]})
        return curves.sort_values(columns).reset_index(drop=True)

    assert len(run_glue.runs.curves) > 60_000
    pd.testing.assert_frame_equal(points(run_glue), points(metrics_json))


def test_every_file_of_every_run_folder_is_accounted_for(reports: tuple[Report, Report, Path, int]) -> None:
    _, run_glue, folder, runs = reports
    files = run_glue.runs.files
    assert runs == 2941
    assert len(files) == sum(len(names) for _, _, names in os.walk(folder)) == 5 * runs
    names = files["source_file"].str.rsplit("/", n=1).str[1]
    outcome = files.groupby(names)["outcome"].agg(lambda o: "+".join(sorted(set(o))))
    assert outcome.to_dict() == {
        "all_results.json": "ingested",
        "eval_results.json": "ignored",
        "train_results.json": "ingested",
        "trainer_state.json": "ingested",
        "training_args.bin": "ignored",
    }
    assert files["runs"].sum() == runs
    assert run_glue.runs.rejected_runs.empty


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_run_glue_example_builds_and_scores_as_its_files_say(tmp_path: Path) -> None:
    result = build_site(tmp_path / "site", EXAMPLE)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    downloads = tmp_path / "site" / "downloads"
    # The primary convention, computed here from the files with the json module.
    strategies = {"fft": "FFT", "lora": "LoRA"}
    scores: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    results = EXAMPLE.parent / "results"
    for path in sorted(results.rglob("all_results.json")):
        variant, family, task, _ = path.relative_to(results).parts[:4]
        data = json.loads(path.read_text())
        cell = scores[(family, strategies[variant])]
        if task == "mnli":
            cell["mnli_m"].append(data["eval_accuracy"])
            cell["mnli_mm"].append(data["eval_accuracy_mm"])
        else:
            key = {"cola": "eval_matthews_correlation", "stsb": "eval_pearson"}.get(task, "eval_accuracy")
            cell[task].append(data[key])
    rows = read_csv(downloads / "glue_table.csv")
    assert {(row["family"], row["strategy"]) for row in rows} == set(scores) == {("bert", "FFT"), ("bert", "LoRA")}
    for row in rows:
        columns = scores[(row["family"], row["strategy"])]
        assert len(columns) == 6
        for column, values in columns.items():
            assert len(values) == 2
            assert float(row[column]) == pytest.approx(statistics.fmean(values), rel=1e-12)
        suite = statistics.fmean(statistics.fmean(values) for values in columns.values())
        assert float(row["glue_score"]) == pytest.approx(suite, rel=1e-12)
    files = read_csv(downloads / "files.csv")
    assert len(files) == sum(1 for path in results.rglob("*") if path.is_file()) == 80
    counts = defaultdict(int)
    for row in files:
        counts[(row["source_file"].rsplit("/", 1)[1], row["outcome"], row["runs"])] += 1
    assert counts == {
        ("all_results.json", "ingested", "1"): 20,
        ("train_results.json", "ingested", "0"): 20,
        ("trainer_state.json", "ingested", "0"): 20,
        ("eval_results.json", "ignored", "0"): 20,
    }
