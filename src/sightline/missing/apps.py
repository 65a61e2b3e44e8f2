from django.apps import AppConfig


class MissingConfig(AppConfig):
    name = "sightline.missing"
    label = "missing"
    verbose_name = "Missing and away episodes"
