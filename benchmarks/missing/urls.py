"""The bare server's URLconf: the baseline endpoint and the health check, nothing else."""

from django.urls import path

from benchmarks.missing.views import insert_one_row
from sightline.web.health import healthz

BARE_PATH = "/bare/rows"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(BARE_PATH.lstrip("/"), insert_one_row, name="bare-insert"),
]
