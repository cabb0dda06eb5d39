"""Adversarial requests, each answered with a clear 4xx in the protocol's format, while the
blob tree and the content tables stay exactly as they were."""
from __future__ import annotations

import http.client
import json
import socket

import pytest

from tests.conftest import ADMIN
from tests.reliability.support import disk_state
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image, sha256
from tests.support.server import BerthServer

AUTH = "Basic YWRtaW46QmVydGgtVGVzdC1BZG1pbi0x"
REPO = "library/target"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """A server holding one image; every test checks that nothing on disk moved."""
    server = BerthServer(tmp_path_factory.mktemp("fuzz") / "data").start()
    client = RegistryClient(server.url, ADMIN)
    image = make_image(layers=2)
    client.push_image(REPO, image, "v1")
    yield server, image
    server.stop()


@pytest.fixture
def unchanged(target):
    server, _ = target
    before = disk_state(server.data_dir)
    yield server
    assert disk_state(server.data_dir) == before


def raw(server: BerthServer, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """Send exactly this request line (no client-side normalisation) and return (status, json body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for key, value in {"Authorization": AUTH, "Content-Length": str(len(body)), **(headers or {})}.items():
        conn.putheader(key, value)
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, None


def assert_oci_error(status: int, body, *codes: str) -> None:
    assert 400 <= status < 500, status
    assert body is not None and body["errors"], body
    if codes:
        assert body["errors"][0]["code"] in codes, body


TRAVERSALS = ["..", "%2e%2e", "..%2F..", "%2e%2e%2f%2e%2e", "..\\..", "....//", "%252e%252e", "/etc/passwd",
              "a/../../b", "./x", "%00", "a%00b"]


@pytest.mark.parametrize("evil", TRAVERSALS)
def test_path_traversal_in_names_tags_and_digests(unchanged, evil):
    paths = [
        f"/v2/{evil}/blobs/sha256:{'0' * 64}",
        f"/v2/library/{evil}/manifests/v1",
        f"/v2/{REPO}/manifests/{evil}",
        f"/v2/{REPO}/blobs/sha256:{evil}",
        f"/v2/{REPO}/blobs/{evil}",
        f"/v2/{REPO}/blobs/uploads/{evil}",
        f"/api/v2.0/projects/{evil}/repositories/x",
        f"/api/v2.0/projects/library/repositories/{evil}/artifacts/v1",
    ]
    for path in paths:
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            status, body = raw(unchanged, method, path, b"{}" if method in ("PUT", "PATCH") else b"")
            assert status < 500, (method, path)
            if path.startswith("/v2/"):
                assert_oci_error(status, body)


@pytest.mark.parametrize("digest", [
    "md5:" + "0" * 32, "sha1:" + "0" * 40, "blake3:" + "0" * 64, "sha256:" + "0" * 63, "sha256:" + "0" * 65,
    "sha512:" + "0" * 64, "sha256:" + "A" * 64, "SHA256:" + "0" * 64, "sha256:", ":" + "0" * 64, "sha256::x",
])
def test_unknown_algorithms_and_wrong_lengths(unchanged, digest):
    for method, path in (("GET", f"/v2/{REPO}/blobs/{digest}"), ("HEAD", f"/v2/{REPO}/blobs/{digest}"),
                         ("DELETE", f"/v2/{REPO}/manifests/{digest}"), ("GET", f"/v2/{REPO}/referrers/{digest}"),
                         ("POST", f"/v2/{REPO}/blobs/uploads/?digest={digest}"),
                         ("POST", f"/v2/{REPO}/blobs/uploads/?mount={digest}&from=library/x")):
        status, body = raw(unchanged, method, path, b"abc" if method == "POST" else b"")
        assert 400 <= status < 500, (method, path, status)
        if method not in ("HEAD", "POST") or "digest=" in path:
            assert_oci_error(status, body)
    # A mount of a bad digest falls back to an upload session; cancel it.
    _cancel_sessions(unchanged)


def _cancel_sessions(server: BerthServer) -> None:
    for name in (server.data_dir / "uploads").iterdir():
        raw(server, "DELETE", f"/v2/{REPO}/blobs/uploads/{name.name}")


def _nested(depth: int) -> bytes:
    return b'{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST.encode() + b'", "a": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("body", [
    b"", b"{", b"null", b"1e999", b'"x"', b"[" * 100000, _nested(100000), _nested(1000),
    b'{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST.encode() + b'", "config": {}, "layers": []}',
    json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "x", "digest": "sha256:../../x",
                                                                          "size": 1}, "layers": []}).encode(),
    b'{"schemaVersion": 2, "schemaVersion": 3}', "{\"a\": \"\ud800\"}".encode("utf-8", "surrogatepass"),
])
def test_malformed_and_deeply_nested_json(unchanged, body):
    status, reply = raw(unchanged, "PUT", f"/v2/{REPO}/manifests/bad", body, {"Content-Type": OCI_MANIFEST})
    assert_oci_error(status, reply)
    status, reply = raw(unchanged, "POST", "/api/v2.0/projects", body, {"Content-Type": "application/json"})
    assert 400 <= status < 500 and reply and reply["errors"], (status, reply)


def test_wrong_content_type_and_length(unchanged, target):
    _, image = target
    status, body = raw(unchanged, "PUT", f"/v2/{REPO}/manifests/v2", image.manifest,
                       {"Content-Type": "application/vnd.oci.image.index.v1+json"})
    assert_oci_error(status, body, "MANIFEST_INVALID")
    status, body = raw(unchanged, "PUT", f"/v2/{REPO}/manifests/v2", image.manifest, {"Content-Type": "text/html"})
    assert_oci_error(status, body)
    for length in ("-1", "abc", "1" * 30):
        with socket.create_connection(("127.0.0.1", unchanged.port), timeout=10) as s:
            s.sendall((f"PUT /v2/{REPO}/manifests/v2 HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
                       f"Content-Type: {OCI_MANIFEST}\r\nContent-Length: {length}\r\n\r\n").encode() + image.manifest)
            answer = b""
            while chunk := s.recv(4096):  # the server closes the connection after its answer
                answer += chunk
        # aiohttp's parser refuses it before the app sees it; the answer is still JSON.
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head[:9] in (b"HTTP/1.1 ", b"HTTP/1.0 ") and head[9:10] == b"4", answer[:100]
        assert b"content-type: application/json" in head.lower()
        assert_oci_error(int(head[9:12]), json.loads(body))


def test_truncated_bodies_leave_nothing(unchanged, target):
    _, image = target
    for path, body in ((f"/v2/{REPO}/manifests/v3", image.manifest),
                       (f"/v2/{REPO}/blobs/uploads/?digest={sha256(b'x' * 1000)}", b"x" * 1000)):
        method = "PUT" if "manifests" in path else "POST"
        with socket.create_connection(("127.0.0.1", unchanged.port), timeout=10) as s:
            s.sendall((f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
                       f"Content-Type: {OCI_MANIFEST}\r\nContent-Length: {len(body) + 500}\r\n\r\n").encode()
                      + body)
            s.shutdown(socket.SHUT_WR)
            s.recv(4096)
    client = RegistryClient(unchanged.url, ADMIN)
    assert client.get(f"/v2/{REPO}/manifests/v3").status_code == 404
    _cancel_sessions(unchanged)


def test_slowloris_changes_nothing(unchanged):
    # Covered for timing in tests/reliability/test_limits.py; here: a drip of a PUT changes nothing.
    with socket.create_connection(("127.0.0.1", unchanged.port), timeout=10) as s:
        s.sendall(f"PUT /v2/{REPO}/manifests/slow HTTP/1.1\r\nHost: x\r\n".encode())
    assert RegistryClient(unchanged.url, ADMIN).get(f"/v2/{REPO}/manifests/slow").status_code == 404
