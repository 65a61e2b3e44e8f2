from django.urls import path

from sightline.access import views

urlpatterns = [
    path(
        "children/<uuid:child_id>/emergency-access/",
        views.emergency_access,
        name="emergency_access",
    ),
    path("children/<uuid:child_id>/audit/", views.child_audit, name="child_audit"),
    path("children/<uuid:child_id>/audit.csv", views.child_audit_csv, name="child_audit_csv"),
    path("emergency-access/", views.review_queue, name="emergency_access_queue"),
    path(
        "emergency-access/<uuid:grant_id>/",
        views.review_detail,
        name="emergency_access_review",
    ),
]
