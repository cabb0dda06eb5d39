"""Upload bodies that arrive in many small pieces — chunked framing, or a Content-Length
body over a slow link in many TCP segments — are stored whole, on every upload path."""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import time

import pytest

from tests.conftest import ADMIN
from tests.support.client import RegistryClient

AUTH = "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()


def _send(port: int, head: str, pieces: list[bytes], pause: float = 0.0) -> tuple[int, bytes]:
    """Send a request as separate segments; return the status and the raw reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head.encode())
        for piece in pieces:
            s.sendall(piece)
            if pause:
                time.sleep(pause)
        reply = b""
        while b"\r\n\r\n" not in reply:
            data = s.recv(65536)
            if not data:
                break
            reply += data
    return int(reply.split(b" ", 2)[1]), reply


def _chunked(data: bytes, size: int) -> list[bytes]:
    frames = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return frames + [b"0\r\n\r\n"]


def _segments(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


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
        status, reply = _send(berth.port, head, _chunked(data, 5))
    else:
        head = f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nContent-Length: {len(data)}\r\n\r\n"
        status, reply = _send(berth.port, head, _segments(data, 3), pause=0.0005)
    assert status == 202, reply
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    done = client.put(location, params={"digest": digest})
    assert done.status_code == 201, done.text
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == data


def test_monolithic_post_and_final_put_in_many_pieces(berth, client, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    head = (f"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, reply = _send(berth.port, head, _chunked(data, 4))
    assert status == 201, reply
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == data

    other = os.urandom(6000)
    other_digest = "sha256:" + hashlib.sha256(other).hexdigest()
    location = _start(client, repo)
    head = (f"PUT {location}{'&' if '?' in location else '?'}digest={other_digest} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {AUTH}\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(other)}\r\n\r\n")
    status, reply = _send(berth.port, head, _segments(other, 4), pause=0.0003)
    assert status == 201, reply
    assert client.get(f"/v2/{repo}/blobs/{other_digest}").content == other


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
def test_content_range_must_cover_what_arrives(berth, client, repo, framing):
    """Checked once the body is read, so a chunked PATCH cannot claim more than it sends."""
    location = _start(client, repo)
    first = b"hello"
    if framing == "chunked":
        head = (f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nContent-Range: 0-99\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        status, reply = _send(berth.port, head, _chunked(first, 5))
        assert status == 416, reply
    else:
        r = client.patch(location, data=first, headers={"Content-Range": "0-99"})
        assert r.status_code in (400, 416), r.text
    progress = client.get(location)
    assert progress.status_code == 204 and progress.headers["Range"] == "0-0"  # nothing kept
    whole = first + b" world"
    r = client.patch(location, data=whole, headers={"Content-Range": f"0-{len(whole) - 1}"})
    assert r.status_code == 202, r.text
    assert r.headers["Range"] == f"0-{len(whole) - 1}"
    digest = "sha256:" + hashlib.sha256(whole).hexdigest()
    assert client.put(location, params={"digest": digest}).status_code == 201
    assert client.get(f"/v2/{repo}/blobs/{digest}").content == whole
