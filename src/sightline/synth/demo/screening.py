"""The demo's exploitation screening (issue 18): one child living in a Brightwater home is
screened at significant risk, so that proposing another placement into that home shows the
matching check's co-location warning (ADR 51). No random draw: the other steps' output stays
as it was."""

from __future__ import annotations

from sightline.exploitation.models import Grade, Screening
from sightline.exploitation.services import IndicatorInput, screening_record
from sightline.synth.demo.people import _People
from sightline.synth.demo.week import Recorded

# Two current indicators of criminal exploitation: significant under list 2026.1.
INDICATORS = [
    IndicatorInput("criminal.drugs_cash", "current", "Police intelligence report"),
    IndicatorInput("criminal.cars", "current", "Home's daily log"),
]


class _Screening(_People):
    def _screening(self, recorded: Recorded) -> None:
        """Southwark's first child (by CHILD id) living in a Brightwater home now, screened
        by Southwark's social worker."""
        worker = self.users["sw.southwark"]
        staff = self.users["staff.brightwater"]
        assert worker.organisation is not None
        candidates = sorted(
            (plan.child.ref, placement)
            for plan, placement in recorded
            if plan.kind == "current"
            and placement.end_date is None
            and placement.setting.provider_id == staff.organisation_id
            and placement.child.placing_council_id == worker.organisation.council_id
        )
        if not candidates:
            return
        _ref, placement = candidates[0]
        screening_record(
            actor=worker,
            child=placement.child,
            indicators=INDICATORS,
            danger_statement="We are worried that adults are using the child to carry drugs "
            "and money to other towns, and that the child will be hurt or arrested.",
            safety_goal="The child is at home every night, and staff know where the child "
            "is going and with whom.",
            learning_disability=False,
        )


def significant_home(child_ids: list[str]) -> str:
    """The name of the home where a demo child screened at significant risk lives now."""
    screening = (
        Screening.objects.filter(child_id__in=child_ids, grade=Grade.SIGNIFICANT)
        .select_related("child")
        .order_by("recorded_at")
        .first()
    )
    if screening is None:
        return ""
    current = screening.child.placements.filter(end_date__isnull=True).select_related("setting")
    placement = current.first()
    return placement.setting.name if placement else ""
