"""Robot accounts at the registry door: disabled, expired, refreshed and deleted robots are refused,
and a robot keeps exactly its permissions through every grant of the token service."""
from __future__ import annotations

import sqlite3
import time

import jwt
import pytest
import requests

from tests.auth.conftest import Secured
from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient, error_codes


def _api(secured: Secured, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{secured.server.url}/api/v2.0{path}", auth=ADMIN,
                            timeout=10, **kwargs)


def _robot(secured: Secured, name: str, actions: tuple[str, ...] = ("pull",)) -> dict:
    body = {"name": name, "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": "team",
                             "access": [{"resource": "repository", "action": a} for a in actions]}]}
    created = _api(secured, "POST", "/robots", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def _pulls(secured: Secured, name: str, secret: str) -> int:
    return RegistryClient(secured.server.url, (name, secret)).get("/v2/team/app/manifests/v1").status_code


def _token(secured: Secured, name: str, secret: str) -> int:
    return requests.get(f"{secured.server.url}/service/token", params={"scope": "repository:team/app:pull"},
                        auth=(name, secret), timeout=10).status_code


def test_disable_and_enable(secured):
    robot = _robot(secured, "toggled")
    assert _pulls(secured, robot["name"], robot["secret"]) == 200
    assert _api(secured, "PUT", f"/robots/{robot['id']}", json={"disable": True}).status_code == 200
    assert _pulls(secured, robot["name"], robot["secret"]) == 401
    assert _token(secured, robot["name"], robot["secret"]) == 401
    assert _api(secured, "PUT", f"/robots/{robot['id']}", json={"disable": False}).status_code == 200
    assert _pulls(secured, robot["name"], robot["secret"]) == 200


def test_expired_robot_is_refused(secured):
    robot = _robot(secured, "shortlived")
    assert _token(secured, robot["name"], robot["secret"]) == 200
    with sqlite3.connect(secured.server.data_dir / "berth.db") as db:  # let the robot's time run out
        db.execute("UPDATE robots SET expires_at = ? WHERE id = ?", (int(time.time()) - 10, robot["id"]))
    time.sleep(1.2)  # this server remembers a verified credential for one second
    assert _token(secured, robot["name"], robot["secret"]) == 401
    assert _pulls(secured, robot["name"], robot["secret"]) == 401


def test_refreshed_secret_replaces_the_old_one(secured):
    robot = _robot(secured, "refreshed")
    refreshed = _api(secured, "PATCH", f"/robots/{robot['id']}", json={})
    assert refreshed.status_code == 200
    new_secret = refreshed.json()["secret"]
    assert _pulls(secured, robot["name"], new_secret) == 200
    old = RegistryClient(secured.server.url, (robot["name"], robot["secret"])).get("/v2/team/app/manifests/v1")
    assert old.status_code == 401 and error_codes(old) == ["UNAUTHORIZED"]


def test_deleted_robot_is_refused(secured):
    robot = _robot(secured, "removed")
    assert _pulls(secured, robot["name"], robot["secret"]) == 200
    assert _api(secured, "DELETE", f"/robots/{robot['id']}").status_code == 200
    assert _pulls(secured, robot["name"], robot["secret"]) == 401


def _post_token(secured: Secured, **form: str) -> requests.Response:
    return requests.post(f"{secured.server.url}/service/token", timeout=10,
                         data={"service": "harbor-registry", "client_id": "tests", **form})


def _password_grant(secured: Secured, robot: dict, scope: str) -> requests.Response:
    return _post_token(secured, grant_type="password", username=robot["name"], password=robot["secret"],
                       scope=scope, access_type="offline")


def _access(secured: Secured, token: str) -> list[dict]:
    return jwt.decode(token, options={"verify_signature": False})["access"]


def _set_expiry(secured: Secured, robot: dict, expires_at: int) -> None:
    with sqlite3.connect(secured.server.data_dir / "berth.db") as db:
        db.execute("UPDATE robots SET expires_at = ? WHERE id = ?", (expires_at, robot["id"]))


@pytest.mark.parametrize("actions, granted", [(("pull",), ["pull"]), (("pull", "push"), ["pull", "push"])])
def test_refresh_grant_keeps_exactly_the_robots_permissions(secured, actions, granted):
    robot = _robot(secured, f"refresher{len(actions)}", actions)
    scope = "repository:team/app:pull,push,delete"
    first = _password_grant(secured, robot, scope)
    assert first.status_code == 200, first.text
    assert _access(secured, first.json()["access_token"]) == [
        {"type": "repository", "name": "team/app", "actions": granted}]
    again = _post_token(secured, grant_type="refresh_token", refresh_token=first.json()["refresh_token"], scope=scope)
    assert again.status_code == 200, again.text
    token = again.json()["access_token"]
    assert _access(secured, token) == [{"type": "repository", "name": "team/app", "actions": granted}]
    assert again.json()["scope"] == f"repository:team/app:{','.join(granted)}"
    pulled = requests.get(f"{secured.server.url}/v2/team/app/manifests/v1",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert pulled.status_code == 200
    # Nothing beyond its permissions: not another project, not delete.
    other = _post_token(secured, grant_type="refresh_token", refresh_token=first.json()["refresh_token"],
                        scope="repository:other/db:pull")
    assert _access(secured, other.json()["access_token"])[0]["actions"] == []


def _every_grant(secured: Secured, robot: dict, refresh_token: str) -> list[int]:
    scope = "repository:team/app:pull"
    return [_token(secured, robot["name"], robot["secret"]),
            _password_grant(secured, robot, scope).status_code,
            _post_token(secured, grant_type="refresh_token", refresh_token=refresh_token, scope=scope).status_code]


def test_disabled_robot_is_refused_at_every_grant(secured):
    robot = _robot(secured, "disabledgrants")
    refresh_token = _password_grant(secured, robot, "repository:team/app:pull").json()["refresh_token"]
    assert _every_grant(secured, robot, refresh_token) == [200, 200, 200]
    assert _api(secured, "PUT", f"/robots/{robot['id']}", json={"disable": True}).status_code == 200
    assert _every_grant(secured, robot, refresh_token) == [401, 401, 401]
    assert _api(secured, "PUT", f"/robots/{robot['id']}", json={"disable": False}).status_code == 200
    assert _every_grant(secured, robot, refresh_token) == [200, 200, 200]


def test_expired_robot_is_refused_at_every_grant(secured):
    robot = _robot(secured, "expiredgrants")
    refresh_token = _password_grant(secured, robot, "repository:team/app:pull").json()["refresh_token"]
    _set_expiry(secured, robot, int(time.time()) - 10)
    time.sleep(1.2)  # this server remembers a verified credential for one second
    assert _every_grant(secured, robot, refresh_token) == [401, 401, 401]


def test_remembered_login_never_outlives_the_robot(fresh_berth):
    server = fresh_berth(settings={"auth": {"credential_cache_seconds": 600}})
    secured = Secured(server)
    add_project(server, "team")
    robot = _robot(secured, "brief")
    _set_expiry(secured, robot, int(time.time()) + 2)
    assert _token(secured, robot["name"], robot["secret"]) == 200
    time.sleep(3)
    assert _token(secured, robot["name"], robot["secret"]) == 401
    assert _pulls(secured, robot["name"], robot["secret"]) == 401
