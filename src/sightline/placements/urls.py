from django.urls import path

from sightline.placements import views

urlpatterns = [
    path("placements/new/", views.placement_new, name="placement_new"),
]
