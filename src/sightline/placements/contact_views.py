"""Pages that keep the contacts a child's record shows (``placements.contacts``).

Those who keep an organisation's contacts (``Action.MANAGE_CONTACTS``) keep its own and its
homes' managers; whoever may
record a child's placements keeps the social worker and team manager allocated to the child
in a placement. Anything else is "Page not found", the same as a record that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from sightline.access.policy import Action, Rule, declare, may_for_organisation
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import error_summary, long_date, page, page_not_found
from sightline.organisations.models import Organisation, User
from sightline.placements.access import PlacementAccess
from sightline.placements.contacts import (
    confirmed_text,
    home_manager_set,
    organisation_contact_set,
    placement_contact_set,
)
from sightline.placements.forms import ContactForm
from sightline.placements.models import (
    ORGANISATION_CONTACT_ROLES,
    PLACEMENT_CONTACT_ROLES,
    Contact,
    ContactRole,
    Setting,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _organisation(user: User, organisation_id: Any) -> Organisation | None:
    """The organisation, when the user keeps its contacts; None otherwise."""
    try:
        org = Organisation.objects.filter(pk=organisation_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        return None
    if org is None or not may_for_organisation(user, Action.MANAGE_CONTACTS, org.pk):
        return None
    return org


def _initial(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {}
    return {"name": contact.name, "phone": contact.phone, "email": contact.email}


def _saved(request: HttpRequest, label: str) -> None:
    messages.success(
        request,
        format_html(
            '<p class="govuk-notification-banner__heading">{} saved</p>'
            '<p class="govuk-body">It shows as confirmed today on the records it belongs to.</p>',
            label,
        ),
    )


def _show(form: ContactForm, exc: ValidationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@declare(Rule.SIGNED_IN, action=Action.MANAGE_CONTACTS)
@login_required
def organisation_contacts(request: HttpRequest, organisation_id: Any) -> HttpResponse:
    """The organisation's contacts and, for a provider, each home's manager, with when each
    was last confirmed."""
    user = _user(request)
    org = _organisation(user, organisation_id)
    if org is None:
        return page_not_found(request)
    kept = {
        c.role: c
        for c in Contact.objects.filter(
            organisation=org, setting__isnull=True, placement__isnull=True
        ).select_related("confirmed_by")
    }
    homes = list(Setting.objects.filter(provider=org).order_by("name"))
    managers = {
        c.setting_id: c
        for c in Contact.objects.filter(
            setting__in=homes, role=ContactRole.HOME_MANAGER
        ).select_related("confirmed_by")
    }

    def row(label: str, contact: Contact | None, url: str) -> dict[str, Any]:
        return {
            "label": label,
            "contact": contact,
            "confirmed": confirmed_text(contact) if contact else "",
            "url": url,
        }

    rows = [
        row(
            str(ContactRole(role).label),
            kept.get(role),
            reverse("organisation_contact", args=[org.id, role]),
        )
        for role in ORGANISATION_CONTACT_ROLES.get(org.kind, ())
    ] + [
        row(
            f"Manager of {home.name}",
            managers.get(home.id),
            reverse("home_manager_contact", args=[home.id]),
        )
        for home in homes
    ]
    return page(request, "placements/contacts.html", {"organisation": org, "rows": rows})


@declare(Rule.SIGNED_IN, action=Action.MANAGE_CONTACTS)
@login_required
def organisation_contact(request: HttpRequest, organisation_id: Any, role: str) -> HttpResponse:
    user = _user(request)
    org = _organisation(user, organisation_id)
    if org is None or role not in ORGANISATION_CONTACT_ROLES.get(org.kind, ()):
        return page_not_found(request)
    contact = Contact.objects.filter(
        organisation=org, role=role, setting__isnull=True, placement__isnull=True
    ).first()
    form = ContactForm(request.POST or None, initial=_initial(contact))
    label = str(ContactRole(role).label)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_contact_set(actor=user, organisation=org, role=role, **form.cleaned_data)
        except ValidationError as exc:
            _show(form, exc)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            _saved(request, label)
            return redirect("organisation_contacts", organisation_id=org.id)
    return page(
        request,
        "placements/contact_edit.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "caption": org.name,
            "heading": label,
            "contact": contact,
            "confirmed": confirmed_text(contact) if contact else "",
            "back_url": reverse("organisation_contacts", args=[org.id]),
        },
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_CONTACTS)
@login_required
def home_manager_contact(request: HttpRequest, setting_id: Any) -> HttpResponse:
    user = _user(request)
    setting = Setting.objects.select_related("provider").filter(pk=setting_id).first()
    if (
        setting is None
        or setting.provider is None
        or _organisation(user, setting.provider_id) is None
    ):
        return page_not_found(request)
    contact = Contact.objects.filter(setting=setting, role=ContactRole.HOME_MANAGER).first()
    form = ContactForm(request.POST or None, initial=_initial(contact))
    if request.method == "POST" and form.is_valid():
        try:
            home_manager_set(actor=user, setting=setting, **form.cleaned_data)
        except ValidationError as exc:
            _show(form, exc)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            _saved(request, "Home manager")
            return redirect("organisation_contacts", organisation_id=setting.provider_id)
    return page(
        request,
        "placements/contact_edit.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "caption": setting.name,
            "heading": "Home manager",
            "contact": contact,
            "confirmed": confirmed_text(contact) if contact else "",
            "back_url": reverse("organisation_contacts", args=[setting.provider_id]),
        },
    )


@declare(
    Rule.CHILD,
    action=Action.RECORD_PLACEMENT,
    kind="placement",
    purpose="Change the social worker or team manager allocated",
)
@login_required
def placement_contact(request: HttpRequest, access: PlacementAccess, role: str) -> HttpResponse:
    """The social worker or team manager allocated to the child in this placement."""
    user = _user(request)
    if role not in PLACEMENT_CONTACT_ROLES:
        return page_not_found(request)
    placement = access.placement
    contact = Contact.objects.filter(placement=placement, role=role).first()
    form = ContactForm(request.POST or None, initial=_initial(contact))
    label = str(ContactRole(role).label)
    if request.method == "POST" and form.is_valid():
        try:
            placement_contact_set(
                actor=user,
                placement=placement,
                role=role,
                checked=access,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _show(form, exc)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            _saved(request, label)
            return redirect("child_detail", child_id=placement.child_id)
    return page(
        request,
        "placements/contact_edit.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "caption": f"{placement.child.full_name}, {placement.setting.name} "
            f"from {long_date(placement.start_date)}",
            "heading": f"Allocated {label.lower()}",
            "contact": contact,
            "confirmed": confirmed_text(contact) if contact else "",
            "back_url": reverse("child_detail", args=[placement.child_id]),
        },
    )
