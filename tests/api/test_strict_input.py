"""Names matched whole, URLs parsed safely, JSON bodies that stall cut off: each a 4xx in
Harbor's error JSON, never a dropped connection or a 500."""
from __future__ import annotations

import base64
import json
import socket

from tests.api.conftest import error_code
from tests.conftest import ADMIN


def test_a_tag_or_username_with_a_trailing_newline_is_refused(admin, project, image_in):
    digest = image_in(f"{project}/app")
    refused = admin.post(f"/projects/{project}/repositories/app/artifacts/{digest}/tags", json={"name": "v2\n"})
    assert refused.status_code == 400 and error_code(refused) == "BAD_REQUEST"
    user = admin.post("/users", json={"username": "bob\n", "password": "Bob-Pass-123", "email": "b@example.com"})
    assert user.status_code == 400, user.text


def test_a_webhook_address_that_is_no_url_is_refused(admin, project):
    for address in ("http://[::1", "http://example.com:99999/hook"):
        policy = {"name": "w", "enabled": True, "event_types": ["PUSH_ARTIFACT"],
                  "targets": [{"type": "http", "address": address}]}
        refused = admin.post(f"/projects/{project}/webhook/policies", json=policy)
        assert refused.status_code == 400 and error_code(refused) == "BAD_REQUEST", (address, refused.text)


def test_a_json_body_that_stalls_is_cut_off(fresh_berth):
    server = fresh_berth(settings={"http": {"body_timeout": 1.0}})
    auth = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall((f"POST /api/v2.0/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                   "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"project_").encode())
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["errors"][0]["code"] == "REQUEST_TIMEOUT"
