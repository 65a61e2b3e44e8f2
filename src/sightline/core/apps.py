from sightline.core import appconfig


class CoreConfig(appconfig.SightlineAppConfig):
    name = "sightline.core"
    label = "core"

    def register(self) -> None:
        from django.db.backends.signals import connection_created

        from sightline.core import components, database

        components.install()
        connection_created.connect(
            database.connection_age_bounded, dispatch_uid="sightline.core.database.age"
        )
