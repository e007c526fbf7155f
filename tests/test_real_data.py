"""The bundled site, built from the 2,941 real result files in data/, checked against an independent computation
in plain Python."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from tests.conftest import RESULTS, shared_path

STRATEGY = {("fft", None): "FFT", ("lora", "lora"): "LoRA", ("kd-lora", "lora"): "KD-LoRA"}


def primary(task: str, data: dict[str, float]) -> dict[str, float]:
    """The seed's convention, written out independently of gen/benchmarks.py."""
    if task == "cola":
        return {"cola": data["eval_matthews_correlation"]}
    if task == "stsb":
        return {"stsb": data["eval_pearson"]}
    if task == "mnli":
        return {"mnli_m": data["matched_accuracy"], "mnli_mm": data["mismatched_accuracy"]}
    return {task: data["eval_accuracy"]}


def strategy_runs() -> Iterator[tuple[Path, dict[str, Any], str]]:
    """Every raw result file a strategy rule matches: its path, its JSON (read with the json module), its strategy."""
    for folder, _, names in os.walk(RESULTS):
        if "metrics.json" not in names:
            continue
        path = Path(folder) / "metrics.json"
        data = json.loads(path.read_text())
        strategy = STRATEGY.get((data["variant"], None)) or STRATEGY.get((data["variant"], data["args"]["peft"]))
        if strategy is not None:
            yield path, data, strategy


@pytest.fixture(scope="module")
def expected() -> dict[tuple[str, str], dict[str, list[float]]]:
    """(family, strategy) -> column -> every matching run's score, read with the json module."""
    scores: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _, data, strategy in strategy_runs():
        args = data["args"]
        for column, value in primary(args["task"], data).items():
            scores[(args["model_family"], strategy)][column].append(value)
    return scores


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_glue_cell_matches(bundled_site: Path, expected: dict[tuple[str, str], dict[str, list[float]]]) -> None:
    rows = read_csv(bundled_site / "downloads" / "glue_table.csv")
    assert {(r["family"], r["strategy"]) for r in rows} == set(expected)
    for row in rows:
        columns = expected[(row["family"], row["strategy"])]
        assert len(columns) == 9
        for column, values in columns.items():
            assert float(row[column]) == pytest.approx(statistics.fmean(values), rel=1e-12), (row["family"], column)
        glue = statistics.fmean(statistics.fmean(v) for v in columns.values())
        assert float(row["glue_score"]) == pytest.approx(glue, rel=1e-12)
        assert row["complete"] == "True"


def test_the_best_score_is_named_once_by_model_and_strategy(
    bundled_site: Path, expected: dict[tuple[str, str], dict[str, list[float]]]
) -> None:
    glue = {key: statistics.fmean(statistics.fmean(v) for v in columns.values()) for key, columns in expected.items()}
    family, strategy = max(glue, key=lambda key: glue[key])
    model = {"bert": "BERT-base", "roberta": "RoBERTa-base", "deberta": "DeBERTa-v3-base"}[family]
    assert strategy == "FFT"  # the base model, whose name is also its family's: said once
    overview = (bundled_site / "index.html").read_text()
    assert f"Best GLUE score: {model} ({strategy}), <strong>{glue[(family, strategy)]:.4f}</strong>" in overview


def test_cell_counts_and_spread_match(
    bundled_site: Path, expected: dict[tuple[str, str], dict[str, list[float]]]
) -> None:
    for row in read_csv(bundled_site / "downloads" / "score_cells.csv"):
        values = expected[(row["family"], row["strategy"])][row["column"]]
        assert int(row["n_runs"]) == len(values)
        if len(values) > 1:
            assert float(row["std"]) == pytest.approx(statistics.stdev(values), rel=1e-9)


def test_every_file_is_ingested_and_every_run_is_listed(bundled_site: Path) -> None:
    files = read_csv(bundled_site / "downloads" / "files.csv")
    assert len(files) == 2941
    assert {f["outcome"] for f in files} == {"ingested"}
    runs = read_csv(bundled_site / "downloads" / "runs.csv")
    unmatched = read_csv(bundled_site / "downloads" / "unmatched.csv")
    assert len(runs) + len(unmatched) == 2941
    assert {r["strategy"] for r in runs} == {"FFT", "LoRA", "KD-LoRA"}
    assert all(r["source_file"].endswith("metrics.json") for r in runs)


def test_measured_parameters_are_task_balanced_means(bundled_site: Path) -> None:
    root = RESULTS / "fft"
    per_task: dict[str, list[float]] = defaultdict(list)
    for path in root.glob("task_*_bert_*/*/*/metrics.json"):
        data = json.loads(path.read_text())
        per_task[data["args"]["task"]].append(max(data["train"]["memory_allocated"]))
    expected = statistics.fmean(statistics.fmean(v) for v in per_task.values())
    (row,) = [
        r
        for r in read_csv(bundled_site / "downloads" / "efficiency.csv")
        if r["family"] == "bert" and r["strategy"] == "FFT"
    ]
    assert float(row["memory_allocated_mb"]) == pytest.approx(expected, rel=1e-12)


def test_healthy_training_speedups_compare_the_same_tasks(bundled_site: Path) -> None:
    """Training speed-up of each strategy over FFT with healthy runs only (the site's verdicts), both averaged over
    the tasks both have a healthy run of: recomputed from the raw files. Collapsed runs stop early, so with them
    the speed-up is larger."""
    healthy = {
        r["run_id"] for r in read_csv(bundled_site / "downloads" / "run_health.csv") if r["verdict"] == "healthy"
    }
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    inference: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for path, data, strategy in strategy_runs():
        if str(path.relative_to(RESULTS)) in healthy:
            args = data["args"]
            times[(args["model_family"], strategy, args["task"])].append(data["train"]["train_time"])
            inference[(args["model_family"], strategy, args["task"])].append(data["eval_runtime"])
    rows = {(r["family"], r["strategy"]): r for r in read_csv(bundled_site / "downloads" / "efficiency_healthy.csv")}
    every = {(r["family"], r["strategy"]): r for r in read_csv(bundled_site / "downloads" / "efficiency.csv")}
    for family in ("bert", "roberta", "deberta"):
        for strategy in ("LoRA", "KD-LoRA"):
            tasks = {t for f, s, t in times if (f, s) == (family, strategy)}
            shared = tasks & {t for f, s, t in times if (f, s) == (family, "FFT")}
            fft, other = (
                statistics.fmean(statistics.fmean(times[(family, s, t)]) for t in shared) for s in ("FFT", strategy)
            )
            row = rows[(family, strategy)]
            assert int(row["n_tasks"]) == len(shared)
            assert float(row["train_time_s_vs_base"]) == pytest.approx(fft / other, rel=1e-12)
            assert int(every[(family, strategy)]["n_unhealthy"]) > 0
    # With every run (collapsed ones stop early) DeBERTa's KD-LoRA looks twice as fast as it is.
    fft_time, kd_time = (float(every[("deberta", s)]["train_time_s"]) for s in ("FFT", "KD-LoRA"))
    assert fft_time / kd_time > 1.5 * float(rows[("deberta", "KD-LoRA")]["train_time_s_vs_base"])
    # KD-LoRA has no healthy QQP run on DeBERTa: left out of both sides.
    assert rows[("deberta", "KD-LoRA")]["tasks_left_out"] == "qqp"
    # The Overview's healthy-only inference speed-up likewise: mean over families of FFT's time over the tasks both
    # have, divided by the same mean of KD-LoRA's (not FFT over eight tasks against KD-LoRA over seven).
    matched = []
    for family in ("bert", "roberta", "deberta"):
        shared = {t for f, s, t in inference if (f, s) == (family, "KD-LoRA")} & {
            t for f, s, t in inference if (f, s) == (family, "FFT")
        }
        matched.append(
            [statistics.fmean(statistics.fmean(inference[(family, s, t)]) for t in shared) for s in ("FFT", "KD-LoRA")]
        )
    expected = statistics.fmean(m[0] for m in matched) / statistics.fmean(m[1] for m in matched)
    (figure,) = [
        r
        for r in read_csv(bundled_site / "downloads" / "sensitivity.csv")
        if (r["figure"], r["family"], r["to"]) == ("inference_speedup", "all families", "KD-LoRA")
    ]
    assert float(figure["healthy_only"]) == pytest.approx(expected, rel=1e-12)


def test_suite_test_fft_vs_lora_recomputed(bundled_site: Path) -> None:
    """BERT, FFT → LoRA over GLUE: each seed's suite score (mean over the nine columns, the runs of one seed averaged
    first), paired by seed; a paired t-test on five seeds, recomputed with plain Python and scipy."""
    by_key: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for _, data, strategy in strategy_runs():
        args = data["args"]
        if args["model_family"] != "bert" or strategy not in ("FFT", "LoRA"):
            continue
        for column, value in primary(args["task"], data).items():
            by_key[(strategy, str(args["seed"]), column)].append(value)
    columns = {k[2] for k in by_key}
    seeds = sorted({k[1] for k in by_key})

    def suite(strategy: str, seed: str) -> float:
        return statistics.fmean(statistics.fmean(by_key[(strategy, seed, c)]) for c in columns)

    differences = [suite("LoRA", seed) - suite("FFT", seed) for seed in seeds]
    (row,) = [
        r
        for r in read_csv(bundled_site / "downloads" / "comparisons.csv")
        if (r["compared"], r["family"], r["from"], r["to"], r["task"]) == ("strategies", "bert", "FFT", "LoRA", "GLUE")
    ]
    assert (row["unit"], int(row["n"]), row["test"]) == ("seed", 5, "paired t") and len(seeds) == 5
    assert float(row["p"]) == pytest.approx(stats.ttest_1samp(differences, 0.0).pvalue, rel=1e-9)


@pytest.mark.parametrize("cost", ["params_m", "memory_allocated_mb", "train_time_s", "eval_runtime_s"])
def test_pareto_fronts_by_brute_force(bundled_site: Path, cost: str) -> None:
    points = [r for r in read_csv(bundled_site / "downloads" / "tradeoffs.csv") if r["complete"] == "True" and r[cost]]
    assert len(points) >= 10
    for point in points:
        score, price = float(point["score"]), float(point[cost])
        dominated = any(
            float(o["score"]) >= score
            and float(o[cost]) <= price
            and (float(o["score"]) > score or float(o[cost]) < price)
            for o in points
            if o is not point
        )
        assert (point[f"on_front_{cost}"] == "True") == (not dominated), (point["family"], point["label"])


def test_captions_give_the_size_of_the_holm_family(bundled_site: Path) -> None:
    tested = [r for r in read_csv(bundled_site / "downloads" / "comparisons.csv") if r["p"]]
    statistics_page = (bundled_site / "statistics.html").read_text()
    assert statistics_page.count(f"Holm-corrected over the {len(tested)} tests on this page") == 2
    bert = (bundled_site / "families" / "bert.html").read_text()
    assert f"Strategies compared on BERT-base, Holm-corrected over the {len(tested)} tests" in bert


def test_the_overview_says_which_cells_mix_configurations(bundled_site: Path) -> None:
    """The combined table averages every run of a cell: where its runs differ in more than the seed (LoRA ranks),
    the Overview names the cell, as Accuracy does."""
    varying = {(r["family"], r["strategy"]) for r in read_csv(bundled_site / "downloads" / "varying_settings.csv")}
    names = {"bert": "BERT-base", "roberta": "RoBERTa-base", "deberta": "DeBERTa-v3-base"}
    mixed = {(names[f], s) for f, s in varying if s}
    assert ("DeBERTa-v3-base", "LoRA") in mixed
    overview = (bundled_site / "index.html").read_text()
    note = overview.split("Cells whose runs differ in more than the seed", 1)[1].split("</ul>", 1)[0]
    assert {tuple(item.split(":", 1)[0].rsplit(" ", 1)) for item in note.split("<li>")[1:]} == mixed


def test_which_checkpoint_the_runs_report_recomputed(bundled_site: Path) -> None:
    """Per task: runs whose best periodic evaluation came before their last, and whether the final score is the
    best or the last one, recomputed from each log with the json module. The evaluations after the log's closing
    summary (``train_runtime``) were made once training ended (MNLI: matched, then mismatched): not periodic."""
    tracked = {"cola": "eval_matthews_correlation", "stsb": "eval_pearson"}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _, data, _ in strategy_runs():
        task = data["args"]["task"]
        key = tracked.get(task, "eval_accuracy")
        history = data["log_history"]
        end = next((i for i, entry in enumerate(history) if "train_runtime" in entry), len(history))
        periodic = [entry[key] for entry in history[:end] if key in entry]
        best, last = max(periodic), periodic[-1]
        if best == last:
            continue
        final = next(iter(primary(task, data).values()))
        counted = counts[task]
        counted[0] += 1
        counted[1 if final == best else 2 if final == last else 3] += 1
    shown = {r["task"]: [int(r[k]) for k in ("n_runs", "final_is_best", "final_is_last", "neither")]
             for r in read_csv(bundled_site / "downloads" / "checkpoints.csv")}  # fmt: skip
    assert shown == dict(counts)
    best = sum(c[1] for c in counts.values())
    assert best > sum(c[0] for c in counts.values()) / 2  # most report the best: chosen on the validation split
    training = (bundled_site / "training.html").read_text()
    assert f"<strong>{best:,} report the best as their final score</strong>" in training


def test_reproduction_names_mrpc_as_nearer_f1(bundled_site: Path) -> None:
    """The paper's MRPC figures, read from its transcribed Table I, against our mean accuracy and F1 per cell from the
    raw files: the median gaps the Reproduction page gives, and the page's count of cells holding unhealthy runs."""
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for _, data, strategy in strategy_runs():
        if data["args"]["task"] == "mrpc":
            for metric in ("eval_accuracy", "eval_f1"):
                values[(data["args"]["model_family"], strategy, metric)].append(data[metric])
    pairs = {"bert": "BERT-b/DBERT-b", "roberta": "RoB-b/DRoB-b", "deberta": "DeB-b/DeB-s"}
    (paper,) = [r for r in read_csv(shared_path("data/kd-lora-paper/table-i-glue.csv")) if r["Task"] == "MRPC"]

    def gap(metric: str) -> float:
        return statistics.median(
            abs(100 * statistics.fmean(values[(family, strategy, metric)]) - float(paper[f"{pair} {strategy}"]))
            for family, pair in pairs.items()
            for strategy in ("FFT", "LoRA", "KD-LoRA")
        )

    page = html.unescape(re.sub(r"<[^>]+>", "", (bundled_site / "reproduction.html").read_text()))
    assert (
        f"MRPC: the published figures are nearer our F1 (median {gap('eval_f1'):.1f} points off over 9 cells) than "
        f"our accuracy, the metric compared here ({gap('eval_accuracy'):.1f} points off)"
    ) in page
    cells = read_csv(bundled_site / "downloads" / "reproduction.csv")
    flagged = sum(int(c["n_unhealthy"] or 0) > 0 for c in cells)
    assert flagged > 0 and f"{flagged} of {len(cells)} cells hold runs that are not healthy" in page


def test_variants_ranking_counts_each_methods_unhealthy_runs(bundled_site: Path) -> None:
    """The teacher group (variant lora): per PEFT method, its runs and those run health does not call healthy, read
    from the folder names and run_health.csv, as the ranking's Runs column shows them."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in read_csv(bundled_site / "downloads" / "run_health.csv"):
        variant, _, _, peft_folder, _ = row["run_id"].split("/")
        if variant == "lora":
            counted = counts[peft_folder.split("_")[1]]
            counted[0] += 1
            counted[1] += row["verdict"] != "healthy"
    labels = {"lora": "LoRA", "dora": "DoRA", "olora": "OLoRA", "rslora": "rsLoRA", "adalora": "AdaLoRA"}
    page = (bundled_site / "variants.html").read_text()
    ranking = page.split("methods ranked over the", 1)[1].split("</table>", 1)[0]
    rows = [html.unescape(re.sub(r"<[^>]+>", " ", row)).split() for row in re.findall(r"<tr>(.*?)</tr>", ranking)]
    shown = {row[1]: row[-3:] for row in rows[1:]}
    assert shown == {labels[m]: [f"{n:,}", "⚠", str(u)] for m, (n, u) in counts.items()}
    assert counts["adalora"][1] / counts["adalora"][0] > 2 * counts["rslora"][1] / counts["rslora"][0]


def test_every_download_the_readme_promises_is_built(bundled_site: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    promised = readme.split("Downloads (a stable contract):", 1)[1].split("and the tables of every analysis", 1)[0]
    names = re.findall(r"`(?:downloads/)?([a-z_]+\.csv)`", promised)
    assert len(names) >= 15
    missing = [name for name in names if not (bundled_site / "downloads" / name).is_file()]
    assert not missing


def test_family_pages_flag_the_unhealthy_runs_behind_their_costs(bundled_site: Path) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in read_csv(bundled_site / "downloads" / "run_health.csv"):
        if row["family"] == "bert" and row["strategy"]:
            counts[row["strategy"]][0] += 1
            counts[row["strategy"]][1] += row["verdict"] != "healthy"
    page = (bundled_site / "families" / "bert.html").read_text()
    costs = page.split("Measured costs of BERT-base", 1)[1].split("</table>", 1)[0]
    rows = [html.unescape(re.sub(r"<[^>]+>", " ", row)).split() for row in re.findall(r"<tr>(.*?)</tr>", costs)]
    shown = {row[0]: row[2:5] for row in rows[1:]}  # strategy, model (one word), runs, ⚠, count
    assert shown == {s: [f"{n:,}", "⚠", str(u)] for s, (n, u) in counts.items()}


def test_methods_are_compared_at_the_ranks_they_all_have(bundled_site: Path) -> None:
    """DeBERTa, teacher group: LoRA ran ranks 8 to 64, the other methods rank 8 only, so LoRA's cells are its rank-8
    runs (read from the raw files) wherever methods are compared."""
    ranks: dict[str, set[int]] = defaultdict(set)
    qqp: list[float] = []
    for folder, _, names in os.walk(RESULTS / "lora"):
        if "metrics.json" in names:
            data = json.loads((Path(folder) / "metrics.json").read_text())
            args = data["args"]
            if args["model_family"] == "deberta":
                ranks[args["peft"]].add(int(args["rank"]))
                if args["peft"] == "lora" and args["task"] == "qqp" and int(args["rank"]) == 8:
                    qqp.append(data["eval_accuracy"])
    shared = set.intersection(*ranks.values())
    assert shared == {8} and ranks["lora"] > shared
    (cell,) = [
        r
        for r in read_csv(bundled_site / "downloads" / "variant_cells.csv")
        if (r["group"], r["method"], r["family"], r["column"]) == ("teacher", "lora", "deberta", "qqp")
    ]
    assert (int(cell["n_runs"]), float(cell["mean"])) == (len(qqp), pytest.approx(statistics.fmean(qqp), rel=1e-12))
    teacher = (bundled_site / "variants.html").read_text().split("Compared at ranks:", 1)[1].split("</p>", 1)[0]
    assert re.search(r"DeBERTa-v3-base 8[;.]", teacher)


def test_a_verdict_gives_the_uncorrected_p_when_only_the_correction_rejects_it(bundled_site: Path) -> None:
    (row,) = [
        r
        for r in read_csv(bundled_site / "downloads" / "comparisons.csv")
        if (r["compared"], r["family"], r["from"], r["to"], r["task"])
        == ("strategies", "all families", "FFT", "LoRA", "GLUE")
    ]
    p, p_holm = float(row["p"]), float(row["p_holm"])
    assert p < 0.05 <= p_holm
    overview = (bundled_site / "index.html").read_text()
    assert f"GLUE -3.8 points (not significant after correction, uncorrected p = {p:.2g}, n = 3 families)" in overview
