"""Nothing injected: hostile strings in result files reach every page, chart and download as literal text."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import built, serve

XSS = '<img src=x onerror="window.__pwned=1;alert(1)">'
LINK = "](javascript:alert(1))"
TEMPLATE = "{{ 7*7 }}"
FORMULA = '=HYPERLINK("http://example.invalid","x")'
SCRIPT = "<script>window.__pwned=1</script>"
SETTLED = "() => [...document.querySelectorAll('.vl-figure')].every(f => ['yes', 'failed'].includes(f.dataset.drawn))"
PAGES = ["index.html", "accuracy.html", "efficiency.html", "data-quality.html", "data.html"]


def result(task: str, metric: str, seed: int, variant: str, family: str = XSS) -> dict[str, object]:
    return {
        f"eval_{metric}": 0.8 - seed / 100,
        "eval_runtime": 1.0,
        "variant": variant,
        "args": {"task": task, "model_family": family, "seed": seed, "peft": LINK, "note": TEMPLATE, "tag": FORMULA},
        "train": {"train_time": 10.0, "trainable_params_count": 1.0, "memory_allocated": [100.0]},
    }


@pytest.fixture(scope="module")
def poisoned_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("poison")
    results = root / "results"
    for seed in (1, 2):
        for variant in ("fft", "lora"):
            for task, metric in (("rte", "accuracy"), ("cola", "matthews_correlation")):
                path = results / f"{variant}{seed}{task}" / SCRIPT.replace("/", "∕") / "metrics.json"
                path.parent.mkdir(parents=True)
                path.write_text(json.dumps(result(task, metric, seed, variant)))
    unmatched = results / "other" / "metrics.json"
    unmatched.parent.mkdir(parents=True)
    unmatched.write_text(json.dumps(result("rte", "accuracy", 1, XSS, family=SCRIPT)))
    broken = results / XSS.replace("/", "∕") / "metrics.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"eval_accuracy": "' + SCRIPT + '", "args": {"task": "rte", "model_family": "x"}}')
    config = root / "report.yml"
    config.write_text(
        json.dumps(
            {
                "title": f"Poison {XSS}",
                "description": f"{LINK} {TEMPLATE}",
                "sources": [{"type": "metrics-json", "path": str(results)}],
                "strategies": [
                    {"name": "FFT", "match": {"variant": "fft"}},
                    {"name": f"LoRA {SCRIPT}", "match": {"variant": "lora"}},
                ],
                "models": {XSS: {"name": f"Model {XSS}"}},
            }
        )
    )
    return built(root / "site", config)


def test_no_script_runs_and_no_element_is_injected(browser: Browser, poisoned_site: Path) -> None:
    with serve(poisoned_site) as base:
        context = browser.new_context()
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        tooltips_with_poison = 0
        for name in PAGES:
            page.goto(f"{base}/{name}")
            page.wait_for_load_state("networkidle")
            page.wait_for_function(SETTLED, timeout=30_000)
            # Hover marks so tooltips (built from data) render too; they must show the data as text.
            tooltip = page.locator("#vg-tooltip-element")
            for mark in page.locator(".vl-target svg .mark-symbol path, .vl-target svg .mark-rect path").all()[:20]:
                mark.hover(force=True)
                if tooltip.count() and XSS in (tooltip.text_content() or ""):
                    tooltips_with_poison += 1
            assert page.evaluate("window.__pwned === undefined"), name
            assert page.locator("img[src='x'], img[onerror], a[href^='javascript:']").count() == 0, name
            assert page.evaluate("[...document.scripts].every(s => !s.textContent.includes('__pwned'))"), name
            assert page.locator(".vl-figure[data-drawn='failed']").count() == 0, name
        text = {}
        page.goto(f"{base}/index.html")
        text["index.html"] = page.inner_text("article")
        page.goto(f"{base}/data-quality.html")
        text["data-quality.html"] = page.inner_text("article")
        context.close()
    assert dialogs == []
    assert tooltips_with_poison > 0, "no tooltip showed the hostile model name as text"
    assert f"Poison {XSS}" in text["index.html"] and f"Model {XSS}" in text["index.html"]
    assert f"{LINK} {TEMPLATE}" in text["index.html"]
    assert XSS in text["data-quality.html"] and SCRIPT in text["data-quality.html"]


def test_downloads_keep_text_literal_and_formulas_inert(poisoned_site: Path) -> None:
    with (poisoned_site / "downloads" / "runs.csv").open(newline="") as handle:
        runs = list(csv.DictReader(handle))
    assert runs and {r["family"] for r in runs} == {XSS}
    assert {r["tag"] for r in runs} == {"'" + FORMULA}
    assert {r["note"] for r in runs} == {TEMPLATE}
    spec = json.loads((poisoned_site / "charts" / "score-vs-params-m.vl.json").read_text())
    values = {value for rows in spec["datasets"].values() for row in rows for value in row.values()}
    # Charts name the family by its models: display name, which carries the hostile string as literal text.
    assert f"Model {XSS}" in values
