"""Push: monolithic, chunked, resumable uploads, manifests by tag and digest, mounts (end-4 … end-7, end-11, end-13)."""
from __future__ import annotations

import hashlib
import os

from tests.support.client import error_codes
from tests.support.images import OCI_INDEX, make_image, make_index, sha256


def test_post_then_put_creates_blob(client, repo):
    data = os.urandom(5000)
    start = client.post(f"/v2/{repo}/blobs/uploads/")
    assert start.status_code == 202
    assert start.headers["Docker-Upload-UUID"] in start.headers["Location"]
    done = client.put(f"{start.headers['Location']}?digest={sha256(data)}", data=data)
    assert done.status_code == 201
    assert done.headers["Location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert done.headers["Docker-Content-Digest"] == sha256(data)
    assert client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_single_post_with_digest(client, repo):
    data = os.urandom(1000)
    response = client.post(f"/v2/{repo}/blobs/uploads/?digest={sha256(data)}", data=data,
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201
    assert client.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 200


def test_single_post_with_wrong_digest_stores_nothing(client, repo):
    data = os.urandom(1000)
    wrong = sha256(b"other")
    response = client.post(f"/v2/{repo}/blobs/uploads/?digest={wrong}", data=data)
    assert response.status_code == 400
    assert error_codes(response) == ["DIGEST_INVALID"]
    assert client.head(f"/v2/{repo}/blobs/{wrong}").status_code == 404
    assert client.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404


def test_chunked_upload_with_status_and_final_chunk(client, repo):
    data = os.urandom(3 * 100_000 + 7)
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    chunks = [data[:100_000], data[100_000:200_000], data[200_000:300_000]]
    offset = 0
    for chunk in chunks:
        r = client.patch(location, data=chunk, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
            "Content-Length": str(len(chunk)),
        })
        assert r.status_code == 202, r.text
        offset += len(chunk)
        assert r.headers["Range"] == f"0-{offset - 1}"
        location = r.headers["Location"]
    status = client.get(location)
    assert status.status_code == 204
    assert status.headers["Range"] == f"0-{offset - 1}"
    tail = data[offset:]
    done = client.put(f"{location}?digest={sha256(data)}", data=tail, headers={
        "Content-Range": f"{offset}-{len(data) - 1}", "Content-Length": str(len(tail))})
    assert done.status_code == 201, done.text
    assert client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_patch_without_content_range_appends(client, repo):
    """docker, podman and skopeo send the whole blob in one PATCH without Content-Range."""
    data = os.urandom(70_000)
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    r = client.patch(location, data=data)
    assert r.status_code == 202
    assert client.put(f"{r.headers['Location']}?digest={sha256(data)}").status_code == 201


def test_out_of_order_chunk_is_416(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    assert client.patch(location, data=b"a" * 10, headers={"Content-Range": "0-9"}).status_code == 202
    skipped = client.patch(location, data=b"b" * 10, headers={"Content-Range": "20-29"})
    assert skipped.status_code == 416
    overlap = client.patch(location, data=b"b" * 10, headers={"Content-Range": "5-14"})
    assert overlap.status_code == 416
    assert client.get(location).headers["Range"] == "0-9"


def test_mismatched_content_length_and_range(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    r = client.patch(location, data=b"a" * 10, headers={"Content-Range": "0-4"})
    assert r.status_code == 400
    assert error_codes(r) == ["SIZE_INVALID"]


def test_malformed_content_range(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    r = client.patch(location, data=b"a", headers={"Content-Range": "zero-one"})
    assert r.status_code == 416


def test_wrong_digest_on_close_fails_and_session_ends(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    client.patch(location, data=b"hello")
    r = client.put(f"{location}?digest={sha256(b'bye')}")
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]
    assert client.head(f"/v2/{repo}/blobs/{sha256(b'hello')}").status_code == 404


def test_put_without_digest_is_refused(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    r = client.put(location, data=b"x")
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]


def test_cancel_upload(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    assert client.delete(location).status_code == 204
    gone = client.get(location)
    assert gone.status_code == 404 and error_codes(gone) == ["BLOB_UPLOAD_UNKNOWN"]
    assert client.patch(location, data=b"x").status_code == 404


def test_unknown_upload_id(client, repo):
    r = client.get(f"/v2/{repo}/blobs/uploads/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UPLOAD_UNKNOWN"]
    r = client.patch(f"/v2/{repo}/blobs/uploads/..%2F..%2Fetc", data=b"x")
    assert r.status_code == 404


def test_upload_of_another_repository_is_unknown_here(client, repo):
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    r = client.get(f"/v2/{repo}-other/blobs/uploads/{upload_id}")
    assert r.status_code == 404


def test_sha512_blob(client, repo):
    data = os.urandom(4096)
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    assert client.put(f"{location}?digest={digest}", data=data).status_code == 201
    r = client.get(f"/v2/{repo}/blobs/{digest}")
    assert r.status_code == 200 and r.content == data


def test_push_manifest_by_tag_and_by_digest(client, repo):
    image = make_image()
    for blob in image.blobs.values():
        client.push_blob(repo, blob)
    by_tag = client.push_manifest(repo, "v1", image.manifest, image.media_type)
    assert by_tag.status_code == 201
    assert by_tag.headers["Docker-Content-Digest"] == image.digest
    assert by_tag.headers["Location"] == f"/v2/{repo}/manifests/{image.digest}"
    by_digest = client.push_manifest(repo, image.digest, image.manifest, image.media_type)
    assert by_digest.status_code == 201
    got = client.get(f"/v2/{repo}/manifests/v1")
    assert got.content == image.manifest  # byte for byte


def test_push_manifest_with_several_tags(client, repo):
    image = make_image()
    for blob in image.blobs.values():
        client.push_blob(repo, blob)
    r = client.put(f"/v2/{repo}/manifests/{image.digest}?tag=a&tag=b", data=image.manifest,
                   headers={"Content-Type": image.media_type})
    assert r.status_code == 201
    assert r.headers.get("OCI-Tag") in ("a, b", "a,b")
    assert client.get(f"/v2/{repo}/tags/list").json()["tags"] == ["a", "b"]


def test_manifest_digest_mismatch(client, repo):
    image = make_image()
    for blob in image.blobs.values():
        client.push_blob(repo, blob)
    r = client.push_manifest(repo, sha256(b"not it"), image.manifest, image.media_type)
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]


def test_manifest_with_missing_blobs(client, repo):
    image = make_image()
    client.push_blob(repo, image.config)
    r = client.push_manifest(repo, "v1", image.manifest, image.media_type)
    assert r.status_code == 400 and error_codes(r) == ["MANIFEST_BLOB_UNKNOWN"]
    assert client.get(f"/v2/{repo}/manifests/v1").status_code == 404


def test_blob_of_another_repository_does_not_satisfy_a_manifest(client, repo):
    image = make_image()
    client.push_image(f"{repo}-elsewhere", image)
    r = client.push_manifest(repo, "v1", image.manifest, image.media_type)
    assert r.status_code == 400 and error_codes(r) == ["MANIFEST_BLOB_UNKNOWN"]


def test_index_with_missing_children(client, repo):
    index = make_index()
    r = client.push_manifest(repo, "multi", index.manifest, index.media_type)
    assert r.status_code in (400, 404) and error_codes(r) == ["MANIFEST_UNKNOWN"]


def test_push_index(client, repo):
    index = make_index()
    digest = client.push_index(repo, index, "multi")
    got = client.get(f"/v2/{repo}/manifests/multi")
    assert got.headers["Content-Type"] == OCI_INDEX
    assert got.headers["Docker-Content-Digest"] == digest == index.digest


def test_docker_schema2_image_and_list(client, repo):
    index = make_index(docker=True)
    client.push_index(repo, index, "dlist")
    got = client.get(f"/v2/{repo}/manifests/dlist")
    assert got.headers["Content-Type"] == index.media_type
    child = client.get(f"/v2/{repo}/manifests/{index.images[0].digest}")
    assert child.headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"


def test_artifact_with_custom_config_media_type(client, repo):
    image = make_image(layers=1, artifact_type="application/vnd.example.sbom",
                       config_media_type="application/vnd.example.config+json")
    client.push_image(repo, image, "sbom")
    assert client.get(f"/v2/{repo}/manifests/sbom").content == image.manifest


def test_retag_moves_tag(client, repo):
    first, second = make_image(), make_image()
    client.push_image(repo, first, "moving")
    client.push_image(repo, second, "moving")
    assert client.get(f"/v2/{repo}/manifests/moving").headers["Docker-Content-Digest"] == second.digest


def test_mount_from_readable_repository(client, repo):
    data = os.urandom(2000)
    client.push_blob(f"{repo}-src", data)
    r = client.post(f"/v2/{repo}/blobs/uploads/?mount={sha256(data)}&from={repo}-src")
    assert r.status_code == 201
    assert r.headers["Location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_mount_of_unknown_blob_starts_an_upload(client, repo):
    r = client.post(f"/v2/{repo}/blobs/uploads/?mount={sha256(b'nothing')}&from={repo}-src")
    assert r.status_code == 202
    assert "/blobs/uploads/" in r.headers["Location"]


def test_mount_needs_the_blob_linked_in_from(client, repo):
    data = os.urandom(2000)
    client.push_blob(f"{repo}-a", data)
    r = client.post(f"/v2/{repo}/blobs/uploads/?mount={sha256(data)}&from={repo}-b")
    assert r.status_code == 202
    assert client.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404


def test_pushing_the_same_blob_twice_is_harmless(client, repo):
    data = os.urandom(3000)
    client.push_blob(repo, data)
    client.push_blob(repo, data)
    assert client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_large_manifest_sent_in_many_segments(client, repo):
    """A 3 MiB manifest arrives in many TCP segments and must be read whole."""
    image = make_image(layers=1, annotations={"pad": "x" * (3 * 1024 * 1024)})
    pushed = client.push_image(repo, image, "big")
    assert pushed == image.digest
    assert client.get(f"/v2/{repo}/manifests/big").content == image.manifest
