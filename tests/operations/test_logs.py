"""Logs: JSON lines, request ids on every response, no secret in any line, shutdown announced."""
from __future__ import annotations

import base64
import json
import signal

import pytest
import requests

from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image
from tests.support.server import ADMIN_PASSWORD, BerthServer

JSON_LOGS = {"auth": {"auto_create_projects": True}, "log": {"format": "json", "level": "debug"}}


def lines(server: BerthServer) -> list[dict]:
    return [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_json_access_lines_carry_the_request_fields(fresh_berth):
    server = fresh_berth(settings=JSON_LOGS)
    client = RegistryClient(server.url, ADMIN)
    client.push_image("library/logged", make_image(layers=1), "v1")
    answer = client.get("/v2/library/logged/manifests/v1", headers={"Accept": OCI_MANIFEST, "X-Request-Id": "pull-1"})
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "pull-1"
    server.stop()
    entries = lines(server)
    assert entries, server.log()
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    access = [e for e in entries if e.get("request_id") == "pull-1"]
    assert len(access) == 1
    line = access[0]
    assert line["logger"] == "berth.access" and line["level"] == "info"
    assert line["method"] == "GET" and line["route"] == "/v2/{name}/manifests/{reference}"
    assert line["path"] == "/v2/library/logged/manifests/v1"
    assert line["status"] == 200 and line["bytes"] > 0 and 0 <= line["duration"] < 10
    assert line["user"] == "admin" and line["remote"] == "127.0.0.1"
    assert any(e["message"] == "Berth stopped" for e in entries)


@pytest.mark.parametrize("sent, echoed", [
    ("abc-123", True),
    ("0f3c9a1e-7d1b-4c55-9a0e-2f6b0c2d9e11", True),
    ("x" * 129, False),           # too long
    ("evil\tvalue", False),       # a control character
    ('"quoted"; rm -rf', False),  # characters a log line should not carry
])
def test_request_id_is_echoed_when_safe_and_made_otherwise(berth, sent, echoed):
    answer = requests.get(f"{berth.url}/v2/", headers={"X-Request-Id": sent}, timeout=5)
    got = answer.headers["X-Request-Id"]
    assert (got == sent) is echoed
    assert 0 < len(got) <= 128


def test_every_response_has_a_request_id(berth):
    client = RegistryClient(berth.url, ADMIN)
    client.push_image("library/ids", make_image(layers=1), "v1")
    layer = client.get("/v2/library/ids/manifests/v1", headers={"Accept": OCI_MANIFEST}).json()["layers"][0]
    answers = [
        requests.get(f"{berth.url}/v2/", timeout=5),                                        # 401 challenge
        client.get(f"/v2/library/ids/blobs/{layer['digest']}"),                           # a file sent whole
        client.get(f"/v2/library/ids/blobs/{layer['digest']}", headers={"Range": "bytes=0-9"}),
        client.get("/v2/library/ids/manifests/nope"),                                     # 404 in OCI JSON
        requests.get(f"{berth.url}/no/such/page", timeout=5),                               # router 404
        requests.get(f"{berth.url}/api/v2.0/ping", timeout=5),
        requests.get(f"{berth.url}/", timeout=5),                                           # the web UI
    ]
    ids = [a.headers.get("X-Request-Id") for a in answers]
    assert all(ids), [(a.url, a.status_code) for a in answers]
    assert len(set(ids)) == len(ids)


def test_no_secret_reaches_the_log(fresh_berth):
    """Logins, token requests, robot secrets, Basic and Bearer headers, a password in a query string."""
    server = fresh_berth(settings=JSON_LOGS)
    url, api = server.url, f"{server.url}/api/v2.0"
    secrets = [ADMIN_PASSWORD, "Wrong-Pass-777"]
    user_password, new_password = "Ann-Secret-Pass-1", "Ann-Newer-Pass-2"
    secrets += [user_password, new_password]
    created = requests.post(f"{api}/users", auth=ADMIN, timeout=10,
                            json={"username": "ann", "password": user_password, "realname": "Ann"})
    assert created.status_code == 201
    user_id = created.headers["Location"].rsplit("/", 1)[1]
    assert requests.put(f"{api}/users/{user_id}/password", auth=("ann", user_password), timeout=10,
                        json={"old_password": user_password, "new_password": new_password}).status_code == 200
    add_project(server, "team")
    robot = requests.post(f"{api}/robots", auth=ADMIN, timeout=10, json={
        "name": "ci", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": "team",
                         "access": [{"resource": "repository", "action": "pull"},
                                    {"resource": "repository", "action": "push"}]}]}).json()
    secrets.append(robot["secret"])

    for user, password in (ADMIN, ("admin", "Wrong-Pass-777"), ("ann", new_password), (robot["name"], robot["secret"])):
        requests.get(f"{url}/v2/", headers={"Authorization": basic(user, password)}, timeout=10)
        secrets.append(basic(user, password).split()[1])
        got = requests.get(f"{url}/service/token", params={"service": "harbor-registry",
                           "scope": "repository:team/app:pull,push"}, auth=(user, password), timeout=10)
        if got.status_code == 200:
            token = got.json()["token"]
            secrets += [token, token.rsplit(".", 1)[1]]
            requests.get(f"{url}/v2/team/app/tags/list", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    oauth = requests.post(f"{url}/service/token", timeout=10, data={
        "grant_type": "password", "service": "harbor-registry", "username": "admin", "password": ADMIN_PASSWORD,
        "scope": "repository:team/app:pull", "access_type": "offline"}).json()
    secrets += [oauth["token"], oauth["refresh_token"]]
    requests.post(f"{url}/service/token", timeout=10, data={
        "grant_type": "refresh_token", "service": "harbor-registry", "refresh_token": oauth["refresh_token"],
        "scope": "repository:team/app:pull"})
    session = requests.Session()
    assert session.post(f"{url}/c/login", data={"principal": "admin", "password": ADMIN_PASSWORD},
                        timeout=10).status_code == 200
    secrets += list(session.cookies.values())
    requests.get(f"{url}/v2/", params={"password": "Query-Pass-3", "access_token": "Query-Token-4"}, timeout=10)
    secrets += ["Query-Pass-3", "Query-Token-4"]
    RegistryClient(url, (robot["name"], robot["secret"])).push_image("team/app", make_image(layers=1), "v1")
    server.stop()

    log = server.log_path.read_text()
    logged_paths = {e.get("route") for e in lines(server)}
    assert {"/service/token", "/c/login", "/api/v2.0/robots", "/v2/"} <= logged_paths  # the run was logged
    leaked = [s for s in secrets if s in log]
    assert not leaked, leaked


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_logs_the_start_and_the_end_of_the_shutdown(fresh_berth, workers):
    server = fresh_berth(workers=workers)
    assert server.stop(signal.SIGTERM) == 0
    log = server.log()
    start, end = log.find("Berth shutting down"), log.find("Berth stopped")
    assert 0 <= start < end, log
    assert log.count("Berth shutting down") == 1 and log.count("Berth stopped") == 1
