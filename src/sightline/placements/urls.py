from django.urls import path

from sightline.placements import compliance_views, views

urlpatterns = [
    path("placements/new/", views.placement_new, name="placement_new"),
    path(
        "placements/<uuid:placement_id>/admission/",
        views.placement_admission,
        name="placement_admission",
    ),
    path("placements/<uuid:placement_id>/end/", views.placement_end_view, name="placement_end"),
    path("compliance/", compliance_views.compliance, name="compliance"),
]
