"""Robot accounts at the registry door: disabled, expired, refreshed and deleted robots are refused."""
from __future__ import annotations

import sqlite3
import time

import requests

from tests.auth.conftest import Secured
from tests.conftest import ADMIN
from tests.support.client import RegistryClient, error_codes


def _api(secured: Secured, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{secured.server.url}/api/v2.0{path}", auth=ADMIN,
                            timeout=10, **kwargs)


def _robot(secured: Secured, name: str) -> dict:
    body = {"name": name, "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": "team",
                             "access": [{"resource": "repository", "action": "pull"}]}]}
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
