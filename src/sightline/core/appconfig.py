"""The base of Sightline's app configs: registering into the shared registries (ADR 7), or not.

Apps import this module, not the class: Django picks the one AppConfig class an ``apps.py``
holds, and with a second one in its namespace it would fall back to a plain AppConfig.
"""

import os

from django.apps import AppConfig

#: ``off`` in a process that serves no page and runs no job: the apps then register nothing
#: (no navigation, jobs, channels, access kinds or signal handlers), and so import none of
#: the modules those need. Only ``sightline returns validate`` sets it (``sightline.cli``):
#: it reads a file and the geography tables, and writes nothing.
REGISTRIES = "SIGHTLINE_REGISTRIES"


def registries_wanted() -> bool:
    return os.environ.get(REGISTRIES, "on") != "off"


class SightlineAppConfig(AppConfig):
    """An app that adds its parts to the shared registries (ADR 7) in ``register()``, called
    from ``ready()`` unless the process wants no registries (``REGISTRIES``)."""

    def ready(self) -> None:
        if registries_wanted():
            self.register()

    def register(self) -> None:
        """What the app adds to the registries: its navigation, jobs, channels and hooks."""
