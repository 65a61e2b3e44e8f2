"""Included at ``api/v1/`` by ``config/urls.py``."""

from sightline.api.main import NAMESPACE, api

urlpatterns, _, _ = api.urls
app_name = NAMESPACE
