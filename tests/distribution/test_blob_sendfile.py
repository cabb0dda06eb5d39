"""Blob GET from local disk: the zero-copy path under uvloop, with slow, ranged and vanishing readers.

The blob is far larger than a loopback socket's buffer, so every transfer here waits for
the socket to drain many times; a reader that stops reading or hangs up must not stall
or break the transfers of others.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time

from tests.support.images import sha256

SIZE = 48 << 20


def _blob(client, repo) -> tuple[bytes, str]:
    data = os.urandom(SIZE)
    return data, client.push_blob(repo, data)


def _raw_get(client, path: str) -> socket.socket:
    """A GET on a bare socket, so the test decides how fast (and whether) the answer is read."""
    host, port = client.url.removeprefix("http://").split(":")
    user, password = client.session.auth
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    sock = socket.create_connection((host, int(port)))
    # Connection: close, so that the end of the answer is the end of the stream.
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {basic}\r\n"
                 "Connection: close\r\n\r\n".encode())
    return sock


def test_whole_blob_and_ranges_arrive_intact(client, repo):
    data, digest = _blob(client, repo)
    got = client.get(f"/v2/{repo}/blobs/{digest}")
    assert got.status_code == 200 and sha256(got.content) == digest
    for first, last in ((0, 0), (1, SIZE - 2), (SIZE - 7, SIZE - 1), (12_345_678, 40_000_000)):
        part = client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": f"bytes={first}-{last}"})
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
        assert part.content == data[first:last + 1]
    suffix = client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=-1000"})
    assert suffix.status_code == 206 and suffix.content == data[-1000:]


def test_slow_reader_gets_every_byte_while_others_are_served(client, repo):
    data, digest = _blob(client, repo)
    slow = _raw_get(client, f"/v2/{repo}/blobs/{digest}")
    received = bytearray()

    def read_slowly() -> None:
        slow.settimeout(60)
        while piece := slow.recv(1 << 20):
            received.extend(piece)
            if len(received) < 8 << 20:
                time.sleep(0.05)  # dawdle over the first megabytes: the server waits on a full socket

    reader = threading.Thread(target=read_slowly)
    reader.start()
    # Meanwhile other requests are answered (a loop stuck on the slow socket would time these out).
    for _ in range(5):
        assert client.get("/v2/", timeout=30).status_code == 200
    assert client.get(f"/v2/{repo}/blobs/{digest}", timeout=60).content == data
    reader.join(timeout=120)
    slow.close()
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) == SIZE and hashlib.sha256(body).hexdigest() == digest.removeprefix("sha256:")


def test_reader_that_hangs_up_mid_blob_leaves_the_server_serving(client, repo):
    data, digest = _blob(client, repo)
    for _ in range(3):
        gone = _raw_get(client, f"/v2/{repo}/blobs/{digest}")
        gone.recv(1 << 16)
        gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        gone.close()  # a reset, mid-transfer
    with client.get(f"/v2/{repo}/blobs/{digest}", stream=True, timeout=60) as got:
        assert got.status_code == 200
        assert sha256(b"".join(got.iter_content(1 << 20))) == digest
