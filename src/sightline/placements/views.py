"""Recording a placement through the web."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html

from sightline.access.policy import Action, Rule, access_child, declare
from sightline.children.services import child_create
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import (
    error_summary,
    long_date,
    page,
    page_not_found,
    permission_denied,
)
from sightline.organisations.models import User
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
from sightline.placements.models import Placement
from sightline.placements.selectors import user_can_record_placement
from sightline.placements.services import placement_end, placement_record, setting_create

# Which form field shows an error that a service reports against its own field name.
CHILD_FIELDS = {
    "child_ref": "child_ref",
    "name": "first_name",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
}
NEW_SETTING_FIELDS = {
    "name": "setting_name",
    "postcode": "setting_postcode",
    "place_type": "place_type",
}
PLACEMENT_FIELDS = {
    "place_type": "place_type",
    "place_provider": "place_provider",
    "start_date": "start_date",
    "home_postcode": "home_postcode",
}


@contextmanager
def _errors_shown_on(fields: dict[str, str]) -> Iterator[None]:
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(
            exc.message, field=fields.get(exc.field or ""), record=exc.record
        ) from exc


def _record(*, user: User, data: dict[str, Any]) -> Placement:
    """Child, setting and placement are written together or not at all."""
    with transaction.atomic():
        if data["child_choice"] == NEW:
            with _errors_shown_on(CHILD_FIELDS):
                child = child_create(
                    placing_council=user.organisation.council,  # type: ignore[union-attr,arg-type]
                    child_ref=data["child_ref"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    date_of_birth=data["date_of_birth"],
                    sex=data["sex"],
                    actor=user,
                )
        else:
            child = access_child(
                user,
                data["child"].pk,
                action=Action.RECORD_PLACEMENT,
                purpose="Record a placement",
            ).child
        if data["setting_choice"] == NEW:
            with _errors_shown_on(NEW_SETTING_FIELDS):
                setting = setting_create(
                    name=data["setting_name"],
                    postcode=data["setting_postcode"],
                    sector=data["setting_sector"],
                    place_type=data["place_type"],
                    provider=data["setting_provider"],
                    urn=data["setting_urn"],
                    registered_places=data["setting_registered_places"],
                    actor=user,
                )
            setting_field = "setting_postcode"
        else:
            setting = data["setting"]
            setting_field = "setting"
        with _errors_shown_on({**PLACEMENT_FIELDS, "setting": setting_field}):
            return placement_record(
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
    return page(
        request,
        "placements/placement_new.html",
        {"form": form, "error_summary": error_summary(form, radios_from_zero=CONDITIONAL_RADIOS)},
    )


# --- The home records an admission; the placing council ends a placement -------------------


@declare(Rule.CHILD, action=Action.VIEW)
@login_required
def placement_admission(request: HttpRequest, placement_id: Any) -> HttpResponse:
    """The home confirms the child's admission: its reg 41 notice to the host council."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        placement = placement_for_admission(user=user, placement_id=placement_id)
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


@declare(Rule.CHILD, action=Action.RECORD_PLACEMENT)
@login_required
def placement_end_view(request: HttpRequest, placement_id: Any) -> HttpResponse:
    """The placing council records that the child left the placement."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        placement = placement_for_ending(user=user, placement_id=placement_id)
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
