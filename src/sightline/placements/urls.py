from django.urls import path

from sightline.placements import compliance_views, contact_views, views

urlpatterns = [
    path("placements/new/", views.placement_new, name="placement_new"),
    path("placements/new/check/", views.placement_check, name="placement_check"),
    path(
        "placements/<uuid:placement_id>/admission/",
        views.placement_admission,
        name="placement_admission",
    ),
    path("placements/<uuid:placement_id>/end/", views.placement_end_view, name="placement_end"),
    path("compliance/", compliance_views.compliance, name="compliance"),
]

# Contacts on children's records (``contact_views``).
urlpatterns += [
    path(
        "organisations/<uuid:organisation_id>/contacts/",
        contact_views.organisation_contacts,
        name="organisation_contacts",
    ),
    path(
        "organisations/<uuid:organisation_id>/contacts/<slug:role>/",
        contact_views.organisation_contact,
        name="organisation_contact",
    ),
    path(
        "homes/<uuid:setting_id>/manager/",
        contact_views.home_manager_contact,
        name="home_manager_contact",
    ),
    path(
        "placements/<uuid:placement_id>/contacts/<slug:role>/",
        contact_views.placement_contact,
        name="placement_contact",
    ),
]
