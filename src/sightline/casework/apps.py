from sightline.core import appconfig


class CaseworkConfig(appconfig.SightlineAppConfig):
    name = "sightline.casework"
    label = "casework"
    verbose_name = "Tasks and strategy meetings"

    def register(self) -> None:
        from sightline.casework.selectors import chronology_items as _chronology_items
        from sightline.chronology.registry import chronology_dict_source_register

        # Issue 17: strategy meetings appear on the child's one chronology.
        chronology_dict_source_register(name="casework", fetch=_chronology_items)
        from sightline.access.declaring import access_kind_register
        from sightline.casework import jobs, navigation
        from sightline.casework.access import access_case_task, access_meeting
        from sightline.casework.notices import CaseworkNoticeKind
        from sightline.core import registry
        from sightline.notifications.urgency import Urgency, kind_urgency_register

        registry.navigation_register(
            name="casework", order=25, items=navigation.casework_navigation
        )
        registry.navigation_count_register(
            name="case_tasks_outstanding", count=navigation.case_tasks_outstanding_count
        )
        # After the notices' and interviews' escalations (order 40): the same cadence.
        registry.job_register(
            name="case_task_escalation",
            order=45,
            interval=jobs.CASE_TASK_ESCALATION_INTERVAL,
            run=jobs.case_task_escalation_job,
        )
        kind_urgency_register(kinds=list(CaseworkNoticeKind), urgency=Urgency.STANDARD)
        # The records that carry a child's data, for declared views and operations (ADR 17).
        access_kind_register("case_task", param="case_task_id", resolve=access_case_task)
        access_kind_register("meeting", param="meeting_id", resolve=access_meeting)
