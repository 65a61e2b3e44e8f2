from django.contrib import admin
from django.urls import include, path

from sightline.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("sightline.core.urls")),
    path("", include("sightline.accounts.urls")),
    path("", include("sightline.children.urls")),
    path("", include("sightline.placements.urls")),
    path("", include("sightline.notifications.urls")),
    path("", include("sightline.missing.urls")),
    path("", include("sightline.access.urls")),
    path("", include("sightline.evidence.urls")),
    path("api/v1/", include("sightline.api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "sightline.core.views.permission_denied"
handler404 = "sightline.core.views.page_not_found"
handler500 = "sightline.core.views.server_error"
