from sightline.core import appconfig


class MissingConfig(appconfig.SightlineAppConfig):
    name = "sightline.missing"
    label = "missing"
    verbose_name = "Missing and away episodes"

    def register(self) -> None:
        from sightline.core import registry
        from sightline.missing import jobs, navigation

        # The order of the service navigation's items and of the worker's jobs (ADR 7).
        registry.navigation_register(name="missing", order=20, items=navigation.missing_navigation)
        registry.navigation_count_register(name="missing_now", count=navigation.missing_now_count)
        registry.navigation_count_register(name="tasks_open", count=navigation.tasks_open_count)
        registry.navigation_count_register(
            name="interviews_held", count=navigation.interviews_held_count
        )
        registry.job_register(
            name="interview_escalation",
            order=40,
            interval=jobs.INTERVIEW_ESCALATION_INTERVAL,
            run=jobs.interview_escalation_job,
        )

        # How urgently the outbox delivers each kind of alert (ADR 22).
        from sightline.missing.notices import DELIVERY_URGENCY
        from sightline.notifications.urgency import kind_urgency_register

        for kind, urgency in DELIVERY_URGENCY.items():
            kind_urgency_register(kinds=[kind], urgency=urgency)

        # Alerts to an agency not on Sightline go to its missing-from-care inbox.
        from sightline.notifications.directory import directory_inbox_register
        from sightline.notifications.models import Inbox

        directory_inbox_register(kinds=list(DELIVERY_URGENCY), inbox=Inbox.MISSING)

        # The records that carry a child's data, for views and API operations declared on
        # their ids (``access.declaring``; ADR 17).
        from sightline.access.declaring import access_kind_register
        from sightline.missing.access import access_episode, access_interview, access_task

        access_kind_register("episode", param="episode_id", resolve=access_episode)
        access_kind_register("interview", param="interview_id", resolve=access_interview)
        access_kind_register("task", param="task_id", resolve=access_task)
