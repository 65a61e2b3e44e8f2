from django.apps import AppConfig


class BareConfig(AppConfig):
    """The bare endpoint's one table. Installed only by ``benchmarks.missing.settings``, never
    by Sightline's own settings; its table is created by the benchmark, not by a migration."""

    name = "benchmarks.missing"
    label = "bench_missing"
    default_auto_field = "django.db.models.BigAutoField"
