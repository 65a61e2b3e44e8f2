"""The apps fill in core's registries from ``AppConfig.ready()`` (ADR 7): the service
navigation and the worker's cycle keep the order they had when core imported the domains."""

from __future__ import annotations

from sightline.core.registry import home_panels, navigation_sources, periodic_jobs


def test_the_navigation_is_in_the_order_users_know():
    assert [s.name for s in navigation_sources()] == [
        "children",
        "placements",
        "missing",
        "casework",
        "exploitation",
        "notifications",
        "compliance",
        "emergency_access",
        "evidence",
        "people",
    ]


def test_the_home_page_offers_recording_a_placement():
    assert [p.name for p in home_panels()] == ["record_placement"]


def test_the_worker_sweeps_escalates_delivers_then_checkpoints_the_audit():
    assert [(j.name, j.interval) for j in periodic_jobs()] == [
        ("delivery_sweep", 0),
        ("idempotency_purge", 60.0),
        ("receipt_sweep", 60.0),
        ("notice_escalation", 60.0),
        ("interview_escalation", 60.0),
        ("case_task_escalation", 60.0),
        ("exploitation_screening_prompts", 300.0),
        ("exploitation_child_links", 600.0),
        ("delivery", 0),
        ("audit_seal", 30),
        ("audit_checkpoint", 3600),
        ("federation_nonce_purge", 60),
    ]
