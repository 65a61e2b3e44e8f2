from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "sightline.returns"
    label = "returns"
    verbose_name = "SSDA903 returns"
