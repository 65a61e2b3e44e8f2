from django.urls import path

from sightline.accounts import views

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
