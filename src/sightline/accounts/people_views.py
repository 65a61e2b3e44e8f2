"""Pages for administering an organisation's people and reading its audit (GOV.UK Design
System). They parse input, call one function of ``accounts.people`` and render: the rules
(whose people, which roles, not one's own account) and the audit rows live there.

Another organisation's people, person or audit is "Page not found", the same as one that
does not exist, and the attempt is on the audit chain.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Rule, declare, is_platform_operator
from sightline.accounts import people, selectors
from sightline.accounts.forms import ConfirmForm, PersonAddForm, RoleForm
from sightline.audit.models import AuditKind
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import error_summary, page, page_not_found, table_cell, table_head, tag
from sightline.core.views import when as when_text
from sightline.organisations.models import Organisation, OrganisationKind, Role, User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _banner(heading: str, body: str = "") -> str:
    if body:
        return format_html(
            '<p class="govuk-notification-banner__heading">{}</p><p class="govuk-body">{}</p>',
            heading,
            body,
        )
    return format_html('<p class="govuk-notification-banner__heading">{}</p>', heading)


def _roles(organisation: Organisation) -> list[tuple[str, str]]:
    return [(role, str(Role(role).label)) for role in people.roles_held(organisation)]


def _role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, role or "None"))


def _show(form: Any, exc: ValidationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _status(person: User) -> str:
    return (
        tag("Active", "govuk-tag--green")
        if person.is_active
        else tag("Deactivated", "govuk-tag--grey")
    )


def _kind(organisation: Organisation) -> str:
    return str(OrganisationKind(organisation.kind).label)


# --- Organisations ---------------------------------------------------------------------------


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """A platform operator's list of organisations; an organisation's administrator goes
    straight to their own organisation's people."""
    user = _user(request)
    found = list(people.organisations_administered(actor=user))
    if not found:
        return page_not_found(request)
    if not is_platform_operator(user):
        return redirect("people_list", organisation_id=found[0].pk)
    rows = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("people_list", args=[org.pk]),
                    org.name,
                )
            ),
            table_cell(_kind(org)),
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">Audit<span class="govuk-visually-hidden">'
                    " of {}</span></a>",
                    reverse("organisation_audit", args=[org.pk]),
                    org.name,
                )
            ),
        ]
        for org in found
    ]
    table = GovUKTable(
        caption="Organisations",
        captionClasses="govuk-visually-hidden",
        head=[table_head("Organisation"), table_head("Kind"), table_head("Audit")],
        rows=rows,
    )
    return page(request, "accounts/organisations.html", {"table": table, "count": len(rows)})


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
def people_list(request: HttpRequest, organisation_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        org, everyone = people.people_list(actor=user, organisation_id=organisation_id)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    found = list(everyone)
    with_app = selectors.users_with_authenticator(user_ids=[p.pk for p in found])
    rows = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>{}',
                    reverse("person_detail", args=[p.pk]),
                    p.get_full_name() or p.username,
                    " (you)" if p.pk == user.pk else "",
                )
            ),
            table_cell(p.username),
            table_cell(_role_label(p.role)),
            table_cell("Set up" if p.pk in with_app else "Not set up"),
            table_cell(html=_status(p)),
        ]
        for p in found
    ]
    table = GovUKTable(
        caption=f"People in {org.name}",
        captionClasses="govuk-visually-hidden",
        head=[
            table_head("Name"),
            table_head("Username"),
            table_head("Role"),
            table_head("Authenticator app"),
            table_head("Status"),
        ],
        rows=rows,
    )
    return page(
        request,
        "accounts/people_list.html",
        {
            "organisation": org,
            "table": table if rows else None,
            "count": len(rows),
            "platform_operator": is_platform_operator(user),
        },
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest, organisation_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        org = people.organisation_for_admin(
            actor=user, organisation_id=organisation_id, attempt=people.Attempt.ADD
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    form = PersonAddForm(request.POST if request.method == "POST" else None, roles=_roles(org))
    if request.method == "POST" and form.is_valid():
        try:
            person, password = people.person_add(
                actor=user, organisation_id=org.pk, **form.cleaned_data
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        except ValidationError as exc:
            _show(form, exc)
        else:
            # Shown once, on this response: never stored, never shown again.
            return page(
                request,
                "accounts/person_added.html",
                {"person": person, "password": password, "organisation": org},
            )
    return page(
        request,
        "accounts/person_add.html",
        {"form": form, "error_summary": error_summary(form), "organisation": org},
    )


# --- One person --------------------------------------------------------------------------------


def _person(request: HttpRequest, person_id: Any, attempt: people.Attempt) -> User:
    return people.person_for_admin(actor=_user(request), person_id=person_id, attempt=attempt)


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
def person_detail(request: HttpRequest, person_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        person = _person(request, person_id, people.Attempt.VIEW_PERSON)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    return page(
        request,
        "accounts/person_detail.html",
        {
            "person": person,
            "organisation": person.organisation,
            "own": person.pk == user.pk,
            "role": _role_label(person.role),
            "status": _status(person),
            "authenticator": selectors.authenticator_confirmed(user=person) is not None,
            "last_login": when_text(person.last_login) if person.last_login else "Never",
        },
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
@require_http_methods(["GET", "POST"])
def person_role(request: HttpRequest, person_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        person = _person(request, person_id, people.Attempt.ROLE)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    assert person.organisation is not None
    form = RoleForm(
        request.POST if request.method == "POST" else None,
        initial={"role": person.role},
        roles=_roles(person.organisation),
        legend=f"Role of {person.get_full_name() or person.username}",
    )
    if request.method == "POST" and form.is_valid():
        try:
            people.person_role_change(
                actor=user, person_id=person.pk, role=form.cleaned_data["role"]
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        except ValidationError as exc:
            _show(form, exc)
        else:
            messages.success(request, _banner("Role changed"))
            return redirect("person_detail", person_id=person.pk)
    return page(
        request,
        "accounts/person_role.html",
        {"form": form, "error_summary": error_summary(form), "person": person},
    )


def _confirm(
    request: HttpRequest,
    person_id: Any,
    *,
    attempt: people.Attempt,
    template: str,
    act: Any,
    done: str,
) -> HttpResponse:
    """A confirmation page with one button; POST calls ``act(actor, person)``."""
    user = _user(request)
    try:
        person = _person(request, person_id, attempt)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            act(user, person)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        except ValidationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _banner(done))
            return redirect("person_detail", person_id=person.pk)
    summary = None
    if form.errors:
        summary = error_summary(form)
    return page(
        request,
        template,
        {
            "form": form,
            "error_summary": summary,
            "person": person,
            "errors": form.non_field_errors(),
        },
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
@require_http_methods(["GET", "POST"])
def person_status(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Deactivate an active person, or reactivate a deactivated one."""
    active = request.POST.get("active") == "yes"
    return _confirm(
        request,
        person_id,
        attempt=people.Attempt.STATUS,
        template="accounts/person_status.html",
        act=lambda actor, person: people.person_status_set(
            actor=actor, person_id=person.pk, active=active
        ),
        done="Account reactivated" if active else "Account deactivated",
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_PEOPLE)
@login_required
@require_http_methods(["GET", "POST"])
def person_second_factor(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Reset a person's authenticator app (a lost phone)."""
    return _confirm(
        request,
        person_id,
        attempt=people.Attempt.SECOND_FACTOR,
        template="accounts/person_second_factor.html",
        act=lambda actor, person: people.person_second_factor_reset(
            actor=actor, person_id=person.pk
        ),
        done="Authenticator app reset",
    )


# --- The organisation's audit ------------------------------------------------------------------


@declare(Rule.SIGNED_IN, action=Action.VIEW_ORGANISATION_AUDIT)
@login_required
def organisation_audit(request: HttpRequest, organisation_id: Any) -> HttpResponse:
    """Who in the organisation did what, newest first: the verb, the kind of record and
    when. Not the reasons people gave (an emergency reason may name a child) nor which child:
    those are on the child's own audit page, for those who may read it."""
    user = _user(request)
    try:
        org, rows = people.organisation_audit(actor=user, organisation_id=organisation_id)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    table_rows = [
        [
            table_cell(when_text(row.at)),
            table_cell(row.username or "Sightline"),
            table_cell(
                str(AuditKind(row.kind).label) if row.kind in AuditKind.values else row.kind
            ),
            table_cell(str(row.verb or row.action).capitalize()),
            table_cell(row.object_type),
        ]
        for row in rows
    ]
    table = GovUKTable(
        caption=f"Audit of {org.name}, newest first",
        captionClasses="govuk-visually-hidden",
        head=[
            table_head("When"),
            table_head("Who"),
            table_head("Kind"),
            table_head("What"),
            table_head("Record"),
        ],
        rows=table_rows,
        classes="app-table--compact",
    )
    return page(
        request,
        "accounts/organisation_audit.html",
        {
            "organisation": org,
            "table": table if table_rows else None,
            "count": len(table_rows),
            "limit": people.AUDIT_ROWS,
        },
    )
