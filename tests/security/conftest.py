"""One authorisation-matrix world per module, shared by its tests.

The world is built once inside a transaction that is rolled back when the module ends, the way
Django's ``TestCase.setUpTestData`` works; each test runs in a savepoint of its own, so what a
test writes (an interview offered, a placement ended) is undone before the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from tests.conftest import seal_shared_world
from tests.security.world import World, build


@pytest.fixture(scope="module")
def private_media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("private-media")
    with override_settings(SIGHTLINE_PRIVATE_MEDIA_ROOT=str(root)):
        yield root


@pytest.fixture(scope="module")
def matrix_world(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, private_media: Path
) -> Iterator[World]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        from sightline.geography.models import PoliceForce
        from sightline.geography.services import reference_data_load
        from sightline.missing.models import RiskGrade, RiskGradeList
        from sightline.missing.reference import risk_grade_lists_load

        with transaction.atomic():
            # A transactional test elsewhere may have flushed the reference data.
            if not PoliceForce.objects.exists():
                reference_data_load()
            if not RiskGradeList.objects.exists():
                risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
            world = build()
            seal_shared_world()
            yield world
            transaction.set_rollback(True)
