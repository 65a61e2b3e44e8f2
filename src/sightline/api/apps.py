from sightline.core import appconfig


class ApiConfig(appconfig.SightlineAppConfig):
    name = "sightline.api"
    label = "api"
    verbose_name = "Public API"

    def register(self) -> None:
        from sightline.api import jobs
        from sightline.core import registry

        # The order of the worker's jobs (ADR 7).
        registry.job_register(
            name="idempotency_purge",
            order=20,
            interval=jobs.IDEMPOTENCY_PURGE_INTERVAL,
            run=jobs.idempotency_purge_job,
        )
