"""`sightline otp reset|code`: the second factor from the command line.

``reset`` is for a lost phone when the web's **People** page cannot be used (the person's only
administrator is the one who lost it, or the person is a platform operator). ``--by`` names
who asks for it, and the same rules as the page apply (``accounts.people``): an administrator
of the person's organisation or a platform operator, never one's own, a platform operator's
only by another platform operator; a refusal is on the audit like the page's. ``code`` prints
a user's current code from their authenticator app's secret key: a convenience for trying
the demo without a phone, and refused everywhere except the demo (SIGHTLINE_MODE=demo)
because it would defeat the second factor.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from sightline.access.policy import is_platform_operator
from sightline.accounts import people, selectors, services
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import User


def current_code(device: Any) -> str:
    """The code an authenticator app with this device's secret key shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = (
        "reset: remove a user's authenticator app and recovery codes, so that they set up a "
        "new app at their next sign-in. code: in the demo only, print a user's current code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser("reset", help="Reset a user's authenticator app (a lost phone).")
        reset.add_argument("--user", required=True, help="The username.")
        reset.add_argument(
            "--by",
            required=True,
            help="The username of whoever asks for the reset: an administrator of the user's "
            "organisation or a platform operator (recorded on the audit).",
        )
        code = sub.add_parser(
            "code", help="Demo only: print the code the user's authenticator app shows now."
        )
        code.add_argument("--user", required=True, help="The username.")

    def handle(self, *args: Any, action: str, user: str, **options: Any) -> None:
        found = User.objects.filter(username=user).first()
        if found is None:
            raise CommandError(f"There is no user with the username {user!r}.")
        if action == "reset":
            removed = _reset(found, by=options["by"])
            ended = _sessions_end(found)
            self.stdout.write(
                f"Reset the authenticator app of {found.username}: removed {removed} "
                f"device(s), ended {ended} session(s). They will set up a new app at their next "
                "sign-in."
            )
            return
        if settings.MODE != "demo":
            raise CommandError(
                "'sightline otp code' works only in the demo (SIGHTLINE_MODE=demo): anywhere "
                "else it would let anyone with access to the server sign in as anyone."
            )
        device = selectors.authenticator_confirmed(user=found) or selectors.authenticator_pending(
            user=found
        )
        if device is None:
            raise CommandError(
                f"{found.username} has no authenticator app yet. Sign in as them first: the "
                "set-up page creates the key, then run this command again."
            )
        self.stdout.write(current_code(device))


def _reset(user: User, *, by: str) -> int:
    """The reset as ``by`` asks for it, under the People page's rules."""
    actor = User.objects.select_related("organisation").filter(username=by).first()
    if actor is None or not actor.is_active:
        raise CommandError(f"There is no active user with the username {by!r} to ask for it.")
    try:
        if user.organisation_id is None:
            # A platform operator: managed from the command line, by another one only.
            if not is_platform_operator(user) or not is_platform_operator(actor):
                raise NotFoundOrNotAllowed()
            if actor.pk == user.pk:
                raise ValidationError(
                    "You cannot reset your own authenticator app. Ask another platform operator",
                    field="by",
                )
            return services.second_factor_reset(actor=actor, user=user)
        return people.person_second_factor_reset(actor=actor, person_id=user.pk)
    except NotFoundOrNotAllowed as exc:
        raise CommandError(
            f"{actor.username} may not reset {user.username}'s authenticator app: only an "
            "administrator of their organisation or a platform operator may."
        ) from exc
    except ValidationError as exc:
        raise CommandError(exc.message) from exc


def _sessions_end(user: User) -> int:
    """End every session of the user (the database session store)."""
    ended = 0
    for session in Session.objects.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended
