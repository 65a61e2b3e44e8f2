from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from sightline.web.health import healthz

# The API first: Django tries the patterns in order, and an API request (a missing report)
# otherwise walked past about 200 page patterns first (issue 13). Nothing else is routed under
# api/ (``tests/api/test_routes.py``), so the order changes no answer.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("sightline.api.urls")),
    path("", include("sightline.web.urls")),
    path("", include("sightline.accounts.urls")),
    path("", include("sightline.placements.urls")),
    path("", include("sightline.notifications.urls")),
    path("", include("sightline.missing.urls")),
    path("", include("sightline.casework.urls")),
    path("", include("sightline.access.urls")),
    path("", include("sightline.exploitation.urls")),
    path("", include("sightline.evidence.urls")),
    path("", include("sightline.chronology.urls")),
    path("", include("sightline.family.urls")),
    path("", include("sightline.federation.urls")),
]

# The Django admin is off in production: not routed at all. In the demo and the tests it
# answers platform operators only and shows no secret (ADR 23); administration happens on
# Sightline's own pages, under the access policy and on the audit chain.
if settings.MODE != "production":
    urlpatterns.append(path("admin/", admin.site.urls))

handler403 = "sightline.web.views.permission_denied"
handler404 = "sightline.web.views.page_not_found"
handler500 = "sightline.web.views.server_error"
