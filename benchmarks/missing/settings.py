"""Settings of the bare server: Sightline's own settings, unchanged (the same middleware,
database connection handling, logging and security settings, read from the same environment),
plus the bare endpoint's app and URLconf."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.missing.apps.BareConfig"]
ROOT_URLCONF = "benchmarks.missing.urls"
