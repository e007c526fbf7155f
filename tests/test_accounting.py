"""Property test: on any generated result tree, every file has exactly one outcome and every run one fate."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gen.config import StrategyRule
from gen.config.sources import MetricsJsonSource
from gen.runs import build_runs
from gen.sources.load import load_sources
from tests.helpers import config

GOOD = {"eval_accuracy": 0.7, "args": {"task": "rte", "model_family": "bert", "seed": 1}}
KINDS = {
    "good": lambda: json.dumps({**GOOD, "variant": "FFT"}),
    "unmatched": lambda: json.dumps({**GOOD, "variant": "other"}),
    "unknown_task": lambda: json.dumps({**GOOD, "args": {"task": "squad", "model_family": "bert"}, "variant": "FFT"}),
    "truncated": lambda: json.dumps(GOOD)[:20],
    "empty": lambda: "",
    "array": lambda: "[1, 2]",
    "excluded": lambda: json.dumps({**GOOD, "variant": "FFT"}),
    "not_a_result": lambda: "notes",
}
trees = st.lists(
    st.tuples(st.sampled_from(sorted(KINDS)), st.lists(st.sampled_from(["a", "b", "c"]), max_size=3)),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_counts_add_up(tree: list[tuple[str, list[str]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index, (kind, parents) in enumerate(tree):
            top = "excluded" if kind == "excluded" else "runs"
            name = "notes.txt" if kind == "not_a_result" else "metrics.json"
            path = root.joinpath(top, *parents, f"{kind}{index}", name)
            path.parent.mkdir(parents=True)
            path.write_text(KINDS[kind]())
        cfg = config().model_copy(
            update={
                "sources": [MetricsJsonSource(type="metrics-json", path=root, exclude=["excluded/**"])],
                "strategies": [StrategyRule(name="FFT", match={"task": "rte", "variant": "FFT"})],
            }
        )
        loaded = load_sources(cfg)
        runs = build_runs(loaded.runs, loaded.files, cfg)
    count = {kind: sum(1 for k, _ in tree if k == kind) for kind in KINDS}
    outcomes = runs.files["outcome"].value_counts().to_dict()
    assert len(runs.files) == len(tree) - count["not_a_result"]
    assert outcomes.get("ignored", 0) == count["excluded"]
    assert outcomes.get("rejected", 0) == count["truncated"] + count["empty"] + count["array"] + count["unknown_task"]
    assert outcomes.get("ingested", 0) == count["good"] + count["unmatched"]
    assert runs.table["run_id"].nunique() == count["good"]
    assert len(runs.unmatched) == count["unmatched"]
    assert len(runs.rejected_runs) == count["unknown_task"]
    assert runs.files["runs"].sum() == runs.table["run_id"].nunique() + len(runs.unmatched)
