from sightline.core import appconfig


class NotificationsConfig(appconfig.SightlineAppConfig):
    name = "sightline.notifications"
    label = "notifications"

    def register(self) -> None:
        from sightline.core import registry
        from sightline.notifications import jobs, lane_views, navigation

        # The order of the service navigation's items and of the worker's jobs (ADR 7).
        registry.navigation_register(
            name="notifications", order=30, items=navigation.notice_navigation
        )
        registry.navigation_count_register(
            name="notices_waiting", count=navigation.notices_waiting_count
        )
        registry.navigation_count_register(
            name="urgent_waiting", count=navigation.urgent_waiting_count
        )
        # The urgent lane's banner on every page (issue 14).
        registry.page_banner_register(name="urgent_lane", order=10, render=lane_views.urgent_banner)
        registry.job_register(name="delivery_sweep", order=10, interval=0, run=jobs.sweep_job)
        registry.job_register(
            name="receipt_sweep",
            order=20,
            interval=jobs.RECEIPT_SWEEP_INTERVAL,
            run=jobs.receipt_sweep_job,
        )
        registry.job_register(
            name="notice_escalation",
            order=30,
            interval=jobs.ESCALATION_INTERVAL,
            run=jobs.escalation_job,
        )
        registry.job_register(
            name="delivery",
            order=50,
            interval=0,
            run=jobs.delivery_job,
            close=jobs.delivery_close,
        )

        # One notice, for views and API operations declared on a notice's id (ADR 17).
        from sightline.access.declaring import access_kind_register
        from sightline.notifications.access import access_notice

        access_kind_register("notice", param="notice_id", resolve=access_notice)
