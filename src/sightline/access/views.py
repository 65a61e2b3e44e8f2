"""Pages of the access package: emergency access (break-glass) and its review queue, and who
viewed or changed a child's record (with a CSV download).

The page shown when a user may not open a child's record is the same whether or not the child
exists; it offers emergency access to the roles that may ask for it.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.breakglass import (
    BREAK_GLASS_HOURS,
    JUSTIFICATION_MIN_WORDS,
    break_glass_active,
    break_glass_child_name,
    break_glass_open,
    break_glass_review,
    break_glass_reviewable_by,
    break_glass_use,
    can_break_glass,
    can_review,
    may_review,
    standing_view,
)
from sightline.access.forms import BreakGlassForm, BreakGlassReviewForm, ChildAuditFilterForm
from sightline.access.models import AccessGrant, AccessRecord, ReviewOutcome
from sightline.access.policy import Action, ChildAccess, Rule, _load_child, declare
from sightline.audit.lists import children_shown, lists_children
from sightline.audit.selectors import (
    CSV_HEADER,
    AuditRun,
    audit_for_child,
    audit_organisations_for_child,
    audit_runs,
    csv_row,
)
from sightline.core.calendar import LONDON
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import (
    error_summary,
    page,
    page_not_found,
    pagination,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.organisations.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _banner(heading: str, *paragraphs: str) -> str:
    return format_html(
        '<h3 class="govuk-notification-banner__heading">{}</h3>{}',
        heading,
        format_html_join("", '<p class="govuk-body">{}</p>', ((p,) for p in paragraphs)),
    )


def not_involved(request: HttpRequest, child_id: Any) -> HttpResponse:
    """What a user sees for a child's record they may not open, or that does not exist: the
    same page either way, offering emergency access to those who may ask for it."""
    user = _user(request)
    if not user.is_authenticated or not can_break_glass(user):
        return page_not_found(request)
    # A relative link (the child page is /children/<id>/): the page carries no id, so it is
    # byte for byte the same for every record the user cannot open.
    return page(
        request,
        "access/not_involved.html",
        {"emergency_url": "emergency-access/"},
        status=404,
    )


# --- Break-glass ---------------------------------------------------------------------------


@declare(Rule.SIGNED_IN)
@login_required
def emergency_access(request: HttpRequest, child_id: Any) -> HttpResponse:
    """Ask for emergency access. Until a justification is given the page says nothing about
    the child, not even whether it exists."""
    user = _user(request)
    if not can_break_glass(user):
        return page_not_found(request)
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    try:
        child = _load_child(child_id)
    except NotFoundOrNotAllowed:
        child = None
    # Redirect only those who may see the child already: no one else learns it exists.
    if child is not None and (
        standing_view(user, child) or break_glass_active(user=user, child_id=child.id)
    ):
        return redirect("child_detail", child_id=child.id)
    if request.method == "POST" and form.is_valid():
        try:
            grant = break_glass_open(
                user=user, child_id=child_id, justification=form.cleaned_data["justification"]
            )
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            assert grant.ends_at is not None
            messages.warning(
                request,
                _banner(
                    "You are using emergency access",
                    f"You can see this record until {when(grant.ends_at)}.",
                    "Your organisation has been told, and a senior officer independent of it "
                    "will review your reason.",
                ),
            )
            return redirect("child_detail", child_id=grant.child_id)
    return page(
        request,
        "access/emergency_access.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "hours": BREAK_GLASS_HOURS,
            "minimum_words": JUSTIFICATION_MIN_WORDS,
            "child_id": child_id,
        },
    )


def _status(grant: AccessGrant) -> str:
    review = getattr(grant, "review", None)
    if review is None:
        return tag("To review", "govuk-tag--orange")
    if review.outcome == ReviewOutcome.JUSTIFIED:
        return tag("Justified", "govuk-tag--green")
    return tag("Not justified", "govuk-tag--red")


def _child_named(grant: AccessGrant, name: str) -> str:
    """The child as the review page names it (``name``: empty for a reviewer who may not see
    the child); never a database id (issue 14)."""
    placed = grant.child.placing_council.name
    return f"{name}, placed by {placed}" if name else f"A child placed by {placed}"


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Uses of emergency access to review")
@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Uses of emergency access for a senior officer to review, those to review first. The
    queue names a child only to a reviewer who may see the child (issue 14), and a page that
    names children is an audited list read (ADR 19)."""
    user = _user(request)
    if not can_review(user):
        return page_not_found(request)
    uses = list(break_glass_reviewable_by(user))
    uses.sort(key=lambda g: (hasattr(g, "review"), -g.starts_at.timestamp()))
    names = {g.pk: break_glass_child_name(user=user, grant=g) for g in uses}
    children_shown(request, (g.child_id for g in uses if names[g.pk]))
    named = {g.pk: _child_named(g, names[g.pk]) for g in uses}
    rows = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("emergency_access_review", args=[g.id]),
                    when(g.starts_at),
                )
            ),
            table_cell(f"{g.user.get_username() if g.user else ''}, {g.organisation.name}"),
            table_cell(named[g.pk]),
            table_cell(getattr(g, "looks", 0), numeric=True),
            table_cell(html=_status(g)),
        ]
        for g in uses
    ]
    table = GovUKTable(
        caption="Uses of emergency access",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Opened"),
            table_head("By"),
            table_head("Child"),
            table_head("Pages seen", numeric=True),
            table_head("Review"),
        ],
        rows=rows,
    )
    return page(
        request,
        "access/review_queue.html",
        {
            "table": table if rows else None,
            "to_review": sum(not hasattr(g, "review") for g in uses),
        },
    )


@declare(Rule.SIGNED_IN)
@login_required
def review_detail(request: HttpRequest, grant_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        grant = break_glass_use(user=user, grant_id=grant_id)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    review = getattr(grant, "review", None)
    reviewer = may_review(user, grant)
    form = None
    if review is None and reviewer:
        form = BreakGlassReviewForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                break_glass_review(
                    actor=user,
                    grant_id=grant.id,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except NotFoundOrNotAllowed:
                return page_not_found(request)
            else:
                messages.success(request, _banner("Review saved"))
                return redirect("emergency_access_queue")
    # A colleague of the user reads who and when, never the child, the reason (it may name
    # the child) or what was opened: their organisation was refused the child.
    looks = (
        list(AccessRecord.objects.filter(grant=grant).exclude(action="grant").order_by("at"))
        if reviewer
        else []
    )
    child_name = break_glass_child_name(user=user, grant=grant) if reviewer else ""
    return page(
        request,
        "access/review_detail.html",
        {
            "grant": grant,
            "review": review,
            "reviewer": reviewer,
            "status": _status(grant),
            "form": form,
            "error_summary": error_summary(form) if form else None,
            "opened": when(grant.starts_at),
            "ends": when(grant.ends_at),
            "reviewed": when(review.reviewed_at) if review else "",
            "looks": [(when(r.at), r.action, r.purpose) for r in looks],
            "child_name": child_name,
            "child_url": reverse("child_detail", args=[grant.child_id]) if child_name else "",
        },
    )


# --- Who viewed or changed a child's record -------------------------------------------------

EMERGENCY = " (emergency access)"


AUDIT_PER_PAGE = 50


def _when_run(run: AuditRun) -> str:
    """When, and for views folded, how many and since when that day."""
    if run.times == 1:
        return when(run.line.at)
    since = run.first_at.astimezone(LONDON).strftime("%-I:%M%p").lower().replace(":00", "")
    return f"{when(run.line.at)} ({run.times} views from {since})"


@declare(Rule.CHILD, action=Action.VIEW_AUDIT, purpose="Who viewed or changed the record")
@login_required
def child_audit(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """Newest first, filtered by organisation, kind and dates (a GET form), a page at a time;
    repeated views by the same person for the same reason on the same day folded."""
    child_id = access.child.id
    form = ChildAuditFilterForm(
        request.GET, organisations=audit_organisations_for_child(child_id=child_id)
    )
    chosen = form.filters()
    since, until = chosen["since"], chosen["until"]
    runs = audit_runs(
        reversed(
            list(
                audit_for_child(
                    child_id=child_id,
                    organisation_id=chosen["organisation_id"],
                    kinds=chosen["kinds"],
                    since=_london_midnight(since) if since else None,
                    before=_london_midnight(until + dt.timedelta(days=1)) if until else None,
                )
            )
        )
    )
    value = request.GET.get("page", "")
    found = Paginator(runs, AUDIT_PER_PAGE).get_page(
        int(value) if value.isdigit() and len(value) < 7 else 1
    )
    rows = [
        [
            table_cell(_when_run(run)),
            table_cell(run.line.kind),
            table_cell(run.line.action),
            table_cell(f"{run.line.username}, {run.line.organisation}"),
            table_cell(
                run.line.purpose + (EMERGENCY if "break-glass" in run.line.involvement else "")
            ),
        ]
        for run in found.object_list
    ]
    pages = found.paginator.num_pages
    caption = "Who viewed or changed this record, newest first" + (
        f" (page {found.number} of {pages})" if pages > 1 else ""
    )
    table = GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("When"),
            table_head("Viewed or changed"),
            table_head("What"),
            table_head("Who"),
            table_head("Why"),
        ],
        rows=rows,
        classes="app-table--compact",
    )
    return page(
        request,
        "access/child_audit.html",
        {
            "child": access.child,
            "table": table if rows else None,
            "count": len(runs),
            "form": form,
            "error_summary": error_summary(form),
            "pagination": pagination(
                request,
                number=found.number,
                num_pages=pages,
                param="page",
                anchor="audit",
                label="Who viewed or changed this record, pages",
            ),
        },
    )


def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


@declare(
    Rule.CHILD,
    action=Action.VIEW_AUDIT,
    purpose="Download who viewed or changed the record (CSV)",
)
@login_required
def child_audit_csv(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{access.child.id}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for line in audit_for_child(child_id=access.child.id):
        writer.writerow(csv_row(line))
    return response
