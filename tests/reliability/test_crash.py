"""SIGKILL at random moments while clients push and GC runs; after every restart, fsck is
clean and every image acknowledged with 201 is served intact."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time

import requests

from tests.conftest import ADMIN
from tests.reliability.support import assert_image_intact, fsck_clean, maintenance, record_figures
from tests.support.client import RegistryClient
from tests.support.images import make_image, sha256
from tests.support.server import ROOT

KILLS = 4
PUSHERS = 6


def _push_forever(url: str, n: int, stop: threading.Event, acknowledged: dict, lock: threading.Lock) -> None:
    """Push images in both upload styles; an image counts only once its manifest got a 201."""
    client = RegistryClient(url, ADMIN)
    i = 0
    while not stop.is_set():
        image = make_image(layers=random.randint(1, 3), layer_size=random.randint(1_000, 300_000))
        repo, tag = f"library/crash{n % 3}", f"w{n}-{i}"
        i += 1
        try:
            for data in image.blobs.values():
                if random.random() < 0.5:
                    client.push_blob(repo, data)
                else:
                    _push_chunked(client, repo, data)
            r = client.push_manifest(repo, tag, image.manifest, image.media_type)
        except (requests.ConnectionError, AssertionError):
            time.sleep(0.05)  # the server is down or restarting; start the next image
            continue
        if r.status_code == 201:
            with lock:
                acknowledged[(repo, tag)] = image


def _push_chunked(client: RegistryClient, repo: str, data: bytes) -> None:
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    half = len(data) // 2
    r = client.patch(location, data=data[:half], headers={"Content-Range": f"0-{half - 1}"})
    assert r.status_code == 202
    r = client.put(f"{r.headers['Location']}?digest={sha256(data)}", data=data[half:],
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201


def test_sigkill_during_pushes_and_gc_loses_nothing_acknowledged(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True}})
    acknowledged: dict = {}
    lock = threading.Lock()
    stop = threading.Event()
    pushers = [threading.Thread(target=_push_forever, args=(server.url, n, stop, acknowledged, lock))
               for n in range(PUSHERS)]
    for t in pushers:
        t.start()
    config = server.data_dir.parent / f"berth-{server.port}.yml"
    gc_kills = 0
    try:
        for kill in range(KILLS):
            collector = subprocess.Popen(
                [sys.executable, "-m", "registry", "gc", "--grace", "0", "--untagged", "--config", str(config),
                 "--data", str(server.data_dir)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(random.uniform(0.4, 1.5))
            if collector.poll() is None:
                collector.send_signal(signal.SIGKILL)
                gc_kills += 1
            collector.wait()
            server.kill()
            fsck_clean(server)
            server.start()
    finally:
        stop.set()
        for t in pushers:
            t.join(60)
    server.kill()
    fsck_clean(server)
    result = maintenance(server, "gc", "--grace", "0", "--untagged")
    assert result.returncode == 0, result.stderr
    server.start()
    client = RegistryClient(server.url, ADMIN)
    for (repo, tag), image in acknowledged.items():
        assert_image_intact(client, repo, tag, image)
    fsck_clean(server)
    assert len(acknowledged) >= 20
    record_figures(crash_server_kills_survived=KILLS + 1, crash_gc_kills=gc_kills,
                   crash_acknowledged_images_verified=len(acknowledged))
