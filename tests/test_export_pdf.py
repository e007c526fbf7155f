"""Charts for papers: every chart of a built site exports to a PDF."""

from __future__ import annotations

from pathlib import Path

from gen.export_pdf import export


def test_every_chart_exports_to_pdf(bundled_site: Path, tmp_path: Path) -> None:
    specs = sorted(p.name.removesuffix(".vl.json") for p in (bundled_site / "charts").glob("*.vl.json"))
    written = export(bundled_site, tmp_path)
    assert sorted(p.name.removesuffix(".pdf") for p in written) == specs and specs
    for pdf in written:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
