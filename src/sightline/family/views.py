"""Staff pages of the child's voice, plan and family. Thin: parse, call one service or
selector, render. Each is declared on the child (or the parent) with its action, so a reader
without it gets "Page not found", the same as for a child that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from sightline.access.policy import POLICY, Action, ChildAccess, Rule, declare, involvements_of
from sightline.children.selectors import age_on
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import today
from sightline.core.views import error_summary, long_date, page, page_not_found, when
from sightline.family.access import ParentAccess
from sightline.family.forms import (
    InviteForm,
    ParentEditForm,
    ParentForm,
    PlanForm,
    SharingForm,
    StatementForm,
)
from sightline.family.models import Parent
from sightline.family.selectors import (
    child_priorities,
    child_voice,
    continuity_for_child,
    invitation_open_for_parent,
    invitations_for_parent,
    parents_for_child,
    plan_agencies,
    plan_versions,
    sharing_for_parent,
)
from sightline.family.services import (
    child_statement_record,
    parent_invitation_end,
    parent_invite,
    parent_record,
    parent_sharing_record,
    parent_update,
    plan_version_record,
)
from sightline.missing.presenters import banner
from sightline.organisations.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _can(user: User, found: set[Any], action: Action) -> bool:
    return bool(POLICY[action].get(user.role, set()) & found)


def _age(access: ChildAccess) -> int:
    return age_on(access.child.date_of_birth, today())


def _overview(child_id: Any) -> str:
    return reverse("family_overview", args=[child_id])


def _save(form: Any, save: Callable[[], Any]) -> Any:
    """Call the service; its message goes against the field it names (else the form)."""
    try:
        return save()
    except ValidationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    access: ChildAccess,
    title: str,
    intro: str = "",
    back: str,
) -> HttpResponse:
    return page(
        request,
        "family/form.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "child": access.child,
            "title": title,
            "intro": intro,
            "back": back,
        },
        status=400 if form.errors else 200,
    )


@declare(Rule.CHILD, action=Action.VIEW_FAMILY, purpose="Read the child's voice, plan and family")
@login_required
def family_overview(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The child's words first, then their priorities, plan, continuity and family."""
    user = _user(request)
    found = involvements_of(user, access)
    plans = plan_versions(access=access)
    return page(
        request,
        "family/overview.html",
        {
            "child": access.child,
            "voice": child_voice(access=access),
            "priorities": child_priorities(access=access),
            "plan": plans[0] if plans else None,
            "plans": plans[1:],
            "continuity": continuity_for_child(child=access.child),
            "parents": parents_for_child(access=access),
            "can_record_words": _can(user, found, Action.RECORD_CHILD_VOICE),
            "can_record_plan": _can(user, found, Action.RECORD_PLAN),
            "can_manage_parents": _can(user, found, Action.MANAGE_PARENTS),
            "when": when,
            "long_date": long_date,
        },
    )


@declare(Rule.CHILD, action=Action.RECORD_CHILD_VOICE, purpose="Record the child's words")
@login_required
@require_http_methods(["GET", "POST"])
def statement_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    user = _user(request)
    form = StatementForm(request.POST or None, child_age=_age(access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: child_statement_record(
                actor=user,
                child=access.child,
                topic=data["topic"],
                occasion=data["occasion"],
                words=data["words"],
                said_at=form.said_at(),
                said_to=data["said_to"],
                context=data["context"],
                language_confirmed=True,
                checked=access,
            ),
        )
        if saved is not None:
            messages.success(request, banner("The child's words are saved"))
            return redirect(_overview(access.child.id))
    return _form_page(
        request,
        form,
        access=access,
        title="Record what the child said",
        intro="Their own words come first on their record. Write them as they were said.",
        back=_overview(access.child.id),
    )


@declare(Rule.CHILD, action=Action.RECORD_PLAN, purpose="Record a version of the child's plan")
@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    user = _user(request)
    form = PlanForm(
        request.POST or None, child_age=_age(access), agencies=plan_agencies(access=access)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: plan_version_record(
                actor=user,
                child=access.child,
                summary=data["summary"],
                child_took_part=data["child_took_part"] == "yes",
                child_views=data["child_views"],
                carers_took_part=data["carers_took_part"],
                agencies=list(data["agencies"]),
                language_confirmed=True,
                checked=access,
            ),
        )
        if saved is not None:
            messages.success(request, banner(f"Version {saved.version} of the plan is saved"))
            return redirect(_overview(access.child.id))
    return _form_page(
        request,
        form,
        access=access,
        title="Write the child's plan with them",
        intro="Each save is a new version; earlier versions stay on the record.",
        back=_overview(access.child.id),
    )


@declare(Rule.CHILD, action=Action.MANAGE_PARENTS, purpose="Record a parent or carer")
@login_required
@require_http_methods(["GET", "POST"])
def parent_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    user = _user(request)
    form = ParentForm(request.POST or None, child_age=_age(access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: parent_record(
                actor=user,
                child=access.child,
                name=data["name"],
                relationship=data["relationship"],
                parental_responsibility=data["parental_responsibility"] == "yes",
                contact_preference=data["contact_preference"],
                email=data["email"],
                phone=data["phone"],
                restricted=data["restricted"] == "yes",
                restriction_reason=data["restriction_reason"],
                language_confirmed=True,
                checked=access,
            ),
        )
        if saved is not None:
            messages.success(request, banner("The parent or carer is saved"))
            return redirect(reverse("family_parent", args=[saved.id]))
    return _form_page(
        request, form, access=access, title="Add a parent or carer", back=_overview(access.child.id)
    )


@declare(Rule.CHILD, action=Action.VIEW_FAMILY, kind="parent", purpose="Read a parent or carer")
@login_required
def parent_detail(request: HttpRequest, access: ParentAccess) -> HttpResponse:
    user = _user(request)
    found = involvements_of(user, access)
    parent = access.parent
    return page(
        request,
        "family/parent.html",
        {
            "child": access.child,
            "parent": parent,
            "sharings": sharing_for_parent(parent=parent),
            "invitations": invitations_for_parent(parent=parent),
            "open_invitation": invitation_open_for_parent(parent=parent),
            "can_manage": _can(user, found, Action.MANAGE_PARENTS),
            "can_share": _can(user, found, Action.RECORD_PARENT_SHARING),
            "back": _overview(access.child.id),
        },
    )


def _parent_form_page(
    request: HttpRequest, form: Any, access: ParentAccess, *, title: str, intro: str = ""
) -> HttpResponse:
    return _form_page(
        request,
        form,
        access=access,
        title=title,
        intro=intro,
        back=reverse("family_parent", args=[access.parent.id]),
    )


def _after(request: HttpRequest, parent: Parent, heading: str) -> HttpResponse:
    messages.success(request, banner(heading))
    return redirect(reverse("family_parent", args=[parent.id]))


@declare(
    Rule.CHILD,
    action=Action.MANAGE_PARENTS,
    kind="parent",
    purpose="Change a parent's contact details or restriction",
)
@login_required
@require_http_methods(["GET", "POST"])
def parent_edit(request: HttpRequest, access: ParentAccess) -> HttpResponse:
    user, parent = _user(request), access.parent
    initial = {
        "contact_preference": parent.contact_preference,
        "email": parent.email,
        "phone": parent.phone,
        "restricted": "yes" if parent.restricted else "no",
        "restriction_reason": parent.restriction_reason,
    }
    form = ParentEditForm(request.POST or None, initial=initial, child_age=_age(access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: parent_update(
                actor=user,
                parent=parent,
                contact_preference=data["contact_preference"],
                email=data["email"],
                phone=data["phone"],
                restricted=data["restricted"] == "yes",
                restriction_reason=data["restriction_reason"],
                language_confirmed=True,
                checked=access,
            ),
        )
        if saved is not None:
            return _after(request, parent, "Changes saved")
    return _parent_form_page(request, form, access, title="Contact details and restriction")


@declare(
    Rule.CHILD,
    action=Action.RECORD_PARENT_SHARING,
    kind="parent",
    purpose="Record what was shared with a parent",
)
@login_required
@require_http_methods(["GET", "POST"])
def parent_share(request: HttpRequest, access: ParentAccess) -> HttpResponse:
    user, parent = _user(request), access.parent
    if parent.restricted:
        return _parent_form_page(
            request,
            SharingForm(child_age=_age(access)),
            access,
            title="Nothing is shared with this parent",
            intro="They are a risk to the child: they are never contacted and see nothing.",
        )
    form = SharingForm(request.POST or None, child_age=_age(access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: parent_sharing_record(
                actor=user,
                parent=parent,
                what=data["what"],
                channel=data["channel"],
                shared_at=form.shared_at(),
                language_confirmed=True,
                checked=access,
            ),
        )
        if saved is not None:
            return _after(request, parent, "What was shared is recorded")
    return _parent_form_page(request, form, access, title="Record what was shared")


@declare(
    Rule.CHILD,
    action=Action.MANAGE_PARENTS,
    kind="parent",
    purpose="Invite a parent to see the plan and contacts",
)
@login_required
@require_http_methods(["GET", "POST"])
def parent_invite_view(request: HttpRequest, access: ParentAccess) -> HttpResponse:
    user, parent = _user(request), access.parent
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: parent_invite(
                actor=user, parent=parent, days=form.cleaned_data["days"], checked=access
            ),
        )
        if saved is not None:
            return _after(request, parent, "Invitation sent")
    return _parent_form_page(
        request,
        form,
        access,
        title="Invite them to see the plan and contacts",
        intro=(
            "They get a link by e-mail and a one-time code to the same address each time they "
            "open it. They see the current plan and the council's contacts: no addresses and "
            "no one else. You can end it at any time. Every look is recorded."
        ),
    )


@declare(
    Rule.CHILD,
    action=Action.MANAGE_PARENTS,
    kind="parent",
    purpose="End a parent's invitation",
)
@login_required
@require_http_methods(["POST"])
def parent_invitation_end_view(request: HttpRequest, access: ParentAccess) -> HttpResponse:
    user, parent = _user(request), access.parent
    invitation = invitation_open_for_parent(parent=parent)
    if invitation is not None:
        try:
            parent_invitation_end(actor=user, invitation=invitation, checked=access)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
    return _after(request, parent, "The invitation has ended")
