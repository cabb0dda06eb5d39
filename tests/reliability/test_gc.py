"""Garbage collection: what goes, what stays, the untagged policy, the schedule, and GC
running in a loop while other clients push, delete and pull."""
from __future__ import annotations

import json
import os
import random
import threading
import time
from urllib.parse import quote

import requests

from tests.conftest import ADMIN
from tests.reliability.support import assert_image_intact, blob_files, fsck_clean, gc, record_figures
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, descriptor, make_image, make_index, sha256

SETTINGS = {"auth": {"auto_create_projects": True}}


def _server(fresh_berth, **extra):
    server = fresh_berth(settings={**SETTINGS, **extra})
    return server, RegistryClient(server.url, ADMIN)


def test_gc_frees_deleted_content_and_keeps_the_rest(fresh_berth):
    server, client = _server(fresh_berth)
    gone, kept = make_image(layers=2, layer_size=50_000), make_image(layers=2, layer_size=50_000)
    client.push_image("library/app", gone, "old")
    client.push_image("library/app", kept, "new")
    assert client.delete(f"/v2/library/app/manifests/{gone.digest}").status_code == 202
    expected = sorted([*gone.blobs, gone.digest])
    expected_bytes = sum(len(b) for b in gone.blobs.values()) + len(gone.manifest)

    assert gc(server)["blobs"] == 0  # the default grace period keeps freshly written content
    before = blob_files(server.data_dir)
    dry = gc(server, "--dry-run", "--grace", "0")
    assert (dry["blobs"], dry["bytes"], dry["dry_run"]) == (len(expected), expected_bytes, True)
    assert blob_files(server.data_dir) == before

    done = gc(server, "--grace", "0")
    assert (done["blobs"], done["bytes"]) == (len(expected), expected_bytes)
    after = blob_files(server.data_dir)
    assert set(before) - set(after) == set(expected)
    assert_image_intact(client, "library/app", "new", kept)
    assert client.get(f"/v2/library/app/manifests/{gone.digest}").status_code == 404
    assert gc(server, "--grace", "0")["blobs"] == 0
    fsck_clean(server)
    record_figures(gc_single_run_bytes_freed=done["bytes"])


def test_deleted_blob_and_repository_free_storage_but_shared_layers_stay(fresh_berth):
    server, client = _server(fresh_berth)
    loose = client.push_blob("library/loose", os.urandom(10_000))
    assert client.delete(f"/v2/library/loose/blobs/{loose}").status_code == 202
    image = make_image(layers=1)
    client.push_image("library/one", image, "v1")
    client.push_image("library/two", image, "v1")  # the same layers, linked twice
    r = client.delete(f"/api/v2.0/projects/library/repositories/{quote('one', safe='')}")
    assert r.status_code == 200, r.text
    done = gc(server, "--grace", "0")
    assert done["blobs"] == 1  # only the deleted loose blob; library/two still holds the image
    assert f"sha256:{loose.split(':')[1]}" not in blob_files(server.data_dir)
    assert_image_intact(client, "library/two", "v1", image)
    r = client.delete(f"/api/v2.0/projects/library/repositories/{quote('two', safe='')}")
    assert r.status_code == 200
    assert gc(server, "--grace", "0")["blobs"] == len(image.blobs) + 1
    assert blob_files(server.data_dir) == {}


def test_untagged_policy_spares_indexes_children_and_referrers(fresh_berth):
    server, client = _server(fresh_berth)
    repo = "library/multi"
    index = make_index()
    client.push_index(repo, index, "multi")
    base = make_image(layers=1)
    client.push_image(repo, base, "base")
    signature = make_image(layers=1, artifact_type="application/vnd.example.signature",
                           subject=descriptor(OCI_MANIFEST, base.manifest))
    client.push_image(repo, signature)
    orphan = make_image(layers=1)
    client.push_image(repo, orphan)  # by digest, never tagged

    plain = gc(server, "--grace", "0")
    assert plain["manifests"] == 0 and plain["blobs"] == 0
    first = gc(server, "--grace", "0", "--untagged")
    assert first["manifests"] == 1 and first["blobs"] == len(orphan.blobs) + 1
    assert client.get(f"/v2/{repo}/manifests/{orphan.digest}").status_code == 404
    for image in index.images:
        assert_image_intact(client, repo, image.digest, image)
    assert_image_intact(client, repo, signature.digest, signature)

    assert client.delete(f"/v2/{repo}/manifests/multi").status_code == 202  # untag the index
    second = gc(server, "--grace", "0", "--untagged")
    assert second["manifests"] == 1 + len(index.images)
    assert client.get(f"/v2/{repo}/manifests/{index.images[0].digest}").status_code == 404
    assert_image_intact(client, repo, "base", base)
    fsck_clean(server)


def test_scheduled_gc_runs_inside_the_server(fresh_berth):
    server, client = _server(fresh_berth, gc={"interval": 1, "grace": 0})
    image = make_image(layers=1)
    client.push_image("library/sched", image, "v1")
    assert client.delete(f"/v2/library/sched/manifests/{image.digest}").status_code == 202
    deadline = time.monotonic() + 15
    while set(blob_files(server.data_dir)) & set(image.blobs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not set(blob_files(server.data_dir)) & set(image.blobs)


def test_gc_in_a_loop_while_clients_push_delete_and_pull(fresh_berth):
    """No blob of an acknowledged, undeleted image is ever lost; deleted ones go."""
    server, _ = _server(fresh_berth)
    shared_layer = make_image(layers=1).layers[0]  # re-pushed by every client: the re-link race
    acknowledged: dict[str, tuple[str, object]] = {}
    deleted: dict[str, object] = {}
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[str] = []
    counts = {"pushes": 0, "pulls": 0, "retried": 0, "gc_runs": 0, "gc_bytes": 0}

    def pusher(n: int) -> None:
        client = RegistryClient(server.url, ADMIN)
        i = 0
        while not stop.is_set():
            image = make_image(layers=2, layer_size=random.randint(1_000, 40_000))
            image = _with_layer(image, shared_layer)
            tag = f"p{n}-{i}"
            i += 1
            try:
                client.push_image("library/race", image, tag)
            except AssertionError:  # a retryable refusal (503, or a layer unlinked meanwhile)
                counts["retried"] += 1
                continue
            with lock:
                acknowledged[tag] = ("library/race", image)
                counts["pushes"] += 1

    def deleter() -> None:
        client = RegistryClient(server.url, ADMIN)
        while not stop.is_set():
            time.sleep(0.05)
            with lock:
                if len(acknowledged) < 4:
                    continue
                tag = random.choice(sorted(acknowledged))
                _, image = acknowledged.pop(tag)
            assert client.delete(f"/v2/library/race/manifests/{image.digest}").status_code == 202
            deleted[tag] = image

    def puller() -> None:
        client = RegistryClient(server.url, ADMIN)
        while not stop.is_set():
            with lock:
                if not acknowledged:
                    continue
                tag = random.choice(sorted(acknowledged))
                repo, image = acknowledged[tag]
            manifest = client.get(f"/v2/{repo}/manifests/{tag}")
            with lock:
                still_there = tag in acknowledged
            if not still_there:
                continue
            try:
                assert manifest.status_code == 200 and manifest.content == image.manifest
                for digest in image.blobs:
                    blob = client.get(f"/v2/{repo}/blobs/{digest}")
                    with lock:
                        if tag not in acknowledged:
                            break
                    assert blob.status_code == 200 and sha256(blob.content) == digest, digest
            except AssertionError as exc:
                failures.append(f"{tag}: {exc}")
            counts["pulls"] += 1

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=deleter), threading.Thread(target=puller)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            totals = gc(server, "--grace", "0", "--untagged")
            counts["gc_runs"] += 1
            counts["gc_bytes"] += totals["bytes"]
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    counts["gc_bytes"] += gc(server, "--grace", "0", "--untagged")["bytes"]
    assert not failures, failures[:5]
    client = RegistryClient(server.url, ADMIN)
    for tag, (repo, image) in acknowledged.items():
        assert_image_intact(client, repo, tag, image)
    on_disk = set(blob_files(server.data_dir))
    live = {d for _, image in acknowledged.values() for d in [*image.blobs, image.digest]}
    dead = {d for image in deleted.values() for d in [*image.blobs, image.digest]} - live
    assert live <= on_disk
    assert not dead & on_disk
    fsck_clean(server)
    assert counts["gc_runs"] >= 5 and counts["pushes"] >= 20 and counts["gc_bytes"] > 0
    record_figures(gc_loop_runs=counts["gc_runs"], gc_loop_bytes_freed=counts["gc_bytes"],
                   gc_loop_pushes=counts["pushes"], gc_loop_pulls=counts["pulls"],
                   gc_loop_deleted_images=len(deleted), gc_loop_retried_pushes=counts["retried"])


def _with_layer(image, layer: bytes):
    """The same image with one more layer every client shares."""
    doc = json.loads(image.manifest)
    doc["layers"].append({"mediaType": doc["layers"][0]["mediaType"], "digest": sha256(layer), "size": len(layer)})
    image.layers.append(layer)
    image.blobs[sha256(layer)] = layer
    image.manifest = json.dumps(doc).encode()
    return image


def test_gc_answers_stay_correct_for_concurrent_http_clients(fresh_berth):
    """A push whose content GC is collecting waits or is refused with a retryable error, never a 500."""
    server, client = _server(fresh_berth)
    data = os.urandom(5000)
    digest = client.push_blob("library/again", data)
    assert client.delete(f"/v2/library/again/blobs/{digest}").status_code == 202
    statuses = []

    def push_again() -> None:
        c = RegistryClient(server.url, ADMIN)
        for _ in range(20):
            start = c.post("/v2/library/again/blobs/uploads/")
            r = c.put(f"{start.headers['Location']}?digest={digest}", data=data)
            statuses.append(r.status_code)

    t = threading.Thread(target=push_again)
    t.start()
    for _ in range(5):
        gc(server, "--grace", "0")
    t.join()
    assert set(statuses) <= {201, 503}
    final = requests.get(f"{server.url}/v2/library/again/blobs/{digest}", auth=ADMIN)
    if statuses[-1] == 201:
        assert final.status_code == 200 and final.content == data
