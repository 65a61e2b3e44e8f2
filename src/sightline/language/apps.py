from django.apps import AppConfig


class LanguageConfig(AppConfig):
    name = "sightline.language"
    label = "language"
    verbose_name = "Appropriate language"
