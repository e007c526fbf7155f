"""Every chart of a built site as PDF for papers: ``python -m gen.export_pdf [SITE_DIR] [OUT_DIR]``.

Not part of the site build: vl-convert writes PDF resources in a different order on every call, so PDFs in the
site would break its byte-for-byte reproducibility. Run after `make site` (``make pdf``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import vl_convert as vlc

from gen.charts import static_spec


def export(site: Path, out: Path) -> list[Path]:
    """A PDF next to each chart spec of ``site/charts``, written into ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec_path in sorted((site / "charts").glob("*.vl.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        data_dir = spec_path.parent
        if isinstance(spec.get("data"), dict) and "url" in spec["data"]:
            # Large charts keep their rows in a separate file: inline them again for the static renderer.
            rows = json.loads((data_dir / spec["data"]["url"]).read_text(encoding="utf-8"))
            spec = {**spec, "data": {"values": rows}}
        target = out / (spec_path.name.removesuffix(".vl.json") + ".pdf")
        target.write_bytes(bytes(vlc.vegalite_to_pdf(static_spec(spec))))
        written.append(target)
    return written


def main() -> None:
    """Command line: site folder (default site/) and output folder (default site/charts-pdf/)."""
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("site")
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else site / "charts-pdf"
    if not (site / "charts").is_dir():
        sys.exit(f"export_pdf: {site / 'charts'} not found; build the site first (make site)")
    print(f"{len(export(site, out))} PDFs in {out}")


if __name__ == "__main__":
    main()
