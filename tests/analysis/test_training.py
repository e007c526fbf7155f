"""Training curves: bands over runs, downsampling that keeps the extremes, best step and time per epoch."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from gen.analysis.training import best_steps, checkpoint_choice, curve_bands, curve_series, downsample, drawable
from gen.benchmarks import preset
from gen.sources.base import InputError, NonFinite, curve_points
from gen.sources.metrics_json import read_run, trainer_curves
from tests.helpers import run, runs_of


def history(values: list[float]) -> list[dict[str, float]]:
    log: list[dict[str, float]] = []
    for step, value in enumerate(values, start=1):
        log.append({"loss": 1.0 / step, "step": 10 * step, "epoch": step / 2})
        log.append({"eval_accuracy": value, "eval_loss": 0.5, "eval_runtime": 1.0, "step": 10 * step})
    log.append({"train_runtime": 9.0, "train_loss": 0.3, "step": 10 * len(values)})
    return log


def test_curves_come_from_log_history() -> None:
    points = curve_points(trainer_curves({"log_history": history([0.6, 0.7])}))
    assert ("loss", 10.0, 1.0) in points and ("eval_accuracy", 20.0, 0.7) in points
    assert all(series != "eval_runtime" and series != "train_loss" for series, _, _ in points)
    data = {"eval_accuracy": 0.7, "args": {"task": "rte", "model_family": "bert"}, "log_history": [{"step": "x"}]}
    with pytest.raises(InputError, match=r"log_history\[0\].step"):
        read_run(json.dumps(data).encode(), "m.json")


def test_evaluations_after_training_ended_are_not_curve_points() -> None:
    log = [
        *history([0.6, 0.8, 0.7]),
        # After the closing summary: the kept checkpoint evaluated again (MNLI: matched, then mismatched).
        {"eval_accuracy": 0.8, "eval_loss": 0.4, "step": 30},
        {"eval_accuracy": 0.81, "eval_loss": 0.4, "step": 30},
    ]
    slow = [*log[:1], {"loss": NonFinite("NaN"), "step": 5}, *log[1:]]  # a NaN takes the slow path
    for variant in (log, slow):
        points = curve_points(trainer_curves({"log_history": variant}))
        assert [value for series, _, value in points if series == "eval_accuracy"] == [0.6, 0.8, 0.7]


def test_bands_best_step_and_time_per_epoch() -> None:
    one = replace(
        run("bert", "FFT", "rte", 1, accuracy=0.7, train_time_s=100.0, epochs=4.0),
        curves=trainer_curves({"log_history": history([0.6, 0.7, 0.65])}),
    )
    two = replace(
        run("bert", "FFT", "rte", 2, accuracy=0.8, train_time_s=300.0, epochs=3.0),
        curves=trainer_curves({"log_history": history([0.5, 0.6, 0.8])}),
    )
    runs = runs_of([one, two])
    bands = curve_bands(runs.curves).set_index(["series", "step"])
    assert bands.loc[("eval_accuracy", 20.0), "mean"] == pytest.approx(0.65)
    assert (bands.loc[("eval_accuracy", 20.0), "low"], bands.loc[("eval_accuracy", 20.0), "high"]) == (0.6, 0.7)
    (best,) = best_steps(runs.curves, runs.table, preset("glue", "primary")).to_dict("records")
    assert best["best_step"] == pytest.approx((20 + 30) / 2)
    assert best["seconds_per_epoch"] == pytest.approx((100 / 4 + 300 / 3) / 2)
    assert (
        curve_series(preset("glue", "primary"), "cola") == "eval_matthews_correlation"
        and curve_series(preset("glue", "primary"), "mnli") == "eval_accuracy"
    )


def test_downsampling_keeps_extremes_and_bounds_points() -> None:
    bands = pd.DataFrame(
        {
            "family": "bert",
            "strategy": "FFT",
            "task": "rte",
            "series": "loss",
            "step": range(100),
            "mean": [float(i) for i in range(100)],
            "low": [float(i) - 1 for i in range(100)],
            "high": [float(i) + 1 for i in range(100)],
            "n_runs": 2,
            "n_curve_runs": 2,
        }
    )
    small = downsample(bands, 10)
    assert len(small) == 10
    assert small["low"].min() == -1.0 and small["high"].max() == 100.0
    assert list(small.columns) == list(bands.columns)


def test_a_curve_stops_where_fewer_than_half_its_runs_still_log() -> None:
    """Three runs; two stop early (as collapsed runs do). Past their last step the mean would be one run's curve."""
    long = replace(
        run("bert", "FFT", "rte", 1, accuracy=0.9), curves=trainer_curves({"log_history": history([0.6] * 6)})
    )
    short = [
        replace(
            run("bert", "FFT", "rte", seed, accuracy=0.5), curves=trainer_curves({"log_history": history([0.5] * 2)})
        )
        for seed in (2, 3)
    ]
    bands = curve_bands(runs_of([long, *short]).curves)
    accuracy = bands[bands["series"] == "eval_accuracy"]
    assert set(accuracy["n_curve_runs"]) == {3}
    assert accuracy.set_index("step")["n_runs"].to_dict() == {10.0: 3, 20.0: 3, 30.0: 1, 40.0: 1, 50.0: 1, 60.0: 1}
    drawn = drawable(bands)
    assert drawn[drawn["series"] == "eval_accuracy"]["step"].tolist() == [10.0, 20.0]


def test_which_checkpoint_a_run_reports() -> None:
    def logged(periodic: list[float], finals: list[float]) -> list[dict[str, float]]:
        log = history(periodic)
        # The Trainer's final evaluation(s), after training ended (MNLI logs matched and mismatched): not periodic.
        return [*log, *({"eval_accuracy": v, "step": 10 * len(periodic)} for v in finals)]

    runs = [
        # RTE: best 0.8 at step 20, last 0.7: seed 1 reports the best, seed 2 the last, seed 3 neither.
        (run("bert", "FFT", "rte", 1, accuracy=0.8), logged([0.6, 0.8, 0.7], [0.8])),
        (run("bert", "FFT", "rte", 2, accuracy=0.7), logged([0.6, 0.8, 0.7], [0.7])),
        (run("bert", "FFT", "rte", 3, accuracy=0.75), logged([0.6, 0.8, 0.7], [0.75])),
        # Best evaluation is the last: tells nothing.
        (run("bert", "FFT", "rte", 4, accuracy=0.9), logged([0.6, 0.9], [0.9])),
        # MNLI: two final evaluations after the periodic ones; the matched one is the best periodic.
        (
            run("bert", "FFT", "mnli", 1, matched_accuracy=0.84, mismatched_accuracy=0.85),
            logged([0.80, 0.84, 0.83], [0.84, 0.85]),
        ),
    ]
    records = [replace(record, curves=trainer_curves({"log_history": log})) for record, log in runs]
    built = runs_of(records)
    choice = checkpoint_choice(built.curves, built.table, preset("glue", "primary")).set_index("task")
    assert choice.loc["rte"].tolist() == [3, 1, 1, 1]
    assert choice.loc["mnli"].tolist() == [1, 1, 0, 0]
