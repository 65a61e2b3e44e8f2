from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "sightline.placements"
    label = "placements"
