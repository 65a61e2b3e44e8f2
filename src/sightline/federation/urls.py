from django.urls import path

from sightline.federation import views

urlpatterns = [
    path(
        ".well-known/sightline-federation-keys",
        views.federation_keys,
        name="federation-keys",
    ),
    path("federation/v1/messages", views.federation_messages, name="federation-messages"),
]
