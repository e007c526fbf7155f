"""PEFT variants and the rank sweep on hand-made runs, against sums done by hand."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from gen.analysis.variants import (
    at_shared_ranks,
    best_per_task,
    by_task,
    method_cells,
    method_health,
    method_ranking,
    method_scores,
    rank_sweep,
)
from gen.benchmarks import preset
from gen.config import VariantsConfig
from gen.runs import build_runs
from gen.sources.base import FileOutcome, RunRecord
from tests.helpers import config

VARIANTS = VariantsConfig(
    baseline={"variant": "fft"}, groups={"teacher": {"variant": "lora"}, "student": {"variant": "kd-lora"}}
)


def record(variant: str, peft: str, rank: int, task: str, seed: int, score: float, params: float) -> RunRecord:
    metric = "matthews_correlation" if task == "cola" else "accuracy"
    fields = {"family": "bert", "variant": variant, "peft": peft, "rank": str(rank), "task": task, "seed": str(seed)}
    name = f"{variant}/{peft}/{rank}/{task}/{seed}"
    return RunRecord("1:t", name, "", fields, {metric: score, "params_m": params})


RECORDS = [
    record("fft", "none", 0, "rte", 1, 0.80, 110),
    record("fft", "none", 0, "cola", 1, 0.60, 110),
    record("lora", "lora", 8, "rte", 1, 0.76, 0.3),
    record("lora", "lora", 8, "rte", 2, 0.74, 0.3),
    record("lora", "lora", 8, "cola", 1, 0.58, 0.3),
    record("lora", "lora", 16, "rte", 1, 0.78, 0.6),
    record("lora", "lora", 16, "cola", 1, 0.59, 0.6),
    record("lora", "dora", 8, "rte", 1, 0.79, 0.35),
    record("lora", "dora", 8, "cola", 1, 0.52, 0.35),
    record("kd-lora", "lora", 8, "rte", 1, 0.70, 0.7),
]


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    # No strategy rule matches these runs: the variants analysis reads every valid run, matched or not.
    cfg = config(strategies=("unused",))
    runs = build_runs(RECORDS, [FileOutcome("1:t", r.source_file, "ingested", runs=1) for r in RECORDS], cfg)
    return method_scores(runs.all_table, VARIANTS, preset("glue", "primary"))


def test_cells_compare_with_fft(scores: pd.DataFrame) -> None:
    cells = method_cells(scores).set_index(["group", "method", "column"])
    lora_rte = statistics.mean([0.76, 0.74, 0.78])
    assert cells.loc[("teacher", "lora", "rte"), "mean"] == pytest.approx(lora_rte)
    assert cells.loc[("teacher", "lora", "rte"), "pct_of_baseline"] == pytest.approx(lora_rte / 0.80)
    assert cells.loc[("teacher", "dora", "cola"), "difference_points"] == pytest.approx(100 * (0.52 - 0.60))
    assert cells.loc[("student", "lora", "rte"), "n_runs"] == 1
    assert "baseline" not in cells.index.get_level_values("group")


def test_ranking_and_best_per_task_keep_groups_apart(scores: pd.DataFrame) -> None:
    cells = method_cells(scores)
    ranking = method_ranking(cells).set_index(["group", "method"])
    lora = statistics.mean([statistics.mean([0.76, 0.74, 0.78]), statistics.mean([0.58, 0.59])])
    dora = statistics.mean([0.79, 0.52])
    assert ranking.loc[("teacher", "lora"), "average"] == pytest.approx(lora)
    assert ranking.loc[("teacher", "dora"), "average"] == pytest.approx(dora)
    assert ranking.loc[("teacher", "lora"), "rank"] == 1 and ranking.loc[("teacher", "dora"), "rank"] == 2
    assert ranking.loc[("student", "lora"), "average"] == pytest.approx(0.70)
    best = best_per_task(cells).set_index(["group", "column"])
    assert best.loc[("teacher", "rte"), "best"] == "dora"
    assert best.loc[("teacher", "rte"), "lead"] == pytest.approx(0.79 - statistics.mean([0.76, 0.74, 0.78]))
    table = by_task(cells).set_index(["group", "column", "method"])
    assert table.loc[("teacher", "cola", "dora"), "pct_of_baseline"] == pytest.approx(0.52 / 0.60)


def test_rank_sweep_marginal_gain_per_million_parameters(scores: pd.DataFrame) -> None:
    sweep = rank_sweep(scores).set_index(["group", "method", "rank"])
    r8 = statistics.mean([statistics.mean([0.76, 0.74]), 0.58])
    r16 = statistics.mean([0.78, 0.59])
    assert sweep.loc[("teacher", "lora", 8), "score"] == pytest.approx(r8)
    assert sweep.loc[("teacher", "lora", 16), "marginal_score_per_m"] == pytest.approx((r16 - r8) / (0.6 - 0.3))
    # The student covers one task where the teacher's best-covered rank has two: flagged only within its group.
    assert bool(sweep.loc[("student", "lora", 8), "complete"])


def test_rank_sweep_counts_a_run_scored_on_two_columns_once() -> None:
    scores = pd.DataFrame(
        [
            ("teacher", "lora", "bert", 8, "mnli_m", "a", 0.84, 0.3),
            ("teacher", "lora", "bert", 8, "mnli_mm", "a", 0.85, 0.3),
            ("teacher", "lora", "bert", 8, "mnli_m", "b", 0.82, 0.3),
            ("teacher", "lora", "bert", 8, "mnli_mm", "b", 0.83, 0.3),
            ("teacher", "lora", "bert", 8, "rte", "c", 0.70, 0.3),
        ],
        columns=["group", "method", "family", "rank", "column", "run_id", "score", "params_m"],
    )
    (row,) = rank_sweep(scores).to_dict("records")
    assert row["n_runs"] == 3  # runs a, b and c
    matched, mismatched = statistics.mean([0.84, 0.82]), statistics.mean([0.85, 0.83])
    assert row["score"] == pytest.approx(statistics.mean([matched, mismatched, 0.70]))


def test_ranking_and_sweep_count_the_runs_that_are_not_healthy(scores: pd.DataFrame) -> None:
    collapsed = {"lora/lora/8/rte/2", "lora/dora/8/cola/1"}  # run ids are the record names
    flagged = scores.assign(unhealthy=scores["run_id"].isin(collapsed))
    health = method_health(flagged).set_index(["group", "method"])
    # Counted by hand from RECORDS: teacher LoRA has 5 runs (ranks 8 and 16), DoRA 2, the student 1.
    assert health.loc[("teacher", "lora")].tolist() == [5, 1]
    assert health.loc[("teacher", "dora")].tolist() == [2, 1]
    assert health.loc[("student", "lora")].tolist() == [1, 0]
    sweep = rank_sweep(flagged).set_index(["group", "method", "rank"])
    assert sweep.loc[("teacher", "lora", 8), ["n_runs", "n_unhealthy"]].tolist() == [3, 1]
    assert sweep.loc[("teacher", "lora", 16), ["n_runs", "n_unhealthy"]].tolist() == [2, 0]


def test_methods_are_ranked_at_the_ranks_they_all_have(scores: pd.DataFrame) -> None:
    shared = at_shared_ranks(scores)
    # Teacher: LoRA ran ranks 8 and 16, DoRA rank 8 only: LoRA's rank-16 runs leave the ranking. FFT stays.
    teacher = shared[shared["group"] == "teacher"]
    assert set(teacher["rank"]) == {8}
    assert len(shared[shared["group"] == "baseline"]) == len(scores[scores["group"] == "baseline"])
    ranking = method_ranking(method_cells(shared)).set_index(["group", "method"])
    lora = statistics.mean([statistics.mean([0.76, 0.74]), 0.58])
    assert ranking.loc[("teacher", "lora"), "average"] == pytest.approx(lora)
    assert ranking.loc[("teacher", "dora"), "average"] == pytest.approx(statistics.mean([0.79, 0.52]))
