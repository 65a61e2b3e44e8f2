from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sightline.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.conf import settings

        from sightline.audit.checkpoints import checkpoint_job
        from sightline.core import registry

        # Last in the worker's cycle (ADR 7): a checkpoint of the chain's head, written
        # outside the database at least hourly (ADR 18).
        registry.job_register(
            name="audit_checkpoint",
            order=90,
            interval=settings.SIGHTLINE_AUDIT_CHECKPOINT_SECONDS,
            run=checkpoint_job,
        )
