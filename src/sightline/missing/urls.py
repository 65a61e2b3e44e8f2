from django.urls import path

from sightline.missing import settings_views, task_views, views

urlpatterns = [
    path("missing/", views.missing_now, name="missing_now"),
    path("missing/episodes/", views.episode_list, name="episode_list"),
    path("missing/settings/", settings_views.missing_settings, name="missing_settings"),
    path("tasks/", task_views.task_list, name="task_list"),
    path("tasks/<uuid:task_id>/", task_views.task_detail, name="task_detail"),
    path("children/<uuid:child_id>/missing/new/", views.episode_new, name="episode_new"),
    path("episodes/<uuid:episode_id>/", views.episode_detail, name="episode_detail"),
    path(
        "episodes/<uuid:episode_id>/updates/",
        views.episode_update_add,
        name="episode_update_add",
    ),
    path("episodes/<uuid:episode_id>/return/", views.episode_return, name="episode_return"),
    path(
        "children/<uuid:child_id>/safety-profile/",
        views.safety_profile,
        name="safety_profile",
    ),
    path(
        "children/<uuid:child_id>/safety-profile/edit/",
        views.safety_profile_edit,
        name="safety_profile_edit",
    ),
    path(
        "children/<uuid:child_id>/safety-profile/print/",
        views.safety_profile_print,
        name="safety_profile_print",
    ),
    path(
        "children/<uuid:child_id>/safety-profile/pdf/",
        views.safety_profile_pdf,
        name="safety_profile_pdf",
    ),
    path(
        "children/<uuid:child_id>/safety-profile/photo",
        views.safety_profile_photo,
        name="safety_profile_photo",
    ),
    path("interviews/", views.interview_list, name="interview_list"),
    path("interviews/<uuid:interview_id>/", views.interview_detail, name="interview_detail"),
    path(
        "interviews/<uuid:interview_id>/offer/",
        views.interview_offer_view,
        name="interview_offer",
    ),
    path(
        "interviews/<uuid:interview_id>/accept/",
        views.interview_accept_view,
        name="interview_accept",
    ),
    path(
        "interviews/<uuid:interview_id>/decline/",
        views.interview_decline_view,
        name="interview_decline",
    ),
    path(
        "interviews/<uuid:interview_id>/complete/",
        views.interview_complete_view,
        name="interview_complete",
    ),
    path(
        "interviews/<uuid:interview_id>/information/",
        views.interview_information_add,
        name="interview_information",
    ),
]
