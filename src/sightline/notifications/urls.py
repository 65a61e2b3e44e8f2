from django.urls import path

from sightline.notifications import lane_views, views

urlpatterns = [
    path("notices/", views.inbox, name="notice_inbox"),
    path("notices/urgent/", lane_views.urgent_lane, name="urgent_lane"),
    path("notices/urgent/acknowledge/", lane_views.urgent_acknowledge, name="urgent_acknowledge"),
    path("notices/settings/", lane_views.notice_settings, name="notice_settings"),
    path("account/alerts/", lane_views.your_alerts, name="your_alerts"),
    path("notices/<uuid:notice_id>/", views.notice_detail, name="notice_detail"),
    path(
        "notices/<uuid:notice_id>/acknowledge/",
        views.notice_acknowledge_view,
        name="notice_acknowledge",
    ),
]
