"""``core`` is the floor: it imports Django and third-party packages, never another Sightline
package (ADR 7). A cheap check until import-linter runs in lint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports every module under sightline.core with only the core app loaded (``django.setup()``
# would import every installed app), then lists the other Sightline packages that got imported.
SCRIPT = """
import importlib, json, pkgutil, sys
import django
from django.conf import settings
settings.INSTALLED_APPS  # read the settings module without loading the apps
import django.apps
django.apps.apps.populate(["sightline.core"])
import sightline.core
for module in pkgutil.walk_packages(sightline.core.__path__, "sightline.core."):
    importlib.import_module(module.name)
print(json.dumps(sorted(
    name for name in sys.modules
    if name.startswith("sightline.") and not name.startswith("sightline.core")
    and name != "sightline.core"
)))
"""


def test_core_imports_no_other_sightline_package():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported == []
