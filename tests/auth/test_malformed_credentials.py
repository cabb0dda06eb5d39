"""Basic credentials that are not base64 of UTF-8 ``user:password``, sent as raw bytes: every door
answers 401 in its own protocol's error format, never 500."""
from __future__ import annotations

import base64
import http.client
import json

import pytest

BAD_BASIC = [
    pytest.param(b"Basic \xc3\xa9", id="non-ascii-utf8"),
    pytest.param(b"Basic \xe9", id="non-utf8-byte"),
    pytest.param(b"Basic !!!", id="not-base64"),
    pytest.param(b"Basic YWJj", id="bad-padding-less"),
    pytest.param(b"Basic " + base64.b64encode(b"nocolon"), id="missing-colon"),
    pytest.param(b"Basic " + base64.b64encode(b"\xff\xfe:\xe9"), id="base64-of-non-utf8"),
    pytest.param(b"Basic " + base64.b64encode(b":password"), id="empty-username"),
]

ENDPOINTS = {
    "/v2/": "oci",
    "/v2/team/app/manifests/v1": "oci",
    "/service/token?service=harbor-registry&scope=repository:team/app:pull": "oci",
    "/api/v2.0/users/current": "harbor",
    "/api/v2.0/projects": "harbor",
}


def _get(port: int, path: str, authorization: bytes) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path)
        conn.putheader("Authorization", authorization)  # bytes go on the wire exactly as given
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("authorization", BAD_BASIC)
@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_malformed_basic_is_401_in_the_protocols_format(secured, path, authorization):
    status, headers, body = _get(secured.server.port, path, authorization)
    assert status == 401, body
    errors = json.loads(body)["errors"]
    assert [e["code"] for e in errors] == ["UNAUTHORIZED"]
    assert "malformed" in errors[0]["message"] or "invalid" in errors[0]["message"]
    if ENDPOINTS[path] == "harbor":
        assert set(errors[0]) == {"code", "message"}
    if path.startswith("/v2/"):
        assert headers["WWW-Authenticate"].startswith('Bearer realm="')
