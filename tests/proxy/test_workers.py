"""Several processes, one upstream request: ``--workers 2`` share their cold fetches and tag
checks through the database, so the upstream sees what one process would have asked."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, proxy_settings
from tests.proxy.fake_upstream import FakeUpstream
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


def test_max_upstream_conn_is_the_projects_across_workers(workers):
    """With ``max_upstream_conn: 1`` one slow cold blob holds the project's only slot in whichever
    worker fetches it: cold blobs asked of either worker meanwhile get 429, not a second slot."""
    fake = FakeUpstream().start()
    try:
        blobs = [os.urandom(1 << 20) for _ in range(9)]
        digests = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
        fake.blobs.update(zip(digests, blobs))
        fake.delay = 0.1  # 16 pieces: well over a second
        api = Api(workers.url, ADMIN)
        project = make_proxy_project(api, fake.url, login=None)
        assert api.put(f"/projects/{project}", json={"metadata": {"max_upstream_conn": "1"}}).status_code == 200
        url = f"{workers.url}/v2/{project}/slow/blobs/"
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(requests.get, url + digests[0], auth=ADMIN, timeout=60)
            time.sleep(0.5)
            # A connection each, so the kernel spreads them over both workers.
            answers = [requests.get(url + d, auth=ADMIN, timeout=60, headers={"Connection": "close"}).status_code
                       for d in digests[1:]]
            assert slow.result().content == blobs[0]
        assert answers == [429] * len(answers)
        later = requests.get(url + digests[1], auth=ADMIN, timeout=60)
        assert later.status_code == 200 and later.content == blobs[1]
    finally:
        fake.stop()


def test_every_worker_warns_that_a_cached_tag_is_stale_while_the_upstream_is_down(workers, own_upstream):
    """Only one worker sends the interval's HEAD; when the upstream fails it, the other worker's
    clients get the same ``Warning`` with the cached manifest, not a silent stale copy."""
    image = make_image(layers=1)
    own_upstream.client.push_image("app", image, "v1")
    project = make_proxy_project(Api(workers.url, ADMIN), own_upstream.url)
    url = f"{workers.url}/v2/{project}/app/manifests/v1"

    def pulls() -> list[tuple[int, str | None]]:
        # A connection each, so the kernel spreads them over both workers.
        answers = [requests.get(url, auth=ADMIN, headers={**ACCEPT, "Connection": "close"}, timeout=30)
                   for _ in range(12)]
        return [(a.status_code, a.headers.get("Warning")) for a in answers]

    assert {status for status, _ in pulls()} == {200}
    own_upstream.stop()
    time.sleep(INTERVAL + 0.5)
    stale = pulls()
    assert {status for status, _ in stale} == {200}
    assert all(warning and "Response is Stale" in warning for _, warning in stale), stale
    own_upstream.start()
    time.sleep(INTERVAL + 0.5)
    requests.get(url, auth=ADMIN, headers=ACCEPT, timeout=30)  # the next check succeeds: the notice is taken back
    assert all(warning is None for _, warning in pulls())


def _timed_pull(url: str) -> tuple[float, bytes | None]:
    """Seconds to the first bytes of a blob, and the whole body (None when the connection was cut)."""
    began = time.monotonic()
    try:
        with requests.get(url, auth=ADMIN, stream=True, timeout=60, headers={"Connection": "close"}) as got:
            assert got.status_code == 200, got.text
            pieces = got.iter_content(1 << 16)
            first = next(pieces)
            waited = time.monotonic() - began
            return waited, first + b"".join(pieces)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        return time.monotonic() - began, None


@pytest.fixture
def slow_upstream():
    fake = FakeUpstream().start()
    fake.delay = 0.1  # per 64 KiB piece: 3.2 s for 2 MiB
    yield fake
    fake.stop()


def test_clients_of_the_worker_that_lost_a_cold_fetch_stream_behind_the_winner(workers, slow_upstream):
    """The worker that did not win the claim follows the winner's file: its clients get the first
    bytes long before the last one leaves the upstream, and the upstream is asked once."""
    blob = os.urandom(2 << 20)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    slow_upstream.blobs[digest] = blob
    project = make_proxy_project(Api(workers.url, ADMIN), slow_upstream.url, login=None)
    url = f"{workers.url}/v2/{project}/slow/blobs/{digest}"
    with ThreadPoolExecutor(8) as pool:  # a connection each: the kernel spreads them over both workers
        pulls = list(pool.map(lambda _: _timed_pull(url), range(8)))
    assert all(body == blob for _, body in pulls)
    assert max(waited for waited, _ in pulls) < 2.0, pulls  # the whole blob takes 3.2 s to arrive
    assert slow_upstream.count("GET", f"/blobs/{digest}") == 1


def test_a_followed_fetch_that_does_not_match_its_digest_cuts_every_client(workers, slow_upstream):
    """Bytes that hash to something else reach no client whole, in either worker: each connection is
    cut before the last byte, and nothing is cached."""
    good, bad = os.urandom(1 << 20), os.urandom(1 << 20)
    digest = "sha256:" + hashlib.sha256(good).hexdigest()
    slow_upstream.blobs[digest] = bad
    project = make_proxy_project(Api(workers.url, ADMIN), slow_upstream.url, login=None)
    url = f"{workers.url}/v2/{project}/forged/blobs/{digest}"
    with ThreadPoolExecutor(6) as pool:
        pulls = list(pool.map(lambda _: _timed_pull(url), range(6)))
    assert all(body is None or len(body) < len(bad) for _, body in pulls), [len(b or b"") for _, b in pulls]
    slow_upstream.blobs[digest] = good
    slow_upstream.delay = 0
    again = requests.get(url, auth=ADMIN, timeout=60)
    assert again.status_code == 200 and again.content == good
