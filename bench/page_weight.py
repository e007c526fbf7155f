"""What each page of a built site transfers on its own: the HTML plus the chart specs and data files it fetches.

The shared files (Material's assets, javascripts/ with the vega bundle, stylesheets/, the search index) are
loaded once per visit and cached, so they are reported once, not per page. Static chart SVGs are fetched only to
print or without JavaScript; they are listed beside the total, not in it. Sizes are raw bytes as written and
gzip-compressed (what a compressing server sends). The largest page must stay under the budget.

Usage: python bench/page_weight.py [SITE_DIR] [--config REPORT_YML]
(without SITE_DIR, builds the site, from REPORT_YML when given, into a temporary folder)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import posixpath
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 1_000_000  # bytes per page, shared files excluded
SHARED = ("assets/", "javascripts/", "stylesheets/", "search/")


class _Refs(HTMLParser):
    """Collects a page's chart specs (data-spec), static chart images (data-static), scripts and stylesheets."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: list[str] = []
        self.images: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if spec := values.get("data-spec"):
            self.specs.append(spec)
        if image := values.get("data-static"):
            self.images.append(image)
        if tag == "script" and (src := values.get("src")):
            self.assets.append(src)
        if tag == "link" and values.get("rel") == "stylesheet" and (href := values.get("href")):
            self.assets.append(href)


def _refs(root: Path, page: str) -> _Refs:
    parser = _Refs()
    parser.feed((root / page).read_text(encoding="utf-8"))
    return parser


@dataclass(frozen=True)
class PageWeight:
    """One page's own files (site-relative path → bytes) and the static images it fetches only to print."""

    page: str
    files: dict[str, int]
    static: dict[str, int]
    gzip: int

    @property
    def total(self) -> int:
        """Bytes of the page's own files."""
        return sum(self.files.values())


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def own_files(root: Path, page: str) -> tuple[list[str], list[str]]:
    """Site-relative paths a page fetches itself when scripts run (HTML, specs, data), and its static images."""
    parser = _refs(root, page)
    folder = posixpath.dirname(page)
    specs = [posixpath.normpath(posixpath.join(folder, spec)) for spec in parser.specs]
    data = []
    for spec in specs:
        url = json.loads((root / spec).read_text(encoding="utf-8")).get("data", {}).get("url")
        if url:
            data.append(posixpath.normpath(posixpath.join(posixpath.dirname(spec), url)))
    images = [posixpath.normpath(posixpath.join(folder, image)) for image in parser.images]
    return [page, *specs, *data], images


def page_weights(root: Path) -> list[PageWeight]:
    """The weight of every HTML page of a built site, heaviest first."""
    weights = []
    for html in sorted(root.rglob("*.html")):
        page = html.relative_to(root).as_posix()
        own, images = own_files(root, page)
        weights.append(
            PageWeight(
                page=page,
                files={path: (root / path).stat().st_size for path in own},
                static={path: (root / path).stat().st_size for path in images},
                gzip=sum(_gzip_size(root / path) for path in own),
            )
        )
    return sorted(weights, key=lambda w: (-w.total, w.page))


def shared_size(root: Path) -> int:
    """Bytes of the shared files a visit loads once: the Overview's scripts and stylesheets, and the search index."""
    paths = {posixpath.normpath(asset) for asset in _refs(root, "index.html").assets if asset.startswith(SHARED)}
    return sum((root / path).stat().st_size for path in paths | {"search/search_index.json"})


def _kb(size: int) -> str:
    return f"{size / 1000:,.1f} kB"


def table(root: Path) -> str:
    """The page-weight table as markdown."""
    weights = page_weights(root)
    lines = [
        "| page | HTML | chart specs + data | total | total gzip | static SVGs (print / no JS) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in weights:
        html = w.files[w.page]
        lines.append(
            f"| {w.page} | {_kb(html)} | {_kb(w.total - html)} ({len(w.files) - 1} files) | {_kb(w.total)} | "
            f"{_kb(w.gzip)} | {_kb(sum(w.static.values()))} |"
        )
    heaviest = weights[0]
    lines += [
        "",
        f"Largest page: {heaviest.page}, {_kb(heaviest.total)} (budget {_kb(BUDGET)}, shared files excluded).",
        f"Shared scripts, styles and search index, loaded once per visit and cached: {_kb(shared_size(root))}.",
    ]
    return "\n".join(lines)


def _build(out: Path, config: Path | None) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if config is not None:
        env["REPORT_CONFIG"] = str(config.resolve())
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q", "--strict", "-f", str(ROOT / "mkdocs.yml")]
    subprocess.run([*mkdocs, "-d", str(out)], cwd=ROOT, env=env, check=True)


def main() -> int:
    """Print the table; exit 1 when the largest page is over budget."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site (default: build one)")
    parser.add_argument("--config", type=Path, help="report.yml to build from (default: data/report.yml)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.site
        if root is None:
            root = Path(scratch) / "site"
            _build(root, args.config)
        print(table(root))
        return 1 if page_weights(root)[0].total > BUDGET else 0


if __name__ == "__main__":
    sys.exit(main())
