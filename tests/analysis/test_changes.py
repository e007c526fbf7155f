"""Changes between versions on small frames; Welch's test recomputed from its formula."""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest
from scipy import stats

from gen.analysis.changes import cell_changes, run_changes, scores_from_runs_csv
from gen.benchmarks import preset


def scores(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """(run_id, column, score) rows for bert/FFT."""
    return pd.DataFrame(
        [(run, "bert", "FFT", column, score) for run, column, score in rows],
        columns=["run_id", "family", "strategy", "column", "score"],
    )


BEFORE = scores([("a", "rte", 0.70), ("b", "rte", 0.71), ("c", "rte", 0.69), ("d", "cola", 0.5), ("gone", "cola", 0.6)])
AFTER = scores([("a", "rte", 0.80), ("b", "rte", 0.81), ("c", "rte", 0.79), ("e", "rte", 0.82), ("d", "cola", 0.5)])


def welch_p(a: list[float], b: list[float]) -> float:
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    t = (statistics.fmean(b) - statistics.fmean(a)) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return 2 * float(stats.t.sf(abs(t), dof))


def test_runs_new_removed_and_changed() -> None:
    changes = run_changes(AFTER, BEFORE).set_index("run_id")
    assert changes["change"].to_dict() == {
        "e": "new",
        "gone": "removed",
        "a": "changed",
        "b": "changed",
        "c": "changed",
    }
    assert changes.loc["a", "detail"] == "rte: 0.7000 → 0.8000"


def test_cell_verdicts_use_welch() -> None:
    cells = cell_changes(AFTER, BEFORE).set_index("column")
    rte = cells.loc["rte"]
    assert rte["delta"] == pytest.approx(statistics.fmean([0.8, 0.81, 0.79, 0.82]) - 0.70)
    assert rte["p_value"] == pytest.approx(welch_p([0.70, 0.71, 0.69], [0.80, 0.81, 0.79, 0.82]))
    assert rte["verdict"] == "improvement"
    assert cells.loc["cola", "verdict"] == "too few runs"


def test_noise_is_not_called_a_change() -> None:
    before = scores([("a", "rte", 0.70), ("b", "rte", 0.75), ("c", "rte", 0.65)])
    after = scores([("a", "rte", 0.71), ("b", "rte", 0.74), ("c", "rte", 0.67)])
    (cell,) = cell_changes(after, before).to_dict("records")
    assert cell["p_value"] > 0.05 and cell["verdict"] == "within noise"


def test_scores_come_back_from_a_published_runs_csv() -> None:
    runs = pd.DataFrame(
        {
            "run_id": ["x", "y", "z"],
            "family": ["bert"] * 3,
            "strategy": ["FFT", "FFT", None],
            "task": ["mnli", "rte", "rte"],
            "matched_accuracy": [0.8, None, None],
            "mismatched_accuracy": [0.82, None, None],
            "accuracy": [None, 0.7, 0.6],
        }
    )
    found = scores_from_runs_csv(runs, preset("glue", "primary"))
    assert found[["run_id", "column", "score"]].values.tolist() == [
        ["x", "mnli_m", 0.8],
        ["x", "mnli_mm", 0.82],
        ["y", "rte", 0.7],
    ]
    assert scores_from_runs_csv(runs, preset("glue", "glue"))["score"].tolist() == pytest.approx([0.81, 0.7])
