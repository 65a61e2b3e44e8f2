from sightline.core import appconfig


class AuditConfig(appconfig.SightlineAppConfig):
    name = "sightline.audit"
    label = "audit"
    verbose_name = "Audit"

    def register(self) -> None:
        from django.conf import settings

        from sightline.audit.checkpoints import checkpoint_job
        from sightline.audit.services import seal_job
        from sightline.core import registry

        # Rows whose process died between its commit and their seal (ADR 21).
        registry.job_register(
            name="audit_seal",
            order=89,
            interval=settings.SIGHTLINE_AUDIT_SEAL_SECONDS,
            run=seal_job,
        )

        # Last in the worker's cycle (ADR 7): a checkpoint of the chain's head, written
        # outside the database at least hourly (ADR 18).
        registry.job_register(
            name="audit_checkpoint",
            order=90,
            interval=settings.SIGHTLINE_AUDIT_CHECKPOINT_SECONDS,
            run=checkpoint_job,
        )
