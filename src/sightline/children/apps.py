from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    name = "sightline.children"
    label = "children"
