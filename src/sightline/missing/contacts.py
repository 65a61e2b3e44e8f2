"""Who to call about a child: the contacts the record shows (issue 14).

Each comes from where it is kept (``placements.contacts``): the current placement's
allocated social worker and team manager, its home's manager, the placing council's
out-of-hours number, the single point of contact of the police force where the child is
placed, and the return home interview service that would hold the child's interviews. The
last is found as ``missing.services.interviews.interview_service_for`` finds it for an
episode (the placing council's service; for a child placed out of area, when the placing
council says so, the host council's; else the council itself).

Two queries whatever the record: the organisations concerned (with their interview
settings), then their contacts. A contact that is not kept says so, and names who can add
it, with a link for a reader who may.

It lives in ``missing``, the lowest package that knows every source (the interview service
is a missing-from-care setting), so that the record page (``web``) and the child's API
record (``api``) read the same contacts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, OuterRef, Q, Subquery, UUIDField
from django.urls import reverse

from sightline.access.policy import Action, ChildAccess, may_for_organisation, roles_that_may
from sightline.missing.models import InterviewServiceConfig
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.contacts import confirmed_text
from sightline.placements.models import Contact, ContactRole, Placement


@dataclass(frozen=True)
class ContactLine:
    """One row of the record's contacts. ``contact`` None: not kept; then ``missing`` says
    why and who can add it, and ``add_url`` is where the reader adds it, if they may."""

    role: str
    label: str
    contact: Contact | None
    confirmed: str = ""
    missing: str = ""
    add_url: str = ""
    add_text: str = ""

    @property
    def tel(self) -> str:
        """The number for a ``tel:`` link: digits and a leading +, nothing else."""
        if self.contact is None:
            return ""
        phone = self.contact.phone
        return ("+" if phone.startswith("+") else "") + "".join(c for c in phone if c.isdigit())


def current_of(history: list[Placement], *, on: dt.date) -> Placement | None:
    """The placement running on a day among a child's placements already read (the rule of
    ``placements_current``: a placement ending that day is over)."""
    return next(
        (p for p in history if p.start_date <= on and (p.end_date is None or p.end_date > on)),
        None,
    )


def _organisations(child: Any, placement: Placement | None) -> list[Organisation]:
    councils = {child.placing_council_id}
    q = Q()
    if placement is not None:
        councils.add(placement.host_council_id)
        q |= Q(police_force_id=placement.host_police_force_id)
        if placement.setting.provider_id:
            q |= Q(pk=placement.setting.provider_id)
    configs = InterviewServiceConfig.objects.filter(council_id__in=councils)
    config = InterviewServiceConfig.objects.filter(council_id=OuterRef("council_id"))
    q |= Q(kind=OrganisationKind.COUNCIL, council_id__in=councils)
    q |= Q(pk__in=configs.exclude(service=None).values("service_id"))
    return list(
        Organisation.objects.filter(q).annotate(
            interview_service_id=Subquery(
                config.values("service_id")[:1], output_field=UUIDField()
            ),
            use_host_service=Subquery(
                config.values("use_host_service_out_of_area")[:1], output_field=BooleanField()
            ),
        )
    )


def _who_keeps(org: Organisation) -> str:
    """ "A team manager or an administrator": who may keep the organisation's contacts."""
    roles = roles_that_may(Action.MANAGE_CONTACTS, kind=org.kind)
    names = [str(r.label).lower() for r in Role if r in roles]
    named = " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)
    return named[:1].upper() + named[1:]


def _interview_service(
    by_id: dict[Any, Organisation],
    placing: Organisation | None,
    host: Organisation | None,
    out_of_area: bool,
) -> Organisation | None:
    if placing is not None and getattr(placing, "use_host_service", False) and out_of_area:
        if host is None:
            return None
        return by_id.get(getattr(host, "interview_service_id", None)) or host
    if placing is None:
        return None
    return by_id.get(getattr(placing, "interview_service_id", None)) or placing


def child_contacts(
    *, user: User, access: ChildAccess, placement: Placement | None, can_allocate: bool
) -> list[ContactLine]:
    """The contacts for the child ``access`` opened, with ``placement`` the current one
    (None: none now). ``can_allocate``: whether the reader may record the child's placements
    (and so its allocated social worker and team manager)."""
    child = access.child
    orgs = _organisations(child, placement)
    by_id = {o.pk: o for o in orgs}
    by_council = {o.council_id: o for o in orgs if o.kind == OrganisationKind.COUNCIL}
    placing = by_council.get(child.placing_council_id)
    host = by_council.get(placement.host_council_id) if placement else None
    police = (
        next((o for o in orgs if o.police_force_id == placement.host_police_force_id), None)
        if placement
        else None
    )
    provider = (
        by_id.get(placement.setting.provider_id)
        if placement and placement.setting.provider_id
        else None
    )
    service = _interview_service(
        by_id,
        placing,
        host,
        bool(placement and placement.host_council_id != child.placing_council_id),
    )
    kept_by = {o.pk for o in (placing, police, service) if o is not None}
    q = Q(organisation_id__in=kept_by, setting__isnull=True, placement__isnull=True)
    if placement is not None:
        q |= Q(placement=placement) | Q(setting_id=placement.setting_id)
    contacts = list(Contact.objects.filter(q).select_related("confirmed_by", "organisation"))

    def find(role: str, org: Organisation | None, **scope: Any) -> Contact | None:
        return next(
            (
                c
                for c in contacts
                if c.role == role
                and (org is None or c.organisation_id == org.pk)
                and all(getattr(c, k) == v for k, v in scope.items())
            ),
            None,
        )

    def line(
        role: str,
        org: Organisation | None,
        contact: Contact | None,
        *,
        nobody: str,
        add_url: str = "",
        allowed: bool = False,
    ) -> ContactLine:
        label = str(ContactRole(role).label)
        if org is None and contact is None:
            return ContactLine(role, label, None, missing=nobody)
        may = allowed or (
            org is not None and may_for_organisation(user, Action.MANAGE_CONTACTS, org.pk)
        )
        if contact is not None:
            return ContactLine(
                role,
                label,
                contact,
                confirmed=confirmed_text(contact),
                add_url=add_url if may else "",
                add_text=f"Change or confirm the {label[0].lower()}{label[1:]}" if may else "",
            )
        assert org is not None
        return ContactLine(
            role,
            label,
            None,
            missing=(
                "Not recorded. "
                + ("You can add it." if may else f"{_who_keeps(org)} at {org.name} can add it.")
            ),
            add_url=add_url if may else "",
            add_text=f"Add the {label[0].lower()}{label[1:]}" if may else "",
        )

    no_placement = "Not recorded: the child has no current placement."
    lines = []
    for role in (ContactRole.SOCIAL_WORKER, ContactRole.TEAM_MANAGER):
        lines.append(
            line(
                role,
                placing if placement else None,
                find(role, None, placement_id=placement.pk) if placement else None,
                nobody=no_placement,
                add_url=reverse("placement_contact", args=[placement.pk, role])
                if placement
                else "",
                allowed=can_allocate,
            )
        )
    lines.append(
        line(
            ContactRole.HOME_MANAGER,
            provider,
            find(ContactRole.HOME_MANAGER, provider, setting_id=placement.setting_id)
            if placement and provider
            else None,
            nobody=no_placement
            if placement is None
            else "Not recorded: no provider is recorded for this home.",
            add_url=reverse("home_manager_contact", args=[placement.setting_id])
            if placement
            else "",
        )
    )
    for role, org, nobody in (
        (
            ContactRole.OUT_OF_HOURS,
            placing,
            "Not recorded: the placing council is not on Sightline.",
        ),
        (
            ContactRole.POLICE_SPOC,
            police,
            no_placement
            if placement is None
            else "Not recorded: the police force is not on Sightline.",
        ),
        (ContactRole.RETURN_INTERVIEWS, service, "Not recorded: no service is known."),
    ):
        lines.append(
            line(
                role,
                org,
                find(role, org, setting_id=None, placement_id=None) if org else None,
                nobody=nobody,
                add_url=reverse("organisation_contact", args=[org.pk, role]) if org else "",
            )
        )
    return lines
