from sightline.core import appconfig


class WebConfig(appconfig.SightlineAppConfig):
    """The top layer: the home page, the child record and its timeline, and the worker, demo
    and serve commands. It may import any other Sightline package (ADR 7)."""

    name = "sightline.web"
    label = "web"

    def register(self) -> None:
        from sightline.core import registry
        from sightline.web import views

        # "Children" (the home page) comes first in the service navigation.
        registry.navigation_register(name="children", order=0, items=views.children_navigation)
