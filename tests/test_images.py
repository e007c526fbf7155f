from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gen.build
from gen import images
from gen.config import load_config
from tests.conftest import REAL_CONFIG, ROOT


def spec(mark: str, y: int) -> dict[str, object]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": [{"x": 1, "y": 2}, {"x": 2, "y": y}]},
        "mark": mark,
        "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
    }


def test_worker_processes_render_what_this_process_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = [spec(mark, y) for mark in ("point", "bar", "line") for y in (3, 7)]
    assert len(specs) >= images.PARALLEL_MIN_IMAGES
    monkeypatch.setenv("REPORT_CACHE", "off")
    expected = [images.render(s) for s in specs]
    bundle = images.javascript_bundle()
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path))
    with images.Renderer() as renderer:
        renderer.add(specs[:1])  # too few to start workers: later additions do
        renderer.add(specs[1:])
        assert list(renderer.images()) == expected
        assert renderer.bundle() == bundle
    # The workers filled the cache: an SVG and a PNG per spec, and the bundle.
    assert len(list((tmp_path / "charts").iterdir())) == 2 * len(specs)
    assert (tmp_path / "bundle").is_dir()
    with images.Renderer() as again:
        again.add(specs)
        assert list(again.images()) == expected


def test_few_missing_images_render_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path))
    specs = [spec("point", 3), spec("bar", 3)]
    with images.Renderer() as renderer:
        renderer.add(specs)
        pairs = list(renderer.images())
    assert [svg for svg, _ in pairs] == [images.render_svg(s) for s in specs]
    assert all(png.startswith(b"\x89PNG") for _, png in pairs)


# Run as a script without `if __name__ == "__main__":`: each spawned worker imports it again as it starts.
UNGUARDED = """
import logging
import os
from gen import images
from tests.test_images import spec

images.end_a_starting_worker()  # as gen.build does before building
logging.basicConfig(level=logging.INFO, format="%(message)s")
print("started", flush=True)
specs = [spec(mark, y) for mark in ("point", "bar", "line") for y in (3, 7)]
with images.Renderer() as renderer:
    renderer.add(specs)
    rendered, bundle = list(renderer.images()), renderer.bundle()
os.environ["REPORT_CACHE"] = "off"
assert rendered == [images.render(s) for s in specs] and bundle == images.javascript_bundle()
print("rendered", len(rendered))
"""


def test_workers_of_a_script_without_a_main_guard_end_and_this_process_renders(tmp_path: Path) -> None:
    script = tmp_path / "build_charts.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    env = {**os.environ, "REPORT_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == ["started", "rendered 6", ""]  # the workers ended before the script went on
    assert "Traceback" not in done.stderr
    assert done.stderr.count("the chart image workers stopped") == 1
    assert '`if __name__ == "__main__":`' in done.stderr


def test_a_starting_worker_that_runs_the_build_ends_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def ended(status: int) -> None:
        raise SystemExit(status)

    def built(*_: object) -> None:
        raise AssertionError("the build went on")

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    monkeypatch.setattr(os, "_exit", ended)
    monkeypatch.setattr(gen.build, "Inputs", built)
    with pytest.raises(SystemExit):
        gen.build.cached_or_generated(load_config(REAL_CONFIG))
