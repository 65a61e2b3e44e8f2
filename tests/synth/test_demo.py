"""The demo data set: reproducible, calibrated, synthetic, and usable by every sign-in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from sightline.access.policy import (
    Action,
    access_child,
    children_visible_to,
)
from sightline.children.models import Child
from sightline.core.errors import SightlineError
from sightline.core.timeutil import today
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Setting
from sightline.synth import names
from sightline.synth.demo import (
    PASSWORD_ENV,
    demo_fingerprint,
    demo_load,
)
from sightline.synth.models import DemoDataset

pytestmark = pytest.mark.django_db

REFERENCE_DIR = Path("/work/shared/reference")


def _counts() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "placements": Placement.objects.count(),
        "settings": Setting.objects.count(),
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "datasets": DemoDataset.objects.count(),
    }


def _share(values: list[bool]) -> float:
    return sum(values) / len(values)


# --- Same seed, same data ------------------------------------------------------------------


def test_the_same_seed_keeps_the_data_set_and_another_replaces_it_until_it_comes_back():
    first = demo_load(seed=7)
    counts = _counts()

    again = demo_load(seed=7)
    assert first.created and not again.created
    assert again.fingerprint == first.fingerprint == demo_fingerprint()
    assert _counts() == counts
    assert again.calibration == first.calibration

    other = demo_load(seed=8)
    assert other.fingerprint != first.fingerprint
    # Replaced, not added to: every row left is the new data set's.
    records = DemoDataset.objects.get().records
    for model, label in [
        (Child, "children.child"),
        (Placement, "placements.placement"),
        (Setting, "placements.setting"),
        (User, "organisations.user"),
    ]:
        assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} == set(records[label])
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
    assert {str(pk) for pk in providers.values_list("pk", flat=True)} == set(
        records["organisations.organisation"]
    )
    names_now = set(Child.objects.values_list("first_name", "last_name"))

    back = demo_load(seed=7)
    assert back.created
    assert back.fingerprint == first.fingerprint
    assert _counts() == counts
    assert set(Child.objects.values_list("first_name", "last_name")) != names_now


# --- Calibration ---------------------------------------------------------------------------


# --- Sign-ins ------------------------------------------------------------------------------


def test_the_password_comes_from_the_environment_and_follows_it(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "a different demo phrase")
    summary = demo_load(seed=2)
    assert {s.password for s in summary.sign_ins} == {"a different demo phrase"}
    assert authenticate(username="police.gmp", password="a different demo phrase")

    monkeypatch.setenv(PASSWORD_ENV, "and another one again")
    kept = demo_load(seed=2)
    assert not kept.created
    assert authenticate(username="police.gmp", password="and another one again")
    assert authenticate(username="police.gmp", password="a different demo phrase") is None


# --- Synthetic only ------------------------------------------------------------------------


@pytest.mark.skipif(
    not (REFERENCE_DIR / "ofsted_provider_level_with_inspections_at_31_march_2023.csv").exists(),
    reason="the Ofsted reference file is not on this machine",
)
def test_invented_providers_and_urns_are_not_on_the_ofsted_register():
    path = REFERENCE_DIR / "ofsted_provider_level_with_inspections_at_31_march_2023.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    owners = {row["Organisation which owns the provider"].lower() for row in rows}
    urns = {row["URN"] for row in rows}
    invented = [names.LEAD_PROVIDER, *names.OTHER_PRIVATE_PROVIDERS, *names.VOLUNTARY_PROVIDERS]
    assert not {name.lower() for name in invented} & owners
    assert not any(urn.startswith("SC9") for urn in urns)


# --- Safety --------------------------------------------------------------------------------


def test_refuses_to_load_in_production(settings):
    settings.MODE = "production"
    with pytest.raises(SightlineError, match="production"):
        demo_load(seed=1)
    assert not Child.objects.exists()


def test_refuses_a_reference_date_in_the_future():
    with pytest.raises(SightlineError, match="future"):
        demo_load(seed=1, reference_date=today() + dt.timedelta(days=1))


def test_a_used_data_set_is_replaced_with_what_was_recorded_about_it():
    from sightline.access.models import AccessRecord
    from tests import factories

    demo_load(seed=1)
    user = User.objects.get(username="coordinator.stockport")
    child = children_visible_to(user).first()
    access_child(user, child.id, action=Action.VIEW, purpose="demo")
    assert not demo_load(seed=1).created  # the same seed is kept, used or not

    # Someone else's records, outside the demo data set, survive a replacement.
    own_home = factories.setting(factories.provider_org("Not A Demo Provider Ltd"))
    own_child = factories.child("352", ref="OWN1")
    factories.placement(own_child, own_home)

    replaced = demo_load(seed=2)

    assert replaced.created
    assert not AccessRecord.objects.filter(child_id=child.id).exists()
    assert not Child.objects.filter(pk=child.pk).exists()
    assert Child.objects.filter(pk=own_child.pk).exists()
    assert Placement.objects.filter(child=own_child).count() == 1
    assert Organisation.objects.filter(name="Not A Demo Provider Ltd").exists()
    assert Organisation.objects.filter(council__dfe_code="356").count() == 1


def test_demo_usernames_taken_by_real_users_stop_the_load():
    User.objects.create_user(username="police.gmp", password="x" * 16)
    with pytest.raises(SightlineError, match=r"police\.gmp"):
        demo_load(seed=1)
    assert not Child.objects.exists()


# --- The management command ----------------------------------------------------------------


def test_command_prints_summary_and_sign_ins_or_json():
    out = io.StringIO()
    call_command("demo_data", "--seed", "12", stdout=out)
    text = out.getvalue()
    assert "Demo sign-ins" in text
    assert "coordinator.stockport" in text
    assert "Calibration" in text

    out = io.StringIO()
    call_command("demo_data", "--seed", "12", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["seed"] == 12
    assert data["created"] is False  # the same seed, kept
    assert len(data["sign_ins"]) == len(Role.values)
    assert {"username", "password", "role", "role_label", "organisation_name"} <= set(
        data["sign_ins"][0]
    )
    assert {c["measure"] for c in data["calibration"]} >= {
        "Children in homes placed outside their council",
        "Placements more than 20 miles from home",
    }
