"""Reproducible performance runs, each with a baseline measured in the same run.

Not tests: nothing here runs under pytest. See ``docs/benchmarks.md``.
"""

import os as _os
from pathlib import Path as _Path

# Benchmarks are tools: they may read the published reference data beside the checkout.
_os.environ.setdefault(
    "SIGHTLINE_REFERENCE_DIR", str(_Path(__file__).resolve().parents[2] / "shared" / "reference")
)
