"""Weight: shared scripts are fetched once per visit; a chart with thousands of rows loads its data from a separate
file; bench/page_weight.py counts exactly what each page fetches, and the heaviest page stays under 1 MB."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bench.page_weight import BUDGET, own_files, page_weights, table
from gen.charts import INLINE_ROWS
from tests.conftest import PUBLISHED_CONFIG, ROOT, built, serve
from tests.frontend import SHARED_PREFIXES, artifact, pages, site_path, tab, wait_drawn
from tests.test_browser import Served, assert_clean

# Fetched once per visit by Material itself (instant navigation reads the sitemap; mike's version list).
VISIT_FILES = {"sitemap.xml", "versions.json"}
SEEDS = 30  # × 81 task columns per seed: more run scores than INLINE_ROWS


@pytest.fixture(scope="module", params=["bundled_site", "published_site"])
def site(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Each built site, served on 127.0.0.1."""
    root: Path = request.getfixturevalue(request.param)
    with serve(root) as url:
        yield Served(root, url)


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from the bundled scores repeated over many seeds: its every-run chart has thousands of rows."""
    folder = tmp_path_factory.mktemp("many-runs")
    with (ROOT / "data" / "published" / "kd-lora-table-i.csv").open(newline="") as handle:
        published = list(csv.DictReader(handle))
    with (folder / "runs.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*published[0], "seed"])
        writer.writeheader()
        for seed in range(SEEDS):
            for row in published:
                # A deterministic spread of ±0.01 around the published score.
                value = min(1.0, float(row["value"]) + ((seed * 7919) % 41 - 20) / 2000)
                writer.writerow({**row, "value": f"{value:.4f}", "seed": seed})
    # The published-figures example, reading the repeated scores instead of the published ones.
    config = PUBLISHED_CONFIG.read_text()
    config = config.replace("path: ../data/published/kd-lora-table-i.csv", "path: runs.csv")
    config = config.replace("table: ../data/reference/", f"table: {ROOT / 'data' / 'reference'}/")
    assert "path: runs.csv" in config and str(ROOT / "data" / "reference") in config
    (folder / "report.yml").write_text(config)
    return built(folder / "site", folder / "report.yml")


@pytest.mark.browser
def test_shared_scripts_are_fetched_once_per_visit(browser: Browser, site: Served) -> None:
    with tab(browser, site) as (page, watch):
        page.goto(f"{site.url}/index.html", wait_until="load")
        wait_drawn(page, site.root / "index.html")
        visited = ["index.html"]
        targets = page.eval_on_selector_all(".md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)")
        for url in dict.fromkeys(targets):
            name = site_path(site, url)
            if not name or name in visited:
                continue
            page.locator(f'.md-nav--primary a.md-nav__link[href="{url}"]').first.click()
            page.wait_for_url(url)
            wait_drawn(page, site.root / name)
            visited.append(name)
        assert len(visited) >= 5
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no page was reloaded
        fetched = Counter(site_path(site, url) for url in watch.requests)
        scripts = [path for path in fetched if path and path.endswith(".js")]
        assert "javascripts/vega-bundle.js" in scripts
        assert {path: fetched[path] for path in scripts if fetched[path] != 1} == {}
        assert_clean(watch, site)


@pytest.mark.browser
def test_page_weight_counts_exactly_what_each_page_fetches(browser: Browser, site: Served) -> None:
    with tab(browser, site) as (page, watch):
        for name in pages(site.root):
            watch.requests.clear()
            page.goto(f"{site.url}/{name}", wait_until="load")
            wait_drawn(page, site.root / name)
            page.wait_for_load_state("networkidle")
            fetched = {site_path(site, url) for url in watch.requests}
            own = {path for path in fetched if path and not path.startswith(SHARED_PREFIXES)} - VISIT_FILES
            assert own == set(own_files(site.root, name)[0]), name


def test_the_heaviest_page_is_under_budget(site: Served) -> None:
    weights = page_weights(site.root)
    assert {w.page for w in weights} == set(pages(site.root))
    heaviest = weights[0]
    assert heaviest.total == max(w.total for w in weights) > 0
    assert heaviest.total < BUDGET, f"{heaviest.page} weighs {heaviest.total:,} bytes"
    report = table(site.root)
    artifact(f"page-weight-{site.root.parent.name}.md").write_text(report + "\n")
    print(f"\n{report}")


@pytest.mark.browser
def test_a_chart_with_thousands_of_rows_loads_its_data_from_a_separate_file(browser: Browser, many_runs: Path) -> None:
    spec = json.loads((many_runs / "charts" / "run-scores.vl.json").read_text())
    assert "datasets" not in spec and spec["data"]["url"] == "run-scores.data.json"
    rows = json.loads((many_runs / "charts" / "run-scores.data.json").read_text())
    assert len(rows) > INLINE_ROWS
    # Small charts keep their data inline.
    heatmaps = sorted((many_runs / "charts").glob("accuracy-heatmap-*.vl.json"))
    assert heatmaps and all("datasets" in json.loads(p.read_text()) for p in heatmaps)
    # Another port: the module's other sites may be served on the one test sites are built for (this test uses
    # no instant navigation, which needs it).
    with serve(many_runs, port=0) as url:
        served = Served(many_runs, url)
        with tab(browser, served) as (page, watch):
            page.goto(f"{url}/accuracy.html", wait_until="load")
            wait_drawn(page, many_runs / "accuracy.html")
            assert "charts/run-scores.data.json" in {site_path(served, u) for u in watch.requests}
            ticks = page.locator("#chart-run-scores .vl-view svg [aria-roledescription=point]")
            assert ticks.count() == len(rows)
            assert_clean(watch, served)
            page.goto(f"{url}/index.html", wait_until="load")
            wait_drawn(page, many_runs / "index.html")
            assert [u for u in watch.requests if u.endswith(".data.json")] == [f"{url}/charts/run-scores.data.json"]
