"""The parent's view: the child's current plan and the council's contacts, for a parent
invited by the social worker, without a staff account.

What admits is the signed invitation link (``notifications.links``, purpose
``PARENT_VIEW``) and a one-time code sent to the invited address each time
(``notifications.secure_view``'s codes), as for a non-user's secure view (ADR 31). Declared
``Rule.PUBLIC``: the link and the code, not a session's user, admit, so every signed-in role
gets the same answer. The invitation is checked on every request: ended, expired, or its
parent restricted, and the page is refused. Every look is audited and logged as shared.

Only two pages, and every link on them stays in them (``tests/family/test_parent_view.py``
walks them): no address, no one else in the family, nothing else of the record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from govuk_frontend_django.components.service_navigation import GovUKServiceNavigation

from sightline.access.policy import Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.views import error_summary, long_date, page
from sightline.family.forms import CodeForm
from sightline.family.models import ParentInvitation
from sightline.family.selectors import parent_view_contacts, parent_view_plan
from sightline.family.services import (
    INVITATION_DAYS_MAX,
    parent_code_check,
    parent_code_send,
    parent_invitation_open,
    parent_view_look,
)
from sightline.notifications import links

SESSION_KEY = "sightline_parent_view"


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never pass it on to another site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _navigation(request: HttpRequest, token: str | None, *, open_: bool) -> dict[str, Any]:
    """The parent's own header: the service name leads back to the view, not to staff pages;
    once open, the view's two pages. Nothing else of Sightline is linked."""
    items: list[dict[str, Any]] = []
    home = reverse("parent_view", args=[token]) if token else request.path
    if token and open_:
        for name, text in (("parent_view", "Plan"), ("parent_view_contacts", "Contacts")):
            href = reverse(name, args=[token])
            items.append({"href": href, "text": text, "active": request.path == href})
    return {
        "service_navigation": GovUKServiceNavigation(
            serviceName=settings.SERVICE_NAME,
            serviceUrl=home,
            navigation=items,  # type: ignore[arg-type]
            navigationLabel="Menu",
        ),
        "page_banners": "",
    }


def _refused(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    return _no_referrer(
        page(
            request,
            "family/parent_refused.html",
            {"expired": expired, **_navigation(request, None, open_=False)},
            status=404,
        )
    )


def _claim(token: str) -> tuple[str, str]:
    value = links.link_read(
        token=token, purpose=links.Purpose.PARENT_VIEW, max_age_days=INVITATION_DAYS_MAX
    )
    try:
        return value["i"], value["a"]
    except KeyError as exc:
        raise links.LinkRefused(expired=False) from exc


def _open(request: HttpRequest, invitation_id: str) -> bool:
    until = request.session.get(SESSION_KEY, {}).get(invitation_id)
    return bool(until) and until > current_time().isoformat()


def _resolve(token: str) -> tuple[ParentInvitation, str]:
    invitation_id, address = _claim(token)
    return parent_invitation_open(invitation_id=invitation_id, address=address), address


@declare(Rule.PUBLIC)
@never_cache
@require_http_methods(["GET", "POST"])
def parent_view(request: HttpRequest, token: str) -> HttpResponse:
    """The plan, once a code sent to the invited address has been entered."""
    try:
        invitation, address = _resolve(token)
    except links.LinkRefused as exc:
        return _refused(request, expired=exc.expired)
    except NotFoundOrNotAllowed:
        return _refused(request)
    key = str(invitation.id)
    action = request.POST.get("action")
    form = CodeForm(request.POST if action == "check" else None)
    try:
        if request.method == "POST" and action == "send":
            parent_code_send(invitation_id=invitation.id, address=address)
            return redirect(request.path + "?sent=1")
        if request.method == "POST" and action == "check" and form.is_valid():
            until = parent_code_check(
                invitation_id=invitation.id, address=address, code=form.cleaned_data["code"]
            )
            grants = dict(request.session.get(SESSION_KEY, {}))
            grants[key] = until.isoformat()
            request.session[SESSION_KEY] = grants
            request.session.cycle_key()
            return redirect(request.path)
        if request.method == "POST" and action == "leave":
            grants = dict(request.session.get(SESSION_KEY, {}))
            grants.pop(key, None)
            request.session[SESSION_KEY] = grants
            return redirect(request.path)
    except ValidationError as exc:
        form = CodeForm(request.POST or None)
        form.is_valid()
        form.add_error("code", exc.message)
    except NotFoundOrNotAllowed:
        return _refused(request)
    context: dict[str, Any] = {
        "token": token,
        "form": form,
        "error_summary": error_summary(form),
        "sent": request.GET.get("sent") == "1",
        "address": invitation.email,
        "ends": long_date(invitation.ends_at.date()),
        "open": False,
        **_navigation(request, token, open_=_open(request, key)),
    }
    if _open(request, key):
        parent_view_look(invitation_id=invitation.id, address=address, page="plan")
        plan = parent_view_plan(invitation=invitation)
        context.update(
            {
                "open": True,
                "plan": plan,
                "plan_date": long_date(plan.created_at.date()) if plan else "",
            }
        )
    return _no_referrer(
        page(request, "family/parent_view.html", context, status=400 if form.errors else 200)
    )


@declare(Rule.PUBLIC)
@never_cache
@require_http_methods(["GET"])
def parent_view_contacts_page(request: HttpRequest, token: str) -> HttpResponse:
    """Who to contact at the council about the child: names, phone numbers and e-mail
    addresses of the social worker, the team manager and the out-of-hours line."""
    try:
        invitation, address = _resolve(token)
    except links.LinkRefused as exc:
        return _refused(request, expired=exc.expired)
    except NotFoundOrNotAllowed:
        return _refused(request)
    if not _open(request, str(invitation.id)):
        return redirect(reverse("parent_view", args=[token]))
    parent_view_look(invitation_id=invitation.id, address=address, page="contacts")
    return _no_referrer(
        page(
            request,
            "family/parent_contacts.html",
            {
                "token": token,
                "contacts": parent_view_contacts(invitation=invitation),
                **_navigation(request, token, open_=True),
            },
        )
    )
