from django.urls import path

from sightline.web import child_record, maps, panel_view, views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("children/<uuid:child_id>/", child_record.child_detail, name="child_detail"),
    path("maps/placements/", maps.map_placements, name="map_placements"),
    path("maps/force/", maps.map_force, name="map_force"),
    path("maps/found/", maps.map_found, name="map_found"),
    path("exploitation/panel/view/", panel_view.panel_view, name="panel_view"),
]
