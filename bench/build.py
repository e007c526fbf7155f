"""The real-data rows of bench/run.py alone: ingest, cold, warm and one-file builds of the 2,941 real result files,
each next to its floor measured in the same run; printed, not written to bench/RESULTS.md.

Usage: python bench/build.py [--runs N]
"""

from __future__ import annotations

import sys

from run import main

if __name__ == "__main__":
    sys.argv[1:1] = ["--sizes", "real", "--serve-max", "0", "--output", "-"]
    main()
