"""Several processes, one upstream request: ``--workers 2`` share their cold fetches and tag
checks through the database, so the upstream sees what one process would have asked."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, proxy_settings
from tests.support.client import RegistryClient
from tests.support.images import make_image, sha256
from tests.support.server import BerthServer

ACCEPT = {"Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"}
PULLS = 24
INTERVAL = 3


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory):
    server = BerthServer(tmp_path_factory.mktemp("workers") / "data", workers=2,
                         settings=proxy_settings(manifest_check_interval=INTERVAL)).start()
    yield server
    server.stop()


def _pull(url: str, repo: str, reference: str) -> str:
    """Pull the image on a connection of its own (so the pulls spread over both workers)."""
    client = RegistryClient(url, ADMIN)
    manifest = client.get(f"/v2/{repo}/manifests/{reference}", headers=ACCEPT)
    assert manifest.status_code == 200, manifest.text
    for descriptor in [manifest.json()["config"], *manifest.json()["layers"]]:
        got = client.get(f"/v2/{repo}/blobs/{descriptor['digest']}")
        assert got.status_code == 200 and sha256(got.content) == descriptor["digest"]
    return manifest.headers["Docker-Content-Digest"]


def _answered(upstream, method: str, path_part: str) -> int:
    """Requests the upstream answered 200 (a worker's first request is also refused once with 401
    while its client learns the upstream's auth challenge: a handshake, not a second fetch)."""
    return sum(1 for line in upstream.log().splitlines()
               if f'"{method} ' in line and path_part in line and 'HTTP/1.1" 200' in line)


def _checks(upstream, repo: str) -> int:
    return _answered(upstream, "HEAD", f"/v2/{repo}/manifests/v1 ")


def _pull_many(url: str, repo: str, reference: str) -> set[str]:
    with ThreadPoolExecutor(PULLS) as pool:
        return set(pool.map(lambda _: _pull(url, repo, reference), range(PULLS)))


def test_cold_pulls_on_two_workers_make_one_upstream_get_per_blob_and_manifest(workers, upstream):
    repo = f"w{uuid.uuid4().hex[:8]}/image"
    image = make_image(layers=2, layer_size=8 << 20)
    upstream.client.push_image(repo, image, "v1")
    project = make_proxy_project(Api(workers.url, ADMIN), upstream.url)
    assert _pull_many(workers.url, f"{project}/{repo}", "v1") == {image.digest}
    for digest in image.blobs:
        assert _answered(upstream, "GET", f"/v2/{repo}/blobs/{digest}") == 1, digest
    assert _answered(upstream, "GET", f"/v2/{repo}/manifests/") == 1
    by_digest = make_image(layers=1)
    upstream.client.push_image(repo, by_digest, "v2")
    assert _pull_many(workers.url, f"{project}/{repo}", by_digest.digest) == {by_digest.digest}
    assert _answered(upstream, "GET", f"/v2/{repo}/manifests/{by_digest.digest}") == 1


def test_two_workers_check_a_tag_once_per_interval(workers, upstream):
    repo = f"w{uuid.uuid4().hex[:8]}/image"
    image = make_image(layers=1)
    upstream.client.push_image(repo, image, "v1")
    project = make_proxy_project(Api(workers.url, ADMIN), upstream.url)
    _pull(workers.url, f"{project}/{repo}", "v1")
    heads = _checks(upstream, repo)
    time.sleep(INTERVAL + 0.5)
    assert _pull_many(workers.url, f"{project}/{repo}", "v1") == {image.digest}
    assert _checks(upstream, repo) == heads + 1
    moved = make_image(layers=1)
    upstream.client.push_image(repo, moved, "v1")
    time.sleep(INTERVAL + 0.5)
    # The worker that did not ask serves its cached copy until the other has fetched the new one.
    assert moved.digest in _pull_many(workers.url, f"{project}/{repo}", "v1") <= {image.digest, moved.digest}
    assert _pull_many(workers.url, f"{project}/{repo}", "v1") == {moved.digest}
    assert _checks(upstream, repo) == heads + 2
    assert _answered(upstream, "GET", f"/v2/{repo}/manifests/") == 2
