from django.urls import path

from sightline.accounts import people_views, views

urlpatterns = [
    path("sign-in/set-up-authenticator/", views.mfa_setup, name="mfa_setup"),
    path("sign-in/recovery-codes/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("sign-in/code/", views.mfa_verify, name="mfa_verify"),
    path("sign-in/recovery-code/", views.mfa_recovery, name="mfa_recovery"),
    path("account/security/", views.account_security, name="account_security"),
    path(
        "account/security/recovery-codes/",
        views.recovery_codes_new,
        name="recovery_codes_new",
    ),
]

# Administration: an organisation's people and audit (``people_views``).
urlpatterns += [
    path("organisations/", people_views.organisations, name="organisations"),
    path(
        "organisations/<uuid:organisation_id>/people/",
        people_views.people_list,
        name="people_list",
    ),
    path(
        "organisations/<uuid:organisation_id>/people/add/",
        people_views.person_add,
        name="person_add",
    ),
    path(
        "organisations/<uuid:organisation_id>/audit/",
        people_views.organisation_audit,
        name="organisation_audit",
    ),
    path("people/<int:person_id>/", people_views.person_detail, name="person_detail"),
    path("people/<int:person_id>/role/", people_views.person_role, name="person_role"),
    path("people/<int:person_id>/status/", people_views.person_status, name="person_status"),
    path(
        "people/<int:person_id>/authenticator-app/",
        people_views.person_second_factor,
        name="person_second_factor",
    ),
]
