"""GET /api/v1/openapi.json documents every operation, and is a valid OpenAPI document."""

from __future__ import annotations

import pytest

from sightline.api.main import operations
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("POST", "/api/v1/placements"): "record_placement",
    ("POST", "/api/v1/placement-checks"): "check_placement",
    ("POST", "/api/v1/placement-declines"): "decline_placement",
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
    ("POST", "/api/v1/case-tasks/{case_task_id}/complete"): "complete_case_task",
    ("POST", "/api/v1/children/{child_id}/meetings"): "record_meeting",
    ("GET", "/api/v1/case-tasks"): "list_case_tasks",
    # exploitation (issue 18 part 1)
    ("GET", "/api/v1/children/{child_id}/screenings"): "list_screenings",
    ("POST", "/api/v1/children/{child_id}/screenings"): "create_screening",
    ("GET", "/api/v1/panel-referrals"): "list_panel_referrals",
    (
        "POST",
        "/api/v1/panel-referrals/{referral_id}/status",
    ): "change_panel_referral_status",
    ("POST", "/api/v1/children/{child_id}/nrm-referrals"): "create_nrm_referral",
    ("POST", "/api/v1/children/{child_id}/nrm-decisions"): "create_nrm_decision",
    # exploitation (issue 18 part 2): the register of concern and the links
    ("GET", "/api/v1/concerns"): "list_concerns",
    ("POST", "/api/v1/concerns"): "create_concern",
    ("GET", "/api/v1/concerns/{concern_id}"): "get_concern",
    ("POST", "/api/v1/concerns/{concern_id}/shares"): "create_concern_share",
    ("POST", "/api/v1/concerns/{concern_id}/shares/{share_id}/end"): "end_concern_share",
    ("GET", "/api/v1/children/{child_id}/concern-links"): "list_concern_links",
    ("POST", "/api/v1/children/{child_id}/concern-links"): "create_concern_link",
    ("GET", "/api/v1/children/{child_id}/links"): "list_child_links",
    # chronology (issue 17)
    ("GET", "/api/v1/children/{child_id}/chronology"): "list_chronology",
    ("POST", "/api/v1/children/{child_id}/chronology"): "add_chronology_entry",
    (
        "POST",
        "/api/v1/chronology-entries/{chronology_entry_id}/supersede",
    ): "supersede_chronology_entry",
    ("GET", "/api/v1/missing-episodes"): "list_missing_episodes",
    ("GET", "/api/v1/missing-episodes/{episode_id}"): "get_missing_episode",
    ("GET", "/api/v1/return-interviews"): "list_return_interviews",
    ("GET", "/api/v1/return-interviews/{interview_id}"): "get_return_interview",
    ("POST", "/api/v1/return-interviews/{interview_id}/offer"): "offer_return_interview",
    ("POST", "/api/v1/return-interviews/{interview_id}/accept"): "accept_return_interview",
    ("POST", "/api/v1/return-interviews/{interview_id}/decline"): "decline_return_interview",
    ("POST", "/api/v1/return-interviews/{interview_id}/complete"): "complete_return_interview",
    (
        "POST",
        "/api/v1/return-interviews/{interview_id}/information",
    ): "add_return_interview_information",
    ("GET", "/api/v1/tasks"): "list_tasks",
    ("GET", "/api/v1/tasks/{task_id}"): "get_task",
    ("POST", "/api/v1/tasks/{task_id}/complete"): "complete_task",
    ("GET", "/api/v1/webhook-subscriptions"): "list_webhook_subscriptions",
    ("POST", "/api/v1/webhook-subscriptions"): "create_webhook_subscription",
    ("GET", "/api/v1/webhook-subscriptions/{subscription_id}"): "get_webhook_subscription",
    ("PUT", "/api/v1/webhook-subscriptions/{subscription_id}"): "update_webhook_subscription",
    ("DELETE", "/api/v1/webhook-subscriptions/{subscription_id}"): "delete_webhook_subscription",
    ("POST", "/api/v1/webhook-subscriptions/{subscription_id}/new-secret"): "new_webhook_secret",
    (
        "GET",
        "/api/v1/webhook-subscriptions/{subscription_id}/deliveries",
    ): "list_webhook_deliveries",
    (
        "POST",
        "/api/v1/webhook-subscriptions/{subscription_id}/deliveries/{delivery_id}/replay",
    ): "replay_webhook_delivery",
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
        assert "204" not in statuses or "content" not in op["responses"]["204"], path
        for status in statuses - {"200", "201", "204"}:
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorsOut"}, (path, status)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
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


def test_no_two_schemas_share_a_name():
    """The OpenAPI document names each schema by its class: two routers' ``TaskOut`` would be
    one component, and one operation's answers would be checked against the other's."""
    import inspect

    from ninja import Schema

    from sightline.api.main import ROUTERS

    names: dict[str, set[str]] = {}
    modules = {
        inspect.getmodule(op.view_func)
        for _, r in ROUTERS
        for p in r.path_operations.values()
        for op in p.operations
    }
    for module in modules:
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Schema)
                and obj.__module__ == module.__name__
            ):
                names.setdefault(name, set()).add(module.__name__)
    assert {n: m for n, m in names.items() if len(m) > 1} == {}


def test_no_two_operations_share_an_id(schema):
    """Operation ids are the functions' names (``SightlineAPI``): two routers' ``complete_task``
    would be one id, and ``declare`` would find the wrong route."""
    ids = [op["operationId"] for op in _documented(schema).values()]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
