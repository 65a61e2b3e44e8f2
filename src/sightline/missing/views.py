"""Missing and away episodes on the web: report, update, return; the safety profile and its
photo; return home interviews; and "Missing now" for each agency.

Every view declares its access rule. One child's data is reached only through
``access_child`` or the missing selectors that go through it; a record that does not exist
and a record the user may not see give the same "Page not found". The views parse input, call
one service and render: the rules are in ``services.py``.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from govuk_frontend_django.components.error_summary import GovUKErrorSummary

from sightline.access.policy import (
    POLICY,
    Action,
    ChildAccess,
    Involvement,
    Rule,
    children_visible_to,
    declare,
    involvements,
    may,
    roles_that_see_children,
)
from sightline.audit.lists import audit_reads, children_shown, lists_children
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.calendar import LONDON
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.pdf import PdfUnavailable, pdf_from_html, print_styles
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.core.views import (
    csv_cell,
    error_summary,
    page,
    page_not_found,
    scrolling,
    when,
)
from sightline.language.services import language_flags_record
from sightline.missing.access import EpisodeAccess, InterviewAccess
from sightline.missing.forms import (
    ChildAgeMixin,
    EpisodeReportForm,
    EpisodeReturnForm,
    EpisodeUpdateForm,
    InterviewCompleteForm,
    InterviewDeclineForm,
    InterviewInformationForm,
    SafetyProfileForm,
)
from sightline.missing.models import (
    Episode,
    EpisodeKind,
    InterviewStatus,
    ReturnInterview,
    RiskGradeList,
    UpdateKind,
)
from sightline.missing.presenters import (
    banner,
    episode_page,
    episodes_table,
    interview_overdue,
    interview_page,
    interviews_table,
    missing_now_sections,
    recipients_text,
    return_banner,
    safety_handout_page,
    safety_profile_page,
)
from sightline.missing.selectors import (
    episode_duration,
    episodes_for_child,
    episodes_open_for,
    episodes_recent_for,
    interviews_for_service,
    missing_now_in_order,
    safety_profile_current,
    safety_profile_handout,
    safety_profile_history,
    safety_profile_photo_file,
    safety_profile_photo_versions,
    safety_profile_view,
)
from sightline.missing.services import (
    episode_close,
    episode_report,
    episode_update,
    interview_accept,
    interview_add_information,
    interview_complete,
    interview_decline,
    interview_offer,
    risk_grade_list_in_force,
    safety_profile_update,
)
from sightline.organisations.models import (
    Organisation,
    OrganisationKind,
    Role,
    User,
)

logger = logging.getLogger(__name__)

# --- View helpers --------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _can(user: User, found: Iterable[Involvement], action: Action) -> bool:
    return bool(POLICY[action].get(user.role, set()) & set(found))


def _summary(form: ChildAgeMixin) -> GovUKErrorSummary | None:
    """The error summary; when all that is wrong is wording to check, it says so."""
    summary = error_summary(form, radios_from_zero=form.conditional_radios)  # type: ignore[arg-type]
    if summary is not None and form.language_warning:
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        if codes == {"language"}:
            summary.titleText = "Check the wording before you save"
    return summary


def _show_error(form: ChildAgeMixin, exc: ValidationError) -> None:
    """Show a service's message against the form field it is about (or above the form)."""
    name = form.field_errors.get(exc.field or "", exc.field or "")
    visible = {bound.name for bound in form.visible_fields()}
    form.add_error(name if name in visible else None, exc.message)


def _keep_flags(*, user: User, form: ChildAgeMixin, record_kind: str, record_id: Any) -> None:
    """The flagged phrases the user confirmed, kept with the record (same transaction)."""
    for field, flags in form.language_flags.items():
        language_flags_record(
            actor=user, record_kind=record_kind, record_id=record_id, field=field, flags=flags
        )


R = TypeVar("R", bound=Model)


def save_checked(
    form: ChildAgeMixin, *, user: User, record_kind: str, save: Callable[[], R]
) -> R | None:
    """Save what a language-checked form says: the service call and the flagged phrases the
    user confirmed, in one transaction. A service's ``ValidationError`` is shown on the form
    and nothing is saved (``None``); ``NotFoundOrNotAllowed`` goes to the caller."""
    try:
        with transaction.atomic():
            record = save()
            _keep_flags(user=user, form=form, record_kind=record_kind, record_id=record.pk)
    except ValidationError as exc:
        _show_error(form, exc)
        return None
    return record


def _age(child: Child) -> int:
    return age_on(child.date_of_birth, today())


def _grade_list() -> RiskGradeList | None:
    try:
        return risk_grade_list_in_force(on=today())
    except ValidationError:
        return None


# --- Reporting an episode --------------------------------------------------------------------


def _open_episode(access: ChildAccess) -> Episode | None:
    return next((e for e in episodes_for_child(access=access) if e.is_open), None)


@declare(Rule.CHILD, action=Action.RECORD_EPISODE, purpose="Report the child missing or away")
@login_required
def episode_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """Report the child missing or away: alerts go to every agency at once."""
    user = _user(request)
    child = access.child
    already = _open_episode(access)
    if already is not None:
        messages.info(
            request,
            banner(
                "This child is already recorded as missing or away",
                "Add an update to this episode, or record the return.",
            ),
        )
        return redirect("episode_detail", episode_id=already.id)
    grade_list = _grade_list()
    if grade_list is None:
        return page_not_found(request)
    form = EpisodeReportForm(
        request.POST if request.method == "POST" else None,
        grade_list=grade_list,
        child_age=_age(child),
    )
    if request.method == "POST" and form.is_valid():
        try:
            reported = save_checked(
                form,
                user=user,
                record_kind="missing.episode",
                save=lambda: episode_report(
                    actor=user, child=child, checked=access, **form.service_arguments()
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if reported is not None:
            episode = reported
            kind = "missing" if episode.kind == EpisodeKind.MISSING else "away"
            messages.success(
                request,
                banner(
                    f"{child.full_name} reported {kind}",
                    f"Alerts sent to: {recipients_text(episode)}.",
                ),
            )
            return redirect("episode_detail", episode_id=episode.id)
    return page(
        request,
        "missing/episode_new.html",
        {"form": form, "child": child, "error_summary": _summary(form)},
    )


# --- One episode -----------------------------------------------------------------------------


def _episode_page(
    request: HttpRequest,
    *,
    user: User,
    access: EpisodeAccess,
    update_form: EpisodeUpdateForm | None = None,
) -> HttpResponse:
    episode = access.episode
    child = access.child
    now = current_time()
    found = involvements(user, child)
    can_record = _can(user, found, Action.RECORD_EPISODE)
    if update_form is None and can_record:
        update_form = EpisodeUpdateForm(
            grade_list=_grade_list(), episode_open=episode.is_open, child_age=_age(child)
        )
    return page(
        request,
        "missing/episode_detail.html",
        {
            "episode": episode,
            "child": child,
            **episode_page(episode, now=now),
            "can_record": can_record,
            "can_view_profile": _can(user, found, Action.VIEW_SAFETY_PROFILE),
            "form": update_form,
            "error_summary": _summary(update_form) if update_form is not None else None,
        },
    )


@declare(Rule.CHILD, action=Action.VIEW_EPISODE, kind="episode", purpose="Open a missing episode")
@login_required
def episode_detail(request: HttpRequest, access: EpisodeAccess) -> HttpResponse:
    return _episode_page(request, user=_user(request), access=access)


@declare(
    Rule.CHILD,
    action=Action.RECORD_EPISODE,
    kind="episode",
    purpose="Add an update to a missing episode",
)
@login_required
@require_POST
def episode_update_add(request: HttpRequest, access: EpisodeAccess) -> HttpResponse:
    """Append a sighting, a change of risk grade or information received."""
    user = _user(request)
    episode = access.episode
    form = EpisodeUpdateForm(
        request.POST,
        grade_list=_grade_list(),
        episode_open=episode.is_open,
        child_age=_age(episode.child),
    )
    if form.is_valid():
        try:
            update = save_checked(
                form,
                user=user,
                record_kind="missing.episode_update",
                save=lambda: episode_update(
                    actor=user, episode=episode, **form.service_arguments()
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if update is not None:
            messages.success(
                request, banner("Update added", f"{UpdateKind(update.kind).label} recorded.")
            )
            return redirect(f"{reverse('episode_detail', args=[episode.id])}#updates")
    return _episode_page(request, user=user, access=access, update_form=form)


@declare(
    Rule.CHILD,
    action=Action.RECORD_EPISODE,
    kind="episode",
    purpose="Record the return from a missing episode",
)
@login_required
def episode_return(request: HttpRequest, access: EpisodeAccess) -> HttpResponse:
    """Record the return: "child safe" notices, the end of police access, the interview."""
    user = _user(request)
    episode = access.episode
    child = access.child
    if not episode.is_open:
        return redirect("episode_detail", episode_id=episode.id)
    form = EpisodeReturnForm(
        request.POST if request.method == "POST" else None, child_age=_age(child)
    )
    if request.method == "POST" and form.is_valid():
        try:
            closed = save_checked(
                form,
                user=user,
                record_kind="missing.episode",
                save=lambda: episode_close(actor=user, episode=episode, **form.service_arguments()),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if closed is not None:
            messages.success(request, return_banner(closed))
            return redirect("episode_detail", episode_id=closed.id)
    return page(
        request,
        "missing/episode_return.html",
        {
            "form": form,
            "episode": episode,
            "child": child,
            "last_seen": when(episode.last_seen_at),
            "error_summary": _summary(form),
        },
    )


# --- Safety profile --------------------------------------------------------------------------


@declare(Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE, purpose="Read the safety profile")
@never_cache
@login_required
def safety_profile(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The Philomena Protocol profile: the home, the placing council, and the police only
    through the grant a missing report opens. Every look is recorded."""
    user = _user(request)
    view = safety_profile_view(access=access)
    child = access.child
    return page(
        request,
        "missing/safety_profile.html",
        {
            **safety_profile_page(view, versions=safety_profile_history(child=child)),
            "can_edit": _can(
                user,
                view.access.involvements | involvements(user, child),
                Action.EDIT_SAFETY_PROFILE,
            ),
        },
    )


@declare(Rule.CHILD, action=Action.EDIT_SAFETY_PROFILE, purpose="Edit the safety profile")
@never_cache
@login_required
def safety_profile_edit(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The home keeps the profile: each change is a new version."""
    user = _user(request)
    child = access.child
    current = safety_profile_current(child=child)
    form = SafetyProfileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        current=current,
        child_age=_age(child),
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = save_checked(
                form,
                user=user,
                record_kind="missing.safety_profile",
                save=lambda: safety_profile_update(
                    actor=user, child=child, **form.service_arguments()
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if version is not None:
            if current is not None and version.pk == current.pk:
                messages.info(request, banner("No changes to save", "The profile is as it was."))
            else:
                messages.success(
                    request, banner("Safety profile saved", f"This is version {version.version}.")
                )
            return redirect("safety_profile", child_id=child.id)
    return page(
        request,
        "missing/safety_profile_edit.html",
        {"form": form, "child": child, "current": current, "error_summary": _summary(form)},
    )


@declare(Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE, purpose="View the safety profile photo")
@login_required
def safety_profile_photo(request: HttpRequest, access: ChildAccess) -> HttpResponseBase:
    """The photo, streamed through the access policy; never cached, never a public file."""
    version: int | None = None
    if request.GET.get("version"):
        try:
            version = int(request.GET["version"])
        except ValueError:
            return page_not_found(request)
    try:
        photo = safety_profile_photo_file(access=access, version=version)
    except (NotFoundOrNotAllowed, FileNotFoundError):
        return page_not_found(request)
    response = FileResponse(photo.file, content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _handout_page(request: HttpRequest, access: ChildAccess, *, for_pdf: bool) -> HttpResponse:
    handout = safety_profile_handout(access=access)
    profile = handout.profile
    photo_src: str | None = None
    if profile is not None and profile.photo:
        if for_pdf:
            try:
                photo = safety_profile_photo_file(access=access, version=profile.version)
            except (NotFoundOrNotAllowed, FileNotFoundError):
                photo = None
            if photo is not None:
                with photo.file:
                    encoded = base64.b64encode(photo.file.read()).decode("ascii")
                photo_src = f"data:{photo.content_type};base64,{encoded}"
        else:
            url = reverse("safety_profile_photo", args=[access.child.id])
            photo_src = f"{url}?version={profile.version}"
    context = safety_handout_page(handout, now=current_time(), photo_src=photo_src)
    if for_pdf:
        context["inline_styles"] = _print_styles()
    response = page(request, "missing/safety_profile_print.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _print_styles() -> str:
    """GOV.UK Frontend's and Sightline's styles, inline (``core.pdf.print_styles``)."""
    return print_styles()


@declare(Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE, purpose="Print the safety profile")
@never_cache
@login_required
def safety_profile_print(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The safety profile on one A4 page, as a police officer hands it to a patrol: the
    print styles hide the service's header, navigation and footer."""
    return _handout_page(request, access, for_pdf=False)


@declare(
    Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE, purpose="Download the safety profile as a PDF"
)
@never_cache
@login_required
def safety_profile_pdf(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The print page printed by headless Chromium (``core.pdf``), with its styles and photo
    inline so that the browser loads nothing. Never cached; the download is an access record
    like any other read of the profile."""
    html = _handout_page(request, access, for_pdf=True).content.decode("utf-8")
    try:
        pdf = pdf_from_html(html)
    except PdfUnavailable:
        logger.exception("The safety profile could not be printed to PDF")
        return page(
            request,
            "missing/safety_profile_pdf_unavailable.html",
            {"child": access.child},
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="safety-profile-{access.child.child_ref}-{today():%Y-%m-%d}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Return home interviews ------------------------------------------------------------------


def _can_hold(user: User, interview: ReturnInterview, found: Iterable[Involvement]) -> bool:
    """The interviewing service or the placing council, in a role the policy allows."""
    org = user.organisation
    if org is None or not _can(user, found, Action.RECORD_INTERVIEW):
        return False
    placing = org.kind == OrganisationKind.COUNCIL and (
        org.council_id == interview.child.placing_council_id
    )
    return org.pk == interview.service_id or placing


def _interview_page(
    request: HttpRequest,
    *,
    user: User,
    access: InterviewAccess,
    information_form: InterviewInformationForm | None = None,
) -> HttpResponse:
    interview = access.interview
    child = access.child
    now = current_time()
    found = set(access.involvements) | involvements(user, child)
    can_add = _can(user, found, Action.ADD_INTERVIEW_INFORMATION)
    if information_form is None and can_add:
        information_form = InterviewInformationForm(child_age=_age(child))
    return page(
        request,
        "missing/interview_detail.html",
        {
            "interview": interview,
            "child": child,
            **interview_page(interview, now=now),
            "can_hold": _can_hold(user, interview, found) and interview.is_outstanding,
            "can_offer": interview.status == InterviewStatus.TO_OFFER,
            "can_accept": interview.status == InterviewStatus.OFFERED,
            "form": information_form,
            "error_summary": _summary(information_form) if information_form else None,
        },
    )


@declare(
    Rule.CHILD,
    action=Action.VIEW_INTERVIEW,
    kind="interview",
    purpose="Open a return home interview",
)
@login_required
def interview_detail(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    return _interview_page(request, user=_user(request), access=access)


def _interview_move(request: HttpRequest, access: InterviewAccess, *, accept: bool) -> HttpResponse:
    user = _user(request)
    interview = access.interview
    try:
        if accept:
            interview_accept(actor=user, interview=interview)
        else:
            interview_offer(actor=user, interview=interview)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    except ValidationError as exc:
        messages.info(request, banner("The interview was not changed", exc.message))
    else:
        messages.success(
            request,
            banner(
                "Interview accepted" if accept else "Interview offered",
                "Recorded that the child accepted the interview."
                if accept
                else "Recorded that the interview was offered to the child.",
            ),
        )
    return redirect("interview_detail", interview_id=interview.id)


_RECORD_INTERVIEW = "Record a return home interview"


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD_INTERVIEW)
@login_required
@require_POST
def interview_offer_view(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    return _interview_move(request, access, accept=False)


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD_INTERVIEW)
@login_required
@require_POST
def interview_accept_view(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    return _interview_move(request, access, accept=True)


def _interview_form_view(
    request: HttpRequest,
    access: InterviewAccess,
    *,
    form_class: type[InterviewDeclineForm] | type[InterviewCompleteForm],
    template: str,
) -> HttpResponse:
    user = _user(request)
    interview = access.interview
    child = access.child
    if not _can_hold(user, interview, set(access.involvements) | involvements(user, child)):
        return page_not_found(request)
    if not interview.is_outstanding:
        return redirect("interview_detail", interview_id=interview.id)
    initial = {}
    if form_class is InterviewCompleteForm:
        initial = {"interviewer_name": user.get_full_name() or user.username}
    form = form_class(
        request.POST if request.method == "POST" else None,
        child_age=_age(child),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        completing = isinstance(form, InterviewCompleteForm)

        def record() -> ReturnInterview:
            if isinstance(form, InterviewCompleteForm):
                arguments = form.service_arguments()
                if arguments["interviewer_name"] == (user.get_full_name() or user.username):
                    arguments["interviewer"], arguments["interviewer_name"] = user, ""
                interview_complete(actor=user, interview=interview, **arguments)
            else:
                interview_decline(
                    actor=user, interview=interview, reason=form.cleaned_data["reason"]
                )
            return interview

        try:
            saved = save_checked(form, user=user, record_kind="missing.interview", save=record)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if saved is not None:
            heading = "Interview recorded" if completing else "Refusal recorded"
            messages.success(request, banner(heading, "The return home interview is updated."))
            return redirect("interview_detail", interview_id=interview.id)
    return page(
        request,
        template,
        {"form": form, "interview": interview, "child": child, "error_summary": _summary(form)},
    )


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD_INTERVIEW)
@login_required
def interview_decline_view(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    return _interview_form_view(
        request,
        access,
        form_class=InterviewDeclineForm,
        template="missing/interview_decline.html",
    )


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD_INTERVIEW)
@login_required
def interview_complete_view(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    return _interview_form_view(
        request,
        access,
        form_class=InterviewCompleteForm,
        template="missing/interview_complete.html",
    )


@declare(
    Rule.CHILD,
    action=Action.ADD_INTERVIEW_INFORMATION,
    kind="interview",
    purpose="Add information to a return interview",
)
@login_required
@require_POST
def interview_information_add(request: HttpRequest, access: InterviewAccess) -> HttpResponse:
    """Carers and agencies add what they know, even after a refusal."""
    user = _user(request)
    interview = access.interview
    form = InterviewInformationForm(request.POST, child_age=_age(interview.child))
    if form.is_valid():
        try:
            info = save_checked(
                form,
                user=user,
                record_kind="missing.interview_information",
                save=lambda: interview_add_information(
                    actor=user,
                    interview=interview,
                    text=form.cleaned_data["text"],
                    supplied_by=form.cleaned_data["supplied_by"],
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if info is not None:
            messages.success(request, banner("Information added", "Thank you."))
            return redirect(f"{reverse('interview_detail', args=[interview.id])}#information")
    return _interview_page(request, user=user, access=access, information_form=form)


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Return home interviews the service holds")
@login_required
def interview_list(request: HttpRequest) -> HttpResponse:
    """The return home interviews an interviewing service holds, soonest due first."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    interviews = list(interviews_for_service(user=user))
    outstanding = [i for i in interviews if i.is_outstanding]
    done = [i for i in interviews if not i.is_outstanding]
    children_shown(request, (i.child_id for i in interviews))
    return page(
        request,
        "missing/interview_list.html",
        {
            "organisation": org,
            "outstanding": scrolling(interviews_table(outstanding, caption="To be held", now=now)),
            "done": scrolling(interviews_table(done, caption="Held or declined", now=now)),
            "overdue": sum(1 for i in outstanding if interview_overdue(i, now)),
        },
    )


# --- Missing now -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "episode_id",
    "child_ref",
    "placing_council",
    "setting_area",
    "kind",
    "start",
    "end",
    "duration_hours",
)


def missing_csv(episodes: Iterable[Episode], *, filename: str, now: dt.datetime) -> HttpResponse:
    """Episodes without names or dates of birth: 903 CHILD ids, areas and times only."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for e in episodes:
        hours = episode_duration(episode=e, at=now).total_seconds() / 3600
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    e.id,
                    e.child.child_ref,
                    e.placing_council.name,
                    e.host_council.name,
                    e.missing_code,
                    e.last_seen_at.astimezone(LONDON).isoformat(timespec="minutes"),
                    e.returned_at.astimezone(LONDON).isoformat(timespec="minutes")
                    if e.returned_at
                    else "",
                    f"{hours:.1f}",
                )
            ]
        )
    return response


def can_change_missing_settings(user: User) -> bool:
    """Who may open the missing-from-care settings: a council's team managers and
    administrators, a police force's administrators."""
    return may(user, Action.CONFIGURE_MISSING_SETTINGS)


def _role_shows_no_children(user: User, org: Organisation) -> str | None:
    """What to say instead of "no child is missing" to a role the access policy shows no
    child (an analyst, an administrator): an empty list would be a false "none" while a
    colleague sees a child missing. Names the roles of the organisation that do see them."""
    if POLICY[Action.VIEW].get(user.role):
        return None
    role = {r: label.lower() for r, label in Role.choices}.get(user.role, user.role)
    viewers = [Role(r).label.lower() for r in roles_that_see_children(kind=org.kind)]
    if not viewers:
        return None  # an organisation that receives no missing alerts: the page says so
    shown_to = (
        f"Missing children are shown to these roles in your organisation: "
        f"{', '.join(viewers[:-1])} and {viewers[-1]}."
        if len(viewers) > 1
        else f"Missing children are shown to the {viewers[0]} role in your organisation."
    )
    return (
        f"Your role ({role}) does not show individual children, so this page cannot tell you "
        f"whether a child is missing or away. {shown_to}"
    )


def _photos_shown(user: User, episodes: list[Episode]) -> dict[Any, int]:
    """Photos for the cards, of the children whose safety profile the user may see now."""
    allowed = set(
        children_visible_to(user, action=Action.VIEW_SAFETY_PROFILE)
        .filter(pk__in={e.child_id for e in episodes})
        .values_list("pk", flat=True)
    )
    return safety_profile_photo_versions(child_ids=allowed) if allowed else {}


def missing_now_count(user: User) -> int:
    """For the navigation: how many children the user's organisation sees missing or away."""
    return episodes_open_for(user=user).count()


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Children missing or away now")
@login_required
def missing_now(request: HttpRequest) -> HttpResponse:
    """Children missing or away now, as the user's organisation sees them; ``?format=csv``
    downloads the same episodes without names or dates of birth."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    episodes = missing_now_in_order(episodes_open_for(user=user))
    if request.GET.get("format") == "csv":
        code = (org.council_id or org.police_force_id or "organisation") if org else "none"
        audit_reads(
            user=user,
            child_ids=[e.child_id for e in episodes],
            action="export",
            purpose="Download children missing or away now (CSV)",
        )
        return missing_csv(
            episodes, filename=f"sightline-missing-now-{code}-{today():%Y-%m-%d}.csv", now=now
        )
    role_note = _role_shows_no_children(user, org) if org is not None else None
    sections = (
        [{"heading": "What your role shows", "empty": role_note, "tables": []}]
        if role_note is not None
        else missing_now_sections(org, episodes, now=now, photos=_photos_shown(user, episodes))
    )
    if role_note is None:
        children_shown(request, (e.child_id for e in episodes))
    return page(
        request,
        "missing/missing_now.html",
        {
            "organisation": org,
            "sections": sections,
            "count": len(episodes),
            "csv_url": f"{reverse('missing_now')}?format=csv",
            # The maps live in ``web`` (above); a role that sees no child has none.
            "found_map_url": reverse("map_found") if org and role_note is None else None,
            "force_map_url": reverse("map_force")
            if org and role_note is None and org.kind == OrganisationKind.POLICE
            else None,
            "settings_url": reverse("missing_settings")
            if can_change_missing_settings(user)
            else None,
        },
    )


# --- Recent episodes -------------------------------------------------------------------------

PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months"}
DEFAULT_PERIOD = "90"


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Missing and away episodes of a period")
@login_required
def episode_list(request: HttpRequest) -> HttpResponse:
    """Episodes your organisation knows about, open now or started or ended in the period,
    with durations; ``?format=csv`` downloads them without names or dates of birth."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    period = request.GET.get("days", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    now = current_time()
    episodes = list(episodes_recent_for(user=user, since=now - dt.timedelta(days=int(period))))
    if request.GET.get("format") == "csv":
        code = (org.council_id or org.police_force_id or "organisation") if org else "none"
        audit_reads(
            user=user,
            child_ids=[e.child_id for e in episodes],
            action="export",
            purpose=f"Download missing and away episodes of the last {period} days (CSV)",
        )
        return missing_csv(
            episodes,
            filename=f"sightline-episodes-{code}-{period}-days-{today():%Y-%m-%d}.csv",
            now=now,
        )
    periods = [
        {
            "label": label,
            "url": f"{reverse('episode_list')}?days={days}",
            "current": days == period,
        }
        for days, label in PERIODS.items()
    ]
    children_shown(request, (e.child_id for e in episodes))
    return page(
        request,
        "missing/episode_list.html",
        {
            "organisation": org,
            "period": PERIODS[period],
            "periods": periods,
            "table": episodes_table(episodes, now=now) if episodes else None,
            "count": len(episodes),
            "still_open": sum(1 for e in episodes if e.returned_at is None),
            "csv_url": f"{reverse('episode_list')}?days={period}&format=csv",
        },
    )
