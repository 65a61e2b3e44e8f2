from sightline.core import appconfig


class ChronologyConfig(appconfig.SightlineAppConfig):
    name = "sightline.chronology"
    label = "chronology"
    verbose_name = "Chronology"

    def register(self) -> None:
        # One chronology entry, through its child's access policy, for views and API
        # operations declared on its id (``access.declaring``; ADR 17).
        from sightline.access.declaring import access_kind_register
        from sightline.chronology.access import access_chronology_entry

        access_kind_register(
            "chronology_entry", param="chronology_entry_id", resolve=access_chronology_entry
        )
