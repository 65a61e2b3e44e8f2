from django.urls import path

from sightline.notifications import callbacks, lane_views, link_views, views, webhook_views

urlpatterns = [
    path("callbacks/notify/", callbacks.notify_receipt, name="notify_receipt_callback"),
    path("notices/", views.inbox, name="notice_inbox"),
    path("notices/urgent/", lane_views.urgent_lane, name="urgent_lane"),
    path("notices/urgent/acknowledge/", lane_views.urgent_acknowledge, name="urgent_acknowledge"),
    path("notices/settings/", lane_views.notice_settings, name="notice_settings"),
    path("notices/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("notices/webhooks/new/", webhook_views.webhook_add, name="webhook_add"),
    path(
        "notices/webhooks/<uuid:subscription_id>/",
        webhook_views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "notices/webhooks/<uuid:subscription_id>/secret/",
        webhook_views.webhook_new_secret,
        name="webhook_new_secret",
    ),
    path(
        "notices/webhooks/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/replay/",
        webhook_views.webhook_replay,
        name="webhook_replay",
    ),
    path("account/alerts/", lane_views.your_alerts, name="your_alerts"),
    path("notices/<uuid:notice_id>/", views.notice_detail, name="notice_detail"),
    path(
        "notices/<uuid:notice_id>/acknowledge/",
        views.notice_acknowledge_view,
        name="notice_acknowledge",
    ),
    # Signed links e-mailed to agencies not on Sightline (link_views.py).
    path("acknowledge/<str:token>/", link_views.acknowledge_by_link, name="notice_ack_link"),
    path("acknowledge/<str:token>/child/", link_views.secure_view, name="notice_secure_view"),
    path("directory/confirm/<str:token>/", link_views.confirm_address, name="directory_confirm"),
]
