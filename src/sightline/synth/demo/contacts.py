"""The demo's contacts (issue 14): no contact on a current record is empty.

Every current placement has an allocated social worker and team manager and its home a
manager; every council concerned has an out-of-hours number and a return home interview
line, every police force concerned a single point of contact, and every interviewing
service chosen its line. Each was last confirmed on a day of the past three months, by a
sign-in of the organisation where the demo has one.

Telephone numbers are from Ofcom's ranges kept for drama (01632 960xxx, 0808 157 0xxx),
e-mail addresses at example.invalid: nothing here reaches anyone. Organisations' contacts
outlive a data set, as the organisations do, so they are made only where missing.
The draws use a stream of their own, so the rest of the demo is the same with or without
them.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sightline.core.timeutil import now as current_time
from sightline.missing.models import InterviewServiceConfig
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Contact, ContactRole, Placement
from sightline.synth import names
from sightline.synth.demo.people import _People


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())[:30] or "team"


class _Contacts(_People):
    def _contacts(self, recorded: list[tuple[Any, Placement]]) -> None:
        rng = random.Random(f"{self.seed}-contacts")  # noqa: S311 - synthetic, reproducible
        now = current_time()
        numbers = iter(rng.sample(range(1000), 1000))
        signed_in: dict[Any, User] = {}
        for user in self.users.values():
            signed_in.setdefault(user.organisation_id, user)

        def contact(org: Organisation, role: str, name: str, **scope: Any) -> None:
            email = f"{_slug(name)}@example.invalid"
            confirmed = now - dt.timedelta(days=rng.randrange(1, 90), minutes=rng.randrange(600))
            number = next(numbers)
            phone = f"01632 960 {number:03d}" if number % 4 else f"0808 157 0{number:03d}"
            if (
                not scope
                and Contact.objects.filter(
                    organisation=org, role=role, setting=None, placement=None
                ).exists()
            ):
                return
            # Not among the data set's records: a replaced data set takes a placement's or a
            # home's contacts with it (``dataset._remove``), and an organisation's stay.
            Contact.objects.create(
                organisation=org,
                role=role,
                name=name,
                phone=phone,
                email=email,
                last_confirmed_at=confirmed,
                confirmed_by=signed_in.get(org.pk),
                **scope,
            )

        def person() -> str:
            first = rng.choice(names.FIRST_NAMES_FEMALE + names.FIRST_NAMES_MALE)
            return f"{first} {rng.choice(names.SURNAMES)}"

        current = [p for plan, p in recorded if plan.kind == "current"]
        councils: dict[Any, Organisation] = {}
        forces: dict[Any, Organisation] = {}
        homes: dict[Any, Any] = {}
        for placement in current:
            child = placement.child
            placing = self._council_org(child.placing_council)
            councils[placing.pk] = placing
            host = self._council_org(placement.host_council)
            councils[host.pk] = host
            police = self._police_org(placement.host_police_force)
            forces[police.pk] = police
            for role in (ContactRole.SOCIAL_WORKER, ContactRole.TEAM_MANAGER):
                contact(placing, role, person(), placement=placement)
            if placement.setting.provider is not None:
                homes[placement.setting_id] = placement.setting
        for setting in sorted(homes.values(), key=lambda s: s.name):
            contact(setting.provider, ContactRole.HOME_MANAGER, person(), setting=setting)
        services = Organisation.objects.filter(
            pk__in=InterviewServiceConfig.objects.filter(
                council__organisation__in=list(councils.values())
            )
            .exclude(service=None)
            .values("service_id")
        )
        for org in sorted(councils.values(), key=lambda o: o.name):
            contact(org, ContactRole.OUT_OF_HOURS, f"{org.name} emergency duty team")
            contact(org, ContactRole.RETURN_INTERVIEWS, f"{org.name} return home interviews")
        for org in sorted(services, key=lambda o: o.name):
            if org.kind != OrganisationKind.POLICE:
                contact(org, ContactRole.RETURN_INTERVIEWS, f"{org.name} return interviews")
        for org in sorted(forces.values(), key=lambda o: o.name):
            contact(org, ContactRole.POLICE_SPOC, f"{org.name} missing from care coordinator")

    def _duty_contacts(self) -> None:
        """Each organisation with a demo sign-in on shift names a duty contact for urgent
        alerts not acknowledged within its target (30 minutes): the coordinator, the police
        missing person officer, the home manager, and the placing council's team manager.
        Mobiles are from Ofcom's drama range (07700 900xxx). An organisation that already
        names one keeps it (organisations outlive a data set)."""
        from sightline.notifications.models import NoticePolicy
        from sightline.notifications.services import urgent_settings_set
        from sightline.organisations.models import Role

        on_shift = (
            Role.MISSING_COORDINATOR,
            Role.POLICE_MISSING_OFFICER,
            Role.HOME_MANAGER,
            Role.TEAM_MANAGER,
        )
        for n, user in enumerate(sorted(self.users.values(), key=lambda u: u.username)):
            if user.role not in on_shift or user.organisation is None:
                continue
            if NoticePolicy.objects.filter(
                organisation=user.organisation, duty_contact__isnull=False
            ).exists():
                continue
            urgent_settings_set(
                organisation=user.organisation,
                ack_minutes=30,
                duty_contact=user,
                duty_phone=f"07700 900{100 + n:03d}",
                actor=None,
            )
