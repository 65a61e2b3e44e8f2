from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sightline.audit"
    label = "audit"
    verbose_name = "Audit"
