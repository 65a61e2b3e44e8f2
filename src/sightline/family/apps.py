from sightline.core import appconfig


class FamilyConfig(appconfig.SightlineAppConfig):
    name = "sightline.family"
    label = "family"
    verbose_name = "The child's voice, plan and family"

    def register(self) -> None:
        from sightline.chronology.registry import chronology_dict_source_register
        from sightline.family.selectors import chronology_items as _chronology_items

        # Issue 17: the child's words, plan and sharing appear on the child's one chronology.
        chronology_dict_source_register(name="family", fetch=_chronology_items)
        # The records that carry a child's data, for views and API operations declared on
        # their ids (``access.declaring``; ADR 17).
        from sightline.access.declaring import access_kind_register
        from sightline.family.access import access_parent

        access_kind_register("parent", param="parent_id", resolve=access_parent)
