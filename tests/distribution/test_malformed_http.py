"""Requests the HTTP parser refuses are answered with the JSON error shape both APIs
share ({"errors": [{"code", "message"}]}) and the connection is closed — never aiohttp's
plain-text reply."""
from __future__ import annotations

import json
import socket

import pytest

MALFORMED = {
    "bad content-length": b"PUT /v2/library/x/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "negative content-length": b"PUT /v2/library/x/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "duplicate content-length": (b"PUT /v2/library/x/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                 b"Content-Length: 4\r\n\r\nabcd"),
    "content-length with transfer-encoding": (b"PATCH /v2/library/x/blobs/uploads/u HTTP/1.1\r\nHost: x\r\n"
                                              b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    "bad chunk framing": (b"PATCH /v2/library/x/blobs/uploads/u HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
    "100 KB header": b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    "10 MB query": b"GET /v2/?q=" + b"a" * 10_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage request line": b"\x16\x03\x01garbage garbage\r\n\r\n",
    "raw 0xff in the path": b"GET /v2/\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    "NUL in a header": b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
    "no host": b"GET /v2/ HTTP/1.1\r\n\r\n",
}


def _exchange(port: int, raw: bytes) -> tuple[bytes, bool]:
    """Send ``raw``; return the whole reply and whether the server closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before a huge request is all sent
        reply = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return reply, True
                reply += data
        except ConnectionResetError:
            return reply, True
        except socket.timeout:
            return reply, False


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_requests_get_json_and_a_closed_connection(berth, case):
    reply, closed = _exchange(berth.port, MALFORMED[case])
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert 400 <= status < 500, reply[:300]
    assert b"content-type: application/json" in head.lower(), head
    error = json.loads(body)["errors"][0]
    assert error["code"] == "BAD_REQUEST" and error["message"] and "\n" not in error["message"], error
    assert closed, "the connection must be closed after a malformed request"
