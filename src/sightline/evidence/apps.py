from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "sightline.evidence"
    label = "evidence"
    verbose_name = "Evidence engine"
