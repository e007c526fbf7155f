"""Time the full site build on the real result files next to the MkDocs floor, measured in the same run.

- full build: ``mkdocs build --strict`` with the gen-files plugin, i.e. generation plus MkDocs.
- floor: MkDocs building the same generated pages and assets from a plain folder, with no generation.
- generation: config → analyse → write_site into a folder, in a fresh interpreter like the plugin's,
  split into imports, analyse and write_site (pages, charts, downloads).

Usage: python bench/build.py [--runs N] [--config PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from mkdocs.utils.yaml import get_yaml_loader, yaml_load

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_CONFIG = ROOT / "tests" / "configs" / "kd-lora-results.yml"
MKDOCS_YML = ROOT / "mkdocs.yml"

# Run in a fresh interpreter; prints the seconds spent importing, analysing and writing.
GENERATE = """
import sys, time
start = time.perf_counter()
from pathlib import Path
from gen.report import analyse
from gen.config import load_config
from gen.pages.site import write_site
from gen.pages.writers import DirectoryWriter
imported = time.perf_counter()
report = analyse(load_config(sys.argv[1]))
analysed = time.perf_counter()
write_site(report, DirectoryWriter(Path(sys.argv[2])))
written = time.perf_counter()
# Hand-written pages copied beside the generated ones get their [[...]] markers filled in, as gen/hooks.py would.
from gen.pages import embeds
for page in Path(sys.argv[2]).rglob("*.md"):
    page.write_text(embeds.CURRENT.expand(page.read_text(), page.relative_to(sys.argv[2]).as_posix()))
print(imported - start, analysed - imported, written - analysed)
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run a command from the repo root; its wall time and stdout. Exits with its stderr if it fails."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    return seconds, result.stdout


def floor_config(docs_dir: Path, site_dir: Path, target: Path) -> None:
    """Write to ``target`` mkdocs.yml without gen-files and ``watch``, reading pages generated into ``docs_dir``."""
    config = yaml_load(MKDOCS_YML.read_text(encoding="utf-8"), loader=get_yaml_loader(yaml.SafeLoader))
    # Each plugin entry is a name or a one-key mapping {name: options}.
    config["plugins"] = [p for p in config["plugins"] if (p if isinstance(p, str) else next(iter(p))) != "gen-files"]
    config.pop("watch", None)
    config["docs_dir"], config["site_dir"] = str(docs_dir), str(site_dir)
    # Other relative paths are relative to mkdocs.yml's folder; the copy lives elsewhere.
    if isinstance(config["theme"], dict) and "custom_dir" in config["theme"]:
        config["theme"]["custom_dir"] = str(MKDOCS_YML.parent / config["theme"]["custom_dir"])
    if "hooks" in config:
        config["hooks"] = [str(MKDOCS_YML.parent / hook) for hook in config["hooks"]]
    # DirectoryWriter leaves the footer the plugin would set as ``copyright`` in footer.txt.
    footer = docs_dir / "footer.txt"
    if footer.exists():
        config["copyright"] = footer.read_text(encoding="utf-8").strip()
        footer.unlink()
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def row(name: str, times: list[float], floor: float) -> str:
    """One markdown table row: median, min–max and the median as a multiple of the floor's."""
    median = statistics.median(times)
    return f"| {name} | {median:.2f} | {min(times):.2f}–{max(times):.2f} | {median / floor:.2f}× |"


def main() -> None:
    """Time generation, the floor and the full build, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--config", type=Path, default=REAL_CONFIG, help="report config (default: the real data)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    config = args.config.resolve()
    if config == REAL_CONFIG and not SHARED.is_dir():
        print(f"bench: {SHARED} not found (the real result files live there); nothing to time", file=sys.stderr)
        sys.exit(2)

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "REPORT_CONFIG": str(config)}
    env.setdefault("SOURCE_DATE_EPOCH", "0")  # as gen/build.py does, so both builds stamp the same sitemap
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
    times: dict[str, list[float]] = {k: [] for k in ("full", "floor", "generation", "imports", "analyse", "write")}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        docs, floor_yml = Path(tmp) / "docs", Path(tmp) / "mkdocs.yml"
        shutil.copytree(ROOT / "docs", docs)
        generate = [sys.executable, "-c", GENERATE, str(config)]
        timed([*generate, str(docs)], env)  # the floor's pages; untimed, it also warms the file cache
        floor_config(docs, Path(tmp) / "floor-site", floor_yml)
        for _ in range(args.runs):
            seconds, stages = timed([*generate, str(Path(tmp) / "generated")], env)
            times["generation"].append(seconds)
            for key, value in zip(("imports", "analyse", "write"), stages.split(), strict=True):
                times[key].append(float(value))
            times["floor"].append(timed([*mkdocs, "-f", str(floor_yml)], env)[0])
            times["full"].append(timed([*mkdocs, "-f", str(MKDOCS_YML), "-d", str(Path(tmp) / "full-site")], env)[0])

    floor = statistics.median(times["floor"])
    print(f"config: {config}\nruns: {args.runs}, cores: {os.cpu_count()}\n")
    print("| stage | median s | min–max s | vs floor |\n|---|---:|---:|---:|")
    print(row("full build (mkdocs + gen-files)", times["full"], floor))
    print(row("floor (mkdocs, pages pre-generated)", times["floor"], floor))
    print(row("generation (fresh interpreter)", times["generation"], floor))
    print(row("· imports", times["imports"], floor))
    print(row("· analyse (read + analyses)", times["analyse"], floor))
    print(row("· write_site (pages, charts, CSVs)", times["write"], floor))


if __name__ == "__main__":
    main()
