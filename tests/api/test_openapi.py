"""GET /api/v1/openapi.json documents every operation, and is a valid OpenAPI document."""

from __future__ import annotations

import pytest

from sightline.api.main import operations
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("POST", "/api/v1/placements"): "record_placement",
    ("GET", "/api/v1/children"): "list_children",
    ("GET", "/api/v1/children/{child_id}"): "get_child",
    ("GET", "/api/v1/notices"): "list_notices",
    ("POST", "/api/v1/notices/{notice_id}/acknowledge"): "acknowledge_notice",
    ("POST", "/api/v1/missing-episodes"): "report_missing_episode",
    ("POST", "/api/v1/missing-episodes/{episode_id}/updates"): "update_missing_episode",
    ("POST", "/api/v1/missing-episodes/{episode_id}/close"): "close_missing_episode",
    ("GET", "/api/v1/missing-now"): "list_missing_now",
    # Issue 17: the child's voice, plan and parents.
    ("GET", "/api/v1/children/{child_id}/statements"): "list_child_statements",
    ("POST", "/api/v1/children/{child_id}/statements"): "record_child_statement",
    ("GET", "/api/v1/children/{child_id}/plan"): "list_plan_versions",
    ("POST", "/api/v1/children/{child_id}/plan"): "record_plan_version",
    ("GET", "/api/v1/children/{child_id}/parents"): "list_parents",
    ("POST", "/api/v1/children/{child_id}/parents"): "record_parent",
    ("GET", "/api/v1/children/{child_id}/tasks"): "list_child_tasks",
    ("GET", "/api/v1/children/{child_id}/task-owners"): "list_task_owners",
    ("POST", "/api/v1/children/{child_id}/tasks"): "set_child_task",
    ("POST", "/api/v1/case-tasks/{case_task_id}/status"): "change_task_status",
    ("POST", "/api/v1/case-tasks/{case_task_id}/complete"): "complete_task",
    ("POST", "/api/v1/children/{child_id}/meetings"): "record_meeting",
    ("GET", "/api/v1/case-tasks"): "list_case_tasks",
    # chronology (issue 17)
    ("GET", "/api/v1/children/{child_id}/chronology"): "list_chronology",
    ("POST", "/api/v1/children/{child_id}/chronology"): "add_chronology_entry",
    (
        "POST",
        "/api/v1/chronology-entries/{chronology_entry_id}/supersede",
    ): "supersede_chronology_entry",
}


@pytest.fixture
def schema(db):
    response = ApiClient(None).get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _documented(schema):
    return {
        (method.upper(), path): op
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_schema_names_the_api_and_its_version(schema):
    assert schema["openapi"].startswith("3.")
    assert (schema["info"]["title"], schema["info"]["version"]) == ("Sightline API", "1")


def test_every_operation_is_documented_with_its_id(schema):
    documented = _documented(schema)
    assert {k: v["operationId"] for k, v in documented.items()} == {
        k: v for k, v in EXPECTED.items() if k in documented
    }
    # Every routed operation is in the schema, and nothing else is.
    routed = {(m, "/api/v1" + p) for m, p, _ in operations()}
    assert routed == set(documented)
    assert set(EXPECTED) <= routed


def test_every_operation_needs_a_key_and_documents_its_errors(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for (method, path), op in _documented(schema).items():
        assert op["security"] == [{"ApiKeyAuth": []}], path
        assert op["summary"] and op["description"], path
        statuses = set(op["responses"])
        assert any(s.startswith("2") for s in statuses), path
        assert {"401", "422"} <= statuses, path
        for status in statuses - {"200", "201"}:
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorsOut"}, (path, status)
        if method == "POST":
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in headers, path


def test_every_reference_resolves(schema):
    components = schema["components"]["schemas"]
    refs = set(_refs(schema))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, ref
    assert components["ErrorsOut"]["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    assert set(components["ErrorOut"]["properties"]) == {"field", "record", "message"}


def test_the_schema_validates_against_the_openapi_specification(schema):
    schemathesis = pytest.importorskip("schemathesis")
    schemathesis.openapi.from_dict(schema).validate()
