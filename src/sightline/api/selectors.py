"""Reads for the public API: keys, organisations named on the command line, and the lists
the API returns. Lists start from the access policy (``children_visible_to``) or from the
organisation's own inbox, so no list can show more than the web pages do."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.text import slugify

from sightline.access.policy import ChildAccess, children_visible_to
from sightline.api.models import ApiKey, IdempotencyRecord
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.core.prepared import prepared
from sightline.core.timeutil import today
from sightline.geography.models import PoliceForce
from sightline.missing.contacts import ContactLine, child_contacts, current_of
from sightline.missing.models import (
    Episode,
    EpisodeNotice,
    EpisodeUpdate,
    InterviewInformation,
    ReturnInterview,
    Task,
    UpdateKind,
)
from sightline.missing.selectors import (
    episodes_open_for,
    episodes_visible_to,
    interviews_for_service,
    tasks_for,
)
from sightline.notifications.models import Notice
from sightline.notifications.selectors import notices_received, notices_with_child_shown
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Placement, Setting
from sightline.placements.selectors import placement_history, placements_current

# --- Keys ------------------------------------------------------------------------------------


def _key_with_prefix(*, prefix: str) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user", "user__organisation", "organisation").filter(
        prefix=prefix
    )[:1]


def api_key_by_prefix(*, prefix: str) -> ApiKey | None:
    """Every API request's first read: its SQL built once per process (ADR 53)."""
    rows = prepared("api.key_by_prefix", _key_with_prefix, text=("prefix",), prefix=prefix)
    return rows[0] if rows else None


def api_keys_list(*, organisation: Organisation | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("organisation").order_by(
        "organisation__name", "created_at"
    )
    if organisation is not None:
        keys = keys.filter(organisation=organisation)
    return keys


def organisation_find(*, ref: str) -> Organisation:
    """The organisation a command-line argument names.

    Accepted, in this order: the organisation's id (UUID); a council's DfE code (``356``) or
    ONS code (``E08000007``); a police force's code (``E23000005``); the exact name (any case);
    the name as a slug (``brightwater-care-ltd`` for "Brightwater Care Ltd"), so that a name
    with spaces need not be quoted.
    """
    ref = ref.strip()
    if not ref:
        raise ValidationError("Name the organisation.", field="organisation")
    try:
        by_id = Organisation.objects.filter(pk=uuid.UUID(ref)).first()
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id
    code = ref.upper()
    matches = list(
        Organisation.objects.filter(
            Q(kind=OrganisationKind.COUNCIL, council__dfe_code=code, council__is_current=True)
            | Q(kind=OrganisationKind.COUNCIL, council__ons_code=code)
            | Q(kind=OrganisationKind.POLICE, police_force__code=code)
        ).distinct()
    ) or list(Organisation.objects.filter(name__iexact=ref))
    if not matches and ref.lower() == slugify(ref):
        # Organisations are counted in thousands at most; a command may read their names.
        matches = [
            o for o in Organisation.objects.only("id", "name") if slugify(o.name) == ref.lower()
        ]
    if not matches:
        raise ValidationError(
            f"No organisation on Sightline matches {ref!r}. Use its id, a council's DfE or "
            "ONS code, a police force's code, or its name (exactly, or as a slug such as "
            "brightwater-care-ltd).",
            field="organisation",
        )
    if len(matches) > 1:
        raise ValidationError(
            f"{len(matches)} organisations match {ref!r}. Use the organisation's id: "
            + ", ".join(f"{o.id} ({o.name})" for o in matches),
            field="organisation",
        )
    return matches[0]


# --- Idempotency -----------------------------------------------------------------------------


def idempotency_record_find(
    *, organisation_id: Any, key: str, since: dt.datetime
) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        organisation_id=organisation_id, key=key, created_at__gte=since
    ).first()


# --- Records a placement refers to -----------------------------------------------------------


def setting_for_placement(*, setting_id: Any) -> Setting:
    """A setting chosen by id. Settings hold no personal data: any placing council may choose
    any setting, as on the web form."""
    setting = Setting.objects.filter(pk=setting_id).first()
    if setting is None:
        raise ValidationError("No setting on Sightline has this id.", field="setting_id")
    return setting


def provider_for_setting(*, provider_id: Any) -> Organisation:
    provider = Organisation.objects.filter(pk=provider_id, kind=OrganisationKind.PROVIDER).first()
    if provider is None:
        raise ValidationError("No provider on Sightline has this id.", field="setting.provider_id")
    return provider


def placement_for_api(*, placement_id: Any) -> Placement:
    """A placement just recorded, with what its answer shows."""
    return Placement.objects.select_related(
        "child", "setting", "host_council", "host_police_force"
    ).get(pk=placement_id)


# --- Children --------------------------------------------------------------------------------


def children_for_api(*, user: User, on: dt.date | None = None) -> QuerySet[Child]:
    """The children the user may see, each with its current placement (``current_placements``).

    A list is not a look at one record: opening one goes through ``access_child``.
    """
    current = Prefetch(
        "placements",
        queryset=placements_current(on=on or today())
        .select_related("setting", "host_council", "host_police_force")
        .order_by("-start_date"),
        to_attr="current_placements",
    )
    return (
        children_visible_to(user)
        .select_related("placing_council")
        .prefetch_related(current)
        .order_by("placing_council_id", "child_ref")
    )


def child_placements_for_api(*, access: ChildAccess) -> list[Placement]:
    """The placements of the child ``access`` opened, newest first."""
    return list(placement_history(access=access))


def child_contacts_for_api(
    *, user: User, access: ChildAccess, placements: list[Placement]
) -> list[ContactLine]:
    """The contacts the child's record shows (``missing.contacts``), for ``placements`` the
    child's history already read."""
    return child_contacts(
        user=user,
        access=access,
        placement=current_of(placements, on=today()),
        can_allocate=False,
    )


# --- Notices ---------------------------------------------------------------------------------


def notices_for_api(*, user: User, acknowledged: bool | None = None) -> QuerySet[Notice]:
    """The user's organisation's inbox, newest first, each notice annotated ``child_shown``
    (whether the user may read its child's details)."""
    if user.organisation is None or not user.is_active:
        return Notice.objects.none()
    notices = notices_received(organisation=user.organisation).select_related("acknowledged_by")
    if acknowledged is not None:
        notices = notices.filter(acknowledged_at__isnull=not acknowledged)
    return notices_with_child_shown(notices.order_by("-created_at", "id"), user=user)


# --- Missing episodes ------------------------------------------------------------------------


def _risk_changes() -> Prefetch[Any]:
    """The episode's risk changes, oldest first, as ``episode.risk_changes``: the answer's
    ``risk_grade`` is the latest of them (the current grade, as the web shows it) and
    ``risk_grade_history`` lists them all, without a query per episode."""
    return Prefetch(
        "updates",
        queryset=EpisodeUpdate.objects.filter(kind=UpdateKind.RISK_CHANGE)
        .select_related("risk_grade__list", "recorded_by_organisation")
        .order_by("recorded_at", "created_at"),
        to_attr="risk_changes",
    )


def _notice_links() -> Prefetch[Any]:
    return Prefetch(
        "notice_links",
        queryset=EpisodeNotice.objects.select_related("recipient", "notice").order_by("created_at"),
    )


def episodes_for_api(*, user: User, open_only: bool | None = None) -> QuerySet[Episode]:
    """Every episode the user's organisation sees (``episodes_visible_to``), newest first;
    open (``True``) or closed (``False``) only."""
    episodes = episodes_visible_to(user=user)
    if open_only is not None:
        episodes = episodes.filter(returned_at__isnull=open_only)
    return (
        episodes.select_related(
            "risk_grade__list", "reported_by_organisation", "found_council", "found_police_force"
        )
        .prefetch_related(_notice_links(), _risk_changes())
        .order_by("-last_seen_at", "id")
    )


def episode_for_api(*, episode_id: Any) -> Episode:
    """An episode with what its answer shows. Call only after the access policy."""
    return (
        Episode.objects.select_related(
            "child",
            "setting",
            "placing_council",
            "host_council",
            "host_police_force",
            "risk_grade__list",
            "reported_by_organisation",
            "found_council",
            "found_police_force",
        )
        .prefetch_related(_notice_links(), _risk_changes())
        .get(pk=episode_id)
    )


def episode_reported_for_api(*, episode: Episode) -> Episode:
    """The answer to a report, from the episode ``episode_report`` returned: it has what the
    answer shows loaded and its alert links as ``reported_links``, and a new episode has no
    risk changes, so nothing is read back (issue 13). For the answer only: the links and the
    empty risk changes are set as if prefetched. Read back when the links are not there."""
    links = getattr(episode, "reported_links", None)
    if links is None:
        return episode_for_api(episode_id=episode.id)
    episode.__dict__.setdefault("_prefetched_objects_cache", {})["notice_links"] = list(links)
    episode.risk_changes = []  # type: ignore[attr-defined]
    return episode


def episode_update_for_api(*, update_id: Any) -> EpisodeUpdate:
    return EpisodeUpdate.objects.select_related("risk_grade__list").get(pk=update_id)


def missing_now_for_api(*, user: User) -> QuerySet[Episode]:
    """Children missing or away now, as the user's organisation sees them, longest first."""
    return (
        episodes_open_for(user=user)
        .select_related("risk_grade__list", "reported_by_organisation")
        .prefetch_related(_risk_changes())
        .order_by("last_seen_at", "id")
    )


# --- Return interviews and tasks ----------------------------------------------------------


def interviews_for_api(*, user: User, status: str | None = None) -> QuerySet[ReturnInterview]:
    """The interviews the user's organisation holds as interviewing service, soonest due
    first (``interviews_for_service``), in one status or all."""
    interviews = interviews_for_service(user=user).select_related("service")
    if status is not None:
        interviews = interviews.filter(status=status)
    return interviews.order_by("due_at", "id")


def interview_for_api(*, interview_id: Any) -> ReturnInterview:
    """An interview with what its answer shows. Call only after the access policy."""
    return (
        ReturnInterview.objects.select_related("child", "service", "interviewer_organisation")
        .prefetch_related(
            "episodes",
            "people",
            "places",
            Prefetch(
                "information",
                queryset=InterviewInformation.objects.select_related(
                    "recorded_by_organisation"
                ).order_by("recorded_at", "created_at"),
            ),
        )
        .get(pk=interview_id)
    )


def tasks_for_api(*, user: User, status: str | None = None) -> QuerySet[Task]:
    """Tasks assigned to the user's organisation, soonest due first (``tasks_for``)."""
    return tasks_for(user=user, status=status).order_by("due_at", "id")


def task_for_api(*, task_id: Any) -> Task:
    """A task with what its answer shows. Call only after the access policy."""
    return Task.objects.select_related("child", "completed_by").get(pk=task_id)


def police_force_by_code(*, code: str, field: str) -> PoliceForce:
    force = PoliceForce.objects.filter(code=code.strip().upper()).first()
    if force is None:
        raise ValidationError(
            f"We do not know a police force with the code {code.strip()[:20]!r}. Use its ONS "
            "code, like E23000005.",
            field=field,
        )
    return force
