"""Coverage, reproduction and findings on hand-made frames, against hand counts."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from gen.analysis.coverage import completion_rate, coverage
from gen.analysis.findings import findings
from gen.analysis.reproduction import reproduction, reproduction_averages


def test_grid_expects_every_family_task_and_seed() -> None:
    runs = pd.DataFrame(
        [("A", "bert", "rte", "1"), ("A", "bert", "rte", "2"), ("A", "bert", "cola", "1"), ("B", "gpt", "rte", "1")],
        columns=["configuration", "family", "task", "seed"],
    )
    cells, missing = coverage(runs)
    # 2 configurations x 2 families x 2 tasks x 2 seeds = 16 expected, 4 present.
    assert int(cells["expected"].sum()) == 16 and int(cells["present"].sum()) == 4
    assert completion_rate(cells) == pytest.approx(4 / 16)
    assert len(missing) == 12
    assert ("A", "bert", "cola", "2") in set(map(tuple, missing.to_numpy()))


def test_reproduction_delta_and_interval() -> None:
    ours = pd.DataFrame(
        {
            "family": "bert",
            "strategy": "FFT",
            "column": ["rte", "cola"],
            "column_rank": [8, 0],
            "n_runs": [5, 1],
            "mean": [0.70, 0.60],
            "ci_low": [0.68, float("nan")],
            "ci_high": [0.72, float("nan")],
        }
    )
    published = pd.DataFrame({"family": "bert", "strategy": "FFT", "column": ["rte", "cola"], "mean": [0.716, 0.58]})
    table = reproduction(ours, published).set_index("column")
    assert table.loc["rte", "delta_points"] == pytest.approx(-1.6)
    assert bool(table.loc["rte", "inside_ci"]) and not bool(table.loc["cola", "inside_ci"])
    (average,) = reproduction_averages(table.reset_index()).to_dict("records")
    assert average["published"] == pytest.approx(statistics.mean([0.716, 0.58]))
    assert average["inside"] == 1


def test_findings_from_cells() -> None:
    rows = [
        ("bert", "FFT", "rte", 0.80),
        ("bert", "LoRA", "rte", 0.75),
        ("bert", "KD-LoRA", "rte", 0.74),
        ("bert", "FFT", "cola", 0.60),
        ("bert", "LoRA", "cola", 0.59),
        ("bert", "KD-LoRA", "cola", 0.61),
    ]
    cells = pd.DataFrame(rows, columns=["family", "strategy", "column", "mean"])
    glue = pd.DataFrame(
        {
            "family": "bert",
            "strategy": ["FFT", "LoRA", "KD-LoRA"],
            "model": ["B", "B", "D"],
            "glue_score": [0.70, 0.67, 0.675],
            "complete": True,
        }
    )
    found = findings(glue, cells, ["FFT", "LoRA", "KD-LoRA"])
    by = {(r["finding"], r["subject"]): r for r in found.to_dict("records")}
    assert by[("best", "B (bert, FFT)")]["value"] == 0.70
    # Differences are to − from in points: KD-LoRA − LoRA is +2 on CoLA (changes least), −1 on RTE.
    assert by[("most_robust", "cola")]["value"] == pytest.approx(2.0)
    assert by[("least_robust", "rte")]["value"] == pytest.approx(-1.0)
    assert by[("trails", "bert rte")]["value"] == pytest.approx(-5.0) and ("trails", "bert cola") not in by
    assert [by[("trails", "bert rte")][k] for k in ("test_family", "test_from", "test_to", "test_task")] == [
        "bert", "FFT", "LoRA", "rte"
    ]  # fmt: skip
    surprises = {(r["subject"], r["detail"]) for r in found.to_dict("records") if r["finding"] == "surprise"}
    assert surprises == {("bert cola", "LoRA → KD-LoRA"), ("bert cola", "FFT → KD-LoRA")}
    assert by[("retained", "KD-LoRA of LoRA")]["value"] == pytest.approx((0.74 + 0.61) / (0.75 + 0.59))
