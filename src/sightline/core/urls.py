from django.urls import path

from sightline.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
]
