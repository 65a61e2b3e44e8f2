"""Test set-up shared by the whole suite."""

from __future__ import annotations

import os

# The suite runs in test mode whatever the calling shell says.
os.environ["SIGHTLINE_MODE"] = "test"
