"""A repository's description, the caller's permissions and the storage volume, as Harbor
answers them, with bad input refused in Harbor's error JSON."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_code


def test_put_repository_sets_its_description(admin, user, project, image_in):
    image_in(f"{project}/app")
    path = f"/projects/{project}/repositories/app"
    before = admin.get(path).json()
    assert before["description"] == ""
    assert admin.put(path, json={"description": "The app, built nightly"}).status_code == 200
    after = admin.get(path).json()
    assert after["description"] == "The app, built nightly" and after["update_time"] >= before["update_time"]
    listed = admin.get(f"/projects/{project}/repositories", params={"q": "description=~nightly"}).json()
    assert [r["name"] for r in listed] == [f"{project}/app"]
    developer, _ = user(project, 2)
    assert developer.put(path, json={"description": "by a developer"}).status_code == 200
    guest, _ = user(project, 3)
    refused = guest.put(path, json={"description": "by a guest"})
    assert refused.status_code == 403 and error_code(refused) == "FORBIDDEN"
    assert admin.get(path).json()["description"] == "by a developer"


@pytest.mark.parametrize("body", [{"description": 3}, {"description": None}, {}, [], "x"])
def test_put_repository_refuses_bad_bodies(admin, project, image_in, body):
    image_in(f"{project}/app")
    response = admin.put(f"/projects/{project}/repositories/app", json=body)
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST", response.text


def test_put_on_a_missing_repository_is_404(admin, project):
    response = admin.put(f"/projects/{project}/repositories/none", json={"description": "x"})
    assert response.status_code == 404 and error_code(response) == "NOT_FOUND"


def test_users_current(admin, anon, user):
    me = admin.get("/users/current").json()
    assert me["username"] == "admin" and me["sysadmin_flag"] is True and isinstance(me["user_id"], int)
    assert anon.get("/users/current").status_code == 401


def test_permissions_follow_the_role_in_a_project(admin, anon, user, project):
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    scope = f"/project/{project_id}"
    guest, _ = user(project, 3)
    maintainer, _ = user(project, 4)
    pairs = lambda api, **p: {(x["resource"], x["action"])  # noqa: E731
                              for x in api.get("/users/current/permissions", params={"scope": scope, **p}).json()}
    seen = pairs(guest, relative="true")
    assert ("repository", "pull") in seen and ("repository", "push") not in seen
    assert ("repository", "push") in pairs(maintainer, relative="true")
    assert (f"{scope}/repository", "pull") in pairs(guest)
    outsider, _ = user()
    assert pairs(outsider) == set()
    assert ("member", "create") in pairs(admin, relative="true")
    system = {(x["resource"], x["action"]) for x in
              admin.get("/users/current/permissions", params={"scope": "/system", "relative": "true"}).json()}
    assert ("user", "create") in system
    assert ("user", "create") not in {(x["resource"], x["action"]) for x in guest.get(
        "/users/current/permissions", params={"scope": "/system", "relative": "true"}).json()}
    assert admin.get("/users/current/permissions").json() == []  # no scope, nothing (Harbor: null)
    assert anon.get("/users/current/permissions", params={"scope": scope}).status_code == 401
    bad = admin.get("/users/current/permissions", params={"scope": scope, "relative": "maybe"})
    assert bad.status_code == 400 and error_code(bad) == "BAD_REQUEST"


def test_volumes_for_admins_only(admin, anon, user):
    found = admin.get("/systeminfo/volumes")
    assert found.status_code == 200, found.text
    (volume,) = found.json()["storage"]
    assert volume["total"] >= volume["free"] > 0
    someone, _ = user()
    assert someone.get("/systeminfo/volumes").status_code == 403
    assert anon.get("/systeminfo/volumes").status_code == 401
