from __future__ import annotations

from pathlib import Path

import pytest

from gen import images


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
