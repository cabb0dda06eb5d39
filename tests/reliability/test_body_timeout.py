"""A body that stops arriving is cut off with a 408 in JSON; one that keeps moving, however
slowly, is not; and the upload it was feeding is left as it was."""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import time

import pytest

from tests.conftest import ADMIN
from tests.support.client import RegistryClient

AUTH = "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
TIMEOUT = 1.5


@pytest.fixture
def server(fresh_berth):
    return fresh_berth(settings={"http": {"body_timeout": TIMEOUT}, "auth": {"auto_create_projects": True}})


def _stall(port: int, request_head: str, sent: bytes) -> tuple[float, bytes]:
    """Send the head and part of the body, then wait; return how long until the reply, and it."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT * 10) as s:
        s.sendall(request_head.encode() + sent)
        started = time.monotonic()
        reply = s.recv(65536)
        waited = time.monotonic() - started
        while b"\r\n\r\n" in reply and not reply.rstrip().endswith(b"}"):
            reply += s.recv(65536)
        return waited, reply


def _json_body(reply: bytes) -> dict:
    return json.loads(reply.split(b"\r\n\r\n", 1)[1])


def test_a_stalled_manifest_put_is_cut_off(server):
    head = (f"PUT /v2/library/stall/manifests/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 100\r\n\r\n")
    waited, reply = _stall(server.port, head, b"{\"sch")
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert _json_body(reply)["errors"][0]["code"] == "REQUEST_TIMEOUT"
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 5


def test_a_stalled_patch_is_cut_off_and_the_upload_stays_usable(server):
    client = RegistryClient(server.url, ADMIN)
    location = client.post("/v2/library/stall/blobs/uploads/").headers["Location"]
    assert client.patch(location, data=b"first").status_code == 202
    head = (f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            "Content-Length: 2000000\r\n\r\n")
    waited, reply = _stall(server.port, head, b"x" * 1_500_000)  # more than the store writes at once
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert waited < TIMEOUT + 5
    # The broken piece is not kept: the upload goes on from where the last whole PATCH ended.
    assert client.get(location).headers["Range"] == "0-4"
    assert client.patch(location, data=b"-second", headers={"Content-Range": "5-11"}).status_code == 202

    digest = "sha256:" + hashlib.sha256(b"first-second").hexdigest()
    assert client.put(location, params={"digest": digest}).status_code == 201


def test_a_slow_but_moving_body_lives(server):
    client = RegistryClient(server.url, ADMIN)
    location = client.post("/v2/library/slow/blobs/uploads/").headers["Location"]
    data = b"0123456789"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode())
        for byte in data:  # ten bytes over 4 s: longer than the timeout, never silent for as long
            s.sendall(bytes([byte]))
            time.sleep(TIMEOUT / 4)
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 202"), reply
    assert client.get(location).headers["Range"] == f"0-{len(data) - 1}"


@pytest.mark.parametrize("path", ["/service/token", "/c/login"])
def test_a_stalled_form_is_cut_off(server, path):
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 200\r\n\r\n")
    waited, reply = _stall(server.port, head, b"grant_type=pass")
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert _json_body(reply)["errors"][0]["code"] == "REQUEST_TIMEOUT"
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 5
