from django.apps import AppConfig


class GeographyConfig(AppConfig):
    name = "sightline.geography"
    label = "geography"
