"""Missing-from-care settings: a council's triggers and interviewing service (its team
managers and administrators), and a police force's choice of away alerts (its
administrators). No child data: the page shows and changes the organisation's own rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from govuk_frontend_django.components.error_summary import GovUKErrorSummary

from sightline.access.policy import Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import error_summary, page, page_not_found
from sightline.missing.forms import CouncilMissingSettingsForm, PoliceAlertSettingsForm
from sightline.missing.models import InterviewServiceConfig, TriggerConfig
from sightline.missing.notices import police_receive_away_alerts
from sightline.missing.presenters import banner
from sightline.missing.services import (
    alert_policy_set,
    interview_service_set,
    trigger_config_set,
)
from sightline.missing.views import _user, can_change_missing_settings
from sightline.organisations.models import Organisation, OrganisationKind, User


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _services(org: Organisation) -> list[tuple[str, str]]:
    """Organisations that can hold interviews: councils, providers, health and others, not
    the police (interviews are to be independent of them) and not the council itself."""
    return [
        (str(o.pk), o.name)
        for o in Organisation.objects.exclude(kind=OrganisationKind.POLICE)
        .exclude(pk=org.pk)
        .order_by("name")
    ]


def _summary(form: Any) -> GovUKErrorSummary | None:
    return error_summary(form)


def _council_settings(request: HttpRequest, user: User, org: Organisation) -> HttpResponse:
    council = org.council
    assert council is not None
    triggers = TriggerConfig.objects.filter(council=council).first() or TriggerConfig(
        council=council
    )
    interviews = InterviewServiceConfig.objects.filter(council=council).first()
    initial = {
        "episodes": triggers.episodes,
        "days": triggers.days,
        "include_away": _yes(triggers.include_away),
        "high_risk_task": _yes(triggers.high_risk_task),
        "exploitation_prompt": _yes(triggers.exploitation_prompt),
        "task_due_working_days": triggers.task_due_working_days,
        "service": str(interviews.service_id) if interviews and interviews.service_id else "",
        "use_host_service_out_of_area": _yes(
            bool(interviews and interviews.use_host_service_out_of_area)
        ),
    }
    services = _services(org)
    form = CouncilMissingSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial, services=services
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = (
            Organisation.objects.filter(pk=data["service"]).first() if data["service"] else None
        )
        try:
            trigger_config_set(
                actor=user,
                council=council,
                episodes=data["episodes"],
                days=data["days"],
                include_away=data["include_away"] == "yes",
                high_risk_task=data["high_risk_task"] == "yes",
                exploitation_prompt=data["exploitation_prompt"] == "yes",
                task_due_working_days=data["task_due_working_days"],
            )
            interview_service_set(
                actor=user,
                council=council,
                service=service,
                use_host_service_out_of_area=data["use_host_service_out_of_area"] == "yes",
            )
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            messages.success(
                request, banner("Settings saved", "They apply to episodes from now on.")
            )
            return redirect("missing_settings")
    return page(
        request,
        "missing/settings_council.html",
        {"organisation": org, "form": form, "error_summary": _summary(form)},
    )


def _police_settings(request: HttpRequest, user: User, org: Organisation) -> HttpResponse:
    initial = {"receives_away_alerts": _yes(police_receive_away_alerts(organisation=org))}
    form = PoliceAlertSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            alert_policy_set(
                actor=user,
                organisation=org,
                receives_away_alerts=form.cleaned_data["receives_away_alerts"] == "yes",
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        messages.success(
            request, banner("Settings saved", "They apply to episodes reported from now on.")
        )
        return redirect("missing_settings")
    return page(
        request,
        "missing/settings_police.html",
        {"organisation": org, "form": form, "error_summary": _summary(form)},
    )


@declare(Rule.SIGNED_IN)
@login_required
def missing_settings(request: HttpRequest) -> HttpResponse:
    """The organisation's missing-from-care settings, for those who may change them; anyone
    else gets "Page not found", as for any page they cannot use."""
    user = _user(request)
    if not can_change_missing_settings(user):
        return page_not_found(request)
    org = user.organisation
    assert org is not None
    if org.kind == OrganisationKind.COUNCIL:
        return _council_settings(request, user, org)
    return _police_settings(request, user, org)
