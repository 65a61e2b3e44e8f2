from sightline.core import appconfig


class AccessConfig(appconfig.SightlineAppConfig):
    name = "sightline.access"
    label = "access"

    def register(self) -> None:
        from sightline.access import navigation
        from sightline.core import registry

        # The order of the service navigation's items (ADR 7).
        registry.navigation_register(
            name="emergency_access", order=40, items=navigation.emergency_access_navigation
        )

        # The child itself, for views declared ``Rule.CHILD`` on a child's id.
        from sightline.access.declaring import access_kind_register
        from sightline.access.policy import access_child_resolve

        access_kind_register("child", param="child_id", resolve=access_child_resolve)
