"""Private file storage for safety-profile photographs.

Files live under ``SIGHTLINE_PRIVATE_MEDIA_ROOT`` (default ``var/private-media``), which
nothing serves statically. The location is read each time, so tests can point it at a
temporary folder. ``url()`` refuses: a photograph is only ever streamed by a view that has
gone through ``access_child`` (see ``selectors.safety_profile_photo_open``).
"""

from __future__ import annotations

import os

from django.core.files.storage import FileSystemStorage

from sightline.missing import conf


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self) -> str:
        return str(conf.private_media_root())

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise NotImplementedError(
            "Private files have no public address: serve them through the access policy."
        )


def private_storage() -> PrivateStorage:
    return PrivateStorage()
