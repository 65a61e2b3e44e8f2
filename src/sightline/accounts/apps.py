from sightline.core import appconfig


class AccountsConfig(appconfig.SightlineAppConfig):
    name = "sightline.accounts"
    label = "accounts"
    verbose_name = "Signing in"

    def register(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from sightline.accounts import navigation, sessions
        from sightline.accounts.services import lockout_log
        from sightline.core import registry

        # Not business logic: stamping the session's start, and logging a lockout by id.
        user_logged_in.connect(sessions.stamp_on_sign_in, dispatch_uid="sightline-session-stamp")
        user_locked_out.connect(lockout_log, dispatch_uid="sightline-lockout-log")
        # The order of the service navigation's items (ADR 7): administration comes last.
        registry.navigation_register(name="people", order=60, items=navigation.people_navigation)
