from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "sightline.organisations"
    label = "organisations"
