"""One registry, two Berth processes: every request may land on either, and nothing tells."""
from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.clients.skopeo import Skopeo
from tests.scale.conftest import FLUSH_INTERVAL, repository_pulls, started, with_changes
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image, sha256, write_oci_layout
from tests.support.server import ADMIN_PASSWORD, BerthServer
from storage.blobs.s3 import MIN_PART_SIZE

ADMIN = ("admin", ADMIN_PASSWORD)


def clients(pair: tuple[BerthServer, BerthServer]) -> tuple[RegistryClient, RegistryClient]:
    return RegistryClient(pair[0].url, ADMIN), RegistryClient(pair[1].url, ADMIN)


def new_repo() -> str:
    return f"library/s{uuid.uuid4().hex[:12]}"


def path_of(location: str) -> str:
    """A Location as a path, so it can be sent to the other process."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_upload_started_on_a_continued_on_b_finished_on_a(pair):
    a, b = clients(pair)
    repo = new_repo()
    data = os.urandom(2 * MIN_PART_SIZE + 4321)  # spans three parts
    cut = MIN_PART_SIZE + 100
    started = a.post(f"/v2/{repo}/blobs/uploads/")
    assert started.status_code == 202, started.text
    patched = b.patch(path_of(started.headers["Location"]), data=data[:cut],
                      headers={"Content-Type": "application/octet-stream", "Content-Range": f"0-{cut - 1}"})
    assert patched.status_code == 202, patched.text
    assert patched.headers["Range"] == f"0-{cut - 1}"
    status = a.get(path_of(patched.headers["Location"]))
    assert status.status_code == 204 and status.headers["Range"] == f"0-{cut - 1}"
    location = path_of(status.headers["Location"])
    sep = "&" if "?" in location else "?"
    done = a.put(f"{location}{sep}digest={sha256(data)}", data=data[cut:],
                 headers={"Content-Type": "application/octet-stream",
                          "Content-Range": f"{cut}-{len(data) - 1}"})
    assert done.status_code == 201, done.text
    for client in (a, b):
        got = client.get(f"/v2/{repo}/blobs/{sha256(data)}")
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha256(data)[7:]


def test_manifest_pushed_via_a_is_pulled_via_b_at_once(pair):
    a, b = clients(pair)
    repo = new_repo()
    image = make_image(layers=2)
    a.push_image(repo, image, "v1")
    got = b.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert got.status_code == 200, got.text
    assert got.content == image.manifest
    assert got.headers["Docker-Content-Digest"] == image.digest
    for digest, data in image.blobs.items():
        assert b.get(f"/v2/{repo}/blobs/{digest}").content == data
    assert b.get(f"/v2/{repo}/tags/list").json()["tags"] == ["v1"]


def test_moving_a_tag_is_atomic_for_readers_on_both(pair):
    a, b = clients(pair)
    repo = new_repo()
    images = [make_image(layers=1) for _ in range(2)]
    for image in images:
        a.push_image(repo, image)
    known = {image.digest: image.manifest for image in images}
    a.push_manifest(repo, "moving", images[0].manifest, OCI_MANIFEST)
    stop = threading.Event()
    seen: list[str] = []
    problems: list[str] = []

    def read(client: RegistryClient) -> None:
        while not stop.is_set():
            got = client.get(f"/v2/{repo}/manifests/moving", headers={"Accept": OCI_MANIFEST})
            digest = got.headers.get("Docker-Content-Digest")
            if got.status_code != 200 or known.get(digest) != got.content:
                problems.append(f"{got.status_code} {digest}")
            seen.append(digest)

    readers = [threading.Thread(target=read, args=(c,)) for c in (a, b, a, b)]
    for thread in readers:
        thread.start()
    try:
        for i in range(20):
            writer = (a, b)[i % 2]
            response = writer.push_manifest(repo, "moving", images[i % 2].manifest, OCI_MANIFEST)
            assert response.status_code == 201, response.text
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert problems == []
    assert set(seen) <= set(known) and len(seen) > 20
    for client in (a, b):
        assert client.head(f"/v2/{repo}/manifests/moving",
                           headers={"Accept": OCI_MANIFEST}).headers["Docker-Content-Digest"] == images[1].digest


def test_concurrent_pushes_of_the_same_blob_and_tag(pair):
    a, b = clients(pair)
    repo = new_repo()
    image = make_image(layers=1, layer_size=MIN_PART_SIZE + 5000)
    layer = image.layers[0]

    def push(i: int) -> str:
        client = (a, b)[i % 2]
        for data in image.blobs.values():
            client.push_blob(repo, data)
        response = client.push_manifest(repo, "same", image.manifest, OCI_MANIFEST)
        assert response.status_code == 201, response.text
        return response.headers["Docker-Content-Digest"]

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(push, range(8))) == {image.digest}
    for client in (a, b):
        assert client.get(f"/v2/{repo}/blobs/{sha256(layer)}").content == layer
        assert client.get(f"/v2/{repo}/manifests/same", headers={"Accept": OCI_MANIFEST}).content == image.manifest
        assert client.get(f"/v2/{repo}/tags/list").json()["tags"] == ["same"]


def test_pull_counts_from_both_processes_add_up_exactly(pair, settings):
    a, b = clients(pair)
    repo = new_repo()
    image = make_image(layers=1)
    a.push_image(repo, image, "v1")

    def pull(i: int) -> int:
        client = (a, b)[i % 3 == 0]
        return client.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(pull, range(30))) == {200}
    deadline = time.monotonic() + 10 * FLUSH_INTERVAL
    while repository_pulls(settings, repo) < 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2 * FLUSH_INTERVAL)  # a later flush must not add anything twice
    assert repository_pulls(settings, repo) == 30


def test_skopeo_copies_in_through_a_and_out_through_b(pair, tmp_path: Path):
    skopeo = Skopeo(tmp_path / "skopeo", ADMIN)
    image = make_image(layers=3, layer_size=200_000)
    source = write_oci_layout(tmp_path / "in", image, "v1")
    repo = new_repo()
    skopeo.copy(f"oci:{source}:v1", f"docker://{pair[0].host}/{repo}:v1")
    skopeo.copy(f"docker://{pair[1].host}/{repo}:v1", f"oci:{tmp_path / 'out'}:v1")
    out = tmp_path / "out" / "blobs" / "sha256"
    assert (out / image.digest[7:]).read_bytes() == image.manifest
    for digest, data in image.blobs.items():
        assert (out / digest[7:]).read_bytes() == data


def test_s3_redirect_mode_sends_clients_to_a_presigned_url(pair, settings, seaweedfs, tmp_path: Path):
    a = clients(pair)[0]
    repo = new_repo()
    data = os.urandom(300_000)
    digest = a.push_blob(repo, data)
    redirecting = BerthServer(tmp_path / "data", settings=with_changes(settings, storage={"s3": {"redirect": True}}))
    try:
        started(redirecting)
        client = RegistryClient(redirecting.url, ADMIN)
        got = client.get(f"/v2/{repo}/blobs/{digest}", allow_redirects=False)
        assert got.status_code == 307, got.text
        target = got.headers["Location"]
        assert target.startswith(f"{seaweedfs.endpoint}/") and "X-Amz-Signature=" in target
        fetched = requests.get(target, timeout=30)  # no Berth credentials: the signature is the access
        assert fetched.status_code == 200 and fetched.content == data
        missing = client.get(f"/v2/{repo}/blobs/{sha256(b'not pushed')}", allow_redirects=False)
        assert missing.status_code == 404  # access is still decided by Berth
    finally:
        redirecting.stop()
