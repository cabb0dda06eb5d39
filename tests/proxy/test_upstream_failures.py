"""When the upstream fails or lies: cached content still served (with a Warning), what was never
cached fails clearly, and content that does not match its digest is refused and never cached."""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, upstream_requests
from tests.proxy.fake_upstream import FakeUpstream
from tests.support.client import RegistryClient, error_codes
from tests.support.images import OCI_INDEX, OCI_MANIFEST, make_image, sha256

ACCEPT = {"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}


def _pull_all(berth: RegistryClient, repo: str, reference: str) -> None:
    manifest = berth.get(f"/v2/{repo}/manifests/{reference}", headers=ACCEPT)
    assert manifest.status_code == 200, manifest.text
    for d in [manifest.json()["config"], *manifest.json()["layers"]]:
        assert sha256(berth.get(f"/v2/{repo}/blobs/{d['digest']}").content) == d["digest"]


def test_an_outage_serves_what_is_cached_by_tag_and_digest(proxy, admin_api, own_upstream):
    image, other = make_image(layers=2), make_image(layers=1)
    own_upstream.client.push_image("app", image, "v1")
    own_upstream.client.push_image("app", other, "v2")
    project = make_proxy_project(admin_api, own_upstream.url)
    berth = RegistryClient(proxy.url, ADMIN)
    _pull_all(berth, f"{project}/app", "v1")
    own_upstream.stop()
    time.sleep(2.2)  # past the revalidation interval: the tag is asked for again, and the upstream is gone
    by_tag = berth.get(f"/v2/{project}/app/manifests/v1", headers=ACCEPT)
    assert by_tag.status_code == 200 and by_tag.content == image.manifest
    assert by_tag.headers["Warning"].startswith("110 ")
    assert "served from the cache" in proxy.log()
    _pull_all(berth, f"{project}/app", "v1")
    _pull_all(berth, f"{project}/app", image.digest)
    never = berth.get(f"/v2/{project}/app/manifests/v2", headers=ACCEPT)
    assert never.status_code == 503 and error_codes(never) == ["UNAVAILABLE"]
    assert "upstream" in never.json()["errors"][0]["message"]
    blob = berth.get(f"/v2/{project}/app/blobs/{sha256(other.layers[0])}")
    assert blob.status_code == 503 and error_codes(blob) == ["UNAVAILABLE"]


def test_twenty_concurrent_cold_pulls_make_one_upstream_get_per_blob(proxy, admin_api, upstream):
    image = make_image(layers=2, layer_size=8 << 20)
    upstream.client.push_image("big/image", image, "v1")
    project = make_proxy_project(admin_api, upstream.url)
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda _: _pull_all(RegistryClient(proxy.url, ADMIN), f"{project}/big/image", "v1"), range(20)))
    for digest in image.blobs:
        assert upstream_requests(upstream, "GET", f"/v2/big/image/blobs/{digest}") == 1, digest
    assert upstream_requests(upstream, "GET", "/v2/big/image/manifests/") == 1


@pytest.fixture
def fake():
    server = FakeUpstream().start()
    yield server
    server.stop()


def test_a_manifest_that_does_not_match_its_digest_is_refused_and_not_cached(proxy, admin_api, fake):
    image = make_image(layers=1)
    forged = image.manifest.replace(b'"schemaVersion": 2', b'"schemaVersion": 2 ')
    fake.manifests[image.digest] = (forged, OCI_MANIFEST, image.digest)
    fake.manifests["v1"] = (forged, OCI_MANIFEST, image.digest)
    project = make_proxy_project(admin_api, fake.url, login=None)
    berth = RegistryClient(proxy.url, ADMIN)
    for reference in (image.digest, "v1"):
        refused = berth.get(f"/v2/{project}/lying/manifests/{reference}", headers=ACCEPT)
        assert refused.status_code == 502 and error_codes(refused) == ["DIGEST_INVALID"], refused.text
    assert admin_api.get(f"/projects/{project}/repositories").json() == []


def test_a_blob_that_does_not_match_its_digest_aborts_every_reader_and_is_not_cached(proxy, admin_api, fake):
    real = os.urandom(1 << 20)
    digest = "sha256:" + hashlib.sha256(real).hexdigest()
    fake.blobs[digest] = os.urandom(len(real))  # the right size, the wrong bytes
    fake.delay = 0.02
    project = make_proxy_project(admin_api, fake.url, login=None)

    def fetch(_):
        try:
            got = requests.get(f"{proxy.url}/v2/{project}/lying/blobs/{digest}", auth=ADMIN, timeout=30)
        except requests.exceptions.RequestException as exc:
            return type(exc).__name__
        return "complete" if got.status_code == 200 and len(got.content) == len(real) else str(got.status_code)

    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(fetch, range(5)))
    assert "complete" not in outcomes, outcomes
    assert fake.count("GET", f"/blobs/{digest}") == 1
    fake.blobs[digest] = real
    fake.delay = 0
    again = requests.get(f"{proxy.url}/v2/{project}/lying/blobs/{digest}", auth=ADMIN, timeout=30)
    assert again.status_code == 200 and again.content == real
    assert fake.count("GET", f"/blobs/{digest}") == 2  # the first, forged fetch left nothing behind


def test_readers_follow_a_slow_fetch_and_a_range_mid_fetch_gets_206(proxy, admin_api, fake):
    blob = os.urandom(2 << 20)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    fake.blobs[digest] = blob
    fake.delay = 0.03  # 32 pieces: about a second
    project = make_proxy_project(admin_api, fake.url, login=None)
    url = f"{proxy.url}/v2/{project}/slow/blobs/{digest}"
    with ThreadPoolExecutor(4) as pool:
        whole = [pool.submit(requests.get, url, auth=ADMIN, timeout=30) for _ in range(3)]
        time.sleep(0.3)
        ranged = pool.submit(requests.get, url, auth=ADMIN, timeout=30, headers={"Range": "bytes=1000-1999999"})
        assert all(f.result().content == blob for f in whole)
        part = ranged.result()
    assert part.status_code == 206 and part.content == blob[1000:2000000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999999/{len(blob)}"
    assert fake.count("GET", f"/blobs/{digest}") == 1


@pytest.mark.parametrize("status", [429, 500, 404])
def test_a_cached_tag_outlives_upstream_refusals(proxy, admin_api, fake, status):
    """Rate limits, server errors, and a tag deleted upstream: the cached copy is served, with a Warning."""
    image = make_image(layers=1)
    fake.manifests["v1"] = (image.manifest, OCI_MANIFEST, image.digest)
    fake.manifests[image.digest] = (image.manifest, OCI_MANIFEST, image.digest)
    project = make_proxy_project(admin_api, fake.url, login=None)
    berth = RegistryClient(proxy.url, ADMIN)
    assert berth.get(f"/v2/{project}/kept/manifests/v1", headers=ACCEPT).headers.get("Warning") is None
    if status == 404:
        del fake.manifests["v1"]
    else:
        fake.status = status
    time.sleep(2.2)
    served = berth.get(f"/v2/{project}/kept/manifests/v1", headers=ACCEPT)
    assert served.status_code == 200 and served.content == image.manifest
    assert f"answered {status}" in served.headers["Warning"]
    never = berth.get(f"/v2/{project}/other/manifests/v1", headers=ACCEPT)
    expected = {429: (429, "TOOMANYREQUESTS"), 500: (502, "UNAVAILABLE"), 404: (404, "MANIFEST_UNKNOWN")}[status]
    assert (never.status_code, error_codes(never)) == (expected[0], [expected[1]])


def test_max_upstream_conn_answers_429_beyond_the_limit(proxy, admin_api, fake):
    """Harbor's max_upstream_conn: one slow cold blob holds the only upstream slot; a second blob waits its turn
    (429), while another client of the same blob joins the fetch in flight and needs no slot."""
    first, second = os.urandom(1 << 20), os.urandom(1 << 20)
    digests = ["sha256:" + hashlib.sha256(b).hexdigest() for b in (first, second)]
    fake.blobs.update(zip(digests, (first, second)))
    fake.delay = 0.05  # 16 pieces: most of a second
    project = make_proxy_project(admin_api, fake.url, login=None)
    assert admin_api.put(f"/projects/{project}", json={"metadata": {"max_upstream_conn": "1"}}).status_code == 200
    assert admin_api.get(f"/projects/{project}").json()["metadata"]["max_upstream_conn"] == "1"
    url = f"{proxy.url}/v2/{project}/slow/blobs/"
    with ThreadPoolExecutor(3) as pool:
        slow = pool.submit(requests.get, url + digests[0], auth=ADMIN, timeout=30)
        time.sleep(0.3)
        joined = pool.submit(requests.get, url + digests[0], auth=ADMIN, timeout=30)
        busy = requests.get(url + digests[1], auth=ADMIN, timeout=30)
        assert busy.status_code == 429 and error_codes(busy) == ["TOOMANYREQUESTS"]
        assert slow.result().content == first and joined.result().content == first
    later = requests.get(url + digests[1], auth=ADMIN, timeout=30)
    assert later.status_code == 200 and later.content == second
    for bad in ("0", "x", "10001", 5):
        refused = admin_api.put(f"/projects/{project}", json={"metadata": {"max_upstream_conn": bad}})
        assert refused.status_code == 400, bad
