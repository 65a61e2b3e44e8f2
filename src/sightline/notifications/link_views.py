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
from django.urls import reverse
from django.views.decorators.cache import never_cache
from govuk_frontend_django.components.summary_list import GovUKSummaryList

from sightline.access.policy import Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.views import error_summary, long_date, page, when
from sightline.notifications import content, links
from sightline.notifications.directory import address_confirm
from sightline.notifications.models import Delivery, DirectoryEntry, InboxAddress, Notice
from sightline.notifications.secure_view import (
    secure_view_code_check,
    secure_view_code_send,
    secure_view_read,
)
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


def _went_by_link(notice: Notice, address: str) -> bool:
    """A signed-link delivery of this notice to this address exists: a validly signed token
    alone (for an address the notice never went to) opens nothing."""
    return Delivery.objects.filter(
        notice=notice, signed_link=True, address__iexact=address
    ).exists()


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
    if notice is None or not _went_by_link(notice, claim.address):
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
                "child_link": reverse("notice_secure_view", args=[token]),
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


# --- The secure view: the child's details with a one-time code ----------------------------

SESSION_KEY = "sightline_secure_view"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the e-mail",
        max_length=12,
        error_messages={"required": "Enter the code from the e-mail"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("code", field_width=5, label_size="s"), Submit("continue", "Continue")
        )


def _open_until(request: HttpRequest, notice_id: Any) -> bool:
    until = request.session.get(SESSION_KEY, {}).get(str(notice_id))
    return bool(until) and until > current_time().isoformat()


@declare(Rule.PUBLIC)
@never_cache
def secure_view(request: HttpRequest, token: str) -> HttpResponse:
    """The child's details for someone without an account: a one-time code sent to the
    verified inbox the notice went to opens them for a while, each look audited."""
    try:
        claim = links.acknowledgement_read(token)
    except links.LinkRefused as exc:
        return _refused(request, expired=exc.expired)
    notice = Notice.objects.select_related("recipient").filter(pk=claim.notice_id).first()
    if notice is None or notice.child_id is None or not _went_by_link(notice, claim.address):
        return _refused(request, expired=False)
    form = CodeForm(request.POST if request.POST.get("action") == "check" else None)
    sent = request.GET.get("sent") == "1"
    try:
        if request.method == "POST" and request.POST.get("action") == "send":
            secure_view_code_send(notice_id=notice.id, address=claim.address)
            return redirect(request.path + "?sent=1")
        if request.method == "POST" and form.is_valid():
            until = secure_view_code_check(
                notice_id=notice.id, address=claim.address, code=form.cleaned_data["code"]
            )
            grants = dict(request.session.get(SESSION_KEY, {}))
            grants[str(notice.id)] = until.isoformat()
            request.session[SESSION_KEY] = grants
            request.session.cycle_key()
            return redirect(request.path)
    except ValidationError as exc:
        form = CodeForm(request.POST or None)
        form.is_valid()
        form.add_error("code", exc.message)
    except NotFoundOrNotAllowed:
        return _refused(request, expired=False)
    child: dict[str, str] | None = None
    if _open_until(request, notice.id):
        try:
            seen = secure_view_read(notice_id=notice.id, address=claim.address)
        except NotFoundOrNotAllowed:
            return _refused(request, expired=False)
        assert seen.child is not None
        child = {
            "name": f"{seen.child.first_name} {seen.child.last_name}".strip(),
            "date_of_birth": long_date(seen.child.date_of_birth),
        }
    return _no_referrer(
        page(
            request,
            "notifications/secure_view.html",
            {
                "notice": notice,
                "summary": _summary(notice),
                "child": child,
                "form": form,
                "error_summary": error_summary(form),
                "sent": sent,
                "address": claim.address,
                "back": reverse("notice_ack_link", args=[token]),
            },
            status=400 if form.errors else 200,
        )
    )
