"""Input the management API takes is checked for type and range before it reaches the
database: integers past 64 bits, booleans, floats and strings where an integer belongs,
digits that are not ASCII in ids and paging parameters, and robot permissions of the
wrong shape are a 400 (or a 404) in Harbor's error JSON, never a 500."""
from __future__ import annotations

import pytest

from registry.api.paging import MAX_PAGE, MAX_SIZE
from registry.core.quotas import MAX_STORAGE_LIMIT
from registry.core.robots import MAX_DURATION_DAYS
from tests.api.conftest import unique

NOT_INTEGERS = [True, False, 1.5, 1e3, "10", [1], {"n": 1}]
OUT_OF_RANGE = [2**63, 2**70, -2, -(2**63), -(2**70)]
NOT_ASCII_DIGITS = ["²", "１", "٣", "𝟗", "1²"]


def assert_bad_request(response, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["code"] == ("BAD_REQUEST" if status == 400 else "NOT_FOUND")
    assert error["message"]


def limit_of(admin, project: str) -> int:
    return admin.get(f"/projects/{project}").json()["storage_limit"]


@pytest.mark.parametrize("value", OUT_OF_RANGE + NOT_INTEGERS)
def test_a_new_project_storage_limit_outside_int64_or_not_an_integer_is_refused(admin, value):
    name = unique()
    assert_bad_request(admin.post("/projects", json={"project_name": name, "storage_limit": value}))
    assert admin("HEAD", "/projects", params={"project_name": name}).status_code == 404


def test_storage_limits_up_to_int64_are_taken(admin):
    name = unique()
    assert admin.post("/projects", json={"project_name": name, "storage_limit": MAX_STORAGE_LIMIT}).status_code == 201
    assert limit_of(admin, name) == MAX_STORAGE_LIMIT
    assert admin.put(f"/projects/{name}", json={"storage_limit": 0}).status_code == 200
    assert limit_of(admin, name) == 0


@pytest.mark.parametrize("value", OUT_OF_RANGE + [True, 1.5, "10"])
def test_a_changed_project_storage_limit_is_checked_before_anything_changes(admin, project, value):
    response = admin.put(f"/projects/{project}", json={"metadata": {"public": "true"}, "storage_limit": value})
    assert_bad_request(response)
    shown = admin.get(f"/projects/{project}").json()
    assert shown["metadata"]["public"] == "false" and shown["storage_limit"] == -1


@pytest.mark.parametrize("value", OUT_OF_RANGE + [True, 1.5, "10", None])
def test_a_quota_outside_int64_or_not_an_integer_is_refused(admin, project, value):
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    assert_bad_request(admin.put(f"/quotas/{project_id}", json={"hard": {"storage": value}}))
    assert admin.put(f"/quotas/{project_id}", json={"hard": {"storage": MAX_STORAGE_LIMIT}}).status_code == 200
    assert admin.get(f"/quotas/{project_id}").json()["hard"]["storage"] == MAX_STORAGE_LIMIT


def robot_body(duration) -> dict:
    return {"name": unique("r"), "level": "system", "duration": duration,
            "permissions": [{"kind": "project", "namespace": "*", "access": [{"resource": "repository",
                                                                                  "action": "pull"}]}]}


@pytest.mark.parametrize("value", [MAX_DURATION_DAYS + 1, 10**15, 2**63, 2**70, -2] + NOT_INTEGERS)
def test_a_robot_duration_outside_its_range_or_not_an_integer_is_refused(admin, value):
    assert_bad_request(admin.post("/robots", json=robot_body(value)))


def test_robot_durations_up_to_the_maximum_are_taken_and_checked_on_update(admin):
    created = admin.post("/robots", json=robot_body(MAX_DURATION_DAYS))
    assert created.status_code == 201, created.text
    robot_id = created.json()["id"]
    assert admin.get(f"/robots/{robot_id}").json()["duration"] == MAX_DURATION_DAYS
    for value in (10**15, 2**70, True, 2.5, "30"):
        assert_bad_request(admin.put(f"/robots/{robot_id}", json={"duration": value}))
    assert admin.put(f"/robots/{robot_id}", json={"duration": 30}).status_code == 200
    assert admin.get(f"/robots/{robot_id}").json()["duration"] == 30


@pytest.mark.parametrize("digits", NOT_ASCII_DIGITS)
def test_ids_in_paths_are_ascii_digits(admin, project, digits):
    for path in (f"/users/{digits}", f"/robots/{digits}", f"/quotas/{digits}", f"/projects/{project}/members/{digits}",
                 f"/projects/{project}/webhook/policies/{digits}", f"/users/{digits}/password"):
        method = admin.put if path.endswith("/password") else admin.get
        assert_bad_request(method(path, json={"new_password": "Another-Pass-1"}))
    # A project is named or numbered with ASCII only: no route takes anything else.
    for method in (admin.get, admin.put, admin.delete):
        assert_bad_request(method(f"/projects/{digits}", json={}), 404)
    assert_bad_request(admin.get(f"/projects/{digits}/summary"), 404)


@pytest.mark.parametrize("raw", ["99999999999999999999", str(2**63), "0", "-1", "1.0", " 1", "1\n"])
def test_ids_in_paths_are_positive_64_bit_integers(admin, raw):
    for path in (f"/users/{raw}", f"/robots/{raw}", f"/quotas/{raw}"):
        assert_bad_request(admin.get(path))


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS + ["0", "-1", str(2**63), "99999999999999999999"])
def test_paging_parameters_are_ascii_digits_within_bounds(admin, raw):
    for path in ("/projects", "/users", "/robots", "/quotas", "/audit-logs", "/repositories"):
        assert_bad_request(admin.get(path, params={"page": raw}))
        assert_bad_request(admin.get(path, params={"page_size": raw}))


def test_the_largest_page_is_an_empty_one(admin):
    found = admin.get("/projects", params={"page": MAX_PAGE, "page_size": MAX_SIZE})
    assert found.status_code == 200 and found.json() == []
    assert_bad_request(admin.get("/projects", params={"page": MAX_PAGE + 1}))


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS + ["0", str(2**63)])
def test_a_robot_listing_names_its_project_by_a_valid_id(admin, raw):
    assert_bad_request(admin.get("/robots", params={"q": f"Level=project,ProjectID={raw}"}))


@pytest.mark.parametrize("user_id", [2**63, 2**70, 0, -1, True, 1.5, "1"])
def test_a_member_named_by_an_impossible_user_id_is_refused(admin, project, user_id):
    response = admin.post(f"/projects/{project}/members", json={"role_id": 2, "member_user": {"user_id": user_id}})
    assert_bad_request(response)


@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", " abc", "ABC", "a" * 256])
def test_a_project_name_is_exactly_the_naming_rule(admin, name):
    assert_bad_request(admin.post("/projects", json={"project_name": name}))


def test_a_robot_name_is_exactly_the_naming_rule(admin):
    body = robot_body(-1)
    assert_bad_request(admin.post("/robots", json={**body, "name": body["name"] + "\n"}))


@pytest.mark.parametrize("level", ["project", "system"])
@pytest.mark.parametrize("permission", [
    {"kind": "project", "namespace": ["library"], "access": []},
    {"kind": "project", "namespace": {"name": "library"}, "access": []},
    {"kind": "project", "namespace": 1, "access": [{"resource": "repository", "action": "pull"}]},
    {"kind": "project", "namespace": "library", "access": [{"resource": ["repository"], "action": "pull"}]},
])
def test_robot_permissions_name_their_namespace_and_resources_with_strings(admin, level, permission):
    body = {"name": unique("r"), "level": level, "permissions": [permission]}
    assert_bad_request(admin.post("/robots", json=body))
