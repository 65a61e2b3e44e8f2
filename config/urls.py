from django.contrib import admin
from django.urls import include, path

from sightline.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("sightline.web.urls")),
    path("", include("sightline.accounts.urls")),
    path("", include("sightline.placements.urls")),
    path("", include("sightline.notifications.urls")),
    path("", include("sightline.missing.urls")),
    path("", include("sightline.access.urls")),
    path("", include("sightline.evidence.urls")),
    path("api/v1/", include("sightline.api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "sightline.web.views.permission_denied"
handler404 = "sightline.web.views.page_not_found"
handler500 = "sightline.web.views.server_error"
