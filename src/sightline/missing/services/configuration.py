"""A council's missing-from-care settings: triggers, the return-interview service and alert
policies, changed by its team manager or administrator."""

from __future__ import annotations

import logging

from django.db import transaction

from sightline.access.policy import Action, is_platform_operator, may
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.geography.models import Council
from sightline.missing.models import (
    AlertPolicy,
    InterviewServiceConfig,
    TriggerConfig,
)
from sightline.missing.services._common import _log_on_commit
from sightline.organisations.models import Organisation, OrganisationKind, User

logger = logging.getLogger(__name__)


# --- Configuration -------------------------------------------------------------------------


def _require_council_manager(actor: User, council: Council) -> None:
    org = actor.organisation
    if is_platform_operator(actor):
        return
    if (
        not actor.is_active
        or org is None
        or org.kind != OrganisationKind.COUNCIL
        or org.council_id != council.pk
        or not may(actor, Action.CONFIGURE_MISSING_SETTINGS)
    ):
        raise NotFoundOrNotAllowed()


def trigger_config_set(
    *,
    actor: User,
    council: Council,
    episodes: int,
    days: int,
    include_away: bool = False,
    high_risk_task: bool = True,
    exploitation_prompt: bool = True,
    task_due_working_days: int = 2,
) -> TriggerConfig:
    """A council's trigger rules (its team managers or administrators)."""
    _require_council_manager(actor, council)
    if episodes < 1 or episodes > 100:
        raise ValidationError("Enter a number of episodes from 1 to 100.", field="episodes")
    if days < 1 or days > 366:
        raise ValidationError("Enter a number of days from 1 to 366.", field="days")
    if task_due_working_days < 0 or task_due_working_days > 30:
        raise ValidationError("Enter from 0 to 30 working days.", field="task_due_working_days")
    with transaction.atomic():
        config, _ = TriggerConfig.objects.update_or_create(
            council=council,
            defaults={
                "episodes": episodes,
                "days": days,
                "include_away": include_away,
                "high_risk_task": high_risk_task,
                "exploitation_prompt": exploitation_prompt,
                "task_due_working_days": task_due_working_days,
                "updated_by": actor,
            },
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.TRIGGER_SETTINGS_CHANGED,
            obj=config,
            payload={
                "episodes": episodes,
                "days": days,
                "include_away": include_away,
                "high_risk_task": high_risk_task,
                "exploitation_prompt": exploitation_prompt,
                "task_due_working_days": task_due_working_days,
            },
        )
    _log_on_commit("trigger config council=%s actor=%s", council.pk, actor.id)
    return config


def interview_service_set(
    *,
    actor: User,
    council: Council,
    service: Organisation | None,
    use_host_service_out_of_area: bool = False,
) -> InterviewServiceConfig:
    """Who holds the council's return home interviews (empty: the council itself)."""
    _require_council_manager(actor, council)
    with transaction.atomic():
        config, _ = InterviewServiceConfig.objects.update_or_create(
            council=council,
            defaults={
                "service": service,
                "use_host_service_out_of_area": use_host_service_out_of_area,
                "updated_by": actor,
            },
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.INTERVIEW_SETTINGS_CHANGED,
            obj=config,
            payload={
                "service_id": str(service.pk) if service else None,
                "use_host_service_out_of_area": use_host_service_out_of_area,
            },
        )
    _log_on_commit("interview service config council=%s actor=%s", council.pk, actor.id)
    return config


def alert_policy_set(
    *, actor: User, organisation: Organisation, receives_away_alerts: bool
) -> AlertPolicy:
    """A police force chooses whether it receives alerts for children away from placement."""
    if organisation.kind != OrganisationKind.POLICE:
        raise ValidationError(
            "Only a police force chooses its away alerts: councils always receive them.",
            field="receives_away_alerts",
        )
    if not actor.is_active or not (
        is_platform_operator(actor)
        or (
            actor.organisation_id == organisation.pk
            and may(actor, Action.CONFIGURE_MISSING_SETTINGS)
        )
    ):
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        policy, _ = AlertPolicy.objects.update_or_create(
            organisation=organisation,
            defaults={"receives_away_alerts": receives_away_alerts, "updated_by": actor},
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.ALERT_SETTINGS_CHANGED,
            obj=policy,
            payload={"receives_away_alerts": receives_away_alerts},
        )
    _log_on_commit(
        "alert policy organisation=%s away=%s actor=%s",
        organisation.id,
        receives_away_alerts,
        actor.id,
    )
    return policy
