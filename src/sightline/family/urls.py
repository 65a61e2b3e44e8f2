from django.urls import path

from sightline.family import parent_views, views

urlpatterns = [
    path("children/<uuid:child_id>/family/", views.family_overview, name="family_overview"),
    path(
        "children/<uuid:child_id>/family/words/new/",
        views.statement_new,
        name="family_statement_new",
    ),
    path("children/<uuid:child_id>/family/plan/new/", views.plan_new, name="family_plan_new"),
    path(
        "children/<uuid:child_id>/family/parents/new/",
        views.parent_new,
        name="family_parent_new",
    ),
    path("family/parents/<uuid:parent_id>/", views.parent_detail, name="family_parent"),
    path("family/parents/<uuid:parent_id>/edit/", views.parent_edit, name="family_parent_edit"),
    path(
        "family/parents/<uuid:parent_id>/share/",
        views.parent_share,
        name="family_parent_share",
    ),
    path(
        "family/parents/<uuid:parent_id>/invite/",
        views.parent_invite_view,
        name="family_parent_invite",
    ),
    path(
        "family/parents/<uuid:parent_id>/end-invitation/",
        views.parent_invitation_end_view,
        name="family_parent_invitation_end",
    ),
    # The parent's view: a signed invitation link and a one-time code (no staff account).
    path("parent/<str:token>/", parent_views.parent_view, name="parent_view"),
    path(
        "parent/<str:token>/contacts/",
        parent_views.parent_view_contacts_page,
        name="parent_view_contacts",
    ),
]
