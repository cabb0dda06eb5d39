"""Malformed and adversarial requests on /v2/: clear OCI errors, never a 500, nothing stored."""
from __future__ import annotations

import http.client
import json
import socket

import pytest

from tests.support.client import error_codes
from tests.support.images import OCI_MANIFEST, make_image, sha256


@pytest.mark.parametrize("name", ["UPPER/case", "a//b", "-lead/x", "a/../b", "a/b/", "x" * 300, "a/.hidden"])
def test_invalid_repository_names(client, name):
    r = client.get(f"/v2/{name}/tags/list")
    assert r.status_code in (400, 404)
    assert r.json()["errors"][0]["code"] in ("NAME_INVALID", "NOT_FOUND", "NAME_UNKNOWN")


@pytest.mark.parametrize("path", [
    "/v2/a/../../etc/blobs/sha256:" + "0" * 64,
    "/v2/..%2F..%2Fetc/passwd/blobs/sha256:" + "0" * 64,
    "/v2/library/x/blobs/uploads/..%2F..%2Fberth.db",
    "/v2/library/x/manifests/..%2F..%2Fberth.db",
])
def test_path_traversal_never_escapes(berth, path):
    """Sent raw, without the client normalising dot segments."""
    conn = http.client.HTTPConnection("127.0.0.1", berth.port, timeout=5)
    conn.request("GET", path, headers={"Authorization": "Basic YWRtaW46QmVydGgtVGVzdC1BZG1pbi0x"})
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status in (400, 404)
    assert body["errors"][0]["code"] in ("NAME_INVALID", "DIGEST_INVALID", "TAG_INVALID", "NOT_FOUND",
                                         "BLOB_UPLOAD_UNKNOWN", "NAME_UNKNOWN", "MANIFEST_UNKNOWN")


@pytest.mark.parametrize("tag", ["-bad", "a" * 129, "bad!tag", ".x"])
def test_invalid_tags(client, repo, tag):
    image = make_image(layers=1)
    client.push_image(repo, image)
    r = client.push_manifest(repo, tag, image.manifest, image.media_type)
    assert r.status_code == 400 and error_codes(r) == ["TAG_INVALID"]


@pytest.mark.parametrize("digest", [
    "sha256:1234", "sha256:" + "G" * 64, "md5:" + "0" * 32, "sha256:" + "0" * 65,
    "sha512:" + "0" * 64, "sha256", "sha256:../../../etc/passwd",
])
def test_invalid_digests(client, repo, digest):
    r = client.get(f"/v2/{repo}/blobs/{digest}")
    assert r.status_code in (400, 404)
    assert error_codes(r) in (["DIGEST_INVALID"], ["NOT_FOUND"])
    r = client.post(f"/v2/{repo}/blobs/uploads/?digest={digest}", data=b"abc")
    assert r.status_code in (400, 404)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"{}", b'{"schemaVersion": 1}', b'{"schemaVersion": 2, "config": 5}',
    json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"digest": "sha256:x"}}).encode(),
    json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "a/b", "digest": sha256(b"c"), "size": -1}, "layers": []}).encode(),
    json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "a/b", "digest": sha256(b"c"), "size": 1}, "layers": {}}).encode(),
    b'{"schemaVersion": 2, "annotations": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b"\xff\xfe\x00garbage",
])
def test_invalid_manifests(client, repo, body):
    r = client.push_manifest(repo, "bad", body, OCI_MANIFEST)
    assert r.status_code == 400, r.text
    assert error_codes(r) == ["MANIFEST_INVALID"]
    assert client.get(f"/v2/{repo}/manifests/bad").status_code == 404


def test_media_type_mismatch(client, repo):
    image = make_image()
    client.push_image(repo, image)
    r = client.push_manifest(repo, "v1", image.manifest, "application/vnd.oci.image.index.v1+json")
    assert r.status_code == 400 and error_codes(r) == ["MANIFEST_INVALID"]


def test_oversized_manifest_is_413(client, repo):
    body = b'{"schemaVersion": 2, "pad": "' + b"x" * (4 * 1024 * 1024 + 10) + b'"}'
    r = client.push_manifest(repo, "big", body, OCI_MANIFEST)
    assert r.status_code == 413


def test_unsupported_methods(client, repo):
    r = client.request("POST", f"/v2/{repo}/manifests/v1")
    assert r.status_code == 405 and error_codes(r) == ["UNSUPPORTED"]
    r = client.request("PUT", "/v2/")
    assert r.status_code == 405


def test_unknown_endpoint(client):
    r = client.get("/v2/library/x/unknown/thing")
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "NOT_FOUND"


def test_truncated_upload_body_keeps_nothing(berth, client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    with socket.create_connection(("127.0.0.1", berth.port)) as s:
        s.sendall((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                   "Authorization: Basic YWRtaW46QmVydGgtVGVzdC1BZG1pbi0x\r\n\r\n").encode() + b"a" * 100)
        s.shutdown(socket.SHUT_WR)
        s.recv(1000)
    status = client.get(location)
    assert status.status_code == 204
    # A resumed upload starts again where the data is whole.
    assert status.headers["Range"] in ("0-0", "0-99")


def test_tls_client_hello_on_plain_port_does_not_hang(berth):
    """Clients try HTTPS first; a plain port must answer and survive."""
    with socket.create_connection(("127.0.0.1", berth.port), timeout=5) as s:
        s.sendall(bytes.fromhex("160301002d0100002903035f") + b"\x00" * 40)
        s.settimeout(5)
        try:
            s.recv(100)
        except (ConnectionResetError, TimeoutError):
            pass
    import requests
    assert requests.get(f"{berth.url}/v2/", timeout=5).status_code in (200, 401)
