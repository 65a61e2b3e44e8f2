from sightline.core import appconfig


class FederationConfig(appconfig.SightlineAppConfig):
    name = "sightline.federation"
    label = "federation"

    def register(self) -> None:
        from django.conf import settings

        from sightline.core import registry
        from sightline.federation import channel, jobs, services
        from sightline.notifications.channels import channel_register
        from sightline.notifications.models import Channel
        from sightline.notifications.services import acknowledgement_hook_register

        # The outbox delivers to other deployments like any channel (ADR 7): claimed, leased,
        # retried on its schedule, recorded. New notices use it while SIGHTLINE_FEDERATION
        # is on.
        channel_register(
            name=Channel.FEDERATION,
            channel=channel.FederationChannel,
            enabled=lambda: bool(settings.SIGHTLINE_FEDERATION),
        )
        # A notice that came from another deployment, acknowledged here, is acknowledged there.
        acknowledgement_hook_register(name="federation", hook=services.acknowledgement_queue)
        registry.job_register(
            name="federation_nonce_purge", order=90, interval=60, run=jobs.nonce_purge_job
        )
