"""Upload bodies cut at random — thousands of one-byte pieces, a few large ones, or a mix —
sent chunked or with a Content-Length, on every path that takes a blob body: each blob is
stored whole and byte for byte, never a 5xx."""
from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN
from tests.distribution.pieces import AUTH, chunk_frames, send, split
from tests.support.client import RegistryClient
from tests.support.server import BerthServer

REPO = "library/pieces"
PIECE_SIZES = st.one_of(
    st.lists(st.integers(1, 9), min_size=1, max_size=6),  # tiny pieces: thousands of them
    st.lists(st.one_of(st.integers(1, 9), st.integers(1000, 300_000)), min_size=1, max_size=8),
)
LENGTHS = st.one_of(st.integers(0, 64), st.integers(1025 * 5, 20_000), st.integers(20_000, 2_500_000))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = BerthServer(tmp_path_factory.mktemp("pieces") / "data").start()
    yield server
    server.stop()


def _upload(server: BerthServer, route: str, framing: str, data: bytes, sizes: list[int]) -> tuple[int, bytes]:
    """Push ``data`` through ``route`` with the body cut into ``sizes``; return the last answer."""
    client = RegistryClient(server.url, ADMIN)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    pieces = split(data, sizes)
    if route == "post":
        target = f"/v2/{REPO}/blobs/uploads/?digest={digest}"
    else:
        location = client.post(f"/v2/{REPO}/blobs/uploads/").headers["Location"]
        target = location if route == "patch" else f"{location}{'&' if '?' in location else '?'}digest={digest}"
    method = {"post": "POST", "patch": "PATCH", "put": "PUT"}[route]
    framing_header = ("Transfer-Encoding: chunked" if framing == "chunked" else f"Content-Length: {len(data)}")
    head = (f"{method} {target} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
            f"Content-Type: application/octet-stream\r\n{framing_header}\r\n\r\n")
    # Segments of a Content-Length body arrive apart only if they leave apart.
    status, reply = send(server.port, head, chunk_frames(pieces) if framing == "chunked" else pieces,
                         pause=0.0002 if framing == "segments" and len(pieces) < 3000 else 0.0)
    if route == "patch" and status == 202:
        done = client.put(location, params={"digest": digest})
        return done.status_code, done.content
    return status, reply


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(route=st.sampled_from(["patch", "post", "put"]), framing=st.sampled_from(["chunked", "segments"]),
       length=LENGTHS, sizes=PIECE_SIZES, seed=st.integers(0, 2**32))
def test_bodies_in_pieces_of_any_size_are_stored_whole(server, route, framing, length, sizes, seed):
    data = random.Random(seed).randbytes(length)
    status, reply = _upload(server, route, framing, data, sizes)
    assert status == 201, reply[:300]
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert RegistryClient(server.url, ADMIN).get(f"/v2/{REPO}/blobs/{digest}").content == data
