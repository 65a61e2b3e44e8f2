from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "sightline.access"
    label = "access"

    def ready(self) -> None:
        from sightline.access import navigation
        from sightline.core import registry

        # The order of the service navigation's items (ADR 7).
        registry.navigation_register(
            name="emergency_access", order=40, items=navigation.emergency_access_navigation
        )
