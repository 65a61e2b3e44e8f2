"""Who viewed or changed a child's record: the page for senior officers of the placing
council, its CSV, `sightline audit child`, and the read-only admin."""

import csv
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from sightline.access.policy import Action, access_child
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.organisations.models import User
from tests.factories import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def looked(world):
    access_child(world["police"], world.child.id, action=Action.VIEW, purpose="Welfare check")
    return world


def test_the_placing_councils_team_manager_sees_who_looked_and_why(looked):
    client = signed_in(looked["placing_manager"])
    child_page = client.get(reverse("child_detail", args=[looked.child.id])).content.decode()
    assert reverse("child_audit", args=[looked.child.id]) in child_page
    page = client.get(reverse("child_audit", args=[looked.child.id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert looked["police"].username in text and "Welfare check" in text
    assert "placement recorded" in text
    # Reading the audit is itself recorded.
    assert AuditEvent.objects.filter(
        child_id=looked.child.id,
        verb=AuditVerb.CHILD_VIEWED,
        payload__action="view audit",
        user_id=looked["placing_manager"].id,
    ).exists()


def test_the_csv_has_one_row_per_event(looked):
    response = signed_in(looked["placing_manager"]).get(
        reverse("child_audit_csv", args=[looked.child.id])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["sequence", "at (UTC)", "viewed or changed"]
    body = rows[1:]
    assert any(r[4] == looked["police"].username and r[6] == "Welfare check" for r in body)
    # The download is recorded before the list is read, so it lists itself last.
    assert len(body) == AuditEvent.objects.filter(child_id=looked.child.id).count()
    assert body[-1][3] == "view audit" and body[-1][6].startswith("Download")


@pytest.mark.parametrize("who", ["placing", "host_manager", "police", "kent_manager"])
def test_others_cannot_read_the_audit(looked, who):
    client = signed_in(looked[who])
    assert client.get(reverse("child_audit", args=[looked.child.id])).status_code == 404
    assert client.get(reverse("child_audit_csv", args=[looked.child.id])).status_code == 404


def test_the_command_lists_who_viewed_or_changed_the_record(looked, capsys):
    call_command("audit", "child", str(looked.child.id))
    out = capsys.readouterr().out
    assert looked["police"].username in out and "Welfare check" in out
    call_command("audit", "child", str(looked.child.id), "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][0] == "sequence" and len(rows) >= 3
    # The command's reading is recorded, with its purpose.
    assert AuditEvent.objects.filter(
        child_id=looked.child.id, verb=AuditVerb.AUDIT_VIEWED, user_id=None
    ).exists()
    call_command("audit", "child", str(uuid.uuid4()))
    assert "No one has viewed or changed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a Sightline child id"):
        call_command("audit", "child", "MAN001")


def test_the_admin_pages_are_read_only(looked):
    admin = User.objects.create_superuser("audit-admin", "a@example.invalid", "x" * 20)
    client = signed_in(admin)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    row = AuditEvent.objects.first()
    change = client.post(reverse("admin:audit_auditevent_change", args=[row.pk]), {"purpose": "x"})
    assert change.status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[row.pk])).status_code == 403
    assert AuditEvent.objects.get(pk=row.pk).purpose == row.purpose


def test_the_admin_finds_a_childs_rows_by_id(looked):
    admin = User.objects.create_superuser("audit-admin", "a@example.invalid", "x" * 20)
    client = signed_in(admin)
    url = reverse("admin:audit_auditevent_changelist")
    found = client.get(url, {"q": str(looked.child.id)})
    # The row is there (its verb), its purpose is not: it may carry an emergency reason.
    html = found.content.decode()
    assert found.status_code == 200 and "child viewed" in html
    assert "Welfare check" not in html
    assert client.get(url, {"q": "not-an-id"}).status_code == 200
