"""Web UI sessions: /c/login, the cookie, CSRF protection of writes, /c/log_out."""
from __future__ import annotations

import requests

from tests.api.conftest import PASSWORD, unique
from tests.conftest import ADMIN


def login(url: str, username: str, password: str) -> tuple[requests.Session, requests.Response]:
    session = requests.Session()
    return session, session.post(f"{url}/c/login", data={"principal": username, "password": password})


def test_login_session_csrf_logout(server):
    session, response = login(server.url, *ADMIN)
    assert response.status_code == 200 and "sid" in session.cookies
    csrf = response.headers["X-Harbor-CSRF-Token"]
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Strict" in response.headers["Set-Cookie"]
    api = f"{server.url}/api/v2.0"
    current = session.get(f"{api}/users/current")
    assert current.json()["username"] == "admin" and current.headers["X-Harbor-CSRF-Token"] == csrf
    name = unique()
    missing = session.post(f"{api}/projects", json={"project_name": name})
    assert missing.status_code == 403
    forged = session.post(f"{api}/projects", json={"project_name": name}, headers={"X-Harbor-CSRF-Token": "x"})
    assert forged.status_code == 403
    ok = session.post(f"{api}/projects", json={"project_name": name}, headers={"X-Harbor-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert session.get(f"{server.url}/c/log_out").status_code == 200
    stale = requests.get(f"{api}/users/current", cookies={"sid": response.cookies["sid"]})
    assert stale.status_code == 401


def test_login_refusals(server, admin):
    assert login(server.url, "admin", "Wrong-Pass-1")[1].status_code == 401
    assert login(server.url, "", "")[1].status_code == 400
    assert requests.post(f"{server.url}/c/login", json={"principal": "admin"}).status_code == 400
    robot = admin.post("/robots", json={"name": unique("r"), "level": "system", "permissions": []}).json()
    assert login(server.url, robot["name"], robot["secret"])[1].status_code == 401
    assert requests.get(f"{server.url}/api/v2.0/users/current", cookies={"sid": "forged"}).status_code == 401


def test_deleting_a_user_ends_their_sessions(server, admin, user):
    _, user_id = user()
    username = admin.get(f"/users/{user_id}").json()["username"]
    session, _ = login(server.url, username, PASSWORD)
    assert session.get(f"{server.url}/api/v2.0/users/current").status_code == 200
    admin.delete(f"/users/{user_id}")
    assert session.get(f"{server.url}/api/v2.0/users/current").status_code == 401
