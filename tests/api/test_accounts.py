"""Users (admin), the current user, passwords, members and robot accounts."""
from __future__ import annotations

from tests.api.conftest import PASSWORD, Api, error_code, unique


def test_users_admin_crud(admin, anon, user):
    name = unique("u")
    created = admin.post("/users", json={"username": name, "password": PASSWORD, "realname": "Ann"})
    assert created.status_code == 201
    user_id = created.headers["Location"].rsplit("/", 1)[1]
    assert admin.get(f"/users/{user_id}").json()["realname"] == "Ann"
    assert error_code(admin.post("/users", json={"username": name, "password": PASSWORD})) == "CONFLICT"
    assert admin.post("/users", json={"username": unique("u"), "password": "weak"}).status_code == 400
    assert admin.post("/users", json={"username": "robot$x", "password": PASSWORD}).status_code == 400
    assert admin.post("/users", json={"password": PASSWORD}).status_code == 400
    listed = admin.get("/users", params={"username": name})
    assert [u["username"] for u in listed.json()] == [name] and listed.headers["X-Total-Count"] == "1"
    assert admin.put(f"/users/{user_id}", json={"email": "ann@example.com"}).status_code == 200
    assert admin.get(f"/users/{user_id}").json()["email"] == "ann@example.com"
    assert admin.put(f"/users/{user_id}", json={"email": 5}).status_code == 400
    other, _ = user()
    assert other.get("/users").status_code == 403
    assert other.get(f"/users/{user_id}").status_code == 403
    assert other.post("/users", json={"username": unique("u"), "password": PASSWORD}).status_code == 403
    assert anon.get("/users").status_code == 401
    assert admin.delete(f"/users/{user_id}").status_code == 200
    assert admin.get(f"/users/{user_id}").status_code == 404
    assert admin.delete(f"/users/{user_id}").status_code == 404
    assert admin.get("/users/abc").status_code == 400


def test_current_user_password_and_sysadmin(admin, anon, server, user):
    client, user_id = user()
    me = client.get("/users/current").json()
    assert me["user_id"] == user_id and me["sysadmin_flag"] is False
    assert anon.get("/users/current").status_code == 401
    assert client.get(f"/users/{user_id}").status_code == 200
    wrong = client.put(f"/users/{user_id}/password", json={"old_password": "Wrong-Pass-1", "new_password": "New-Pass-22"})
    assert wrong.status_code == 403
    assert client.put(f"/users/{user_id}/password", json={"new_password": "New-Pass-22"}).status_code == 400
    assert client.put(f"/users/{user_id}/password",
                      json={"old_password": PASSWORD, "new_password": "New-Pass-22"}).status_code == 200
    renewed = Api(server.url, (me["username"], "New-Pass-22"))
    assert renewed.get("/users/current").status_code == 200
    assert client.get("/users/current").status_code == 401  # the remembered old password is forgotten
    assert admin.put(f"/users/{user_id}/password", json={"new_password": "short"}).status_code == 400
    assert renewed.put(f"/users/{user_id}/sysadmin", json={"sysadmin_flag": True}).status_code == 403
    assert admin.put(f"/users/{user_id}/sysadmin", json={"sysadmin_flag": "yes"}).status_code == 400
    assert admin.put(f"/users/{user_id}/sysadmin", json={"sysadmin_flag": True}).status_code == 200
    assert renewed.get("/users").status_code == 200
    assert admin.put("/users/999999/sysadmin", json={"sysadmin_flag": True}).status_code == 404
    found = renewed.get("/users/search", params={"username": me["username"]}).json()
    assert found == [{"user_id": user_id, "username": me["username"]}]


def test_members(admin, user, project):
    maintainer, _ = user(project, 4)
    _, bob_id = user()
    bob = admin.get(f"/users/{bob_id}").json()["username"]
    base = f"/projects/{project}/members"
    added = admin.post(base, json={"role_id": 2, "member_user": {"username": bob}})
    assert added.status_code == 201 and added.headers["Location"].endswith(f"/members/{bob_id}")
    member = admin.get(f"{base}/{bob_id}").json()
    assert (member["entity_name"], member["role_id"], member["role_name"], member["entity_type"]) == \
        (bob, 2, "developer", "u")
    assert error_code(admin.post(base, json={"role_id": 2, "member_user": {"user_id": bob_id}})) == "CONFLICT"
    assert admin.post(base, json={"role_id": 9, "member_user": {"username": unique("x")}}).status_code == 404
    assert admin.post(base, json={"role_id": "2", "member_user": {"username": bob}}).status_code == 400
    assert admin.post(base, json={"role_id": 2, "member_user": {}}).status_code == 400
    assert maintainer.get(base).status_code == 200
    assert maintainer.post(base, json={"role_id": 1, "member_user": {"username": bob}}).status_code == 403
    assert [m["entity_name"] for m in admin.get(base, params={"entityname": bob}).json()] == [bob]
    assert admin.put(f"{base}/{bob_id}", json={"role_id": 3}).status_code == 200
    assert admin.get(f"{base}/{bob_id}").json()["role_id"] == 3
    assert admin.put(f"{base}/{bob_id}", json={"role_id": 99}).status_code == 400
    assert admin.delete(f"{base}/{bob_id}").status_code == 200
    assert admin.get(f"{base}/{bob_id}").status_code == 404
    assert admin.delete(f"{base}/{bob_id}").status_code == 404


def test_robots(admin, anon, server, user, project, registry):
    maintainer, _ = user(project, 4)
    developer, _ = user(project, 2)
    body = {"name": "ci", "level": "project", "duration": 30, "description": "CI",
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "pull"},
                                        {"resource": "repository", "action": "push"}]}]}
    created = maintainer.post("/robots", json=body)
    assert created.status_code == 201, created.text
    robot = created.json()
    assert robot["name"] == f"robot${project}+ci" and len(robot["secret"]) >= 16 and robot["expires_at"] > 0
    assert error_code(maintainer.post("/robots", json=body)) == "CONFLICT"
    assert developer.post("/robots", json={**body, "name": "dev"}).status_code == 403
    assert maintainer.post("/robots", json={**body, "level": "system", "name": "sys"}).status_code == 403
    assert anon.post("/robots", json=body).status_code == 401
    assert admin.post("/robots", json={**body, "name": "Bad Name"}).status_code == 400
    robot_api = Api(server.url, (robot["name"], robot["secret"]))
    assert robot_api.get(f"/projects/{project}").status_code == 200
    shown = maintainer.get(f"/robots/{robot['id']}").json()
    assert shown["description"] == "CI" and "secret" not in shown
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    listed = maintainer.get("/robots", params={"q": f"Level=project,ProjectID={project_id}"}).json()
    assert [r["name"] for r in listed] == [robot["name"]]
    for query, found in (("name=~ci", [robot["name"]]), ("name=~nomatch", []), (f"name={robot['name']}", [robot["name"]])):
        named = maintainer.get("/robots", params={"q": f"Level=project,ProjectID={project_id},{query}"}).json()
        assert [r["name"] for r in named] == found, query
    assert maintainer.get("/robots").status_code == 403
    assert developer.get(f"/robots/{robot['id']}").status_code == 403
    assert maintainer.put(f"/robots/{robot['id']}", json={"description": "changed", "disable": True}).status_code == 200
    assert admin.get(f"/robots/{robot['id']}").json()["disable"] is True
    assert maintainer.put(f"/robots/{robot['id']}", json={"disable": "no"}).status_code == 400
    assert maintainer.put(f"/robots/{robot['id']}", json={"disable": False}).status_code == 200
    refreshed = maintainer("PATCH", f"/robots/{robot['id']}", json={})
    assert refreshed.status_code == 200 and refreshed.json()["secret"] != robot["secret"]
    assert Api(server.url, (robot["name"], refreshed.json()["secret"])).get(f"/projects/{project}").status_code == 200
    assert maintainer.delete(f"/robots/{robot['id']}").status_code == 200
    assert admin.get(f"/robots/{robot['id']}").status_code == 404
    system = admin.post("/robots", json={"name": unique("sys"), "level": "system", "permissions": []})
    assert system.status_code == 201 and system.json()["name"].startswith("robot$")
    assert maintainer.get(f"/robots/{system.json()['id']}").status_code == 403
    assert admin.get("/robots").headers["X-Total-Count"] != "0"
