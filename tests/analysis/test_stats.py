"""Statistics against independent computations: intervals, Holm's correction, paired tests."""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest
from scipy import stats

from gen.analysis.scores import task_scores
from gen.analysis.stats import cell_stats, holm, holm_corrected, paired_comparisons, seed_variability
from tests.helpers import run, table_of

FFT = [0.70, 0.72, 0.74, 0.71, 0.73, 0.75, 0.69]
LORA = [0.66, 0.69, 0.70, 0.68, 0.71, 0.70, 0.64]
RUNS = [run("bert", "FFT", "rte", seed, accuracy=v) for seed, v in enumerate(FFT)] + [
    run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate(LORA)
]


@pytest.fixture
def scores() -> pd.DataFrame:
    return task_scores(table_of(RUNS), "primary")


def test_confidence_interval_is_students_t(scores: pd.DataFrame) -> None:
    cells = cell_stats(scores).set_index("strategy")
    low, high = stats.t.interval(0.95, len(FFT) - 1, loc=statistics.mean(FFT), scale=stats.sem(FFT))
    assert cells.loc["FFT", "ci_low"] == pytest.approx(low)
    assert cells.loc["FFT", "ci_high"] == pytest.approx(high)
    single = cell_stats(task_scores(table_of(RUNS[:1]), "primary"))
    assert single["ci_low"].isna().all()


def test_seed_variability_reports_std_and_cv(scores: pd.DataFrame) -> None:
    (row,) = seed_variability(scores).to_dict("records")
    stds = [statistics.stdev(FFT), statistics.stdev(LORA)]
    assert row["mean_std"] == pytest.approx(statistics.mean(stds))
    cvs = [statistics.stdev(v) / statistics.mean(v) for v in (FFT, LORA)]
    assert row["mean_cv"] == pytest.approx(statistics.mean(cvs))


def test_seed_variability_stays_within_one_configuration(scores: pd.DataFrame) -> None:
    """Two ranks in one cell: the spread between ranks is not seed variability."""
    fft = scores["strategy"] == "FFT"
    ranks = ["r8" if i % 2 else "r16" for i in range(int(fft.sum()))]
    shifted = scores.copy()
    shifted.loc[fft, "configuration"] = ranks
    shifted.loc[fft, "score"] += [0.2 if r == "r16" else 0.0 for r in ranks]
    shifted["configuration"] = shifted["configuration"].fillna("")
    (row,) = seed_variability(shifted).to_dict("records")
    groups = [[v for v, r in zip(FFT, ranks, strict=True) if r == rank] for rank in ("r8", "r16")]
    stds = [statistics.stdev(groups[0]), statistics.stdev(groups[1]), statistics.stdev(LORA)]
    assert row["cells"] == 3
    assert row["mean_std"] == pytest.approx(statistics.mean(stds))


def test_holm_matches_its_definition() -> None:
    p = [0.01, 0.04, 0.03, math.nan, 0.5]
    # sorted: 0.01*4, 0.03*3, 0.04*2, 0.5*1 with running maximum
    assert holm(p)[:3] == pytest.approx([0.04, 0.09, 0.09])
    assert math.isnan(holm(p)[3]) and holm(p)[4] == pytest.approx(0.5)


def test_paired_comparison_is_wilcoxon_on_seed_pairs(scores: pd.DataFrame) -> None:
    table = holm_corrected(paired_comparisons(scores, ["FFT", "LoRA"]))
    row = table[table["family"] == "bert"].iloc[0]
    differences = [b - a for a, b in zip(FFT, LORA, strict=True)]
    assert row["n_pairs"] == 7 and row["test"] == "Wilcoxon signed-rank"
    assert row["p_value"] == pytest.approx(stats.wilcoxon(differences).pvalue)
    assert row["effect_size_dz"] == pytest.approx(statistics.mean(differences) / statistics.stdev(differences))
    # Two rows (bert, all families) are corrected together.
    assert row["p_holm"] == pytest.approx(min(1.0, 2 * row["p_value"]))
    assert bool(row["significant"]) == (row["p_holm"] < 0.05)


def test_no_test_on_fewer_than_two_pairs() -> None:
    few = task_scores(
        table_of([run("bert", "FFT", "rte", 1, accuracy=0.7), run("bert", "LoRA", "rte", 1, accuracy=0.6)]), "primary"
    )
    row = holm_corrected(paired_comparisons(few, ["FFT", "LoRA"])).iloc[0]
    assert row["test"] == "too few runs" and math.isnan(row["p_value"]) and not row["significant"]


def test_small_samples_use_the_paired_t_test() -> None:
    rows = [
        run("bert", s, "rte", seed, accuracy=v)
        for s, values in (("FFT", [0.7, 0.72, 0.75]), ("LoRA", [0.6, 0.63, 0.64]))
        for seed, v in enumerate(values)
    ]
    row = paired_comparisons(task_scores(table_of(rows), "primary"), ["FFT", "LoRA"]).iloc[0]
    assert row["test"] == "paired t"
    assert row["p_value"] == pytest.approx(stats.ttest_rel([0.6, 0.63, 0.64], [0.7, 0.72, 0.75]).pvalue)
