from sightline.core import appconfig


class CoreConfig(appconfig.SightlineAppConfig):
    name = "sightline.core"
    label = "core"

    def register(self) -> None:
        from sightline.core import components

        components.install()
