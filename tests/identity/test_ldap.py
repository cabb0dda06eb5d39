"""Directory users sign in against a real slapd wherever local users do (API, token
endpoint, /v2/ Basic, the web UI's form), get accounts on first sign-in, and reach
projects through their LDAP groups; local accounts keep working and win name clashes."""
from __future__ import annotations

import socket
import time

import jwt
import pytest
import requests

from tests.api.conftest import Api, error_code, unique, wait_for
from tests.conftest import ADMIN
from tests.identity.conftest import ADMINS, DEVELOPERS, GUESTS, PASSWORDS
from tests.support.server import BerthServer
from tests.support.slapd import Slapd


@pytest.fixture(scope="module")
def server(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory):
    berth = BerthServer(tmp_path_factory.mktemp("ldap") / "data",
                        settings={"ldap": slapd.settings(group_admin_dn=ADMINS)}).start()
    yield berth
    berth.stop()


@pytest.fixture(scope="module")
def admin(server: BerthServer) -> Api:
    return Api(server.url, ADMIN)


def as_user(server: BerthServer, name: str, password: str | None = None) -> Api:
    return Api(server.url, (name, PASSWORDS[name] if password is None else password))


def token(server: BerthServer, name: str, password: str, scope: str) -> requests.Response:
    return requests.get(f"{server.url}/service/token", params={"service": "harbor-registry", "scope": scope},
                        auth=(name, password), timeout=10)


def test_a_directory_user_signs_in_everywhere_and_gets_an_account(server: BerthServer, admin: Api):
    assert admin.get("/users", params={"username": "alice"}).json() == []
    me = as_user(server, "alice").get("/users/current")
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice" and me.json()["email"] == "alice@berth.test"
    assert me.json()["realname"] == "Alice Liddell" and me.json()["sysadmin_flag"] is False
    assert [u["username"] for u in admin.get("/users", params={"username": "alice"}).json()] == ["alice"]

    assert token(server, "alice", PASSWORDS["alice"], "repository:library/x:pull").status_code == 200
    assert requests.get(f"{server.url}/v2/", auth=("alice", PASSWORDS["alice"]), timeout=10).status_code == 200
    form = requests.post(f"{server.url}/c/login", data={"principal": "alice", "password": PASSWORDS["alice"]},
                         timeout=10)
    assert form.status_code == 200 and "sid" in form.cookies
    assert requests.get(f"{server.url}/api/v2.0/users/current", cookies=form.cookies,
                        timeout=10).json()["username"] == "alice"

    wrong = as_user(server, "alice", "Wrong-Pass-1").get("/users/current")
    assert wrong.status_code == 401 and error_code(wrong) == "UNAUTHORIZED"
    assert as_user(server, "alice", "").get("/users/current").status_code == 401  # no anonymous bind
    logins = wait_for(lambda: [e for e in admin.get("/audit-logs", params={"q": "operation=login,resource=alice"}
                                                    ).json() if e["resource_type"] == "ldap"])
    assert logins, "a directory login is audited with its source"
    assert wait_for(lambda: admin.get("/audit-logs", params={"q": "operation=login_failed,resource=alice"}).json())


def test_a_directory_user_cannot_change_their_password_in_berth(server: BerthServer):
    alice = as_user(server, "alice")
    user_id = alice.get("/users/current").json()["user_id"]
    refused = alice.put(f"/users/{user_id}/password",
                        json={"old_password": PASSWORDS["alice"], "new_password": "New-Pass-123"})
    assert refused.status_code == 412


def test_group_roles_decide_what_directory_users_may_do(server: BerthServer, admin: Api):
    project = unique()
    assert admin.post("/projects", json={"project_name": project}).status_code == 201
    made = admin.post("/usergroups", json={"group_name": "developers", "group_type": 1, "ldap_group_dn": DEVELOPERS})
    assert made.status_code == 201, made.text
    group_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert admin.get(f"/usergroups/{group_id}").json()["ldap_group_dn"] == DEVELOPERS
    added = admin.post(f"/projects/{project}/members", json={"role_id": 2, "member_group": {"id": group_id}})
    assert added.status_code == 201, added.text
    again = admin.post(f"/projects/{project}/members", json={"role_id": 2, "member_group": {"id": group_id}})
    assert again.status_code == 409
    members = admin.get(f"/projects/{project}/members").json()
    assert [(m["entity_name"], m["entity_type"], m["role_name"]) for m in members] == [
        ("admin", "u", "projectAdmin"), ("developers", "g", "developer")]

    scope = f"repository:{project}/app:pull,push"
    granted = token(server, "alice", PASSWORDS["alice"], scope).json()
    claims = jwt.decode(granted["token"], options={"verify_signature": False})
    assert sorted(claims["access"][0]["actions"]) == ["pull", "push"]
    bob = jwt.decode(token(server, "bob", PASSWORDS["bob"], scope).json()["token"],
                     options={"verify_signature": False})
    assert bob["access"][0]["actions"] == []
    assert project in [p["name"] for p in as_user(server, "alice").get("/projects").json()]
    assert project not in [p["name"] for p in as_user(server, "bob").get("/projects").json()]

    member_id = next(m["id"] for m in members if m["entity_type"] == "g")
    assert admin.put(f"/projects/{project}/members/{member_id}", json={"role_id": 3}).status_code == 200
    assert admin.get(f"/projects/{project}/members/{member_id}").json()["role_name"] == "guest"
    assert admin.delete(f"/projects/{project}/members/{member_id}").status_code == 200
    assert admin.get(f"/projects/{project}/members/{member_id}").status_code == 404


def test_the_group_admin_dn_makes_system_admins(server: BerthServer):
    dave = as_user(server, "dave")
    assert dave.get("/users/current").json()["admin_role_in_auth"] is True
    assert dave.get("/users").status_code == 200
    assert as_user(server, "bob").get("/users").status_code == 403


def test_a_local_account_wins_over_a_directory_user_of_the_same_name(server: BerthServer, admin: Api):
    assert admin.post("/users", json={"username": "carol", "password": "Carol-Local-1"}).status_code == 201
    assert as_user(server, "carol", "Carol-Local-1").get("/users/current").status_code == 200
    assert as_user(server, "carol", PASSWORDS["carol"]).get("/users/current").status_code == 401
    imported = admin.post("/ldap/users/import", json={"ldap_uid_list": ["carol"]})
    assert imported.status_code == 404 and imported.json()["errors"][0]["message"].endswith(": carol")


def test_ldap_endpoints(server: BerthServer, admin: Api, slapd: Slapd):
    assert admin.post("/ldap/ping").json() == {"success": True}
    bad = admin.post("/ldap/ping", json={"ldap_search_password": "wrong"})
    assert bad.status_code == 503 and error_code(bad) == "UNAVAILABLE"
    assert admin.post("/ldap/ping", json={"ldap_timeout": "soon"}).status_code == 400
    assert admin.post("/ldap/ping", json={"oidc_name": "x"}).status_code == 400
    found = admin.get("/ldap/users/search", params={"username": "ali"}).json()
    assert found == [{"username": "alice", "realname": "Alice Liddell", "email": "alice@berth.test"}]
    groups = admin.get("/ldap/groups/search", params={"groupname": "guest"}).json()
    assert groups == [{"group_name": "guests", "ldap_group_dn": GUESTS, "group_type": 1}]
    assert admin.get("/ldap/groups/search", params={"groupdn": DEVELOPERS}).json()[0]["group_name"] == "developers"
    assert admin.post("/ldap/users/import", json={"ldap_uid_list": ["erin"]}).status_code == 200
    assert [u["username"] for u in admin.get("/users", params={"username": "erin"}).json()] == ["erin"]
    assert admin.post("/ldap/users/import", json={"ldap_uid_list": []}).status_code == 400
    assert admin.post("/ldap/users/import", json={"ldap_uid_list": ["nobody"]}).status_code == 404
    assert as_user(server, "bob").post("/ldap/ping").status_code == 403
    assert Api(server.url, None).get("/ldap/users/search").status_code == 401


def test_configurations_are_for_admins_and_keep_secrets(server: BerthServer, admin: Api, slapd: Slapd):
    settings = admin.get("/configurations")
    assert settings.status_code == 200
    body = settings.json()
    assert body["ldap_url"]["value"] == slapd.url and body["auth_mode"]["value"] == "ldap_auth"
    assert "ldap_search_password" not in body and "oidc_client_secret" not in body
    assert "Reader-Secret-1" not in settings.text
    assert as_user(server, "bob").get("/configurations").status_code == 403
    assert as_user(server, "bob").put("/configurations", json={"ldap_timeout": 4}).status_code == 403
    assert Api(server.url, None).get("/configurations").status_code == 401
    for bad in ({"ldap_timeout": "4"}, {"ldap_scope": 7}, {"ldap_url": "http://x"}, {"auth_mode": "db_auth"},
                {"nonsense": 1}, {"oidc_auto_onboard": "yes"}):
        refused = admin.put("/configurations", json=bad)
        assert refused.status_code == 400 and error_code(refused) == "BAD_REQUEST", bad
    assert admin.put("/configurations", data="[", headers={"Content-Type": "application/json"}).status_code == 400
    assert admin.put("/configurations", json={"ldap_timeout": 4}).status_code == 200
    assert admin.get("/configurations").json()["ldap_timeout"]["value"] == 4
    assert requests.get(f"{server.url}/api/v2.0/systeminfo", timeout=10).json()["auth_mode"] == "ldap_auth"
    assert "Reader-Secret-1" not in server.log(10**7)


def test_usergroups_bad_input(server: BerthServer, admin: Api):
    for bad in ({"group_type": 9, "ldap_group_dn": "cn=x"}, {"group_type": 1}, {"group_type": "1"},
                {"group_type": 1, "ldap_group_dn": 5}):
        refused = admin.post("/usergroups", json=bad)
        assert refused.status_code == 400 and error_code(refused) == "BAD_REQUEST", bad
    assert admin.get("/usergroups/99999").status_code == 404
    assert admin.put("/usergroups/99999", json={"group_name": "x"}).status_code == 404
    assert admin.get("/usergroups/0").status_code == 400
    assert as_user(server, "bob").post("/usergroups", json={"group_type": 1, "ldap_group_dn": GUESTS}).status_code == 403
    assert as_user(server, "bob").get("/usergroups/search", params={"groupname": "dev"}).status_code == 200


def test_removed_users_and_group_members_lose_access_within_the_cache_lifetimes(slapd: Slapd, fresh_berth):
    server = fresh_berth(settings={"ldap": slapd.settings(), "auth": {"credential_cache_seconds": 1,
                                                                       "provider_refresh_seconds": 2}})
    admin = Api(server.url, ADMIN)
    project = unique()
    admin.post("/projects", json={"project_name": project})
    admin.post(f"/projects/{project}/members", json={"role_id": 2, "member_group": {
        "group_type": 1, "ldap_group_dn": DEVELOPERS}})
    scope = f"repository:{project}/app:pull,push"

    def actions() -> list[str]:
        answer = token(server, "erin", PASSWORDS["erin"], scope)
        if answer.status_code != 200:
            return [f"refused {answer.status_code}"]
        return sorted(jwt.decode(answer.json()["token"], options={"verify_signature": False})["access"][0]["actions"])

    assert actions() == ["pull", "push"]
    session = requests.post(f"{server.url}/c/login", data={"principal": "erin", "password": PASSWORDS["erin"]},
                            timeout=10).cookies
    assert requests.get(f"{server.url}/api/v2.0/projects/{project}", cookies=session, timeout=10).status_code == 200
    slapd.modify(f"dn: {DEVELOPERS}\nchangetype: modify\ndelete: member\nmember: uid=erin,ou=people,dc=berth,dc=test\n")
    time.sleep(2.5)
    assert actions() == []
    assert requests.get(f"{server.url}/api/v2.0/projects/{project}", cookies=session, timeout=10).status_code == 403
    slapd.delete("uid=erin,ou=people,dc=berth,dc=test")
    time.sleep(2.5)
    assert actions() == ["refused 401"]
    assert requests.get(f"{server.url}/api/v2.0/users/current", cookies=session, timeout=10).status_code == 401


def test_a_directory_that_is_down_or_silent_locks_out_no_local_account(slapd: Slapd, fresh_berth):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections and never answers
    server = fresh_berth(settings={"ldap": slapd.settings(timeout=2)})
    admin = Api(server.url, ADMIN)
    assert admin.post("/users", json={"username": "local1", "password": "Local-Pass-1"}).status_code == 201
    assert as_user(server, "alice").get("/users/current").status_code == 200  # verified and cached
    try:
        url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        assert admin.put("/configurations", json={"ldap_url": url}).status_code == 200
        started = time.monotonic()
        refused = as_user(server, "bob").get("/users/current")
        assert refused.status_code == 401 and "cannot be reached" in refused.json()["errors"][0]["message"]
        assert time.monotonic() - started < 10
        assert as_user(server, "local1", "Local-Pass-1").get("/users/current").status_code == 200
        assert admin.get("/users/current").status_code == 200
        assert token(server, *ADMIN, "repository:library/x:pull").status_code == 200
        unreachable = admin.post("/ldap/users/import", json={"ldap_uid_list": ["erin"]})
        assert unreachable.status_code == 503 and error_code(unreachable) == "UNAVAILABLE"
    finally:
        silent.close()
