"""The directory of agencies' front doors: the shipped list against the ONS reference lists,
the all-or-nothing import, verifying an address through its confirmation link (at a real
SMTP server), and what happens to a notice for an agency not on Sightline whose inbox is
verified, unverified or bouncing."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.notifications.directory import (
    SHIPPED,
    address_mark_verified,
    address_verification_send,
    directory_load,
)
from sightline.notifications.escalation import escalations_run
from sightline.notifications.models import (
    AddressStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    DirectoryEntry,
    EscalationReason,
    InboxAddress,
    Notice,
    NoticeEventKind,
)
from sightline.organisations.models import Organisation, OrganisationKind, Role
from tests import factories
from tests.notifications.conftest import (
    SURNAME,
    SmtpServer,
    make_world,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db

REFERENCE = Path(os.environ.get("SIGHTLINE_REFERENCE_DIR", "/work/shared/reference"))
START = dt.date(2026, 2, 2)


def _reference(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the ONS reference lists are not shipped)")
    return path


def _shipped() -> list[dict[str, str]]:
    return list(csv.DictReader(SHIPPED.open(encoding="utf-8")))


def test_the_directory_covers_every_english_council_and_every_police_force():
    """Compared with the ONS lists themselves, not with Sightline's own geography."""
    councils = {
        row["UTLA23CD"]
        for row in csv.DictReader(_reference("ons_ltla23_utla23_ew_lookup.csv").open())
    }
    forces = {
        row["PFA23CD"]
        for row in csv.DictReader(_reference("ons_lad23_csp23_pfa23_ew_lookup.csv").open())
    }
    rows = _shipped()
    listed = {(row["kind"], row["code"]) for row in rows}
    english = {code for code in councils if code.startswith("E")}
    assert len(english) > 140
    assert {c for c in english if ("council", c) not in listed} == set()
    assert {c for c in councils if ("council", c) not in listed} == set()  # and Wales
    assert len(forces) == 43
    assert {f for f in forces if ("police", f) not in listed} == set()
    assert len(rows) == len(listed) == len(councils) + len(forces)
    # Every entry has a source; none ships an invented address.
    assert all(row["source"] for row in rows)
    assert all(not row[c] for row in rows for c in ("placement_inbox", "missing_inbox"))


def test_loading_gives_every_council_and_force_an_entry_and_keeps_corrections():
    summary = directory_load()
    assert summary.created == len(_shipped())
    assert DirectoryEntry.objects.filter(organisation__kind=OrganisationKind.COUNCIL).count() == 175
    assert DirectoryEntry.objects.filter(organisation__kind=OrganisationKind.POLICE).count() == 43
    stockport = DirectoryEntry.objects.get(organisation__council__dfe_code="356")
    assert stockport.organisation.name == "Stockport Council"
    assert stockport.source == "to be verified"
    stockport.placement_inbox = "placements@stockport.example.org"
    stockport.save()
    again = directory_load()
    assert again.created == 0
    stockport.refresh_from_db()
    assert stockport.placement_inbox == "placements@stockport.example.org"


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "directory.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "kind",
                "code",
                "name",
                "placement_inbox",
                "missing_inbox",
                "out_of_hours_phone",
                "sightline_url",
                "source",
                "last_verified",
            ]
        )
        writer.writerows(rows)
    return path


def test_import_names_every_bad_row_and_field_and_writes_nothing(tmp_path):
    directory_load()
    path = _write(
        tmp_path,
        [
            ["council", "E08000007", "Stockport Council", "placements@stockport.example.org",
             "", "0161 000 0000", "", "Letter from Stockport, 1 Feb 2026", "2026-02-01"],
            ["council", "E99999999", "Nowhere", "", "", "", "", "to be verified", ""],
            ["police", "E23000005", "GMP", "not-an-address", "", "call us", "", "", "01/02/26"],
            ["council", "E08000007", "Stockport again", "", "", "", "", "x", ""],
        ],
    )  # fmt: skip
    with pytest.raises(CommandError) as caught:
        call_command("directory", "import", str(path))
    message = str(caught.value)
    assert "nothing imported" in message
    for expected in (
        "Row 3, code: E99999999 is not a current council",
        'Row 4, placement_inbox: "not-an-address" is not an e-mail address',
        'Row 4, out_of_hours_phone: "call us" is not a telephone number',
        "Row 4, source: say where the details came from",
        'Row 4, last_verified: "01/02/26" is not a date like 2026-01-31',
        "Row 5, code: E08000007 is also on row 2",
    ):
        assert expected in message
    # All or nothing: the good row was not imported either.
    assert DirectoryEntry.objects.get(organisation__council_id="E08000007").placement_inbox == ""


def test_import_updates_entries_and_leaves_new_addresses_unverified(tmp_path, capsys):
    directory_load()
    path = _write(
        tmp_path,
        [
            ["council", "E08000007", "Stockport Council", "Placements@Stockport.example.org",
             "missing@stockport.example.org", "0161 000 0000", "",
             "Letter from Stockport, 1 Feb 2026", "2026-02-01"],
        ],
    )  # fmt: skip
    call_command("directory", "import", str(path))
    assert "1 changed" in capsys.readouterr().out
    entry = DirectoryEntry.objects.get(organisation__council_id="E08000007")
    assert entry.placement_inbox == "placements@stockport.example.org"
    assert entry.out_of_hours_phone == "0161 000 0000"
    assert entry.last_verified == dt.date(2026, 2, 1)
    assert set(InboxAddress.objects.values_list("address", "status")) == {
        ("placements@stockport.example.org", AddressStatus.UNVERIFIED),
        ("missing@stockport.example.org", AddressStatus.UNVERIFIED),
    }
    assert AuditEvent.objects.filter(verb=AuditVerb.DIRECTORY_IMPORTED).count() == 2


# --- Verifying an address -----------------------------------------------------------------


def _stockport_inbox(address: str = "placements@stockport.example.org") -> DirectoryEntry:
    directory_load()
    entry = DirectoryEntry.objects.get(organisation__council__dfe_code="356")
    entry.placement_inbox = address
    entry.out_of_hours_phone = "0161 000 0000"
    entry.save()
    InboxAddress.objects.get_or_create(address=address)
    return entry


def _link(body: str, path: str) -> str:
    found = re.search(rf"http://[^\s]+/{path}/[^\s]+/", body)
    assert found, body
    return found.group(0).removeprefix("http://127.0.0.1:8000")


def test_an_address_is_verified_by_its_confirmation_link(smtp_server: SmtpServer):
    _stockport_inbox()
    row = address_verification_send(address="placements@stockport.example.org", actor=None)
    assert row.status == AddressStatus.PENDING
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["placements@stockport.example.org"]
    body = received.message.get_content()
    assert "Stockport Council" in body
    url = _link(body, "directory/confirm")

    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm this address" in page.content.decode()
    assert InboxAddress.objects.get().status == AddressStatus.PENDING  # a look is not a yes
    done = client.post(url, follow=True)
    assert "Address confirmed" in done.content.decode()
    row.refresh_from_db()
    assert row.status == AddressStatus.VERIFIED
    assert DirectoryEntry.objects.get(placement_inbox=row.address).last_verified is not None
    assert AuditEvent.objects.filter(verb=AuditVerb.INBOX_ADDRESS_VERIFIED).count() == 1
    # One use: the challenge is spent.
    assert client.post(url).status_code == 400


def test_a_tampered_or_superseded_confirmation_link_is_refused(smtp_server: SmtpServer):
    _stockport_inbox()
    address_verification_send(address="placements@stockport.example.org", actor=None)
    first = _link(smtp_server.received[0].message.get_content(), "directory/confirm")
    client = Client()
    tampered = first[:-3] + ("A" if first[-3] != "A" else "B") + first[-2:]
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    address_verification_send(address="placements@stockport.example.org", actor=None)
    assert client.post(first).status_code == 400  # replaced by the newer test message
    assert InboxAddress.objects.get().status == AddressStatus.PENDING


def test_a_refused_test_message_marks_the_address_bouncing(smtp_server: SmtpServer):
    _stockport_inbox()
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such mailbox"
    row = address_verification_send(address="placements@stockport.example.org", actor=None)
    assert row.status == AddressStatus.BOUNCING
    assert row.last_error == "SMTP 550 recipient refused"


def test_only_synthetic_addresses_can_be_marked_verified_without_a_link():
    with pytest.raises(Exception, match="synthetic"):
        address_mark_verified(address="children@stockport.gov.uk", actor=None)


# --- Notices to an agency not on Sightline ------------------------------------------------


def _placed(*, verified: bool):
    world = make_world(host_email="")
    entry = _stockport_inbox()
    if verified:
        address_mark_verified(address=entry.placement_inbox, actor=None)
    factories.user(world.placing, Role.TEAM_MANAGER, username="tm")
    record_out_of_area(world, start=START)
    return world, Notice.objects.get(recipient=world.host)


def test_an_unverified_inbox_is_never_used_and_a_named_person_is_told_at_once():
    world, notice = _placed(verified=False)
    assert not Delivery.objects.filter(notice=notice, channel=Channel.EMAIL).exists()
    assert "has not been verified" in notice.undeliverable
    assert "phone Stockport Council out of hours on 0161 000 0000" in notice.undeliverable
    assert notice.events.filter(event=NoticeEventKind.UNDELIVERABLE).exists()

    assert escalations_run(now=notice.created_at + dt.timedelta(minutes=1)) >= 1
    escalation = Notice.objects.get(escalates=notice, escalation_reason=EscalationReason.NOT_SENT)
    assert escalation.recipient == world.placing
    assert escalation.subject_line == (
        "Escalation: a placement notice about a child could not be delivered"
    )
    # To the team manager, by name.
    assert Delivery.objects.filter(
        notice=escalation, channel=Channel.EMAIL, address="tm@example.invalid"
    ).exists()

    # The sender's page says so.
    client = factories.signed_in(factories.user(world.placing, Role.SOCIAL_WORKER))
    html = client.get(f"/notices/{notice.id}/").content.decode()
    assert "has not been verified" in html
    assert "A named person has been told" in html


def test_a_verified_inbox_gets_a_signed_link_that_acknowledges_without_an_account(
    smtp_server: SmtpServer,
):
    _world, notice = _placed(verified=True)
    assert notice.undeliverable == ""
    run_worker()
    # (The police force's notice could not be e-mailed: its escalations went to Southwark.)
    (received,) = [
        r for r in smtp_server.received if r.rcpt_tos == ["placements@stockport.example.org"]
    ]
    body = received.message.get_content()
    assert "no Sightline account needed" in body
    assert SURNAME.lower() not in received.raw.lower()
    url = _link(body, "acknowledge")

    client = Client()  # no session: nobody signed in
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert notice.reference in html
    assert "Robin" not in html and SURNAME not in html
    assert "Shown when you sign in" in html
    assert page["Referrer-Policy"] == "same-origin"

    missing = client.post(url, {"name": "", "role": ""})
    assert missing.status_code == 400
    assert "Enter your name" in missing.content.decode()
    assert "Enter your role" in missing.content.decode()

    done = client.post(url, {"name": "Jo Bloggs", "role": "Duty social worker"}, follow=True)
    assert "Notice acknowledged" in done.content.decode()
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    assert notice.acknowledged_by is None
    assert (notice.acknowledged_by_name, notice.acknowledged_by_role) == (
        "Jo Bloggs",
        "Duty social worker",
    )
    assert notice.acknowledged_address == "placements@stockport.example.org"
    event = notice.events.get(event=NoticeEventKind.ACKNOWLEDGED)
    assert "Jo Bloggs (Duty social worker)" in event.detail
    assert "placements@stockport.example.org" in event.detail
    audit = AuditEvent.objects.get(verb=AuditVerb.NOTICE_ACKNOWLEDGED_BY_LINK)
    assert audit.object_id == str(notice.id)
    assert "Jo Bloggs" not in str(audit.payload)

    # Once: a second go changes nothing.
    first_at = notice.acknowledged_at
    client.post(url, {"name": "Someone Else", "role": "Manager"})
    notice.refresh_from_db()
    assert notice.acknowledged_at == first_at
    assert notice.acknowledged_by_name == "Jo Bloggs"
    assert AuditEvent.objects.filter(verb=AuditVerb.NOTICE_ACKNOWLEDGED_BY_LINK).count() == 1


def test_a_bouncing_inbox_is_escalated_and_not_used_again(smtp_server: SmtpServer):
    world, notice = _placed(verified=True)
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such mailbox"
    run_worker()
    delivery = Delivery.objects.get(notice=notice, channel=Channel.EMAIL)
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert InboxAddress.objects.get().status == AddressStatus.BOUNCING
    notice.refresh_from_db()
    assert "bounced" in notice.undeliverable
    escalations_run(now=notice.created_at + dt.timedelta(minutes=1))  # the worker did already
    assert Notice.objects.filter(escalates=notice, escalation_reason="not-sent").exists()
    # The next notice to Stockport is not sent to the bouncing address.
    other = make_world(host_email="")
    record_out_of_area(other, start=START + dt.timedelta(days=1))
    newer = Notice.objects.filter(recipient=world.host).exclude(pk=notice.pk).get()
    assert not Delivery.objects.filter(notice=newer, channel=Channel.EMAIL).exists()
    assert "bouncing" in newer.undeliverable


def test_not_acknowledged_by_a_council_not_on_sightline_is_a_phone_task():
    world, notice = _placed(verified=True)
    factories.user(world.placing, Role.NOMINATED_OFFICER, username="no")
    escalations_run(now=notice.ack_due_at + dt.timedelta(minutes=1))
    to_placing = Notice.objects.get(
        escalates=notice,
        escalation_reason=EscalationReason.NOT_ACKNOWLEDGED,
        recipient=world.placing,
    )
    from sightline.notifications.content import escalation_summary

    summary = escalation_summary(to_placing)
    assert "Stockport Council is not on Sightline: phone them out of hours on 0161 000 0000" in (
        summary
    )
    assert notice.reference in summary


def test_an_agency_on_sightline_is_not_sent_to_its_directory_inbox():
    world = make_world(host_email="")
    _stockport_inbox()
    factories.user(world.host, Role.MISSING_COORDINATOR)
    record_out_of_area(world, start=START)
    notice = Notice.objects.get(recipient=world.host)
    assert notice.undeliverable == ""
    assert not Delivery.objects.filter(notice=notice, channel=Channel.EMAIL).exists()


def test_every_council_and_force_organisation_is_a_council_or_force():
    directory_load()
    kinds = set(
        Organisation.objects.filter(directory_entry__isnull=False).values_list("kind", flat=True)
    )
    assert kinds == {OrganisationKind.COUNCIL, OrganisationKind.POLICE}
