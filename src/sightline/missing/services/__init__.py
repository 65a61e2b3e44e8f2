"""Writes for missing and away episodes, safety profiles, return home interviews, tasks and
their configuration. Used by the web pages, the API and the worker alike.

Each service checks the access policy itself (``policy.require``), runs in one transaction
with its notices, grants and tasks, and logs ids only once the transaction has committed.

One module per sub-domain: ``episodes`` (report, update, close), ``interviews`` (return home
interviews), ``profiles`` (safety profiles), ``risk`` (police risk grades), ``tasks`` and
``configuration`` (a council's missing-from-care settings). This module re-exports their
services, so callers import from ``sightline.missing.services``.
"""

from __future__ import annotations

from sightline.missing.services._common import _aware
from sightline.missing.services.configuration import (
    alert_policy_set,
    interview_service_set,
    trigger_config_set,
)
from sightline.missing.services.episodes import (
    FoundWhere,
    episode_close,
    episode_report,
    episode_update,
)
from sightline.missing.services.interviews import (
    InterviewService,
    PersonInput,
    PlaceInput,
    interview_accept,
    interview_add_episode,
    interview_add_information,
    interview_complete,
    interview_decline,
    interview_offer,
    interview_service_for,
    interviews_escalate_overdue,
)
from sightline.missing.services.profiles import PROFILE_TEXT_FIELDS, safety_profile_update
from sightline.missing.services.risk import risk_grade_list_in_force
from sightline.missing.services.tasks import task_complete

__all__ = [
    "PROFILE_TEXT_FIELDS",
    "FoundWhere",
    "InterviewService",
    "PersonInput",
    "PlaceInput",
    "_aware",
    "alert_policy_set",
    "episode_close",
    "episode_report",
    "episode_update",
    "interview_accept",
    "interview_add_episode",
    "interview_add_information",
    "interview_complete",
    "interview_decline",
    "interview_offer",
    "interview_service_for",
    "interview_service_set",
    "interviews_escalate_overdue",
    "risk_grade_list_in_force",
    "safety_profile_update",
    "task_complete",
    "trigger_config_set",
]
