"""Write N synthetic KD-LoRA runs in the real Hugging Face Trainer ``metrics.json`` layout: a benchmark fixture.

The output is for timing and testing the site at scale (e.g. 300,000 runs) and is never site data. Every run
starts from a real result file (a *template*) and keeps its configuration: folder names, ``args``, the shape of
``log_history``, the number of memory samples and the trainable parameter count. Its measured values are drawn
around the real ones: for each cell (variant, task, family, peft, rank) and final metric, from a normal
distribution with the cell's mean and standard deviation, clipped to the metric's valid range. The template's
eval curves are moved so that their last point is the drawn final value, and its loss curve is jittered.

Templates are used in a seeded shuffled order of the real files, cycling through all of them before any is used
again, so the task/variant/family/peft/rank mix is the real one and N < 2,941 is a subset of the real runs (with
their real seeds). The k-th reuse of a template (k >= 1) gets the seed ``10000 * k + real seed`` in its folder
name and ``args``, so no two runs share an identity (variant, task, family, seed, base folder, peft folder).

Each file depends only on (--seed, its index, the source): the output is byte-identical whatever --workers is.

Usage: python bench/make_results.py N OUT [--seed S] [--source DIR] [--workers W] [--force]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "data/kd-lora-results/results"
RESULT_NAME = "metrics.json"

# Final quality metrics and their valid ranges.
QUALITY_RANGES = {
    "eval_accuracy": (0.0, 1.0),
    "eval_f1": (0.0, 1.0),
    "eval_matthews_correlation": (-1.0, 1.0),
    "eval_pearson": (-1.0, 1.0),
    "eval_spearman": (-1.0, 1.0),
    "matched_accuracy": (0.0, 1.0),
    "mismatched_accuracy": (0.0, 1.0),
}
# MNLI's final metrics are named differently at the top level than in its log, where both are ``eval_accuracy``.
MNLI_MATCHED, MNLI_MISMATCHED = "matched_accuracy", "mismatched_accuracy"
# Positive quantities: a draw is kept above this fraction of its cell mean, so times and memory stay > 0.
POSITIVE_FLOOR = 0.1
# Spread used when a cell cannot give one (a single run, or identical runs): this fraction of |mean|.
FALLBACK_SPREAD = 0.01
# Relative spread of the whole loss curve of a run, and of each of its points.
LOSS_RUN_JITTER, LOSS_POINT_JITTER = 0.03, 0.01
# Seeds of the k-th reuse of a template (k >= 1) are REPLICA_SEED_STEP * k + real seed; real seeds are below it.
REPLICA_SEED_STEP = 10_000
# Nesting depth of the written JSON: 3 (top → log_history → entry, top → train → memory list). A deeper line would
# only be indented less than json.dump does: whitespace, still the same JSON.
MAX_INDENT_DEPTH = 3
# Indices handed to a worker at once: large enough to amortise the hand-off, small enough to balance the load.
CHUNK = 256


class UsageError(Exception):
    """A problem with the command line or its folders; printed as one line, without a traceback."""


@dataclass(frozen=True)
class Template:
    """One real run, parsed once, with what generation needs precomputed."""

    parts: tuple[str, ...]  # relative folder names: variant, task_..., base_..., peft_...
    data: dict[str, Any]
    cell: tuple[Any, ...]
    kinds: str  # one letter per log_history entry: L(oss), E(val), S(ummary)
    # Index of the eval entry after the summary that repeats the top-level metrics (-1 if absent), and of
    # MNLI's second one, on the mismatched set (-1 if absent).
    final_eval: int
    mismatched_eval: int


Stats = dict[tuple[Any, ...], dict[str, tuple[float, float]]]


def run_values(data: dict[str, Any]) -> dict[str, float]:
    """The final metrics of a run that synthetic runs draw anew (memory as its per-epoch peak)."""
    values = {key: float(data[key]) for key in QUALITY_RANGES if key in data}
    values["eval_loss"] = float(data["eval_loss"])
    values["eval_runtime"] = float(data["eval_runtime"])
    train = data["train"]
    values["train_time"] = float(train["train_time"])
    values["memory_allocated"] = float(max(train["memory_allocated"]))
    values["memory_reserved"] = float(max(train["memory_reserved"]))
    return values


def cell_of(data: dict[str, Any]) -> tuple[Any, ...]:
    """The cell a run's values are drawn from: (variant, task, family, peft, rank)."""
    args = data["args"]
    return (data["variant"], args["task"], args["model_family"], args["peft"], args["rank"])


def load_templates(source: Path) -> list[Template]:
    """Every ``metrics.json`` under ``source``, sorted by path so the shuffled order depends on the seed alone."""
    paths = sorted(source.rglob(RESULT_NAME), key=lambda p: p.relative_to(source).as_posix())
    templates = []
    for path in paths:
        parts = path.relative_to(source).parent.parts
        if len(parts) != 4 or not parts[1].startswith("task_"):
            raise UsageError(f"{path}: not in the <variant>/task_*/base_*/peft_*/{RESULT_NAME} layout")
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as error:
            raise UsageError(f"{path}: not valid JSON ({error})") from None
        history = data["log_history"]
        kinds = "".join("S" if "train_runtime" in e else "E" if "eval_loss" in e else "L" for e in history)
        summary = kinds.find("S")
        final_eval = kinds.find("E", summary) if summary >= 0 else -1
        mismatched = kinds.find("E", final_eval + 1) if final_eval >= 0 and MNLI_MISMATCHED in data else -1
        templates.append(Template(parts, data, cell_of(data), kinds, final_eval, mismatched))
    if not templates:
        raise UsageError(f"{source}: no {RESULT_NAME} files")
    return templates


def cell_stats(templates: list[Template]) -> Stats:
    """Mean and standard deviation of every drawn metric per cell."""
    samples: dict[tuple[Any, ...], dict[str, list[float]]] = {}
    for template in templates:
        per_metric = samples.setdefault(template.cell, {})
        for key, value in run_values(template.data).items():
            per_metric.setdefault(key, []).append(value)
    stats: Stats = {}
    for cell, metrics in samples.items():
        stats[cell] = {}
        for key, values in metrics.items():
            mean = statistics.fmean(values)
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            # Identical or single runs would make every copy identical; real reruns never are.
            stats[cell][key] = (mean, spread or FALLBACK_SPREAD * abs(mean))
    return stats


def indent4(data: bytes) -> bytes:
    """orjson's 2-space indentation as the 4 spaces of the real files (``json.dump(indent=4)``), so sizes match.

    Raw newlines only occur between JSON tokens (orjson escapes them in strings), and NUL bytes never occur at
    all, so each indentation run is swapped for NULs from the deepest level up, then the NULs for 4 spaces.
    """
    for depth in range(MAX_INDENT_DEPTH, 0, -1):
        data = data.replace(b"\n" + b"  " * depth, b"\n" + b"\0" * depth)
    return data.replace(b"\0", b"    ")


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def synthesize(index: int, seed: int, templates: list[Template], order: list[int], stats: Stats) -> tuple[str, bytes]:
    """The relative path and bytes of synthetic run ``index``; depends on nothing else than the arguments."""
    template = templates[order[index % len(order)]]
    replica = index // len(order)
    # A string seed is hashed with SHA-512: stable across processes and Python runs, unlike hash().
    rng = random.Random(f"{seed}/{index}")
    gauss = rng.gauss
    base = template.data
    cell = stats[template.cell]
    old = run_values(base)

    # Quality metrics of one run move together (accuracy with F1, Pearson with Spearman, matched with
    # mismatched), so they share one draw; each still has its cell's mean and spread.
    quality_z = gauss(0.0, 1.0)
    new: dict[str, float] = {}
    for key, (low, high) in QUALITY_RANGES.items():
        if key in old:
            mean, spread = cell[key]
            new[key] = _clip(mean + quality_z * spread, low, high)
    for key in ("eval_loss", "eval_runtime", "train_time"):
        mean, spread = cell[key]
        new[key] = max(mean + gauss(0.0, 1.0) * spread, POSITIVE_FLOOR * mean)
    # Allocated and reserved memory come from the same model and batch: one draw for both.
    memory_z = gauss(0.0, 1.0)
    for key in ("memory_allocated", "memory_reserved"):
        mean, spread = cell[key]
        new[key] = max(mean + memory_z * spread, POSITIVE_FLOOR * mean)
    # PyTorch's reserved pool always holds the allocated memory.
    new["memory_reserved"] = max(new["memory_reserved"], new["memory_allocated"])
    new["eval_runtime"] = round(new["eval_runtime"], 4)
    new["train_time"] = round(new["train_time"], 4)

    loss_factor = new["eval_loss"] / old["eval_loss"]
    runtime_factor = old["eval_runtime"] / new["eval_runtime"]  # throughputs scale inversely with time
    train_factor = old["train_time"] / new["train_time"]
    run_jitter = 1.0 + LOSS_RUN_JITTER * gauss(0.0, 1.0)
    # Shift (not scale) bounded curves: a shift also works for a final 0 (a collapsed CoLA run) and keeps the
    # curve's shape; a scale would blow it up. Losses are positive and are scaled.
    shifts = {key: new[key] - old[key] for key in new if key in QUALITY_RANGES}
    if MNLI_MATCHED in new:
        shifts["eval_accuracy"] = shifts[MNLI_MATCHED]

    history = []
    for position, (kind, entry) in enumerate(zip(template.kinds, base["log_history"], strict=True)):
        entry = dict(entry)
        if kind == "L":
            point = run_jitter * (1.0 + LOSS_POINT_JITTER * gauss(0.0, 1.0))
            entry["loss"] = round(entry["loss"] * point, 4)
            if "grad_norm" in entry:
                entry["grad_norm"] = entry["grad_norm"] * point
        elif kind == "S":
            entry["train_runtime"] = new["train_time"]
            entry["train_samples_per_second"] = round(entry["train_samples_per_second"] * train_factor, 3)
            entry["train_steps_per_second"] = round(entry["train_steps_per_second"] * train_factor, 3)
            entry["train_loss"] = entry["train_loss"] * run_jitter
        else:
            for key, value in entry.items():
                if key in shifts:
                    entry[key] = _clip(value + shifts[key], *QUALITY_RANGES[key])
            entry["eval_loss"] = entry["eval_loss"] * loss_factor
            entry["eval_runtime"] = round(entry["eval_runtime"] / runtime_factor, 4)
            entry["eval_samples_per_second"] = round(entry["eval_samples_per_second"] * runtime_factor, 3)
            entry["eval_steps_per_second"] = round(entry["eval_steps_per_second"] * runtime_factor, 3)
            # The eval repeated at the top level must equal it exactly, not up to a float rounding of the shift.
            if position == template.final_eval:
                for key in entry:
                    if key in new:
                        entry[key] = new[key]
                if MNLI_MATCHED in new:
                    entry["eval_accuracy"] = new[MNLI_MATCHED]
            elif position == template.mismatched_eval:
                entry["eval_accuracy"] = new[MNLI_MISMATCHED]
        history.append(entry)

    seed_value = base["args"]["seed"] + REPLICA_SEED_STEP * replica
    train = base["train"]
    out: dict[str, Any] = {}
    for key, value in base.items():
        if key in new:
            out[key] = new[key]
        elif key in ("eval_samples_per_second", "eval_steps_per_second"):
            out[key] = round(value * runtime_factor, 3)
        elif key == "log_history":
            out[key] = history
        elif key == "args":
            out[key] = {**value, "seed": seed_value}
        elif key == "train":
            out[key] = {**train, "train_time": new["train_time"]}
            for memory in ("memory_allocated", "memory_reserved"):
                factor = new[memory] / old[memory]
                # One sample per epoch, nearly always the same value: scale each distinct value once.
                scaled = {v: round(v * factor, 6) for v in set(train[memory])}
                # The peak is the drawn value itself, so reserved >= allocated survives the rounding.
                scaled[old[memory]] = round(new[memory], 6)
                out[key][memory] = [scaled[v] for v in train[memory]]
        else:
            out[key] = value

    variant, task_folder, base_folder, peft_folder = template.parts
    task_folder = f"{task_folder.rsplit('_', 1)[0]}_{seed_value}"
    relative = f"{variant}/{task_folder}/{base_folder}/{peft_folder}/{RESULT_NAME}"
    return relative, indent4(orjson.dumps(out, option=orjson.OPT_INDENT_2))


# Set once per worker process by _init: the parsed templates are large and must not travel with every chunk.
_STATE: dict[str, Any] = {}


def _init(out: Path, seed: int, templates: list[Template], order: list[int], stats: Stats) -> None:
    _STATE.update(out=out, seed=seed, templates=templates, order=order, stats=stats)


def _write_range(bounds: tuple[int, int]) -> tuple[int, int]:
    """Write runs ``start..stop-1``; returns (files, bytes)."""
    out, seed = _STATE["out"], _STATE["seed"]
    total = 0
    for index in range(*bounds):
        relative, data = synthesize(index, seed, _STATE["templates"], _STATE["order"], _STATE["stats"])
        path = out / relative
        # Every run has its own leaf folder (identities are unique); makedirs tolerates parents made by others.
        os.makedirs(path.parent, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return bounds[1] - bounds[0], total


def prepare_out(out: Path, source: Path, force: bool) -> None:
    """Make ``out`` an empty folder; a non-empty one is only deleted with ``force``, and never the data's own."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        resolved = out.resolve()
        if resolved == source.resolve() or resolved in source.resolve().parents or resolved == Path.cwd().resolve():
            raise UsageError(f"refusing to delete {out}: it holds the source data or the current folder")
        if not force:
            raise UsageError(f"{out} exists and is not empty (pass --force to delete it first)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def generate(n: int, out: Path, seed: int = 0, source: Path = DEFAULT_SOURCE, workers: int = 1) -> tuple[int, int]:
    """Write ``n`` synthetic runs under the existing folder ``out``; returns (files, bytes)."""
    if not source.is_dir():
        raise UsageError(
            f"source folder {source} not found (the real results are bundled in data/kd-lora-results/results)"
        )
    templates = load_templates(source)
    stats = cell_stats(templates)
    order = list(range(len(templates)))
    random.Random(seed).shuffle(order)
    state = (out, seed, templates, order, stats)
    chunks = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    if workers <= 1 or len(chunks) <= 1:
        _init(*state)
        results = [_write_range(chunk) for chunk in chunks]
    else:
        # fork shares the parsed templates with the workers for free; elsewhere they are pickled once per worker.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with context.Pool(workers, initializer=_init, initargs=state) as pool:
            results = list(pool.imap_unordered(_write_range, chunks))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; prints a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="number of runs to write")
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder (must be empty or absent)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help=f"real results (default {DEFAULT_SOURCE})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: CPU count)")
    parser.add_argument("--force", action="store_true", help="delete a non-empty OUT first")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be >= 0")
    start = time.perf_counter()
    try:
        if not args.source.is_dir():
            raise UsageError(
                f"source folder {args.source} not found (the real results are bundled in data/kd-lora-results/results)"
            )
        prepare_out(args.out, args.source, args.force)
        files, size = generate(args.n, args.out, args.seed, args.source, args.workers)
    except UsageError as error:
        print(f"make_results.py: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(f"wrote {files:,} files, {size / 1e6:,.1f} MB in {seconds:.1f} s to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
