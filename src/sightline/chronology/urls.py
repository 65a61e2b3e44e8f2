from django.urls import path

from sightline.chronology import views

urlpatterns = [
    path("children/<uuid:child_id>/chronology/", views.chronology, name="chronology"),
    path("children/<uuid:child_id>/chronology/new/", views.entry_new, name="chronology_entry_new"),
    path(
        "children/<uuid:child_id>/chronology/print/",
        views.chronology_print,
        name="chronology_print",
    ),
    path("children/<uuid:child_id>/chronology/pdf/", views.chronology_pdf, name="chronology_pdf"),
    path(
        "chronology/entries/<uuid:chronology_entry_id>/correct/",
        views.entry_supersede,
        name="chronology_entry_supersede",
    ),
]
