from django.urls import path

from sightline.evidence import views

urlpatterns = [
    path("evidence/", views.dashboard, name="evidence"),
    path("evidence/<slug:slug>.csv", views.table_csv, name="evidence_csv"),
]
