from sightline.core import appconfig


class PlacementsConfig(appconfig.SightlineAppConfig):
    name = "sightline.placements"
    label = "placements"

    def register(self) -> None:
        from sightline.core import registry
        from sightline.placements import navigation

        # The order of the service navigation's items and of the home page's panels (ADR 7).
        registry.navigation_register(
            name="placements", order=10, items=navigation.record_placement_navigation
        )
        registry.navigation_register(
            name="compliance", order=35, items=navigation.compliance_navigation
        )
        registry.home_panel_register(
            name="record_placement", order=10, render=navigation.record_placement_panel
        )

        # access cannot import the outbox (it sits below it): the alert is composed here.
        from sightline.access.breakglass import break_glass_alert_register
        from sightline.placements.notices import notices_for_break_glass

        break_glass_alert_register(notices_for_break_glass)

        # How urgently the outbox delivers each kind of notice (ADR 22).
        from sightline.notifications.urgency import kind_urgency_register
        from sightline.placements.notices import DELIVERY_URGENCY

        for kind, urgency in DELIVERY_URGENCY.items():
            kind_urgency_register(kinds=[kind], urgency=urgency)

        # One placement, for the views declared on a placement's id (ADR 17).
        from sightline.access.declaring import access_kind_register
        from sightline.placements.access import access_placement

        access_kind_register("placement", param="placement_id", resolve=access_placement)
