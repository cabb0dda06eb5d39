"""Pull: /v2/, manifests and blobs by tag and digest, HEAD, Range, linking rules (end-1 … end-3)."""
from __future__ import annotations

import os

from tests.support.client import error_codes
from tests.support.images import make_image, sha256


def test_base_endpoint(client):
    r = client.get("/v2/")
    assert r.status_code == 200
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_manifest_get_and_head_headers(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    for ref in ("v1", image.digest):
        got = client.get(f"/v2/{repo}/manifests/{ref}")
        assert got.status_code == 200
        assert got.headers["Content-Type"] == image.media_type
        assert got.headers["Docker-Content-Digest"] == image.digest
        assert int(got.headers["Content-Length"]) == len(image.manifest)
        assert got.content == image.manifest
        head = client.head(f"/v2/{repo}/manifests/{ref}")
        assert head.status_code == 200
        assert head.headers["Docker-Content-Digest"] == image.digest
        assert int(head.headers["Content-Length"]) == len(image.manifest)
        assert head.headers["Content-Type"] == image.media_type
        assert head.content == b""


def test_manifest_served_whatever_the_accept_header(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    got = client.get(f"/v2/{repo}/manifests/v1", headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert got.status_code == 200 and got.content == image.manifest


def test_if_none_match_gives_304(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    r = client.get(f"/v2/{repo}/manifests/v1", headers={"If-None-Match": f'"{image.digest}"'})
    assert r.status_code == 304


def test_unknown_manifest(client, repo):
    r = client.get(f"/v2/{repo}/manifests/nope")
    assert r.status_code == 404 and error_codes(r) == ["MANIFEST_UNKNOWN"]
    r = client.get(f"/v2/{repo}/manifests/{sha256(b'x')}")
    assert r.status_code == 404 and error_codes(r) == ["MANIFEST_UNKNOWN"]
    assert client.head(f"/v2/{repo}/manifests/nope").status_code == 404


def test_a_reference_no_tag_could_have_is_unknown_not_invalid(client, repo):
    """Nothing can exist under an invalid tag, so reads and deletes answer 404 as Distribution does."""
    for reference in (".INVALID_MANIFEST_NAME", "-dash", "a" * 200):
        r = client.get(f"/v2/{repo}/manifests/{reference}")
        assert r.status_code == 404 and error_codes(r) == ["MANIFEST_UNKNOWN"], reference
        assert client.head(f"/v2/{repo}/manifests/{reference}").status_code == 404
        assert client.delete(f"/v2/{repo}/manifests/{reference}").status_code == 404


def test_blob_get_head_and_range(client, repo):
    data = os.urandom(100_000)
    digest = client.push_blob(repo, data)
    head = client.head(f"/v2/{repo}/blobs/{digest}")
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(data)
    assert head.headers["Docker-Content-Digest"] == digest
    got = client.get(f"/v2/{repo}/blobs/{digest}")
    assert got.content == data and got.headers["Docker-Content-Digest"] == digest
    part = client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    beyond = client.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416


def test_unknown_blob(client, repo):
    r = client.get(f"/v2/{repo}/blobs/{sha256(b'missing')}")
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UNKNOWN"]
    assert client.head(f"/v2/{repo}/blobs/{sha256(b'missing')}").status_code == 404


def test_blob_of_another_repository_is_unknown_here(client, repo):
    """Knowing a digest is not access: blobs are readable only where they are linked."""
    data = os.urandom(1000)
    digest = client.push_blob(f"{repo}-private", data)
    r = client.get(f"/v2/{repo}/blobs/{digest}")
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UNKNOWN"]
    assert client.head(f"/v2/{repo}/blobs/{digest}").status_code == 404


def test_manifest_readable_as_blob(client, repo):
    """containerd falls back to blobs/<digest> for digest references."""
    image = make_image()
    client.push_image(repo, image, "v1")
    r = client.get(f"/v2/{repo}/blobs/{image.digest}")
    assert r.status_code == 200 and r.content == image.manifest


def test_manifest_of_another_repository_is_unknown_here(client, repo):
    image = make_image()
    client.push_image(f"{repo}-a", image, "v1")
    r = client.get(f"/v2/{repo}/manifests/{image.digest}")
    assert r.status_code == 404
