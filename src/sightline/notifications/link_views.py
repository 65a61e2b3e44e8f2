"""Pages for people with no Sightline account, reached only by a signed link e-mailed to a
verified directory inbox (``links.py``): acknowledging a notice, and confirming that a
directory address reaches the agency.

Declared ``Rule.PUBLIC``: the signed link, not a session, is what admits. The acknowledgement
page shows the notice's non-personal summary (what the e-mail already said: no child's name);
the child's details stay behind sign-in. An expired, tampered or unknown link gets one clear
refusal page, with nothing about the notice.
"""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from govuk_frontend_django.components.summary_list import GovUKSummaryList

from sightline.access.policy import Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import error_summary, page, when
from sightline.notifications import content, links
from sightline.notifications.directory import address_confirm
from sightline.notifications.models import Delivery, DirectoryEntry, InboxAddress, Notice
from sightline.notifications.services import notice_acknowledge_by_link


class AcknowledgeForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=120, error_messages={"required": "Enter your name"}
    )
    role = forms.CharField(
        label="Your role",
        help_text="For example, duty social worker or control room supervisor.",
        max_length=120,
        error_messages={"required": "Enter your role"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "name", "spellcheck": "false"})
        self.fields["role"].widget.attrs.update({"autocomplete": "organization-title"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name", label_size="s"),
            Field.text("role", label_size="s"),
            Submit("acknowledge", "Acknowledge receipt"),
        )


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never pass it on to another site. ("no-referrer" would make
    # browsers send "Origin: null" with the form, which Django's CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _refused(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return _no_referrer(
        page(
            request,
            "notifications/link_refused.html",
            {"expired": expired},
            status=410 if expired else 400,
        )
    )


def _row(key: str, value: str) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"text": value}}


def _summary(notice: Notice) -> GovUKSummaryList:
    """What the e-mail said, and nothing more: no child's name."""
    f = content.notice_fields(notice)
    rows = [
        _row("Notice", notice.kind_label),
        _row("Reference", notice.reference),
        _row("From", notice.sender_name),
        _row("To", notice.recipient.name),
        _row("Child", "Shown when you sign in"),
    ]
    if notice.placing_council_name:
        rows.append(_row("Placed by", notice.placing_council_name))
    if notice.setting_name:
        area = f" ({notice.area_name})" if notice.area_name else ""
        rows.append(_row("Where", f"{notice.setting_name}, {notice.setting_postcode}{area}"))
    rows += [_row(f["date_label"], f["date"]), _row("Contact", f["contact"])]
    if notice.acknowledged_at is not None:
        rows.append(
            _row(
                "Acknowledged",
                f"By {notice.acknowledged_by_text} on {when(notice.acknowledged_at)}",
            )
        )
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


@declare(Rule.PUBLIC)
@never_cache
def acknowledge_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """Acknowledge a notice with the signed link from the e-mail: name and role, no account."""
    try:
        claim = links.acknowledgement_read(token)
    except links.LinkRefused as exc:
        return _refused(request, expired=exc.expired)
    notice = (
        Notice.objects.select_related("recipient", "acknowledged_by")
        .filter(pk=claim.notice_id)
        .first()
    )
    if (
        notice is None
        or not Delivery.objects.filter(
            notice=notice, signed_link=True, address__iexact=claim.address
        ).exists()
    ):
        return _refused(request, expired=False)
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and notice.acknowledged_at is None and form.is_valid():
        try:
            notice_acknowledge_by_link(
                notice_id=notice.id,
                address=claim.address,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotFoundOrNotAllowed:
            return _refused(request, expired=False)
        else:
            return redirect(request.path + "?done=1")
    return _no_referrer(
        page(
            request,
            "notifications/acknowledge.html",
            {
                "notice": notice,
                "summary": _summary(notice),
                "form": form,
                "error_summary": error_summary(form),
                "just_done": request.GET.get("done") == "1",
                "address": claim.address,
                "sign_in_link": content.notice_link(notice),
            },
            status=200 if not form.errors else 400,
        )
    )


@declare(Rule.PUBLIC)
@never_cache
def confirm_address(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm that a directory address reaches the agency (the test message's link)."""
    try:
        claim = links.confirmation_read(token)
    except links.LinkRefused as exc:
        return _refused(request, expired=exc.expired)
    row = InboxAddress.objects.filter(address=claim.address).first()
    if row is None:
        return _refused(request, expired=False)
    if request.method == "POST":
        try:
            row = address_confirm(token=token)
        except links.LinkRefused as exc:
            return _refused(request, expired=exc.expired)
        return redirect(request.path + "?done=1")
    done = request.GET.get("done") == "1" and row.verified_at is not None
    if not done and row.challenge != claim.challenge:
        return _refused(request, expired=False)
    names = sorted(
        {
            e.organisation.name
            for e in DirectoryEntry.objects.select_related("organisation").filter(
                placement_inbox__iexact=row.address
            )
        }
        | {
            e.organisation.name
            for e in DirectoryEntry.objects.select_related("organisation").filter(
                missing_inbox__iexact=row.address
            )
        }
    )
    return _no_referrer(
        page(
            request,
            "notifications/confirm_address.html",
            {"address": row.address, "names": names, "done": done},
        )
    )
