"""Coverage, reproduction and findings on hand-made frames, against hand counts."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from gen.analysis.coverage import completion_matrix, completion_rate, coverage
from gen.analysis.findings import findings, unhealthy_runs
from gen.analysis.reproduction import nearer_metrics, reproduction, reproduction_averages
from gen.benchmarks import preset

NONE_UNHEALTHY = pd.DataFrame(columns=["family", "strategy", "column", "run_id"])


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


def test_completion_matrix_has_a_row_per_configuration_and_family_and_a_column_per_task() -> None:
    runs = pd.DataFrame(
        [("A", "bert", "rte", "1"), ("A", "bert", "rte", "2"), ("A", "bert", "cola", "1"), ("B", "gpt", "rte", "1")],
        columns=["configuration", "family", "task", "seed"],
    )
    matrix = completion_matrix(coverage(runs)[0]).set_index(["configuration", "family"])
    assert list(matrix.index) == [("A", "bert"), ("A", "gpt"), ("B", "bert"), ("B", "gpt")]
    # Counted by hand: A·bert has both rte seeds and one cola seed of two; B·gpt one rte seed.
    assert matrix.loc[("A", "bert"), ["present:cola", "present:rte", "present", "expected"]].tolist() == [1, 2, 3, 4]
    assert matrix.loc[("A", "bert"), "share"] == pytest.approx(3 / 4)
    b_gpt = ["present:cola", "expected:cola", "present:rte", "present"]
    assert matrix.loc[("B", "gpt"), b_gpt].tolist() == [0, 2, 1, 1]
    assert matrix.loc[("A", "gpt"), "share"] == 0


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
    found = findings(glue, cells, ["FFT", "LoRA", "KD-LoRA"], preset("glue", "primary"), NONE_UNHEALTHY)
    by = {(r["finding"], r["from"], r["to"], r["subject"]): r for r in found.to_dict("records")}
    assert by[("best", "", "", "B (bert, FFT)")]["value"] == 0.70
    # Pairs: each strategy against the baseline, then against the one before it; differences to − from in points.
    assert list(dict.fromkeys((r["from"], r["to"]) for r in found.to_dict("records") if r["from"])) == [
        ("FFT", "LoRA"), ("FFT", "KD-LoRA"), ("LoRA", "KD-LoRA")
    ]  # fmt: skip
    assert by[("difference", "FFT", "LoRA", "GLUE")]["value"] == pytest.approx(((75 - 80) + (59 - 60)) / 2)
    assert by[("lower", "FFT", "LoRA", "bert rte")]["value"] == pytest.approx(-5.0)
    assert ("lower", "FFT", "LoRA", "bert cola") not in by  # −1 point: not more than 2 lower
    rte = by[("lower", "FFT", "LoRA", "bert rte")]
    assert [rte[k] for k in ("test_family", "test_from", "test_to", "test_task")] == ["bert", "FFT", "LoRA", "rte"]
    higher = {(r["from"], r["to"], r["subject"]) for r in found.to_dict("records") if r["finding"] == "higher"}
    assert higher == {("LoRA", "KD-LoRA", "bert cola"), ("FFT", "KD-LoRA", "bert cola")}
    # KD-LoRA − LoRA: +2 on CoLA, −1 on RTE: RTE changes least, CoLA most.
    assert by[("least_changed", "LoRA", "KD-LoRA", "rte")]["value"] == pytest.approx(1.0)  # a size: |−1|
    assert by[("most_changed", "LoRA", "KD-LoRA", "cola")]["value"] == pytest.approx(2.0)
    assert by[("retained", "LoRA", "KD-LoRA", "")]["value"] == pytest.approx((0.74 + 0.61) / (0.75 + 0.59))


def test_findings_with_one_or_six_strategies() -> None:
    names = ["A", "B", "C", "D", "E", "F"]
    cells = pd.DataFrame(
        [("bert", s, "rte", 0.8 - 0.01 * i) for i, s in enumerate(names)],
        columns=["family", "strategy", "column", "mean"],
    )
    glue = pd.DataFrame(
        {"family": "bert", "strategy": names, "model": "M", "glue_score": cells["mean"], "complete": True}
    )
    six = findings(glue, cells, names, preset("glue", "primary"), NONE_UNHEALTHY)
    pairs = list(dict.fromkeys((r["from"], r["to"]) for r in six.to_dict("records") if r["from"]))
    assert pairs == [("A", x) for x in names[1:]] + [("B", "C"), ("C", "D"), ("D", "E"), ("E", "F")]
    one = findings(glue.iloc[:1], cells.iloc[:1], ["A"], preset("glue", "primary"), NONE_UNHEALTHY)
    assert list(one["finding"]) == ["best"]


def test_findings_count_each_unhealthy_run_once() -> None:
    # One collapsed LoRA run scored on both MNLI columns, one FFT outlier on RTE, and a healthy run of each.
    scores = pd.DataFrame(
        [
            ("bert", "LoRA", "mnli_m", "L1", 0.35, "collapsed"),
            ("bert", "LoRA", "mnli_mm", "L1", 0.35, "collapsed"),
            ("bert", "LoRA", "mnli_m", "L2", 0.84, "healthy"),
            ("bert", "LoRA", "mnli_mm", "L2", 0.84, "healthy"),
            ("bert", "LoRA", "rte", "L3", 0.70, None),
            ("bert", "FFT", "mnli_m", "F1", 0.85, "healthy"),
            ("bert", "FFT", "mnli_mm", "F1", 0.85, "healthy"),
            ("bert", "FFT", "rte", "F2", 0.60, "outlier"),
        ],
        columns=["family", "strategy", "column", "run_id", "score", "verdict"],
    )
    cells = scores.groupby(["family", "strategy", "column"], as_index=False)["score"].mean()
    cells = cells.rename(columns={"score": "mean"})
    glue = pd.DataFrame(
        {"family": "bert", "strategy": ["FFT", "LoRA"], "model": "B", "glue_score": [0.77, 0.62], "complete": True}
    )
    found = findings(glue, cells, ["FFT", "LoRA"], preset("glue", "primary"), unhealthy_runs(scores))
    by = {(r["finding"], r["subject"]): r["unhealthy_runs"] for r in found.to_dict("records")}
    # Counted by hand: L1 once (not once per MNLI column) and F2; the MNLI-m cells hold L1 only; FFT alone holds F2.
    assert by[("difference", "GLUE")] == 2
    assert by[("retained", "")] == 2
    assert by[("lower", "bert mnli_m")] == 1
    assert by[("best", "B (bert, FFT)")] == 1


def test_published_figures_nearer_another_metric_are_named() -> None:
    rows = []
    for family, accuracy, f1 in (("bert", 0.84, 0.89), ("roberta", 0.88, 0.91), ("deberta", 0.89, 0.92)):
        rows += [(family, "mrpc", "accuracy", accuracy), (family, "mrpc", "f1", f1)]
        rows += [(family, "stsb", "pearson", 0.90), (family, "stsb", "spearman", 0.895)]
    table = pd.DataFrame(rows, columns=["family", "task", "metric", "value"]).assign(strategy="FFT")
    # MRPC published as F1 (1 point from ours) while the report scores accuracy (4, 3.5 and 3.5 points off);
    # STS-B's Pearson is 0.5 points off and Spearman 1: Pearson stays.
    published = pd.DataFrame(
        [
            ("bert", "mrpc", 0.88), ("roberta", "mrpc", 0.915), ("deberta", "mrpc", 0.925),
            ("bert", "stsb", 0.905), ("roberta", "stsb", 0.905), ("deberta", "stsb", 0.905),
        ],
        columns=["family", "column", "mean"],
    ).assign(strategy="FFT")  # fmt: skip
    (row,) = nearer_metrics(table, published, preset("glue", "primary")).to_dict("records")
    assert (row["column"], row["metric"], row["nearer_metric"], row["n_cells"]) == ("mrpc", "accuracy", "f1", 3)
    assert row["points"] == pytest.approx(statistics.median([4.0, 3.5, 3.5]))
    assert row["nearer_points"] == pytest.approx(statistics.median([1.0, 0.5, 0.5]))


def test_changes_of_opposite_sign_do_not_cancel() -> None:
    # RTE: +3 points on BERT, −3 on RoBERTa (mean 0, size 3); CoLA: −1 on both (size 1).
    rows = [
        ("bert", "A", "rte", 0.70), ("bert", "B", "rte", 0.73),
        ("roberta", "A", "rte", 0.70), ("roberta", "B", "rte", 0.67),
        ("bert", "A", "cola", 0.60), ("bert", "B", "cola", 0.59),
        ("roberta", "A", "cola", 0.60), ("roberta", "B", "cola", 0.59),
    ]  # fmt: skip
    cells = pd.DataFrame(rows, columns=["family", "strategy", "column", "mean"])
    glue = pd.DataFrame({"family": "bert", "strategy": ["A", "B"], "model": "M", "glue_score": 0.6, "complete": True})
    found = findings(glue, cells, ["A", "B"], preset("glue", "primary"), NONE_UNHEALTHY)
    by = {r["finding"]: r for r in found.to_dict("records")}
    assert (by["least_changed"]["subject"], by["most_changed"]["subject"]) == ("cola", "rte")
    assert by["most_changed"]["value"] == pytest.approx(3.0)
