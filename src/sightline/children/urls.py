from django.urls import path

from sightline.children import views

urlpatterns = [
    path("children/<uuid:child_id>/", views.child_detail, name="child_detail"),
]
