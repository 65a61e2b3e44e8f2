"""Recording a placement through the web."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
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
    PlacementEndForm,
    PlacementRecordForm,
)
from sightline.placements.models import Placement, Setting
from sightline.placements.selectors import user_can_record_placement
from sightline.placements.services import (
    ChildInput,
    SettingInput,
    placement_end,
    placement_record_for,
)


def _record(*, user: User, data: dict[str, Any]) -> Placement:
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
    return placement_record_for(
        actor=user,
        child=child,
        setting=setting,
        start_date=data["start_date"],
        place_type=data["place_type"],
        place_provider=data["place_provider"],
        home_postcode=data["home_postcode"],
        is_emergency=data["is_emergency"] == "yes",
    )


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
            placement = _record(user=user, data=form.cleaned_data)
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
            messages.success(request, _recorded_message(placement))
            return redirect("child_detail", child_id=placement.child_id)
    # The child question lists the council's children by name and CHILD id.
    choices = form.fields["child"].queryset  # type: ignore[attr-defined]
    children_shown(request, choices.values_list("pk", flat=True))
    return page(
        request,
        "placements/placement_new.html",
        {"form": form, "error_summary": error_summary(form, radios_from_zero=CONDITIONAL_RADIOS)},
    )


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
