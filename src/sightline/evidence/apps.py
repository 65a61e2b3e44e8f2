from sightline.core import appconfig


class EvidenceConfig(appconfig.SightlineAppConfig):
    name = "sightline.evidence"
    label = "evidence"
    verbose_name = "Evidence engine"

    def register(self) -> None:
        from sightline.core import registry
        from sightline.evidence import navigation

        # The order of the service navigation's items (ADR 7).
        registry.navigation_register(
            name="evidence", order=50, items=navigation.evidence_navigation
        )
