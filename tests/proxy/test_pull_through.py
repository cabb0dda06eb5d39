"""Pull-through in core: misses fetched from a real upstream (CNCF Distribution with htpasswd),
verified and stored as ordinary content; tags revalidated at most once per interval; pushes refused."""
from __future__ import annotations

import time

from tests.api.conftest import wait_for
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, upstream_requests
from tests.support.client import RegistryClient, error_codes
from tests.reliability.support import maintenance
from tests.support.images import OCI_INDEX, OCI_MANIFEST, make_image, make_index, sha256

ACCEPT = {"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}


def _pull(berth: RegistryClient, repo: str, reference: str) -> dict[str, bytes]:
    """Every blob of the image ``reference`` names, as a client would fetch them."""
    manifest = berth.get(f"/v2/{repo}/manifests/{reference}", headers=ACCEPT)
    assert manifest.status_code == 200, manifest.text
    doc = manifest.json()
    blobs = {}
    for descriptor in [doc["config"], *doc["layers"]]:
        got = berth.get(f"/v2/{repo}/blobs/{descriptor['digest']}")
        assert got.status_code == 200, got.text
        assert sha256(got.content) == descriptor["digest"]
        blobs[descriptor["digest"]] = got.content
    return blobs


def test_a_miss_is_fetched_verified_and_stored(proxy, admin_api, upstream):
    image = make_image(layers=2)
    upstream.client.push_image("team/app", image, "v1")
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    assert _pull(berth, f"{project}/team/app", "v1") == image.blobs
    got = berth.get(f"/v2/{project}/team/app/manifests/v1", headers=ACCEPT)
    assert got.content == image.manifest and got.headers["Docker-Content-Digest"] == image.digest
    # Ordinary content: listed by the management API, counted, tagged.
    artifacts = admin_api.get(f"/projects/{project}/repositories/team%252Fapp/artifacts").json()
    assert [a["digest"] for a in artifacts] == [image.digest]
    assert [t["name"] for t in artifacts[0]["tags"]] == ["v1"]
    # By digest, once cached: no upstream call.
    before = upstream_requests(upstream, "GET", f"/v2/team/app/manifests/{image.digest}")
    assert berth.get(f"/v2/{project}/team/app/manifests/{image.digest}", headers=ACCEPT).status_code == 200
    assert upstream_requests(upstream, "GET", f"/v2/team/app/manifests/{image.digest}") == before


def test_an_index_and_its_children(proxy, admin_api, upstream):
    index = make_index()
    upstream.client.push_index("multi/arch", index, "latest")
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    got = berth.get(f"/v2/{project}/multi/arch/manifests/latest", headers=ACCEPT)
    assert got.status_code == 200 and got.content == index.manifest
    for image in index.images:
        assert _pull(berth, f"{project}/multi/arch", image.digest) == image.blobs


def test_never_cached_gets_the_upstreams_error(proxy, admin_api, upstream):
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    missing = berth.get(f"/v2/{project}/no/such/manifests/v1", headers=ACCEPT)
    assert missing.status_code == 404 and error_codes(missing) == ["MANIFEST_UNKNOWN"]
    blob = berth.get(f"/v2/{project}/no/such/blobs/sha256:{'0' * 64}")
    assert blob.status_code == 404 and error_codes(blob) == ["BLOB_UNKNOWN"]
    refused = make_proxy_project(admin_api, upstream.url, login=("upstream", "wrong-password"))
    denied = berth.get(f"/v2/{refused}/team/app/manifests/v1", headers=ACCEPT)
    assert denied.status_code == 403 and error_codes(denied) == ["DENIED"]


def test_pushes_are_refused_with_denied(proxy, admin_api, upstream):
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    start = berth.post(f"/v2/{project}/mine/blobs/uploads/")
    assert start.status_code == 403 and error_codes(start) == ["DENIED"]
    assert "proxy cache" in start.json()["errors"][0]["message"]
    image = make_image(layers=1)
    put = berth.push_manifest(f"{project}/mine", "v1", image.manifest, image.media_type)
    assert put.status_code == 403 and error_codes(put) == ["DENIED"]


def test_a_tag_is_revalidated_once_per_interval_and_a_moved_tag_is_picked_up(proxy, admin_api, upstream):
    first, second = make_image(layers=1), make_image(layers=1)
    upstream.client.push_image("moving/tag", first, "stable")
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    path = f"/v2/{project}/moving/tag/manifests/stable"
    assert berth.get(path, headers=ACCEPT).content == first.manifest
    asked = upstream_requests(upstream, "HEAD", "/v2/moving/tag/manifests/stable") + \
        upstream_requests(upstream, "GET", "/v2/moving/tag/manifests/")
    for _ in range(20):  # within the 2 s interval: nothing goes upstream
        assert berth.get(path, headers=ACCEPT).content == first.manifest
    assert upstream_requests(upstream, "HEAD", "/v2/moving/tag/manifests/stable") + \
        upstream_requests(upstream, "GET", "/v2/moving/tag/manifests/") == asked
    time.sleep(2.2)
    heads = upstream_requests(upstream, "HEAD", "/v2/moving/tag/manifests/stable")
    assert berth.get(path, headers=ACCEPT).content == first.manifest
    assert upstream_requests(upstream, "HEAD", "/v2/moving/tag/manifests/stable") == heads + 1
    upstream.client.push_image("moving/tag", second, "stable")
    time.sleep(2.2)
    assert berth.get(path, headers=ACCEPT).content == second.manifest
    assert _pull(berth, f"{project}/moving/tag", "stable") == second.blobs


def test_cached_content_is_ordinary_for_gc_and_fsck(proxy, admin_api, upstream):
    """A partly fetched index is no fsck problem; GC keeps what was fetched; pulls are counted."""
    index = make_index()
    upstream.client.push_index("kept/multi", index, "v1")
    project = make_proxy_project(admin_api, upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    assert berth.get(f"/v2/{project}/kept/multi/manifests/v1", headers=ACCEPT).status_code == 200
    first = index.images[0]
    assert _pull(berth, f"{project}/kept/multi", first.digest) == first.blobs  # the other platform stays upstream
    fsck = maintenance(proxy, "fsck")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    gc = maintenance(proxy, "gc")
    assert gc.returncode == 0, gc.stderr
    before = upstream_requests(upstream, "GET", "/v2/kept/multi/blobs/")
    assert _pull(berth, f"{project}/kept/multi", first.digest) == first.blobs
    assert upstream_requests(upstream, "GET", "/v2/kept/multi/blobs/") == before
    repository = wait_for(lambda: (r := admin_api.get(f"/projects/{project}/repositories/kept%252Fmulti").json())
                          ["pull_count"] >= 3 and r)
    assert repository["pull_count"] >= 3
