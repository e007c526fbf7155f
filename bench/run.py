"""Time ingest, builds, rebuilds and serve at three sizes, each next to its floor measured in the same run.

Sizes: the real 2,941 result files in data/ (copied to a scratch folder first: nothing is written into
data/) and synthetic trees from bench/make_results.py (30,000 and 300,000 runs by default). Per size, each
figure is the median of --runs runs with min–max, in a fresh process:

- ingest: ``load_sources`` with the build cache off, against the floor of walking the same tree, reading every
  metrics.json and parsing it with orjson in one process;
- cold build: ``mkdocs build`` with an empty build cache, against the floor of MkDocs building the same generated
  pages from a plain folder with no generation; its peak RSS is that of the largest process;
- warm rebuild: ``mkdocs build`` again with unchanged data and the cache of a previous build;
- add one file: a new run's metrics.json added, then ``mkdocs build`` with the cache;
- serve, the way an author sees it: ``mkdocs serve`` running, from writing a file to the server answering with the
  page that shows it (the browser's live reload fetches that page): a run's file added (until the footer shows the
  new results fingerprint), one value edited in the bundled reference table (until Efficiency shows it) and a
  hand-written page edited (until it shows the new line). The floor beside them is the MkDocs floor: a served
  rebuild is a whole MkDocs build. Up to --serve-max runs: above, three served rebuilds at 300k runs would break
  the harness's 20-minute budget.

The table is printed and written to bench/RESULTS.md with the machine's core count.

Usage: python bench/run.py [--sizes real,30000,300000] [--runs 3] [--work DIR] [--serve-max N] [--output FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from mkdocs.utils.yaml import get_yaml_loader, yaml_load

ROOT = Path(__file__).resolve().parents[1]
REAL_RESULTS = ROOT / "data" / "kd-lora-results" / "results"
REAL_CONFIG = ROOT / "data" / "report.yml"
MKDOCS_YML = ROOT / "mkdocs.yml"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"

# Each script runs in a fresh interpreter and prints the seconds its timed part took, then a count.
INGEST = """
import sys, time
from gen.config import load_config
from gen.sources.load import load_sources
config = load_config(sys.argv[1])
start = time.perf_counter()
loaded = load_sources(config)
print(time.perf_counter() - start, len(loaded.files))
"""
PARSE_FLOOR = """
import fnmatch, os, sys, time
import orjson
start = time.perf_counter()
count = 0
for folder, _, files in os.walk(sys.argv[1]):
    for name in fnmatch.filter(files, "metrics.json"):
        with open(os.path.join(folder, name), "rb") as handle:
            orjson.loads(handle.read())
        count += 1
print(time.perf_counter() - start, count)
"""
# The pages a build writes, into a plain folder, for the MkDocs floor: replayed from the build cache when the cold
# builds left them there (the same pages), generated otherwise.
GENERATE = """
import sys
from pathlib import Path
from gen.build import cached_or_generated
from gen.config import load_config
from gen.pages.writers import DirectoryWriter
result = cached_or_generated(load_config(sys.argv[1]))
result.output.replay(DirectoryWriter(Path(sys.argv[2])))
# Hand-written pages copied beside the generated ones get their [[...]] markers filled in, as gen/hooks.py would.
for page in Path(sys.argv[2]).rglob("*.md"):
    page.write_text(result.embeds.expand(page.read_text(), page.relative_to(sys.argv[2]).as_posix()))
"""
FINGERPRINT = re.compile(r"Results fingerprint (\w+)")
SEED_FOLDER = re.compile(r"^(task_.+_)(\d+)$")


@dataclass
class Sample:
    """One timed process: wall seconds, its peak RSS (largest process, children included) and its stdout."""

    seconds: float
    peak_mb: float
    stdout: str


def measure(command: list[str], env: dict[str, str]) -> Sample:
    """Run ``command`` from the repo root; exits with its stderr if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        # wait4 rather than wait: it also returns the child's resource usage, peak RSS included.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            err.seek(0)
            sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{err.read().decode()[-4000:]}")
        out.seek(0)
        return Sample(seconds, usage.ru_maxrss / 1024, out.read().decode())


def timed_script(script: str, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds and count that a GENERATE-style script printed."""
    seconds, count = measure([sys.executable, "-c", script, *args], env).stdout.split()
    return float(seconds), int(count)


def site_config(docs_dir: Path, site_dir: Path) -> dict[str, Any]:
    """The project's mkdocs.yml reading pages from ``docs_dir`` into ``site_dir``, for a copy written elsewhere:
    the paths it gives relative to its own folder made absolute."""
    config: dict[str, Any] = yaml_load(MKDOCS_YML.read_text(encoding="utf-8"), loader=get_yaml_loader(yaml.SafeLoader))
    config["docs_dir"], config["site_dir"] = str(docs_dir), str(site_dir)
    config["theme"]["custom_dir"] = str(MKDOCS_YML.parent / config["theme"]["custom_dir"])
    config["hooks"] = [str(MKDOCS_YML.parent / hook) for hook in config.get("hooks", [])]
    config["watch"] = [str(MKDOCS_YML.parent / folder) for folder in config.get("watch", [])]
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "gen-files" in plugin:
            plugin["gen-files"]["scripts"] = [str(MKDOCS_YML.parent / s) for s in plugin["gen-files"]["scripts"]]
    return config


def write_yaml(config: dict[str, Any], target: Path) -> None:
    """Write a config as YAML, keys in their order."""
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def floor_config(docs_dir: Path, site_dir: Path, target: Path, extra_features: tuple[str, ...] = ()) -> None:
    """Write to ``target`` mkdocs.yml without gen-files and ``watch``, reading pages generated into ``docs_dir``."""
    config = site_config(docs_dir, site_dir)
    # Each plugin entry is a name or a one-key mapping {name: options}.
    config["plugins"] = [p for p in config["plugins"] if (p if isinstance(p, str) else next(iter(p))) != "gen-files"]
    config.pop("watch", None)
    config["theme"]["features"] = [*config["theme"]["features"], *extra_features]
    # DirectoryWriter leaves the footer the plugin would set as ``copyright`` in footer.txt.
    config["copyright"] = (docs_dir / "footer.txt").read_text(encoding="utf-8").strip()
    write_yaml(config, target)


def write_config(results: Path, target: Path) -> None:
    """The real data's report config, reading ``results`` instead, and a copy of its reference table (which the
    serve benchmark edits) beside ``target``, with its other paths made absolute."""
    config = yaml.safe_load(REAL_CONFIG.read_text(encoding="utf-8"))
    config["sources"][0]["path"] = str(results)
    config["published"]["path"] = str((REAL_CONFIG.parent / config["published"]["path"]).resolve())
    reference = target.parent / "reference.csv"
    shutil.copyfile(REAL_CONFIG.parent / config["efficiency"]["table"], reference)
    config["efficiency"]["table"] = str(reference)
    write_yaml(config, target)


def serve_config(docs_dir: Path, site_dir: Path, target: Path) -> None:
    """Write to ``target`` the project's mkdocs.yml reading hand-written pages from ``docs_dir`` (a copy the serve
    benchmark edits)."""
    write_yaml(site_config(docs_dir, site_dir), target)


# The reference table's cell the serve benchmark edits: BERT-base FFT's memory, shown on Efficiency.
EDITED_ROW, EDITED_COLUMN = 1, "Memory Usage"


def edit_reference(table: Path, number: int) -> str:
    """Set the edited cell to a value no page shows yet; the text Efficiency will show for it."""
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[EDITED_ROW].rstrip("\n").split(",")
    value = 4321.1 + number
    cells[header.index(EDITED_COLUMN)] = f"{value:.1f}MB"
    lines[EDITED_ROW] = ",".join(cells) + "\n"
    table.write_text("".join(lines), encoding="utf-8")
    return f"{value:,.1f}"


def edit_page(page: Path, number: int) -> str:
    """Append a line to a hand-written page; the text the page will show."""
    line = f"Edited for the benchmark, number {number}."
    page.write_text(page.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return line


def add_run(results: Path, number: int, added: list[Path]) -> None:
    """Copy one run's metrics.json as a new run (a new seed); appends the new file's path to ``added``."""
    template = next(results.rglob("metrics.json"))
    parts = list(template.relative_to(results).parts)
    index, match = next((i, m) for i, part in enumerate(parts) if (m := SEED_FOLDER.match(part)))
    parts[index] = f"{match.group(1)}{900_000 + number}"
    target = results.joinpath(*parts)
    target.parent.mkdir(parents=True)
    shutil.copyfile(template, target)
    added.append(target)


def page(url: str) -> str:
    """The page, or an empty string while the server is not answering."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return ""


def fingerprint(url: str) -> str | None:
    """The results fingerprint in the page footer, or None while there is no page."""
    found = FINGERPRINT.search(page(url))
    return found.group(1) if found else None


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition()`` is true; exits if it never is."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if condition():
            return time.perf_counter() - start
        time.sleep(0.05)
    sys.exit(f"timed out after {timeout:.0f} s")


def reload_seconds(url: str, change: Callable[[], object]) -> float:
    """Seconds from ``change()`` until ``url`` shows another results fingerprint."""
    before = fingerprint(url)
    change()
    # Generous: at the largest sizes a rebuild re-analyses every run.
    return wait_until(lambda: fingerprint(url) not in (None, before), timeout=900)


def shown_seconds(url: str, change: Callable[[], str]) -> float:
    """Seconds from ``change()`` until ``url`` shows the text it returns."""
    start = time.perf_counter()
    text = change()
    wait_until(lambda: text in page(url), timeout=900)
    return time.perf_counter() - start


@contextmanager
def serving(env: dict[str, str], port: int, config: Path) -> Iterator[str]:
    """``mkdocs serve -f config`` for the duration; yields the site's URL once its index page answers."""
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: fingerprint(url + "index.html") is not None, timeout=900)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


@dataclass
class SizeResult:
    """Every figure measured at one size; lists hold one value per run."""

    name: str
    files: int = 0
    ingest_s: list[float] = field(default_factory=list)
    parse_floor_s: list[float] = field(default_factory=list)
    cold_s: list[float] = field(default_factory=list)
    cold_peak_mb: list[float] = field(default_factory=list)
    mkdocs_floor_s: list[float] = field(default_factory=list)
    prune_floor_s: list[float] = field(default_factory=list)
    stat_floor_s: list[float] = field(default_factory=list)
    warm_s: list[float] = field(default_factory=list)
    add_one_s: list[float] = field(default_factory=list)
    serve_s: list[float] = field(default_factory=list)
    serve_table_s: list[float] = field(default_factory=list)
    serve_page_s: list[float] = field(default_factory=list)
    serve_floor_s: list[float] = field(default_factory=list)
    cold_no_images_s: list[float] = field(default_factory=list)
    pages: int = 0


def prepare(size: str, work: Path) -> Path:
    """The results tree for ``size``: a fresh copy of the real files, or a synthetic tree (reused if complete)."""
    if size == "real":
        target = work / "real"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(REAL_RESULTS, target)
        return target
    target = work / f"synthetic-{size}"
    done = target / ".complete"
    if not done.exists():
        print(f"  writing {int(size):,} synthetic runs", flush=True)
        make = [sys.executable, str(ROOT / "bench" / "make_results.py"), size, str(target), "--force"]
        measure(make, dict(os.environ))
        done.touch()
    return target


def run_size(size: str, runs: int, work: Path, serve: bool, port: int) -> SizeResult:
    """Every measurement at one size."""
    result = SizeResult(size)
    results = prepare(size, work)
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{size}-", dir=work))
    config = scratch / "report.yml"
    write_config(results, config)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "REPORT_CONFIG": str(config), "SOURCE_DATE_EPOCH": "0"}
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
    added: list[Path] = []
    try:
        print("  ingest and its parse floor", flush=True)
        # Untimed: both are then measured with the tree in the page cache (else whichever runs first reads the disk).
        timed_script(PARSE_FLOOR, [str(results)], env)
        for _ in range(runs):
            seconds, result.files = timed_script(PARSE_FLOOR, [str(results)], env)
            result.parse_floor_s.append(seconds)
            seconds, files = timed_script(INGEST, [str(config)], {**env, "REPORT_CACHE": "off"})
            result.ingest_s.append(seconds)
            if files != result.files:
                sys.exit(f"ingest accounted for {files} files, the floor read {result.files}")

        print("  cold builds", flush=True)
        for number in range(runs):
            cache = scratch / f"cache-{number}"
            sample = measure([*mkdocs, "-d", str(scratch / "site")], {**env, "REPORT_CACHE": str(cache)})
            result.cold_s.append(sample.seconds)
            result.cold_peak_mb.append(sample.peak_mb)
        result.pages = sum(1 for _ in (scratch / "site").rglob("*.html"))
        for number in range(runs):
            plain = {**env, "REPORT_CACHE": str(scratch / f"cache-plain-{number}"), "REPORT_IMAGES": "off"}
            result.cold_no_images_s.append(measure([*mkdocs, "-d", str(scratch / "plain-site")], plain).seconds)
        env["REPORT_CACHE"] = str(cache)

        print("  MkDocs floor: its pages generated beforehand", flush=True)
        docs = scratch / "docs"
        shutil.copytree(ROOT / "docs", docs)
        measure([sys.executable, "-c", GENERATE, str(config), str(docs)], env)
        floor_config(docs, scratch / "floor-site", scratch / "floor.yml")
        floor_config(docs, scratch / "floor-site", scratch / "prune.yml", ("navigation.prune",))

        print("  warm rebuilds, each beside its floors, then rebuilds after adding one file", flush=True)
        for _ in range(runs):
            # Floor and rebuild in turn: the machine's drift (these differ by 0.1 s from one minute to the next on
            # 2 busy cores) then moves both, not their ratio.
            result.mkdocs_floor_s.append(measure([*mkdocs, "-f", str(scratch / "floor.yml")], env).seconds)
            result.prune_floor_s.append(measure([*mkdocs, "-f", str(scratch / "prune.yml")], env).seconds)
            result.warm_s.append(measure([*mkdocs, "-d", str(scratch / "site")], env).seconds)
            # Knowing that nothing changed takes a stat of every file: GNU find's is the floor for that.
            find = ["find", "-L", str(results), "-printf", "%p %s %T@\\n"]
            result.stat_floor_s.append(measure(find, env).seconds)
        for number in range(runs):
            add_run(results, number, added)
            result.add_one_s.append(measure([*mkdocs, "-d", str(scratch / "site")], env).seconds)

        if serve:
            print("  serve floor: MkDocs serving the pages generated beforehand, a page edited", flush=True)
            with serving(env, port + 1, scratch / "floor.yml") as url:
                for number in range(runs):
                    time.sleep(1.0)
                    result.serve_floor_s.append(
                        shown_seconds(url + "writing.html", partial(edit_page, docs / "writing.md", number))
                    )
            print("  mkdocs serve: add a file, edit a table value, edit a hand-written page", flush=True)
            served_docs = scratch / "served-docs"
            shutil.copytree(ROOT / "docs", served_docs)
            serve_config(served_docs, scratch / "served-site", scratch / "serve.yml")
            with serving(env, port, scratch / "serve.yml") as url:
                for number in range(runs, 2 * runs):
                    time.sleep(1.0)  # let the watcher settle after the previous rebuild
                    result.serve_s.append(reload_seconds(url + "index.html", partial(add_run, results, number, added)))
                    time.sleep(1.0)
                    edit = partial(edit_reference, scratch / "reference.csv", number)
                    result.serve_table_s.append(shown_seconds(url + "efficiency.html", edit))
                    time.sleep(1.0)
                    edit = partial(edit_page, served_docs / "writing.md", number)
                    result.serve_page_s.append(shown_seconds(url + "writing.html", edit))
    finally:
        # A synthetic tree is kept for the next invocation: it must be as make_results wrote it.
        for path in added:
            shutil.rmtree(path.parent)
            # And the folders made for it, now empty (the seed folder): rmdir refuses any that holds something.
            for folder in path.parent.parents:
                if folder == results:
                    break
                try:
                    folder.rmdir()
                except OSError:
                    break
        shutil.rmtree(scratch)
    return result


def spread(values: list[float], digits: int = 2) -> str:
    """``median (min–max)``."""
    if not values:
        return "not measured"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def ratio(values: list[float], floor: list[float]) -> str:
    """The median as a multiple of the floor's median."""
    if not values or not floor:
        return ""
    return f"{statistics.median(values) / statistics.median(floor):.2f}×"


def against(values: list[float], floor: list[float], digits: int = 2) -> list[str]:
    """Cells for a figure next to its floor: both spreads and the ratio of their medians."""
    return [spread(values, digits), spread(floor, digits), ratio(values, floor)]


def table(results: list[SizeResult]) -> str:
    """The markdown table of every figure, one block of rows per size."""
    lines = [
        "| size | figure | median (min–max) | floor: median (min–max) | × floor | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        label = f"{r.name} ({r.files:,} files)" if r.name == "real" else f"{int(r.name):,} synthetic"
        # As rates, the ratio is still floor-relative time: the floor's rate over ours.
        rate = [r.files / s for s in r.ingest_s]
        floor_rate = [r.files / s for s in r.parse_floor_s]
        both = [a + b for a, b in zip(r.mkdocs_floor_s, r.stat_floor_s, strict=False)]
        rows = [
            ["ingest, files/s", spread(rate, 0), spread(floor_rate, 0), ratio(r.ingest_s, r.parse_floor_s), "≤ 2×"],
            ["ingest, s", *against(r.ingest_s, r.parse_floor_s), "linear in files"],
            ["cold build, s", *against(r.cold_s, r.mkdocs_floor_s), "≤ 3× (real); ≤ 45 s (300k)"],
            ["· without static SVG/PNG (as serve builds), s", *against(r.cold_no_images_s, r.mkdocs_floor_s), ""],
            ["warm rebuild, unchanged, s", *against(r.warm_s, r.mkdocs_floor_s), "≤ 1.1×"],
            ["· against MkDocs + stat-every-file floors", *against(r.warm_s, both), ""],
            ["rebuild after adding one file, s", *against(r.add_one_s, r.mkdocs_floor_s), "≤ 1.5×; ≤ 10 s (300k)"],
            ["serve: add a file → page shows it, s", *against(r.serve_s, r.serve_floor_s), "≤ 2 s"],
            ["serve: edit a table value → page shows it, s", *against(r.serve_table_s, r.serve_floor_s), "≤ 1.5 s"],
            ["serve: edit a written page → page shows it, s", *against(r.serve_page_s, r.serve_floor_s), "≤ 1.5 s"],
            [
                "serve floor: MkDocs and the project's hooks, no generation, a page edited → shown, s",
                spread(r.serve_floor_s),
                "",
                "",
                "measured",
            ],
            ["cold build peak RSS, MB", spread(r.cold_peak_mb, 0), "", "", "< 4,096 (300k)"],
            ["MkDocs floor with navigation.prune, s", *against(r.prune_floor_s, r.mkdocs_floor_s), "measured"],
            ["HTML pages", str(r.pages), "", "", "independent of runs"],
        ]
        lines.extend(f"| {label} | {' | '.join(cells)} |" for cells in rows)
    return "\n".join(lines)


def main() -> None:
    """Measure every size in turn, print the table and write bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,30000,300000", help="comma-separated: real and/or run counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--work", type=Path, help="scratch folder; synthetic trees written there are reused")
    parser.add_argument(
        "--serve-max",
        type=int,
        default=30_000,
        help="measure mkdocs serve up to this many runs (default 30000; 0: never; real data counts as small)",
    )
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--output", default=str(RESULTS_MD), help="where to write the table ('-': print only)")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    if args.runs < 1 or any(s != "real" and not s.isdigit() for s in sizes):
        parser.error("--runs must be at least 1 and --sizes 'real' or whole numbers")
    if "real" in sizes and not REAL_RESULTS.is_dir():
        sys.exit(f"bench: {REAL_RESULTS} not found (the real result files live there)")

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as temporary:
        work = args.work.resolve() if args.work else Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            print(f"size {size}:", flush=True)
            serve = args.serve_max > 0 and (size == "real" or int(size) <= args.serve_max)
            results.append(run_size(size, args.runs, work, serve, args.port))
    minutes = (time.perf_counter() - started) / 60
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    report = (
        "# Benchmark results\n\n"
        f"`python bench/run.py --sizes {args.sizes} --runs {args.runs}` on {datetime.date.today()}, commit "
        f"{commit.stdout.strip() or 'unknown'}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{minutes:.1f} min in all. Each figure is the median of {args.runs} runs (min–max), next to its floor "
        "measured in the same run; bench/README.md says what each one is.\n\n"
        f"{table(results)}\n"
    )
    print(report)
    if args.output != "-":
        Path(args.output).write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
