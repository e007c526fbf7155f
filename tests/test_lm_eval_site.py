"""lm-evaluation-harness results end to end: the example builds a site named after its declared suite, whose score
equals a plain-Python computation from the JSON files, with each single run's reported standard error shown; a
suite that declares a group beside its subtasks is refused."""

from __future__ import annotations

import html
import json
import re
import statistics
from pathlib import Path

import pytest

from gen.config import load_config
from gen.config.base import ConfigError
from gen.report import analyse
from tests.conftest import ROOT, build_site
from tests.test_real_data import read_csv

EXAMPLE = ROOT / "examples" / "lm-eval"


def test_the_lm_eval_example_builds_with_its_suite_and_score(tmp_path: Path) -> None:
    result = build_site(tmp_path / "site", EXAMPLE / "report.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    metric = {"arc_easy": "acc_norm,none", "arc_challenge": "acc_norm,none", "hellaswag": "acc_norm,none"}
    metric["boolq"] = "acc,none"
    expected = {}
    for path in sorted((EXAMPLE / "results").rglob("results*.json")):
        data = json.loads(path.read_text())
        model = data["model_name"] if "model_name" in data else data["config"]["model_args"].split("pretrained=")[1]
        expected[model.split(",")[0]] = statistics.fmean(data["results"][t][m] for t, m in metric.items())
    combined = read_csv(site / "downloads" / "combined.csv")
    assert len(combined) == len(expected) == 2
    for row in combined:
        assert float(row["score"]) == pytest.approx(expected[row["family"]], abs=1e-12)
    pages = [p.read_text() for p in site.rglob("*.html")]
    assert not any(re.search("GLUE", text) for text in pages)
    accuracy = html.unescape((site / "accuracy.html").read_text())
    assert "Zero-shot suite score" in accuracy
    # One run per cell: the spread shown is the standard error lm-eval reported for that run.
    first = json.loads(next((EXAMPLE / "results").rglob("results*.json")).read_text())
    assert f"± {first['results']['boolq']['acc_stderr,none']:.4f} SE" in accuracy


def write_mmlu(folder: Path) -> None:
    """A results file with a group (mmlu) and its two subtasks, as lm-eval writes them."""
    results = {
        "mmlu": {"alias": "mmlu", "acc,none": 0.30, "acc_stderr,none": 0.004},
        "mmlu_anatomy": {"alias": " - anatomy", "acc,none": 0.25, "acc_stderr,none": 0.03},
        "mmlu_astronomy": {"alias": " - astronomy", "acc,none": 0.35, "acc_stderr,none": 0.03},
    }
    data = {
        "results": results,
        "groups": {"mmlu": results["mmlu"]},
        "group_subtasks": {"mmlu": ["mmlu_anatomy", "mmlu_astronomy"]},
        "n-shot": {"mmlu_anatomy": 0, "mmlu_astronomy": 0},
        "config": {"model_args": "pretrained=org/model", "random_seed": 0},
    }
    (folder / "results").mkdir()
    (folder / "results" / "results_1.json").write_text(json.dumps(data))


CONFIG = """
benchmark:
  name: MMLU
  tasks:
{tasks}
sources:
  - {{type: lm-eval, path: results}}
strategies:
  - {{name: Zero-shot, match: {{filter: none}}}}
"""


def test_a_group_and_its_subtasks_in_one_suite_are_refused(tmp_path: Path) -> None:
    write_mmlu(tmp_path)
    tasks = "\n".join(f"    - {{name: {t}, metrics: [acc]}}" for t in ("mmlu", "mmlu_anatomy", "mmlu_astronomy"))
    (tmp_path / "report.yml").write_text(CONFIG.format(tasks=tasks))
    with pytest.raises(ConfigError, match=r"'mmlu_anatomy' is a subtask of group 'mmlu'.*not both"):
        analyse(load_config(tmp_path / "report.yml"))


def test_the_subtasks_alone_score_once_each(tmp_path: Path) -> None:
    write_mmlu(tmp_path)
    tasks = "\n".join(f"    - {{name: {t}, metrics: [acc]}}" for t in ("mmlu_anatomy", "mmlu_astronomy"))
    (tmp_path / "report.yml").write_text(CONFIG.format(tasks=tasks))
    report = analyse(load_config(tmp_path / "report.yml"))
    (score,) = report.glue["glue_score"].tolist()
    assert score == pytest.approx((0.25 + 0.35) / 2)
