"""Garbage collection on PostgreSQL + S3 with two processes: runs started on either are one at
a time across both (the lease), share one history, and lose nothing pushes acknowledged meanwhile."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import requests

from tests.reliability.support import assert_image_intact
from tests.scale.conftest import started, with_changes
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import ADMIN_PASSWORD, BerthServer

ADMIN = ("admin", ADMIN_PASSWORD)
REPO = "library/gcrace"
RUN_FOR = 8.0


def _run_gc(server: BerthServer) -> int | None:
    """Start a run on ``server``; its id, or None when a run is going elsewhere (409)."""
    started_run = requests.post(f"{server.url}/api/v2.0/system/gc/schedule", auth=ADMIN, timeout=30,
                                json={"schedule": {"type": "Manual"}, "parameters": {"delete_untagged": True}})
    if started_run.status_code == 409:
        return None
    assert started_run.status_code == 201, started_run.text
    return int(started_run.headers["Location"].rsplit("/", 1)[1])


def _status(server: BerthServer, run_id: int) -> str:
    return requests.get(f"{server.url}/api/v2.0/system/gc/{run_id}", auth=ADMIN, timeout=30).json()["job_status"]


def test_gc_on_two_processes_while_pushes_race(settings: dict, tmp_path: Path):
    settings = with_changes(settings, gc={"grace": 0})
    servers = [BerthServer(tmp_path / name / "data", settings=settings) for name in ("a", "b")]
    for server in servers:
        started(server)
    try:
        acknowledged: dict[str, object] = {}
        deleted: dict[str, object] = {}
        runs: list[tuple[BerthServer, int]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def push_and_remember(n: int) -> None:
            client = RegistryClient(servers[n % 2].url, ADMIN)
            i = 0
            while not stop.is_set():
                image = make_image(layers=1, layer_size=random.randint(1000, 20000))
                tag = f"p{n}-{i}"
                i += 1
                try:
                    client.push_image(REPO, image, tag)
                except AssertionError:
                    continue
                with lock:
                    acknowledged[tag] = image

        def deleter() -> None:
            client = RegistryClient(servers[0].url, ADMIN)
            while not stop.is_set():
                time.sleep(0.1)
                with lock:
                    if len(acknowledged) < 4:
                        continue
                    tag = random.choice(sorted(acknowledged))
                    image = acknowledged.pop(tag)
                assert client.delete(f"/v2/{REPO}/manifests/{image.digest}").status_code == 202
                deleted[tag] = image

        def collector() -> None:
            n = 0
            while not stop.is_set():
                server = servers[n % 2]
                n += 1
                run_id = _run_gc(server)
                if run_id is not None:  # None: a run on the other process holds the lease
                    runs.append((server, run_id))
                time.sleep(0.3)

        threads = [threading.Thread(target=push_and_remember, args=(n,)) for n in range(3)]
        threads += [threading.Thread(target=deleter), threading.Thread(target=collector)]
        for thread in threads:
            thread.start()
        time.sleep(RUN_FOR)
        stop.set()
        for thread in threads:
            thread.join(60)
        deadline = time.monotonic() + 60
        while any(_status(s, r) == "Running" for s, r in runs) and time.monotonic() < deadline:
            time.sleep(0.5)

        assert runs, "no garbage collection ran"
        assert {_status(s, r) for s, r in runs} == {"Success"}
        history = {r["id"] for r in requests.get(f"{servers[1].url}/api/v2.0/system/gc", auth=ADMIN, timeout=30,
                                                 params={"page_size": 100}).json()}
        assert {r for _, r in runs} <= history  # runs started on A are in B's history: one history
        reader = RegistryClient(servers[1].url, ADMIN)
        assert len(acknowledged) >= 5
        for tag, image in acknowledged.items():
            assert_image_intact(reader, REPO, tag, image)
        for image in deleted.values():
            assert reader.get(f"/v2/{REPO}/manifests/{image.digest}").status_code == 404
    finally:
        for server in servers:
            server.stop()
