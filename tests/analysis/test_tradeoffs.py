"""Pareto frontiers checked by brute force; points against hand sums."""

from __future__ import annotations

import itertools
import statistics

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gen.analysis.tradeoffs import COSTS, pareto_front, tradeoff_points


def brute_force_front(points: list[tuple[float, float]]) -> list[bool]:
    """A point is on the front when no other point is at least as good on both and better on one."""
    return [
        not any(s2 >= s1 and c2 <= c1 and (s2 > s1 or c2 < c1) for j, (s2, c2) in enumerate(points) if j != i)
        for i, (s1, c1) in enumerate(points)
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12))
def test_front_matches_brute_force(pairs: list[tuple[int, int]]) -> None:
    frame = pd.DataFrame({"score": [float(s) for s, _ in pairs], "params_m": [float(c) for _, c in pairs]})
    frame["complete"] = True
    assert pareto_front(frame, "params_m").tolist() == brute_force_front([(float(s), float(c)) for s, c in pairs])


def test_incomplete_points_never_make_the_front() -> None:
    frame = pd.DataFrame({"score": [0.9, 0.5], "params_m": [1.0, 2.0], "complete": [False, True]})
    assert pareto_front(frame, "params_m").tolist() == [False, True]


def test_points_are_task_balanced() -> None:
    scores = pd.DataFrame(
        {
            "family": "bert",
            "label": "LoRA",
            "column": ["rte", "rte", "cola"],
            "score": [0.7, 0.8, 0.5],
            "run_id": ["a", "b", "c"],
        }
    )
    table = pd.DataFrame(
        {
            "family": "bert",
            "label": "LoRA",
            "task": ["rte", "rte", "cola"],
            "metric": "params_m",
            "value": [1.0, 3.0, 10.0],
        }
    )
    (point,) = tradeoff_points(scores, table, {"b", "elsewhere"}).to_dict("records")
    assert point["score"] == pytest.approx(statistics.mean([0.75, 0.5]))
    assert point["params_m"] == pytest.approx(statistics.mean([2.0, 10.0]))
    assert set(COSTS) <= set(point) and point["complete"]
    assert (point["n_runs"], point["n_unhealthy"]) == (3, 1)
    assert list(itertools.islice(iter(point), 2)) == ["family", "label"]
