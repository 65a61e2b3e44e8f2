from django.urls import path

from sightline.notifications import views

urlpatterns = [
    path("notices/", views.inbox, name="notice_inbox"),
    path("notices/<uuid:notice_id>/", views.notice_detail, name="notice_detail"),
    path(
        "notices/<uuid:notice_id>/acknowledge/",
        views.notice_acknowledge_view,
        name="notice_acknowledge",
    ),
]
