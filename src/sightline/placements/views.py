"""Recording a placement through the web."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.html import format_html

from sightline.access.policy import Action, Rule, declare
from sightline.audit.lists import children_shown, lists_children
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import (
    error_summary,
    long_date,
    page,
    page_not_found,
    permission_denied,
)
from sightline.organisations.models import User
from sightline.placements.access import PlacementAccess
from sightline.placements.admissions import (
    admission_notice,
    admission_record,
    placement_for_admission,
    placement_for_ending,
)
from sightline.placements.forms import (
    CONDITIONAL_RADIOS,
    NEW,
    PlacementDecisionForm,
    PlacementEndForm,
    PlacementRecordForm,
)
from sightline.placements.matching import Approval, Consultation, DecisionInput
from sightline.placements.models import Placement, Setting
from sightline.placements.selectors import override_approvers_for, user_can_record_placement
from sightline.placements.services import (
    ChildInput,
    SettingInput,
    placement_check_for,
    placement_decline_for,
    placement_end,
    placement_record_for,
)


def _proposed(*, data: dict[str, Any]) -> dict[str, Any]:
    """The form's answers, as the record-a-placement use case takes them."""
    child: ChildInput | uuid.UUID
    if data["child_choice"] == NEW:
        child = ChildInput(
            child_ref=data["child_ref"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
        )
    else:
        child = data["child"].pk
    setting: SettingInput | Setting
    if data["setting_choice"] == NEW:
        setting = SettingInput(
            name=data["setting_name"],
            postcode=data["setting_postcode"],
            sector=data["setting_sector"],
            urn=data["setting_urn"],
            registered_places=data["setting_registered_places"],
            provider=data["setting_provider"],
        )
    else:
        setting = data["setting"]
    return {
        "child": child,
        "setting": setting,
        "start_date": data["start_date"],
        "place_type": data["place_type"],
        "place_provider": data["place_provider"],
        "home_postcode": data["home_postcode"],
        "is_emergency": data["is_emergency"] == "yes",
    }


# The first page's answers wait in the session while the matching check is shown.
PROPOSAL_KEY = "placement_proposal"


def _recorded_message(placement: Placement) -> str:
    distance = (
        f"{placement.distance_miles:.1f} miles"
        if placement.distance_miles is not None
        else "not known (no home postcode)"
    )
    return format_html(
        '<h3 class="govuk-notification-banner__heading">Placement recorded</h3>'
        '<p class="govuk-body">Host council: {}.<br>Police force: {}.<br>'
        "Distance from home: {}.</p>",
        placement.host_council.name,
        placement.host_police_force.name,
        distance,
    )


@declare(Rule.SIGNED_IN, action=Action.RECORD_PLACEMENT)
@lists_children(purpose="Record a placement: the council's children to choose from")
@login_required
def placement_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user_can_record_placement(user=user):
        return permission_denied(request)
    initial = {}
    if request.method == "GET" and request.GET.get("child"):
        initial = {"child_choice": "existing", "child": request.GET["child"]}
    form = PlacementRecordForm(
        request.POST if request.method == "POST" else None, user=user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            placement_check_for(actor=user, **_proposed(data=form.cleaned_data))
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotFoundOrNotAllowed:
            form.add_error("child", "Select a child from the list")
        except IntegrityError:
            # Someone else saved the same CHILD id or URN a moment ago.
            form.add_error(
                None,
                "Someone else has just recorded the same child or setting. "
                "Check the details and try again.",
            )
        else:
            request.session[PROPOSAL_KEY] = {
                key: request.POST.getlist(key)
                for key in request.POST
                if key != "csrfmiddlewaretoken"
            }
            return redirect("placement_check")
    # The child question lists the council's children by name and CHILD id.
    choices = form.fields["child"].queryset  # type: ignore[attr-defined]
    children_shown(request, choices.values_list("pk", flat=True))
    return page(
        request,
        "placements/placement_new.html",
        {"form": form, "error_summary": error_summary(form, radios_from_zero=CONDITIONAL_RADIOS)},
    )


def _decision(data: dict[str, Any]) -> DecisionInput:
    director = consultation = None
    if "director_name" in data:
        director = Approval(
            name=data["director_name"],
            decided_on=data["director_decided_on"],
            outcome=data["director_outcome"],
        )
        consultation = Consultation(
            with_whom=data["consulted_with"],
            on=data["consulted_on"],
            outcome=data["consultation_outcome"],
        )
    approver = data.get("approver")
    return DecisionInput(
        proceed=data["proceed"] == "yes",
        reasons=data["reasons"],
        approver=approver.pk if approver is not None else None,
        director=director,
        consultation=consultation,
    )


@declare(Rule.SIGNED_IN, action=Action.RECORD_PLACEMENT)
@login_required
def placement_check(request: HttpRequest) -> HttpResponse:
    """The matching check between choosing the home and recording the placement, and the
    decision on it (ADR 51). The first page's answers wait in the session."""
    user: User = request.user  # type: ignore[assignment]
    if not user_can_record_placement(user=user):
        return permission_denied(request)
    answers = QueryDict(mutable=True)
    for key, values in (request.session.get(PROPOSAL_KEY) or {}).items():
        answers.setlist(key, values)
    proposal = PlacementRecordForm(answers, user=user)
    if not answers or not proposal.is_valid():
        return redirect("placement_new")
    proposed = _proposed(data=proposal.cleaned_data)
    try:
        # Shown on a GET: the look at the child is on the record (a POST that fails shows the
        # check again, a look already recorded).
        check = placement_check_for(actor=user, shown=request.method == "GET", **proposed)
    except (ValidationError, NotFoundOrNotAllowed, IntegrityError):
        return redirect("placement_new")
    warnings = bool(check and check.warnings)
    distant = bool(check and check.distant)
    form = PlacementDecisionForm(
        request.POST if request.method == "POST" else None,
        approvers=override_approvers_for(user=user),
        warnings=warnings,
        distant=distant,
    )
    if request.method == "POST" and form.is_valid():
        decision = _decision(form.cleaned_data)
        try:
            if decision.proceed:
                placement = placement_record_for(actor=user, decision=decision, **proposed)
            else:
                declined = placement_decline_for(
                    actor=user,
                    decision=decision,
                    **{k: proposed[k] for k in _DECLINE_ARGS},
                )
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except (NotFoundOrNotAllowed, IntegrityError):
            return redirect("placement_new")
        else:
            request.session.pop(PROPOSAL_KEY, None)
            if decision.proceed:
                messages.success(request, _recorded_message(placement))
                return redirect("child_detail", child_id=placement.child_id)
            messages.success(
                request,
                format_html(
                    '<h3 class="govuk-notification-banner__heading">Decision recorded</h3>'
                    '<p class="govuk-body">The placement will not go ahead. The decision and '
                    "the matching check are on the child's chronology.</p>"
                ),
            )
            return redirect("child_detail", child_id=declined.child_id)
    setting = proposed["setting"]
    return page(
        request,
        "placements/placement_check.html",
        {
            "form": form,
            "check": check,
            "setting_name": setting.name,
            "error_summary": error_summary(form),
        },
    )


_DECLINE_ARGS = ("child", "setting", "start_date", "place_type", "home_postcode")


# --- The home records an admission; the placing council ends a placement -------------------


@declare(Rule.CHILD, action=Action.VIEW, kind="placement", purpose="Record an admission")
@login_required
def placement_admission(request: HttpRequest, access: PlacementAccess) -> HttpResponse:
    """The home confirms the child's admission: its reg 41 notice to the host council."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        placement = placement_for_admission(user=user, access=access)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    if request.method == "POST":
        with transaction.atomic():
            notices = admission_record(actor=user, placement=placement)
        messages.success(
            request,
            format_html(
                '<h3 class="govuk-notification-banner__heading">Admission recorded</h3>'
                '<p class="govuk-body">We have sent an admission notice to {}.</p>',
                ", ".join(n.recipient.name for n in notices),
            ),
        )
        return redirect("child_detail", child_id=placement.child_id)
    return page(
        request,
        "placements/placement_admission.html",
        {
            "placement": placement,
            "child": placement.child,
            "start_date": long_date(placement.start_date),
            "admission": admission_notice(placement=placement),
        },
    )


@declare(Rule.CHILD, action=Action.RECORD_PLACEMENT, kind="placement", purpose="End a placement")
@login_required
def placement_end_view(request: HttpRequest, access: PlacementAccess) -> HttpResponse:
    """The placing council records that the child left the placement."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        placement = placement_for_ending(access=access)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    form = PlacementEndForm(
        request.POST if request.method == "POST" else None, start_date=placement.start_date
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                placement_end(
                    actor=user, placement=placement, end_date=form.cleaned_data["end_date"]
                )
        except ValidationError as exc:
            form.add_error("end_date", exc.message)
        else:
            messages.success(
                request,
                format_html(
                    '<h3 class="govuk-notification-banner__heading">Placement ended</h3>'
                    '<p class="govuk-body">{} left {} on {}.</p>',
                    placement.child.full_name,
                    placement.setting.name,
                    long_date(placement.end_date),
                ),
            )
            return redirect("child_detail", child_id=placement.child_id)
    return page(
        request,
        "placements/placement_end.html",
        {
            "form": form,
            "placement": placement,
            "child": placement.child,
            "start_date": long_date(placement.start_date),
            "error_summary": error_summary(form),
        },
    )
