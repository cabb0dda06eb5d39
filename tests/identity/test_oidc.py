"""OpenID Connect sign-in against a real provider on loopback: the authorization-code flow
with PKCE, state and nonce; accounts made at first sign-in; CLI secrets as passwords for
the token endpoint and /v2/; groups and the admin group; access ending after the provider
revokes the user; local accounts untouched and winning name clashes."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from tests.api.conftest import Api, error_code, unique, wait_for
from tests.conftest import ADMIN
from tests.identity.conftest import oidc_server, oidc_sign_in
from tests.support.oidc_provider import OidcProvider
from tests.support.server import BerthServer


@pytest.fixture(scope="module")
def server(provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory):
    berth = oidc_server(provider, tmp_path_factory.mktemp("oidc") / "data", provider_refresh_seconds=2,
                        credential_cache_seconds=1).start()
    yield berth
    berth.stop()


@pytest.fixture(scope="module")
def admin(server: BerthServer) -> Api:
    return Api(server.url, ADMIN)


def me(server: BerthServer, session: requests.Session) -> requests.Response:
    return session.get(f"{server.url}/api/v2.0/users/current", timeout=10)


def actions(server: BerthServer, name: str, secret: str, scope: str) -> list[str] | int:
    answer = requests.get(f"{server.url}/service/token", params={"service": "harbor-registry", "scope": scope},
                          auth=(name, secret), timeout=10)
    if answer.status_code != 200:
        return answer.status_code
    return sorted(jwt.decode(answer.json()["token"], options={"verify_signature": False})["access"][0]["actions"])


def test_systeminfo_names_the_provider(server: BerthServer):
    info = requests.get(f"{server.url}/api/v2.0/systeminfo", timeout=10).json()
    assert info["auth_mode"] == "oidc_auth" and info["oidc_provider_name"] == "TestID"


def test_the_browser_flow_signs_in_with_pkce_and_makes_the_account(server: BerthServer, admin: Api):
    assert admin.get("/users", params={"username": "oscar"}).json() == []
    session, authorize = oidc_sign_in(server, "sub-oscar")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0] and "offline_access" in query["scope"][0].split()
    assert session.last_answer.status_code == 200
    user = me(server, session).json()
    assert (user["username"], user["email"], user["realname"]) == ("oscar", "oscar@berth.test", "Oscar Oidc")
    assert user["oidc_user_meta"]["subiss"].endswith("|sub-oscar") and len(user["oidc_user_meta"]["secret"]) >= 32
    assert [u["username"] for u in admin.get("/users", params={"username": "oscar"}).json()] == ["oscar"]
    assert wait_for(lambda: admin.get("/audit-logs", params={"q": "operation=login,resource=oscar"}).json())


def test_the_callback_refuses_a_forged_or_foreign_sign_in(server: BerthServer, admin: Api):
    session = requests.Session()
    start = session.get(f"{server.url}/c/oidc/login", allow_redirects=False, timeout=10)
    consent = session.post(start.headers["Location"], data={"sub": "sub-paula"}, allow_redirects=False, timeout=10)
    callback = consent.headers["Location"]
    forged = session.get(callback.replace("state=", "state=x"), timeout=10)
    assert forged.status_code == 401 and "sid" not in forged.cookies
    stranger = requests.get(callback, timeout=10)  # no pending-sign-in cookie: not started by this browser
    assert stranger.status_code == 401 and "sid" not in stranger.cookies
    denied = requests.get(f"{server.url}/c/oidc/callback", params={"error": "access_denied"}, timeout=10)
    assert denied.status_code == 401 and "access_denied" in denied.text
    failed = wait_for(lambda: len(admin.get("/audit-logs", params={"q": "operation=login_failed,resource=oidc",
                                                                   "page_size": 100}).json()) >= 3)
    assert failed


def test_the_cli_secret_is_a_password_for_clients_and_can_be_regenerated(server: BerthServer):
    session, _ = oidc_sign_in(server, "sub-quinn")
    user = me(server, session).json()
    secret = user["oidc_user_meta"]["secret"]
    assert actions(server, "quinn", secret, "repository:library/x:pull") == ["pull"]
    assert requests.get(f"{server.url}/v2/", auth=("quinn", secret), timeout=10).status_code == 200
    assert actions(server, "quinn", "Wrong-Secret-1", "repository:library/x:pull") == 401
    weak = session.put(f"{server.url}/api/v2.0/users/{user['user_id']}/cli_secret", json={"secret": "short"},
                       timeout=10)
    assert weak.status_code == 400 and error_code(weak) == "BAD_REQUEST"
    renewed = session.put(f"{server.url}/api/v2.0/users/{user['user_id']}/cli_secret", json={}, timeout=10)
    assert renewed.status_code == 200
    fresh = renewed.json()["secret"]
    assert fresh != secret and me(server, session).json()["oidc_user_meta"]["secret"] == fresh
    assert actions(server, "quinn", secret, "repository:library/x:pull") == 401
    assert actions(server, "quinn", fresh, "repository:library/x:pull") == ["pull"]
    other = session.put(f"{server.url}/api/v2.0/users/1/cli_secret", json={}, timeout=10)
    assert other.status_code == 403
    admin_has_none = Api(server.url, ADMIN).put("/users/1/cli_secret", json={})
    assert admin_has_none.status_code == 412


def test_groups_from_the_claim_are_project_members(server: BerthServer, admin: Api):
    project = unique()
    admin.post("/projects", json={"project_name": project})
    added = admin.post(f"/projects/{project}/members",
                       json={"role_id": 2, "member_group": {"group_type": 3, "group_name": "devs"}})
    assert added.status_code == 201, added.text
    scope = f"repository:{project}/app:pull,push"
    oscar, _ = oidc_sign_in(server, "sub-oscar")
    paula, _ = oidc_sign_in(server, "sub-paula")
    assert actions(server, "oscar", me(server, oscar).json()["oidc_user_meta"]["secret"], scope) == ["pull", "push"]
    assert actions(server, "paula", me(server, paula).json()["oidc_user_meta"]["secret"], scope) == []
    assert paula.get(f"{server.url}/api/v2.0/projects/{project}", timeout=10).status_code == 403


def test_the_admin_group_makes_system_admins(server: BerthServer):
    root, _ = oidc_sign_in(server, "sub-root")
    assert me(server, root).json()["admin_role_in_auth"] is True
    assert root.get(f"{server.url}/api/v2.0/users", timeout=10).status_code == 200
    paula, _ = oidc_sign_in(server, "sub-paula")
    assert paula.get(f"{server.url}/api/v2.0/users", timeout=10).status_code == 403


def test_a_local_account_keeps_its_name(server: BerthServer, admin: Api):
    assert admin.post("/users", json={"username": "lena", "password": "Lena-Local-1"}).status_code == 201
    session, _ = oidc_sign_in(server, "sub-lena")
    assert session.last_answer.status_code == 401 and "belongs to a local account" in session.last_answer.text
    assert me(server, session).status_code == 401
    assert Api(server.url, ("lena", "Lena-Local-1")).get("/users/current").json()["username"] == "lena"


def test_a_user_revoked_at_the_provider_loses_access_within_the_refresh_time(server: BerthServer,
                                                                               provider: OidcProvider):
    provider.set_user("sub-vera", preferred_username="vera", groups=["devs"])
    session, _ = oidc_sign_in(server, "sub-vera")
    secret = me(server, session).json()["oidc_user_meta"]["secret"]
    time.sleep(2.5)  # past provider_refresh_seconds: the next use redeems the refresh token
    assert actions(server, "vera", secret, "repository:library/x:pull") == ["pull"]
    assert me(server, session).status_code == 200
    provider.revoke("sub-vera")
    time.sleep(2.5)
    assert actions(server, "vera", secret, "repository:library/x:pull") == 401
    assert me(server, session).status_code == 401
    assert Api(server.url, ADMIN).get("/users/current").status_code == 200
