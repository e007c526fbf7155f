"""Statistics against independent computations: intervals, Holm's correction, paired tests."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest
from scipy import stats

from gen.analysis.scores import score_cells, task_scores
from gen.analysis.stats import cell_stats, holm, holm_corrected, paired_comparisons, seed_variability
from gen.benchmarks import preset
from tests.conftest import ROOT
from tests.helpers import run, table_of

FFT = [0.70, 0.72, 0.74, 0.71, 0.73, 0.75, 0.69]
LORA = [0.66, 0.69, 0.70, 0.68, 0.71, 0.70, 0.64]
RUNS = [run("bert", "FFT", "rte", seed, accuracy=v) for seed, v in enumerate(FFT)] + [
    run("bert", "LoRA", "rte", seed, accuracy=v) for seed, v in enumerate(LORA)
]


@pytest.fixture
def scores() -> pd.DataFrame:
    return task_scores(table_of(RUNS), preset("glue", "primary"))


def test_confidence_interval_is_students_t(scores: pd.DataFrame) -> None:
    cells = cell_stats(scores).set_index("strategy")
    low, high = stats.t.interval(0.95, len(FFT) - 1, loc=statistics.mean(FFT), scale=stats.sem(FFT))
    assert cells.loc["FFT", "ci_low"] == pytest.approx(low)
    assert cells.loc["FFT", "ci_high"] == pytest.approx(high)
    single = cell_stats(task_scores(table_of(RUNS[:1]), preset("glue", "primary")))
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


def compare(scores: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    return holm_corrected(paired_comparisons(scores, score_cells(scores), strategies, "GLUE"))


def test_paired_comparison_is_wilcoxon_on_seed_pairs(scores: pd.DataFrame) -> None:
    table = compare(scores, ["FFT", "LoRA"])
    row = table[(table["family"] == "bert") & (table["task"] == "rte")].iloc[0]
    differences = [b - a for a, b in zip(FFT, LORA, strict=True)]
    assert (row["unit"], row["n"], row["test"]) == ("seed", 7, "Wilcoxon signed-rank")
    assert row["p"] == pytest.approx(stats.wilcoxon(differences).pvalue)
    assert row["difference_points"] == pytest.approx(100 * (statistics.mean(LORA) - statistics.mean(FFT)))
    assert row["effect_size_dz"] == pytest.approx(statistics.mean(differences) / statistics.stdev(differences))
    # One family, one task: the task row and the suite row (the same seeds) are corrected together.
    assert list(table["task"]) == ["rte", "GLUE"]
    assert row["p_holm"] == pytest.approx(min(1.0, 2 * row["p"]))
    assert bool(row["significant"]) == (row["p_holm"] < 0.05)


def test_no_test_on_fewer_than_two_pairs_or_without_seeds() -> None:
    few = task_scores(
        table_of([run("bert", "FFT", "rte", 1, accuracy=0.7), run("bert", "LoRA", "rte", 1, accuracy=0.6)]),
        preset("glue", "primary"),
    )
    row = compare(few, ["FFT", "LoRA"]).iloc[0]
    assert row["test"] == "too few pairs" and row["n"] == 1 and math.isnan(row["p"]) and not row["significant"]
    published = few.assign(seed="")
    row = compare(published, ["FFT", "LoRA"]).iloc[0]
    assert (row["test"], row["n"]) == ("no seeds", 0) and row["difference_points"] == pytest.approx(-10.0)


def test_small_samples_use_the_paired_t_test() -> None:
    rows = [
        run("bert", s, "rte", seed, accuracy=v)
        for s, values in (("FFT", [0.7, 0.72, 0.75]), ("LoRA", [0.6, 0.63, 0.64]))
        for seed, v in enumerate(values)
    ]
    row = compare(task_scores(table_of(rows), preset("glue", "primary")), ["FFT", "LoRA"]).iloc[0]
    assert row["test"] == "paired t"
    assert row["p"] == pytest.approx(stats.ttest_rel([0.6, 0.63, 0.64], [0.7, 0.72, 0.75]).pvalue)


def test_tasks_families_and_seeds_are_never_pooled_as_pairs() -> None:
    """Two families, two tasks (MNLI in two columns), five seeds: no row has more pairs than seeds (or families)."""
    rows = []
    for family, shift in (("bert", 0.0), ("roberta", 0.02)):
        for seed in range(5):
            for strategy, gap in (("FFT", 0.0), ("LoRA", -0.03 - 0.002 * seed)):
                base = 0.8 + shift + gap + 0.001 * seed
                rows.append(run(family, strategy, "rte", seed, accuracy=base - 0.1))
                rows.append(run(family, strategy, "mnli", seed, matched_accuracy=base, mismatched_accuracy=base + 0.01))
    # A second run of seed 0 for bert FFT RTE: averaged with the first, not a sixth pair.
    rows.append(replace(run("bert", "FFT", "rte", 0, accuracy=0.72), source_file="rerun.json"))
    scores = task_scores(table_of(rows), preset("glue", "primary"))
    table = compare(scores, ["FFT", "LoRA"])
    assert set(table["task"]) == {"rte", "mnli", "GLUE"}  # MNLI once, not as mnli_m and mnli_mm
    seeds = table[table["unit"] == "seed"]
    assert len(seeds) == 6 and set(seeds["n"]) == {5}
    (over_families,) = table[table["family"] == "all families"].to_dict("records")
    assert (over_families["unit"], over_families["n"]) == ("family", 2)
    # The suite test pairs each seed's suite score (mean over the columns rte, mnli_m, mnli_mm).
    bert = scores[scores["family"] == "bert"]
    per_seed = bert.groupby(["strategy", "seed", "column"])["score"].mean().groupby(["strategy", "seed"]).mean()
    expected = [per_seed[("LoRA", str(seed))] - per_seed[("FFT", str(seed))] for seed in range(5)]
    (suite,) = table[(table["family"] == "bert") & (table["task"] == "GLUE")].to_dict("records")
    assert suite["p"] == pytest.approx(stats.ttest_1samp(expected, 0.0).pvalue)


# In a fresh interpreter (this one has scipy.stats already): intervals and paired t-tests need scipy.special only.
LAZY_STATS = """
import sys
import numpy as np
from gen.analysis.stats import cell_stats, paired_test
from tests.helpers import run, table_of
from gen.analysis.scores import task_scores
from gen.benchmarks import preset
runs = [run("bert", "FFT", "rte", seed, accuracy=0.7 + seed / 100) for seed in range(5)]
cell_stats(task_scores(table_of(runs), preset("glue", "primary")))
paired_test(np.array([0.01, 0.02, -0.01, 0.03, 0.02]))
print("scipy.stats" in sys.modules)
paired_test(np.array([0.01, 0.02, -0.01, 0.03, 0.02, 0.04]))  # six pairs: Wilcoxon
print("scipy.stats" in sys.modules)
"""


def test_scipy_stats_is_imported_only_for_a_wilcoxon_test() -> None:
    """scipy.stats costs a build 0.4 s to import; intervals and paired t-tests do without it."""
    done = subprocess.run([sys.executable, "-c", LAZY_STATS], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
