"""The OpenAPI document states Berth's real rules: ids are positive 64-bit integers, request
bodies list the fields they need, limits and durations carry their ranges, and paging
parameters their bounds. (tests/fuzz/test_api_schema.py replays generated requests.)"""
from __future__ import annotations

import pytest

from registry.api.body import MAX_ID
from registry.api.paging import DEFAULT_SIZE, MAX_PAGE, MAX_SIZE
from registry.core.quotas import MAX_STORAGE_LIMIT
from registry.core.robots import MAX_DURATION_DAYS
from tests.api.conftest import unique


@pytest.fixture(scope="module")
def document(anon) -> dict:
    return anon.get("/openapi.json").json()


def operations(document: dict):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def body_schema(document: dict, path: str, method: str) -> dict:
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_ids_in_paths_are_documented_as_positive_64_bit_integers(document):
    seen = set()
    for path, _, op in operations(document):
        for param in op["parameters"]:
            if param["in"] == "path" and param["name"].endswith("_id"):
                seen.add(param["name"])
                assert param["schema"] == {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}, path
    assert seen == {"user_id", "robot_id", "quota_id", "member_id", "policy_id", "registry_id", "immutable_rule_id",
                    "gc_id", "retention_id", "execution_id", "task_id", "group_id",
                    "label_id"}


def test_paging_parameters_carry_their_bounds(document):
    for path, _, op in operations(document):
        params = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "query"}
        if "page" in params:
            assert params["page"] == {"type": "integer", "default": 1, "minimum": 1, "maximum": MAX_PAGE}, path
            assert params["page_size"] == {"type": "integer", "default": DEFAULT_SIZE, "minimum": 1,
                                           "maximum": MAX_SIZE}, path


@pytest.mark.parametrize(("path", "method", "required"), [
    ("/projects", "post", ["project_name"]),
    ("/users", "post", ["username", "password"]),
    ("/users/{user_id}/password", "put", ["new_password"]),
    ("/users/{user_id}/sysadmin", "put", ["sysadmin_flag"]),
    ("/robots", "post", ["name", "level"]),
    ("/quotas/{quota_id}", "put", ["hard"]),
    ("/projects/{project}/members", "post", ["role_id"]),
    ("/projects/{project}/members/{member_id}", "put", ["role_id"]),
    ("/projects/{project}/webhook/policies", "post", ["name", "targets", "event_types"]),
    ("/projects/{project}/repositories/{repository}/artifacts/{reference}/tags", "post", ["name"]),
])
def test_request_bodies_list_the_fields_they_need(document, path, method, required):
    assert body_schema(document, path, method)["required"] == required


def test_a_project_update_needs_no_name(document):
    assert "required" not in body_schema(document, "/projects/{project}", "put")


def test_storage_limits_and_durations_carry_their_ranges(document):
    limit = {"minimum": -1, "maximum": MAX_STORAGE_LIMIT}
    for path, method in (("/projects", "post"), ("/projects/{project}", "put")):
        assert body_schema(document, path, method)["properties"]["storage_limit"].items() >= limit.items()
    hard = body_schema(document, "/quotas/{quota_id}", "put")["properties"]["hard"]
    assert hard["required"] == ["storage"] and hard["properties"]["storage"].items() >= limit.items()
    for path, method in (("/robots", "post"), ("/robots/{robot_id}", "put")):
        duration = body_schema(document, path, method)["properties"]["duration"]
        assert duration["type"] == "integer" and duration["minimum"] == -1
        assert duration["maximum"] == MAX_DURATION_DAYS


def test_roles_and_levels_are_enumerated(document):
    assert body_schema(document, "/projects/{project}/members/{member_id}", "put")["properties"]["role_id"]["enum"] \
        == [1, 2, 3, 4, 5]
    assert body_schema(document, "/robots", "post")["properties"]["level"]["enum"] == ["system", "project"]


def test_every_operation_with_a_body_or_checked_parameters_documents_400(document):
    for path, method, op in operations(document):
        checked = "requestBody" in op or any(p["in"] == "query" or p["schema"].get("minimum") for p in op["parameters"])
        if checked:
            assert "400" in op["responses"], (method, path)
        if "requestBody" in op:
            assert "413" in op["responses"], (method, path)


def test_the_project_key_pattern_is_what_the_router_takes(document, admin):
    (param,) = [p for p in document["paths"]["/projects/{project}"]["get"]["parameters"] if p["name"] == "project"]
    assert param["schema"]["pattern"] == "^[a-z0-9._-]+$"
    name = unique()
    assert admin.post("/projects", json={"project_name": name}).status_code == 201
    project_id = admin.get(f"/projects/{name}").json()["project_id"]
    assert admin.get(f"/projects/{project_id}").json()["name"] == name
    refused = admin.get(f"/projects/{name.upper()}")
    assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == "NOT_FOUND"
