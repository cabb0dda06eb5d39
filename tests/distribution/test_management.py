"""Content management: deleting manifests by digest and tag, and blobs (end-9, end-10)."""
from __future__ import annotations

from tests.support.client import error_codes
from tests.support.images import make_image, sha256


def test_delete_manifest_by_digest_removes_its_tags(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    client.push_manifest(repo, "v2", image.manifest, image.media_type)
    assert client.delete(f"/v2/{repo}/manifests/{image.digest}").status_code == 202
    for ref in (image.digest, "v1", "v2"):
        assert client.get(f"/v2/{repo}/manifests/{ref}").status_code == 404
    assert client.get(f"/v2/{repo}/tags/list").json()["tags"] == []


def test_delete_tag_keeps_manifest(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    assert client.delete(f"/v2/{repo}/manifests/v1").status_code == 202
    assert client.get(f"/v2/{repo}/manifests/v1").status_code == 404
    assert client.get(f"/v2/{repo}/manifests/{image.digest}").status_code == 200


def test_delete_unknown_manifest(client, repo):
    r = client.delete(f"/v2/{repo}/manifests/{sha256(b'none')}")
    assert r.status_code == 404 and error_codes(r) == ["MANIFEST_UNKNOWN"]
    assert client.delete(f"/v2/{repo}/manifests/none").status_code == 404


def test_delete_blob_unlinks_only_here(client, repo):
    image = make_image()
    client.push_image(repo, image, "v1")
    client.push_image(f"{repo}-other", image, "v1")
    layer = sha256(image.layers[0])
    assert client.delete(f"/v2/{repo}/blobs/{layer}").status_code == 202
    assert client.get(f"/v2/{repo}/blobs/{layer}").status_code == 404
    assert client.get(f"/v2/{repo}-other/blobs/{layer}").content == image.layers[0]
    r = client.delete(f"/v2/{repo}/blobs/{layer}")
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UNKNOWN"]


def test_delete_blob_with_bad_digest(client, repo):
    r = client.delete(f"/v2/{repo}/blobs/md5:abcd")
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]
