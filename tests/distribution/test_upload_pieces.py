"""Upload bodies that arrive in many small pieces — chunked framing, or a Content-Length
body over a slow link in many TCP segments — are stored whole, on every upload path."""
from __future__ import annotations

import hashlib
import os
import socket
import time

import pytest

from tests.distribution.pieces import AUTH, chunk_frames, error_code, send, split
from tests.support.client import RegistryClient


def _start(client: RegistryClient, repo: str) -> str:
    r = client.post(f"/v2/{repo}/blobs/uploads/")
    assert r.status_code == 202
    return r.headers["Location"]


@pytest.fixture
def data() -> bytes:
    return os.urandom(5 * 1025)


@pytest.mark.parametrize("framing", ["chunked", "segments"])
def test_patch_in_many_pieces(berth, client, repo, data, framing):
    location = _start(client, repo)
    if framing == "chunked":
        head = f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n"
        status, reply = send(berth.port, head, chunk_frames(split(data, [5])))
    else:
        head = f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nContent-Length: {len(data)}\r\n\r\n"
        status, reply = send(berth.port, head, split(data, [3]), pause=0.0005)
    assert status == 202, reply
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    done = client.put(location, params={"digest": digest})
    assert done.status_code == 201, done.text
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == data


def test_monolithic_post_and_final_put_in_many_pieces(berth, client, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    head = (f"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, reply = send(berth.port, head, chunk_frames(split(data, [4])))
    assert status == 201, reply
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == data

    other = os.urandom(6000)
    other_digest = "sha256:" + hashlib.sha256(other).hexdigest()
    location = _start(client, repo)
    head = (f"PUT {location}{'&' if '?' in location else '?'}digest={other_digest} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {AUTH}\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(other)}\r\n\r\n")
    status, reply = send(berth.port, head, split(other, [4]), pause=0.0003)
    assert status == 201, reply
    assert client.get(f"/v2/{repo}/blobs/{other_digest}").content == other


# Content-Range claims for a 5-byte body sent after a 4-byte first chunk (right: 4-8).
CLAIMS = {"short of the body": "4-6", "beyond the body": "4-99", "off the upload's end": "5-9"}


@pytest.mark.parametrize("claim", CLAIMS)
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_a_chunked_body_is_held_to_its_content_range(berth, client, repo, method, claim):
    """No header gives a chunked body's length: the bytes that arrive are checked against the range."""
    location = _start(client, repo)
    assert client.patch(location, data=b"head").status_code == 202
    whole = b"head" + b"hello"
    digest = "sha256:" + hashlib.sha256(whole).hexdigest()
    target = f"{location}{'&' if '?' in location else '?'}digest={digest}" if method == "PUT" else location

    def send_claiming(content_range: str) -> tuple[int, bytes]:
        head = (f"{method} {target} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
                f"Content-Range: {content_range}\r\nTransfer-Encoding: chunked\r\n\r\n")
        return send(berth.port, head, chunk_frames(split(b"hello", [2])))

    status, reply = send_claiming(CLAIMS[claim])
    assert status == 416, reply
    assert error_code(reply) == "RANGE_INVALID"
    assert client.get(location).headers["Range"] == "0-3"  # the refused chunk left nothing behind
    status, reply = send_claiming("4-8")
    assert status == (201 if method == "PUT" else 202), reply
    if method == "PATCH":
        assert client.put(location, params={"digest": digest}).status_code == 201
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == whole


@pytest.mark.parametrize("claim, status, code", [("4-99", 400, "SIZE_INVALID"), ("5-9", 416, "RANGE_INVALID")])
def test_a_sized_body_is_held_to_its_content_range(client, repo, claim, status, code):
    location = _start(client, repo)
    assert client.patch(location, data=b"head").status_code == 202
    r = client.patch(location, data=b"hello", headers={"Content-Range": claim})
    assert r.status_code == status and r.json()["errors"][0]["code"] == code, r.text
    assert client.get(location).headers["Range"] == "0-3"


def test_a_body_that_breaks_off_leaves_the_session_as_it_was(berth, client, repo):
    """Megabytes in, then the client gives up: none of it is kept, and the upload goes on."""
    location = _start(client, repo)
    assert client.patch(location, data=b"head").status_code == 202
    head = (f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            "Content-Range: 4-3000003\r\nContent-Length: 3000000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", berth.port), timeout=30) as s:
        s.sendall(head.encode() + os.urandom(2_500_000))
        s.shutdown(socket.SHUT_WR)
        reply = s.recv(65536)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply[:300]  # answered, or just closed
    deadline = time.monotonic() + 5  # the handler may still be winding down after the close
    while client.get(location).headers["Range"] != "0-3" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(location).headers["Range"] == "0-3"
    digest = "sha256:" + hashlib.sha256(b"head" + b"tail").hexdigest()
    done = client.put(f"{location}{'&' if '?' in location else '?'}digest={digest}", data=b"tail",
                      headers={"Content-Range": "4-7"})
    assert done.status_code == 201, done.text
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == b"headtail"
