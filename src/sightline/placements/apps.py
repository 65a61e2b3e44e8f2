from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "sightline.placements"
    label = "placements"

    def ready(self) -> None:
        # access cannot import the outbox (it sits below it): the alert is composed here.
        from sightline.access.breakglass import break_glass_alert_register
        from sightline.placements.notices import notices_for_break_glass

        break_glass_alert_register(notices_for_break_glass)
