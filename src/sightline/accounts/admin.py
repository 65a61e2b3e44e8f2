"""What the Django admin never shows (ADR 23): authenticator secret keys and recovery codes
(django-otp's device admins show and edit them), sign-in attempts with their request data
(django-axes; unlock with ``sightline axes_reset_username``), and Django's groups, which
Sightline does not use (roles are ``User.role``, rules are ``access.policy``).

``accounts`` comes after those apps in ``INSTALLED_APPS``, so their admin modules have
registered by the time this one runs.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice, AccessAttempt, AccessLog, AccessFailureLog, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
